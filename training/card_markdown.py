"""The model card as a short markdown page for people: data, intended use, metrics, limits."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from training.artifact import ModelArtifact
from training.model_card import INTENDED_USE, limits_for

CARD_FILE_NAME = "model_card.md"

_METRIC_LABELS = {
    "accuracy": "accuracy",
    "malignant_recall": "malignant recall",
    "malignant_precision": "malignant precision",
    "roc_auc": "ROC AUC",
}


def card_markdown(artifact: ModelArtifact, cross_validation: Mapping[str, Any]) -> str:
    training = artifact.training
    sizes = training.get("split_sizes", {})
    test = artifact.metrics.get("test", {})
    validation = artifact.metrics.get("validation", {})
    lines = [
        f"# Model card: {artifact.name}, version {artifact.version}",
        "",
        "## Data",
        "",
        "The Wisconsin Diagnostic Breast Cancer data set (569 fine-needle aspirates, 212 malignant,"
        " 357 benign; 30 features per image), as scikit-learn ships it. Label 1 = malignant.",
        f"Stratified split with seed {training.get('seed')}: {sizes.get('train')} train,"
        f" {sizes.get('validation')} validation, {sizes.get('test')} test rows.",
        "",
        "## Model",
        "",
        "Standardisation and logistic regression (the local counterpart of SageMaker Linear"
        f" Learner with `normalize_data`), C = {training.get('C')} by 5-fold cross-validated log"
        f" loss on the train rows. Decision threshold {artifact.threshold:.4f}:"
        f" {training.get('threshold_rule')}.",
        "",
        "## Intended use",
        "",
        INTENDED_USE,
        "",
        "## Metrics",
        "",
        "| | accuracy | malignant recall | malignant precision | ROC AUC |",
        "|---|---|---|---|---|",
        _row("held-out test", test),
        _row("validation", validation),
        _spread_row(cross_validation),
        "",
        f"Test confusion matrix (tn fp fn tp): {_confusion(test)}.",
        "",
        "## Limits",
        "",
        limits_for(training).replace("ranges below", "ranges (model.json, feature_ranges)"),
        "",
    ]
    return "\n".join(lines)


def write_card_markdown(
    artifact: ModelArtifact, cross_validation: Mapping[str, Any], path: Path
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(card_markdown(artifact, cross_validation), encoding="utf-8")
    return path


def _row(name: str, metrics: Mapping[str, Any]) -> str:
    cells = [f"{metrics[key]:.4f}" if key in metrics else "n/a" for key in _METRIC_LABELS]
    return f"| {name} | " + " | ".join(cells) + " |"


def _spread_row(cross_validation: Mapping[str, Any]) -> str:
    folds = cross_validation.get("folds", "?")
    cells = [
        f"{cross_validation[key]['mean']:.4f} ± {cross_validation[key]['std']:.4f}"
        if key in cross_validation
        else "n/a"
        for key in _METRIC_LABELS
    ]
    return f"| {folds}-fold CV, mean ± std | " + " | ".join(cells) + " |"


def _confusion(metrics: Mapping[str, Any]) -> str:
    matrix = metrics.get("confusion_matrix", {})
    return " ".join(str(matrix.get(key, "?")) for key in ("tn", "fp", "fn", "tp"))
