"""Training a shipped example's model and handing it to deployment: ``python -m training``.

By what a reader looks for: ``data`` (the data set, its split and a part's metrics), ``procedure``
(the local procedure by task), ``threshold`` (the threshold rules), ``local`` (the local target:
fitting, the model folder, scoring through an endpoint), ``artifact`` (the local model as JSON),
``sagemaker`` (the SageMaker training job and its registration), ``registry`` (the Model
Registry, which deployment reads), ``aws`` (clients, tags, waits, one-line errors, shared with
``deploy``), ``model_card`` (the cards), ``cli`` (the commands). Nothing here imports ``deploy``:
hosting the model is ``python -m deploy``'s.
"""

from __future__ import annotations


class TrainingError(Exception):
    """Training could not produce a trustworthy model; the message says which check failed."""


class DatasetError(TrainingError):
    """The bundled WDBC data is not what the model and the API assume (names, order, labels)."""
