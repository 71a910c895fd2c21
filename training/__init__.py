"""Training the WDBC classifier and putting it behind a SageMaker endpoint: ``python -m training``.

By what a reader looks for: ``data`` (the data set, its split and a part's metrics), ``local``
(fitting, the threshold rules, scoring with scikit-learn), ``artifact`` (the local model as
JSON), ``sagemaker`` (the Linear Learner training job and the Model Registry), ``model_card``
(the cards), ``cli`` (the commands). Hosting the endpoint lives with the deployment tooling, in
``deploy.endpoint``; its CloudError, and the errors below, are what the commands turn into
one-line messages.
"""

from __future__ import annotations


class TrainingError(Exception):
    """Training could not produce a trustworthy model; the message says which check failed."""


class DatasetError(TrainingError):
    """The bundled WDBC data is not what the model and the API assume (names, order, labels)."""
