"""The local model as JSON data, never pickle: training writes it, the stand-in serves it.

The stand-in's ``read_linear_model`` is the one check of the format (the format is the contract);
``load_artifact`` adds the descriptive keys beside it. Standard library only, so the dev server
reads a model without scikit-learn or numpy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standin.model import (
    BINARY,
    FORMAT,
    ModelFileError,
    parameters,
    read_linear_model,
    version_of,
)
from training.data import FEATURE_NAMES

_DESCRIPTIVE = ("metrics", "feature_ranges", "training")


@dataclass(frozen=True)
class ModelArtifact:
    """Standardisation followed by a linear model of Linear Learner's `predictor_type`, as
    standin.model.LinearScorer computes it; for WDBC's binary_classifier, label 1 means malignant:

    probability_malignant = sigmoid(intercept + sum(w_i * (x_i - mean_i) / scale_i))
    predicted_label = 1 if probability_malignant >= threshold else 0
    """

    name: str
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    threshold: float
    feature_names: tuple[str, ...] = FEATURE_NAMES
    predictor_type: str = BINARY
    # Test and validation metrics, cross-validation summaries, the training ranges of each
    # feature: data about the model, never rows of patient data.
    metrics: Mapping[str, Any] = field(default_factory=dict)
    feature_ranges: Mapping[str, Sequence[float]] = field(default_factory=dict)
    training: Mapping[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """Content address of the parameters: the same model always has the same version."""
        return str(self.to_json()["version"])

    def to_json(self) -> dict[str, Any]:
        stored = parameters(self)
        return {
            "format": FORMAT,
            "name": self.name,
            "version": version_of(stored),
            **stored,
            "metrics": dict(self.metrics),
            "feature_ranges": {name: list(bounds) for name, bounds in self.feature_ranges.items()},
            "training": dict(self.training),
        }


def load_artifact(path: Path) -> ModelArtifact:
    """The artifact at ``path``; raises ModelFileError, whose message says what is wrong."""
    read_linear_model(path)  # the format, parameters and version, as the stand-in checks them
    document = json.loads(path.read_text(encoding="utf-8"))
    descriptive = [document.get(key, {}) for key in _DESCRIPTIVE]
    if not (
        isinstance(document.get("name"), str)
        and tuple(document["feature_names"]) == FEATURE_NAMES
        and all(isinstance(value, dict) for value in descriptive)
        and all(isinstance(bounds, list) for bounds in descriptive[1].values())
    ):
        raise ModelFileError(
            f"{path}: needs a name, the 30 WDBC feature_names in WDBC order, and objects for "
            f"{', '.join(_DESCRIPTIVE)} (feature_ranges of [low, high] lists)"
        )
    means, scales, weights = (tuple(document[key]) for key in ("means", "scales", "weights"))
    metrics, ranges, training = descriptive
    intercept, threshold = document["intercept"], document["threshold"]
    return ModelArtifact(
        document["name"], means, scales, weights, intercept, threshold, FEATURE_NAMES,
        document["predictor_type"], metrics, ranges, training,
    )  # fmt: skip


def save_artifact(artifact: ModelArtifact, path: Path) -> None:
    write_json(artifact.to_json(), path)


def write_json(document: Any, path: Path) -> Path:
    """The one writer of training's JSON files (model, metrics, cards, training-job record)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path
