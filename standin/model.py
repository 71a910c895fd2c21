"""The model artifact as a scorer. The stand-in plays SageMaker, so it reads the file itself,
not through the code that trained it: the format is the contract."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import mul
from pathlib import Path
from typing import NamedTuple, Protocol

FORMAT = "wdbc-linear-model/1"
# What the model computes with; the artifact's version is the hash of exactly these keys.
PARAMETERS = ("feature_names", "means", "scales", "weights", "intercept", "threshold")
MALIGNANT, BENIGN = 1, 0


class ModelFileError(ValueError):
    """The artifact is missing, not JSON, malformed, or its version is not its parameters' hash."""


class ContainerError(Exception):
    """What the model container answers itself: a status and a message naming no input value."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class LinearModel(Protocol):
    @property
    def means(self) -> Sequence[float]: ...
    @property
    def scales(self) -> Sequence[float]: ...
    @property
    def weights(self) -> Sequence[float]: ...
    @property
    def intercept(self) -> float: ...
    @property
    def threshold(self) -> float: ...
    @property
    def version(self) -> str: ...


@dataclass(frozen=True)
class ModelFile:
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    threshold: float
    version: str


def load_model(path: Path) -> ModelFile:
    if path.is_dir():
        path = path / "model.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"no model artifact at {path}") from None
    except (OSError, ValueError) as error:
        raise ModelFileError(f"cannot read {path}: {type(error).__name__}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a {FORMAT} artifact")
    parameters = {key: document.get(key) for key in PARAMETERS}
    names, means, scales, weights, intercept, threshold = parameters.values()
    vectors = [vector if isinstance(vector, list) else [] for vector in (means, scales, weights)]
    numbers = [*vectors[0], *vectors[1], *vectors[2], intercept, threshold]
    if not (
        isinstance(names, list)
        and all(isinstance(name, str) for name in names)
        and all(len(vector) == len(names) for vector in vectors)
        and all(type(value) in (int, float) and math.isfinite(value) for value in numbers)
        and all(scale > 0 for scale in vectors[1])
        and 0 < threshold < 1  # type: ignore[operator]  # a number: checked just above
    ):
        raise ModelFileError(f"{path}: {', '.join(PARAMETERS)} do not describe a linear model")
    canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":")).encode("ascii")
    version = hashlib.sha256(canonical).hexdigest()[:12]
    if document.get("version") != version:
        raise ModelFileError(f"{path}: its version is not the hash of its parameters (edited?)")
    means, scales, weights = (tuple(map(float, vector)) for vector in vectors)
    return ModelFile(means, scales, weights, float(numbers[-2]), float(numbers[-1]), version)


class Prediction(NamedTuple):
    """Linear Learner's binary-classifier answer: the probability of label 1 and the label."""

    score: float
    predicted_label: int


class LinearScorer:
    """sigmoid(intercept + sum(w_i * (x_i - mean_i) / scale_i)), standardisation folded in once."""

    def __init__(self, model: LinearModel) -> None:
        self.feature_count = len(model.weights)
        self._weights = tuple(w / s for w, s in zip(model.weights, model.scales, strict=True))
        self._intercept = model.intercept - math.fsum(map(mul, self._weights, model.means))
        if not all(map(math.isfinite, (*self._weights, self._intercept))):
            raise ModelFileError("scales are too small to fold into finite weights")
        self._threshold = model.threshold

    def predict(self, rows: Iterable[Sequence[float]]) -> list[Prediction]:
        return [self._predict(number, row) for number, row in enumerate(rows, 1)]

    def _predict(self, number: int, row: Sequence[float]) -> Prediction:
        if len(row) != self.feature_count:
            raise ValueError(f"row {number} has {len(row)} values, not {self.feature_count}")
        margin = self._intercept + sum(map(mul, self._weights, row))
        if math.isnan(margin):  # finite inputs so large that two terms overflow to +inf and -inf
            raise ContainerError(400, f"row {number} cannot be scored: its values are too large")
        score = sigmoid(margin)
        return Prediction(score, MALIGNANT if score >= self._threshold else BENIGN)


def sigmoid(margin: float) -> float:
    """1 / (1 + e^-margin) without overflow: exp only ever sees a non-positive argument."""
    if margin >= 0.0:
        return 1.0 / (1.0 + math.exp(-margin))
    exp_margin = math.exp(margin)
    return exp_margin / (1.0 + exp_margin)
