"""Training the WDBC classifier and putting it behind a SageMaker endpoint: ``python -m training``.

By what a reader looks for: ``data`` (the data set and its split), ``local`` (fitting and scoring
with scikit-learn), ``threshold`` (the decision threshold), ``artifact`` (the local model as JSON),
``linear_learner`` (the SageMaker training job), ``registry`` (the Model Registry), ``hosting``
(endpoints), ``model_card`` (the cards), ``aws`` (clients, names, waits), ``cli`` (the commands).
The errors below are what the command line turns into one-line messages.
"""

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
