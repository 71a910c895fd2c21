"""What can go wrong while training, as small classes the CLI turns into one-line messages."""

from __future__ import annotations


class TrainingError(Exception):
    """Training could not produce a trustworthy model; the message says which check failed."""


class DatasetError(TrainingError):
    """The bundled WDBC data is not what the model and the API assume (names, order, labels)."""


class BadName(TrainingError):
    """A name SageMaker would refuse, caught before any call is made."""


class CloudError(TrainingError):
    """SageMaker, S3 or Application Auto Scaling refused or failed; the message says which call."""


class WaitFailed(CloudError):
    """A training job or endpoint ended in a failed state; the message holds its FailureReason."""


class WaitTimedOut(CloudError):
    """A training job or endpoint did not reach its goal within the bounded wait."""


class StageFileError(TrainingError):
    """`.chalice/config.json` or a policy file lacks what the write-back must change."""
