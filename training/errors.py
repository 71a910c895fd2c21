"""What can go wrong while training, as small classes the CLI turns into one-line messages."""

from __future__ import annotations


class TrainingError(Exception):
    """Training could not produce a trustworthy model; the message says which check failed."""


class DatasetError(TrainingError):
    """The bundled WDBC data is not what the model and the API assume (names, order, labels)."""
