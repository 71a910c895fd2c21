"""Classification metrics for one part of the split, with malignant as the positive class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score

from training.data import MALIGNANT, Labels
from training.fit import Probabilities


@dataclass(frozen=True)
class ClassificationMetrics:
    accuracy: float
    malignant_recall: float
    malignant_precision: float
    roc_auc: float
    true_negatives: int
    false_positives: int
    false_negatives: int
    true_positives: int

    @property
    def rows(self) -> int:
        return self.benign_rows + self.malignant_rows

    @property
    def malignant_rows(self) -> int:
        return self.true_positives + self.false_negatives

    @property
    def benign_rows(self) -> int:
        return self.true_negatives + self.false_positives

    def to_json(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "malignant_recall": self.malignant_recall,
            "malignant_precision": self.malignant_precision,
            "roc_auc": self.roc_auc,
            "confusion_matrix": {
                "tn": self.true_negatives,
                "fp": self.false_positives,
                "fn": self.false_negatives,
                "tp": self.true_positives,
            },
            "rows": self.rows,
            "malignant_rows": self.malignant_rows,
            "benign_rows": self.benign_rows,
        }


def classification_metrics(
    labels: Labels, probabilities: Probabilities, threshold: float
) -> ClassificationMetrics:
    """Metrics of predicting malignant when ``probability >= threshold``; AUC ignores the threshold.

    ``labels`` must hold both classes, as every stratified part does; ROC AUC needs both.
    """
    return metrics_of_predictions(labels, probabilities >= threshold, probabilities)


def metrics_of_predictions(
    labels: Labels, predicted_malignant: npt.NDArray[np.bool_], scores: Probabilities
) -> ClassificationMetrics:
    """Metrics of labels a model already predicted (an endpoint's ``predicted_label``), with
    its scores for the ROC AUC."""
    actual_malignant = labels == MALIGNANT
    true_positives = int(np.count_nonzero(predicted_malignant & actual_malignant))
    false_positives = int(np.count_nonzero(predicted_malignant & ~actual_malignant))
    false_negatives = int(np.count_nonzero(~predicted_malignant & actual_malignant))
    true_negatives = int(np.count_nonzero(~predicted_malignant & ~actual_malignant))
    return ClassificationMetrics(
        accuracy=_ratio(true_positives + true_negatives, len(labels)),
        malignant_recall=_ratio(true_positives, true_positives + false_negatives),
        malignant_precision=_ratio(true_positives, true_positives + false_positives),
        # For two classes roc_auc_score scores the greater label, MALIGNANT, as positive.
        roc_auc=float(roc_auc_score(labels, scores)),
        true_negatives=true_negatives,
        false_positives=false_positives,
        false_negatives=false_negatives,
        true_positives=true_positives,
    )


def _ratio(numerator: int, denominator: int) -> float:
    # No predicted malignant rows gives precision 0/0; report 0.0, as scikit-learn's
    # zero_division=0 does, rather than NaN, which JSON cannot hold.
    return numerator / denominator if denominator else 0.0
