"""The model a stand-in serves, read from its folder as SageMaker's containers would read it.

`models/<name>/model.json` is our linear artifact, served as Linear Learner serves its models;
`models/<name>/xgboost-model.json` is XGBoost's own JSON model, served as SageMaker's XGBoost
container serves it (standin/xgboost_model.py). The stand-in plays SageMaker, so it reads the
files itself, not through the code that trained them: the format is the contract.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import mul
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

from standin.inference import ContainerError, invoke

FORMAT = "linear-model/1"
# Linear Learner's predictor_type values.
BINARY, MULTICLASS, REGRESSOR = "binary_classifier", "multiclass_classifier", "regressor"
# What the model computes with (and a binary_classifier's threshold): see parameter_keys.
PARAMETERS = ("predictor_type", "feature_names", "means", "scales", "weights", "intercept")
LINEAR_FILE, XGBOOST_FILE = "model.json", "xgboost-model.json"


class ModelFileError(ValueError):
    """The artifact is missing, not JSON, malformed, or its version is not its parameters' hash."""


class Container(Protocol):
    """A model in the container that serves it: what the stand-in's endpoint answers with."""

    @property
    def version(self) -> str: ...

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None
    ) -> tuple[bytes, str]:
        """The answer's body and media type; ContainerError with the container's status."""
        ...


class LinearModel(Protocol):
    """Standardisation, then K linear outputs (K = 1 but for multiclass): this file's reader
    and training's ModelArtifact both are one."""

    @property
    def predictor_type(self) -> str: ...
    @property
    def feature_names(self) -> Sequence[str]: ...
    @property
    def means(self) -> Sequence[float]: ...
    @property
    def scales(self) -> Sequence[float]: ...
    @property
    def weights(self) -> Sequence[float] | Sequence[Sequence[float]]: ...
    @property
    def intercept(self) -> float | Sequence[float]: ...
    @property
    def threshold(self) -> float | None: ...
    @property
    def version(self) -> str: ...


@dataclass(frozen=True)
class ModelFile:
    predictor_type: str
    feature_names: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...] | tuple[tuple[float, ...], ...]
    intercept: float | tuple[float, ...]
    threshold: float | None
    version: str


def parameter_keys(predictor_type: object) -> tuple[str, ...]:
    """The keys a model of this predictor type computes with; its version hashes exactly these."""
    return (*PARAMETERS, "threshold") if predictor_type == BINARY else PARAMETERS


def parameters(model: LinearModel) -> dict[str, Any]:
    """The parameters as the artifact stores them, as JSON."""
    keys = parameter_keys(model.predictor_type)
    return dict(json.loads(json.dumps({key: getattr(model, key) for key in keys})))


def version_of(parameters: Mapping[str, Any]) -> str:
    """Content address of the parameters: the same model always has the same version."""
    canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:12]


def load_model(path: Path) -> Container:
    """The model in a folder (or that file of it), in its container; ModelFileError otherwise."""
    if path.is_dir():
        found = [path / name for name in (LINEAR_FILE, XGBOOST_FILE) if (path / name).is_file()]
        if len(found) != 1:
            raise ModelFileError(f"{path} must hold one model: {LINEAR_FILE} or {XGBOOST_FILE}")
        path = found[0]
    if path.name == XGBOOST_FILE:
        try:
            from standin.xgboost_model import XGBoostContainer
        except ImportError:
            raise ModelFileError(
                f"{path} needs xgboost: pip install -r requirements-xgboost.txt"
            ) from None
        return XGBoostContainer(path)
    return LinearLearner(read_linear_model(path))


def read_linear_model(path: Path) -> ModelFile:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"no model artifact at {path}") from None
    except (OSError, ValueError) as error:
        raise ModelFileError(f"cannot read {path}: {type(error).__name__}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a {FORMAT} artifact")
    predictor_type = document.get("predictor_type")
    model = _linear_model({key: document.get(key) for key in parameter_keys(predictor_type)})
    if model is None or (predictor_type != BINARY and "threshold" in document):
        raise ModelFileError(
            f"{path}: predictor_type, {', '.join(PARAMETERS[1:])} and, for a binary_classifier "
            "only, threshold do not describe a linear model"
        )
    if document.get("version") != model.version:
        raise ModelFileError(f"{path}: its version is not the hash of its parameters (edited?)")
    return model


