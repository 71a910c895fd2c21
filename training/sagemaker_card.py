"""The model card of a Linear Learner model, from its training job: Linear Learner's own test
and validation metrics, and the training ranges of the split its seed reproduces."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from chalicelib.features import FEATURE_NAMES
from chalicelib.model_card import CARD_FORMAT
from training.data import MALIGNANT, load_wdbc, split_wdbc
from training.errors import CloudError
from training.job_metrics import linear_learner_metrics, metrics_with_counts
from training.model_card import DATA_LIMITS, INTENDED_USE
from training.naming import SEED_TAG_KEY
from training.sagemaker_target import MODEL_NAME

LIMITS = (
    f"{DATA_LIMITS}; Linear Learner chose its threshold on the validation channel by its "
    "binary_classifier_model_selection_criteria (see training.hyperparameters)."
)


def training_seed(sagemaker: Any, training_job: Mapping[str, Any]) -> int:
    tags = sagemaker.list_tags(ResourceArn=training_job["TrainingJobArn"]).get("Tags", [])
    for tag in tags:
        if tag["Key"] == SEED_TAG_KEY:
            return int(tag["Value"])
    raise CloudError(
        f"training job {training_job['TrainingJobName']} has no {SEED_TAG_KEY} tag: "
        "it was not trained by `python -m training train --target sagemaker`"
    )


def sagemaker_model_card(
    training_job: Mapping[str, Any], version: str, seed: int
) -> dict[str, Any]:
    split = split_wdbc(load_wdbc(), seed)
    train_features = split.train.features
    rates = linear_learner_metrics(training_job.get("FinalMetricDataList", []))
    metrics = {}
    for part_name, part_rates in rates.items():
        labels = split.parts[part_name].labels
        malignant = int(np.count_nonzero(labels == MALIGNANT))
        counted = metrics_with_counts(part_rates, malignant, len(labels) - malignant)
        if counted is not None:
            metrics[part_name] = counted
    return {
        "format": CARD_FORMAT,
        "name": MODEL_NAME,
        "version": version,
        "intended_use": INTENDED_USE,
        "limits": LIMITS,
        "labels": {"M": "malignant (model label 1)", "B": "benign (model label 0)"},
        # Linear Learner keeps the threshold it chose inside its model; its answers'
        # predicted_label applies it. The card cannot name it without reading the model.
        "decision_threshold": None,
        "features": [
            {
                "position": position,
                "name": name,
                "training_range": [float(low), float(high)],
            }
            for position, (name, low, high) in enumerate(
                zip(
                    FEATURE_NAMES,
                    np.min(train_features, axis=0),
                    np.max(train_features, axis=0),
                    strict=True,
                ),
                start=1,
            )
        ],
        "metrics": metrics,
        "training": {
            "training_job": training_job["TrainingJobName"],
            "image": training_job["AlgorithmSpecification"]["TrainingImage"],
            "hyperparameters": dict(training_job.get("HyperParameters", {})),
            "seed": seed,
            "split_sizes": {name: len(part.labels) for name, part in split.parts.items()},
            "linear_learner_metrics": rates,
        },
    }
