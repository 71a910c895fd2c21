"""10-fold cross-validation of the whole training procedure on the train and validation rows.

Each fold's held-out rows are scored by a model trained exactly as the shipped one is: C chosen
by 5-fold cross-validation on a training part, the threshold by the rule on a validation part
(the fold's other rows split 75/25, as 60/20 of the whole). The test rows take no part, so the
spread says how much the figures move with the data, and the threshold rule can be chosen here
without ever looking at the test part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from training.data import SplitPart, WdbcSplit
from training.evaluate import ClassificationMetrics, classification_metrics
from training.fit import fit_logistic_regression
from training.threshold import ThresholdRule

CROSS_VALIDATION_FOLDS = 10
# Of a fold's training rows, the share set aside to choose the threshold: 20 / (60 + 20).
INNER_VALIDATION_SHARE = 0.25

SUMMARISED = ("accuracy", "malignant_recall", "malignant_precision", "roc_auc")


@dataclass(frozen=True)
class Spread:
    mean: float
    std: float  # sample standard deviation over the folds (ddof=1)

    def to_json(self) -> dict[str, float]:
        return {"mean": self.mean, "std": self.std}


@dataclass(frozen=True)
class CrossValidation:
    folds: tuple[ClassificationMetrics, ...]
    seed: int
    rule: ThresholdRule

    def spread(self, metric: str) -> Spread:
        values = np.array([getattr(fold, metric) for fold in self.folds], dtype=np.float64)
        return Spread(float(values.mean()), float(values.std(ddof=1)))

    def to_json(self) -> dict[str, Any]:
        return {
            "folds": len(self.folds),
            "rows": sum(fold.rows for fold in self.folds),
            "seed": self.seed,
            "procedure": "C by 5-fold CV and the threshold rule on a 25% inner validation part",
            "threshold_rule": self.rule.to_json(),
            **{metric: self.spread(metric).to_json() for metric in SUMMARISED},
            "false_negatives": sum(fold.false_negatives for fold in self.folds),
            "false_positives": sum(fold.false_positives for fold in self.folds),
        }


def cross_validate(
    split: WdbcSplit, rule: ThresholdRule, folds: int = CROSS_VALIDATION_FOLDS
) -> CrossValidation:
    """Cross-validate on train + validation; the test part of ``split`` is never touched."""
    development = _concatenate((split.train, split.validation))
    outer = StratifiedKFold(n_splits=folds, shuffle=True, random_state=split.seed)
    results = []
    for fit_positions, held_positions in outer.split(development.features, development.labels):
        inner_train, inner_validation = _inner_split(development, fit_positions, split.seed)
        fitted = fit_logistic_regression(inner_train, split.seed)
        threshold = rule.choose(
            fitted.probability_malignant(inner_validation.features), inner_validation.labels
        )
        held = _take(development, held_positions)
        results.append(
            classification_metrics(
                held.labels, fitted.probability_malignant(held.features), threshold
            )
        )
    return CrossValidation(folds=tuple(results), seed=split.seed, rule=rule)


def _inner_split(
    development: SplitPart, positions: np.ndarray[Any, Any], seed: int
) -> tuple[SplitPart, SplitPart]:
    train_positions, validation_positions = train_test_split(
        positions,
        test_size=INNER_VALIDATION_SHARE,
        stratify=development.labels[positions],
        random_state=seed,
    )
    return _take(development, train_positions), _take(development, validation_positions)


def _concatenate(parts: Sequence[SplitPart]) -> SplitPart:
    rows = np.concatenate([part.row_indices for part in parts])
    order = np.argsort(rows)
    return SplitPart(
        features=np.concatenate([part.features for part in parts])[order],
        labels=np.concatenate([part.labels for part in parts])[order],
        row_indices=rows[order],
    )


def _take(part: SplitPart, positions: np.ndarray[Any, Any]) -> SplitPart:
    ordered = np.sort(positions)
    return SplitPart(part.features[ordered], part.labels[ordered], part.row_indices[ordered])
