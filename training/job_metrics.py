"""Linear Learner's final metrics (a training job's FinalMetricDataList) under our names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Linear Learner's binary-classifier metric names, by the names ClassificationMetrics uses.
_OUR_NAMES = {
    "binary_classification_accuracy": "accuracy",
    "recall": "malignant_recall",
    "precision": "malignant_precision",
    "roc_auc_score": "roc_auc",
    "binary_f_beta": "f_beta",
    "objective_loss": "objective_loss",
    "binary_classification_cross_entropy": "cross_entropy",
}
PARTS = ("test", "validation")


def linear_learner_metrics(
    final_metrics: Iterable[Mapping[str, Any]],
) -> dict[str, dict[str, float]]:
    """``[{"MetricName": "test:recall", "Value": 0.9}]`` -> ``{"test": {"malignant_recall": 0.9}}``.

    Metrics of other parts (``train:progress``) and names we do not know are left out.
    """
    by_part: dict[str, dict[str, float]] = {}
    for item in final_metrics:
        part, _, name = str(item.get("MetricName", "")).partition(":")
        ours = _OUR_NAMES.get(name)
        value = item.get("Value")
        if part in PARTS and ours and isinstance(value, (int, float)):
            by_part.setdefault(part, {})[ours] = float(value)
    return by_part


def metrics_with_counts(
    rates: Mapping[str, float], malignant_rows: int, benign_rows: int
) -> dict[str, Any] | None:
    """Linear Learner's rates as the card's metrics, with the confusion counts they imply.

    The part's class counts are known from the split, so recall gives the true positives and
    precision the false positives; the accuracy must then agree, or the rates are not of these
    rows and None is returned rather than invented counts.
    """
    needed = ("accuracy", "malignant_recall", "malignant_precision", "roc_auc")
    if not all(name in rates for name in needed):
        return None
    rows = malignant_rows + benign_rows
    true_positives = round(rates["malignant_recall"] * malignant_rows)
    precision = rates["malignant_precision"]
    false_positives = round(true_positives / precision - true_positives) if precision else 0
    false_negatives = malignant_rows - true_positives
    true_negatives = benign_rows - false_positives
    implied_accuracy = (true_positives + true_negatives) / rows
    if true_negatives < 0 or abs(implied_accuracy - rates["accuracy"]) > 0.5 / rows:
        return None
    return {
        **{name: rates[name] for name in needed},
        "confusion_matrix": {
            "tn": true_negatives,
            "fp": false_positives,
            "fn": false_negatives,
            "tp": true_positives,
        },
        "rows": rows,
        "malignant_rows": malignant_rows,
        "benign_rows": benign_rows,
    }