def _linear_model(found: dict[str, Any]) -> ModelFile | None:
    """The model the parameters describe, or None where they describe none."""
    names, means, scales, weights, intercept = (found[key] for key in PARAMETERS[1:])
    multiclass = found["predictor_type"] == MULTICLASS
    outputs = weights if multiclass else [weights]
    intercepts = intercept if multiclass else [intercept]
    if not (
        found["predictor_type"] in (BINARY, MULTICLASS, REGRESSOR)
        and isinstance(names, list)
        and names
        and all(isinstance(name, str) for name in names)
        and _numbers(means, len(names))
        and _numbers(scales, len(names))
        and all(scale > 0 for scale in scales)
        and isinstance(outputs, list)
        and len(outputs) >= (3 if multiclass else 1)
        and all(_numbers(output, len(names)) for output in outputs)
        and _numbers(intercepts, len(outputs))
        and (found["predictor_type"] != BINARY or _probability(found["threshold"]))
    ):
        return None
    return ModelFile(
        found["predictor_type"],
        tuple(names),
        tuple(map(float, means)),
        tuple(map(float, scales)),
        tuple(tuple(map(float, w)) for w in weights) if multiclass else tuple(map(float, weights)),
        tuple(map(float, intercept)) if multiclass else float(intercept),
        None if found.get("threshold") is None else float(found["threshold"]),
        version_of(found),
    )


def _probability(value: Any) -> bool:
    return _numbers([value], 1) and 0 < value < 1


def _numbers(values: Any, count: int) -> bool:
    return (
        isinstance(values, list)
        and len(values) == count
        and all(type(value) in (int, float) and math.isfinite(value) for value in values)
    )


class Prediction(NamedTuple):
    """Linear Learner's answer for one row: `score` (binary: the probability of label 1;
    multiclass: each class's probability; regressor: the value) and `predicted_label`."""

    score: float | tuple[float, ...]
    predicted_label: int | None = None


class LinearScorer:
    """margin_k = intercept_k + sum(w_ki * (x_i - mean_i) / scale_i), standardisation folded in
    once; binary: sigmoid(margin), label 1 at the threshold and above; multiclass: the softmax
    of the K margins, the label of the greatest; regressor: the margin."""

    def __init__(self, model: LinearModel) -> None:
        self.feature_count = len(model.means)
        self.predictor_type = model.predictor_type
        self._threshold = model.threshold or 0.0  # a binary_classifier's only
        multiclass = model.predictor_type == MULTICLASS
        outputs = cast(Sequence[Sequence[float]], model.weights if multiclass else [model.weights])
        intercepts = cast(Sequence[float], model.intercept if multiclass else [model.intercept])
        self._outputs: list[tuple[tuple[float, ...], float]] = []
        for weights, intercept in zip(outputs, intercepts, strict=True):
            folded = tuple(w / s for w, s in zip(weights, model.scales, strict=True))
            bias = intercept - math.fsum(map(mul, folded, model.means))
            if not all(map(math.isfinite, (*folded, bias))):
                raise ModelFileError("scales are too small to fold into finite weights")
            self._outputs.append((folded, bias))

    def predict(self, rows: Iterable[Sequence[float]]) -> list[Prediction]:
        return [self._predict(number, row) for number, row in enumerate(rows, 1)]

    def _predict(self, number: int, row: Sequence[float]) -> Prediction:
        if len(row) != self.feature_count:
            raise ValueError(f"row {number} has {len(row)} values, not {self.feature_count}")
        margins = [bias + sum(map(mul, weights, row)) for weights, bias in self._outputs]
        # Finite inputs so large that two terms overflow to +inf and -inf give NaN; a sigmoid
        # takes an infinite margin, a softmax or a regressor's answer cannot.
        if any(math.isnan(m) or (math.isinf(m) and self.predictor_type != BINARY) for m in margins):
            raise ContainerError(400, f"row {number} cannot be scored: its values are too large")
        if self.predictor_type == REGRESSOR:
            return Prediction(margins[0])
        if self.predictor_type == BINARY:
            score = sigmoid(margins[0])
            return Prediction(score, int(score >= self._threshold))
        greatest = max(margins)
        exponentials = [math.exp(margin - greatest) for margin in margins]
        total = math.fsum(exponentials)
        return Prediction(tuple(e / total for e in exponentials), margins.index(greatest))


def sigmoid(margin: float) -> float:
    """1 / (1 + e^-margin) without overflow: exp only ever sees a non-positive argument."""
    if margin >= 0.0:
        return 1.0 / (1.0 + math.exp(-margin))
    exp_margin = math.exp(margin)
    return exp_margin / (1.0 + exp_margin)


class LinearLearner:
    """A linear model served as SageMaker's Linear Learner container serves one."""

    def __init__(self, model: LinearModel) -> None:
        self.version, self.scorer = model.version, LinearScorer(model)

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None
    ) -> tuple[bytes, str]:
        return invoke(self.scorer, body, content_type, accept)
