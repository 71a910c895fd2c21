"""The model artifact as a scorer: one 30-term dot product and a sigmoid per row.

Standardisation is folded into the weights once, at start-up:
intercept + sum(w_i * (x_i - mean_i) / scale_i)
    = (intercept - sum(w_i * mean_i / scale_i)) + sum((w_i / scale_i) * x_i)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from operator import mul
from typing import NamedTuple

from chalicelib.features import FEATURE_COUNT
from standin.errors import InvalidRequestBody
from training.artifact import ArtifactError, ModelArtifact

MALIGNANT, BENIGN = 1, 0


class Prediction(NamedTuple):
    """Linear Learner's binary-classifier answer: the probability of malignancy and its label."""

    score: float
    predicted_label: int


class LinearScorer:
    """Scores rows with a `ModelArtifact`; immutable, so threads share one instance."""

    __slots__ = ("_folded_intercept", "_folded_weights", "_threshold")

    def __init__(self, artifact: ModelArtifact) -> None:
        folded_weights = tuple(
            weight / scale for weight, scale in zip(artifact.weights, artifact.scales, strict=True)
        )
        folded_intercept = artifact.intercept - math.fsum(map(mul, folded_weights, artifact.means))
        if not all(map(math.isfinite, (*folded_weights, folded_intercept))):
            raise ArtifactError("scales are too small to fold into finite weights")
        self._folded_weights = folded_weights
        self._folded_intercept = folded_intercept
        self._threshold = artifact.threshold

    def predict(self, rows: Iterable[Sequence[float]]) -> list[Prediction]:
        return [self._predict_row(number, row) for number, row in enumerate(rows, 1)]

    def _predict_row(self, number: int, row: Sequence[float]) -> Prediction:
        if len(row) != FEATURE_COUNT:
            raise ValueError(f"row {number} has {len(row)} values, expected {FEATURE_COUNT}")
        margin = self._folded_intercept + sum(map(mul, self._folded_weights, row))
        if math.isnan(margin):
            # Finite inputs large enough that two terms overflow to +inf and -inf.
            raise InvalidRequestBody(f"row {number} cannot be scored: its values are too large")
        score = sigmoid(margin)
        return Prediction(score, MALIGNANT if score >= self._threshold else BENIGN)


def sigmoid(margin: float) -> float:
    """1 / (1 + e^-margin) without overflow: exp only ever sees a non-positive argument."""
    if margin >= 0.0:
        return 1.0 / (1.0 + math.exp(-margin))
    exp_margin = math.exp(margin)
    return exp_margin / (1.0 + exp_margin)
