"""The local model as the stand-in reads it, never pickle: training writes it, the stand-in
serves it.

A Linear Learner contract's model is our JSON, `model.json`, whose one check is the stand-in's
``read_linear_model`` (the format is the contract); an XGBoost contract's is XGBoost's own JSON
model, `xgboost-model.json`, what SageMaker's XGBoost container loads. What describes the model
(metrics, the training record) is kept beside it in `metrics.json`, its features' training
ranges in its contract. Standard library only, so the dev server reads a model without
scikit-learn or numpy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from standin.model import (
    BINARY,
    FORMAT,
    LINEAR_FILE,
    XGBOOST_FILE,
    ModelFileError,
    parameters,
    read_linear_model,
    version_of,
)


@dataclass(frozen=True)
class ModelArtifact:
    """Standardisation followed by a linear model of Linear Learner's `predictor_type`, as
    standin.model.LinearScorer computes it; for a binary_classifier, label 1 is the contract's
    positive class:

    probability = sigmoid(intercept + sum(w_i * (x_i - mean_i) / scale_i))
    predicted_label = 1 if probability >= threshold else 0

    A multiclass_classifier has a row of weights and an intercept per class (softmax), a
    regressor answers the margin itself.
    """

    file_name: ClassVar[str] = LINEAR_FILE
    name: str
    feature_names: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...] | tuple[tuple[float, ...], ...]
    intercept: float | tuple[float, ...]
    threshold: float | None = None  # binary_classifier only
    predictor_type: str = BINARY

    @property
    def version(self) -> str:
        """Content address of the parameters: the same model always has the same version."""
        return str(self.to_json()["version"])

    def to_json(self) -> dict[str, Any]:
        stored = parameters(self)
        return {"format": FORMAT, "name": self.name, "version": version_of(stored), **stored}

    def content(self) -> bytes:
        return json_text(self.to_json()).encode("utf-8")


@dataclass(frozen=True)
class XGBoostArtifact:
    """XGBoost's JSON model (``Booster.save_raw("json")``); its version is the file's hash, as
    the stand-in computes it."""

    file_name: ClassVar[str] = XGBOOST_FILE
    name: str
    model: bytes
    threshold: float | None = None  # the contract's: XGBoost answers only the probability

    @property
    def version(self) -> str:
        return hashlib.sha256(self.model).hexdigest()[:12]

    def content(self) -> bytes:
        return self.model


Artifact = ModelArtifact | XGBoostArtifact


def load_artifact(path: Path, feature_names: Sequence[str] | None = None) -> ModelArtifact:
    """The linear artifact at ``path``, of these features if given; raises ModelFileError, whose
    message says what is wrong."""
    model = read_linear_model(path)  # the format, parameters and version, as the stand-in checks
    name = json.loads(path.read_text(encoding="utf-8")).get("name")
    expected = model.feature_names if feature_names is None else tuple(feature_names)
    if not isinstance(name, str) or model.feature_names != expected:
        raise ModelFileError(f"{path}: needs a name, and the contract's feature_names in order")
    return ModelArtifact(name, model.feature_names, model.means, model.scales, model.weights,
                         model.intercept, model.threshold, model.predictor_type)  # fmt: skip


def save_artifact(artifact: Artifact, path: Path) -> Path:
    """The one writer of a model file (in a model folder, named by its ``file_name``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(artifact.content())
    return path


def json_text(document: Any) -> str:
    """Training's JSON layout: two-space indents, UTF-8 as it is (a unit's ² stays readable)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_json(document: Any, path: Path) -> Path:
    """The one writer of training's JSON files (metrics, contract, cards, training-job record)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_text(document), encoding="utf-8")
    return path
