"""The local model artifact: a standardised linear classifier stored as JSON data, never pickle.

Training writes it; the SageMaker Runtime stand-in reads it. Only the standard library is used
here, so the stand-in can load a model without scikit-learn or numpy.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.features import FEATURE_COUNT, FEATURE_NAMES

ARTIFACT_FORMAT = "wdbc-linear-model/1"
_LISTS = ("means", "scales", "weights", "feature_names")


class ArtifactError(ValueError):
    """The artifact file is missing a key, has a wrong type, or does not describe a valid model."""


@dataclass(frozen=True)
class ModelArtifact:
    """Standardisation followed by logistic regression; label 1 means malignant.

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
    # Test and validation metrics, cross-validation summaries, the training ranges of each
    # feature: data about the model, never rows of patient data.
    metrics: Mapping[str, Any] = field(default_factory=dict)
    feature_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    training: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if tuple(self.feature_names) != FEATURE_NAMES:
            raise ArtifactError("feature_names must be the 30 WDBC features in WDBC order")
        for key in ("means", "scales", "weights"):
            values = getattr(self, key)
            if len(values) != FEATURE_COUNT:
                raise ArtifactError(f"{key} must hold {FEATURE_COUNT} numbers")
            if not all(map(_is_finite_number, values)):
                raise ArtifactError(f"{key} must hold finite numbers")
        if min(self.scales) <= 0:
            raise ArtifactError("scales must be positive")
        if not _is_finite_number(self.intercept):
            raise ArtifactError("intercept must be a finite number")
        if not (_is_finite_number(self.threshold) and 0.0 < self.threshold < 1.0):
            raise ArtifactError("threshold must be a number strictly between 0 and 1")

    def parameters(self) -> dict[str, Any]:
        """What the model computes with; the version hashes exactly this."""
        return {
            "feature_names": list(self.feature_names),
            "means": list(self.means),
            "scales": list(self.scales),
            "weights": list(self.weights),
            "intercept": self.intercept,
            "threshold": self.threshold,
        }

    @property
    def version(self) -> str:
        """Content address of the parameters: the same model always has the same version."""
        canonical = json.dumps(self.parameters(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:12]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ARTIFACT_FORMAT,
            "name": self.name,
            "version": self.version,
            **self.parameters(),
            "metrics": dict(self.metrics),
            "feature_ranges": {name: list(bounds) for name, bounds in self.feature_ranges.items()},
            "training": dict(self.training),
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> ModelArtifact:
        if document.get("format") != ARTIFACT_FORMAT:
            raise ArtifactError(f"format must be {ARTIFACT_FORMAT!r}")
        lists: dict[str, Any] = {key: tuple(_require(document, key, list)) for key in _LISTS}
        numbers = {key: _require(document, key, (int, float)) for key in ("intercept", "threshold")}
        try:
            ranges = {
                name: (float(low), float(high))
                for name, (low, high) in document.get("feature_ranges", {}).items()
            }
        except (TypeError, ValueError, AttributeError) as error:
            raise ArtifactError(f"malformed artifact: {type(error).__name__}") from None
        artifact = cls(
            name=_require(document, "name", str),
            **lists,
            **numbers,
            metrics=document.get("metrics", {}),
            feature_ranges=ranges,
            training=document.get("training", {}),
        )
        if document.get("version") not in (None, artifact.version):
            raise ArtifactError("version does not match the parameters (the file was edited)")
        return artifact


def load_artifact(path: Path) -> ModelArtifact:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(
            f"no model artifact at {path}; run `python -m training train`"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ArtifactError(f"cannot read {path}: {type(error).__name__}") from None
    except json.JSONDecodeError as error:
        raise ArtifactError(f"{path} is not JSON (line {error.lineno})") from None
    if not isinstance(document, dict):
        raise ArtifactError(f"{path} must hold a JSON object")
    return ModelArtifact.from_json(document)


def save_artifact(artifact: ModelArtifact, path: Path) -> None:
    write_json(artifact.to_json(), path)


def write_json(document: Any, path: Path) -> Path:
    """The one writer of training's JSON files (model, metrics, cards, training-job record)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def _require(document: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in document:
        raise ArtifactError(f"missing key {key!r}")
    value = document[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ArtifactError(f"key {key!r} has the wrong type")
    return value


def _is_finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
