"""The ``local`` target: train on this machine with scikit-learn and write the JSON artifact.

The artifact's formula, sigmoid(intercept + sum(w_i * (x_i - mean_i) / scale_i)), is exactly what
StandardScaler followed by LogisticRegression computes, so the stand-in can serve the model with
the standard library alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from threadpoolctl import threadpool_limits

from chalicelib.features import FEATURE_NAMES
from training.artifact import ModelArtifact, save_artifact
from training.card_markdown import CARD_FILE_NAME, write_card_markdown
from training.cross_validation import CrossValidation, cross_validate
from training.data import DEFAULT_SEED, WdbcSplit, load_wdbc, split_wdbc
from training.evaluate import ClassificationMetrics, classification_metrics
from training.fit import (
    C_GRID,
    CV_FOLDS,
    CV_SCORING_NAME,
    FittedModel,
    fit_logistic_regression,
)
from training.model_card import TARGET_RECALL_KEY
from training.options import TrainingOptions
from training.outcome import TrainingOutcome
from training.plots import (
    CONFUSION_FILE_NAME,
    ROC_FILE_NAME,
    plot_confusion_matrix,
    plot_roc_curve,
)
from training.threshold import TARGET_RECALL_RULE, ThresholdRule

MODEL_NAME = "wdbc-logistic-regression"
DEFAULT_OUTPUT_DIR = Path("models/wdbc-local")
MODEL_FILE_NAME = "model.json"
METRICS_FILE_NAME = "metrics.json"

# One BLAS thread: on two busy cores OpenBLAS's threads fight over them (a fit took 50 times
# longer), and a fixed thread count keeps the floating-point sums, so the version, reproducible.
_BLAS_THREADS = 1


@dataclass(frozen=True)
class LocalTrainingResult:
    artifact: ModelArtifact
    split: WdbcSplit
    fitted: FittedModel
    validation_metrics: ClassificationMetrics
    test_metrics: ClassificationMetrics


def train_local(seed: int = DEFAULT_SEED, rule: ThresholdRule | None = None) -> LocalTrainingResult:
    """Split, fit on train, pick the threshold on validation, measure on test. Writes nothing."""
    rule = rule or ThresholdRule()
    split = split_wdbc(load_wdbc(), seed)
    with threadpool_limits(limits=_BLAS_THREADS):
        fitted = fit_logistic_regression(split.train, seed)
        validation_probabilities = fitted.probability_malignant(split.validation.features)
        test_probabilities = fitted.probability_malignant(split.test.features)
    threshold = rule.choose(validation_probabilities, split.validation.labels)
    validation_metrics = classification_metrics(
        split.validation.labels, validation_probabilities, threshold
    )
    test_metrics = classification_metrics(split.test.labels, test_probabilities, threshold)
    artifact = _build_artifact(fitted, threshold, rule, split, validation_metrics, test_metrics)
    return LocalTrainingResult(artifact, split, fitted, validation_metrics, test_metrics)


def cross_validate_local(result: LocalTrainingResult, rule: ThresholdRule) -> CrossValidation:
    """10-fold cross-validation of the same procedure on the train and validation rows."""
    with threadpool_limits(limits=_BLAS_THREADS):
        return cross_validate(result.split, rule)


def write_outputs(
    result: LocalTrainingResult,
    output_dir: Path,
    cross_validation: CrossValidation | None = None,
) -> tuple[Path, ...]:
    """Write ``model.json`` and ``metrics.json`` (and, given cross-validation, the pictures and
    the markdown card); returns the paths, ``model.json`` and ``metrics.json`` first."""
    model_path = output_dir / MODEL_FILE_NAME
    metrics_path = output_dir / METRICS_FILE_NAME
    save_artifact(result.artifact, model_path)
    document = metrics_document(result)
    if cross_validation is None:
        _write_json(document, metrics_path)
        return model_path, metrics_path
    cv_summary = cross_validation.to_json()
    document["metrics"]["cross_validation_10_fold"] = cv_summary
    _write_json(document, metrics_path)
    test = result.split.test
    with threadpool_limits(limits=_BLAS_THREADS):
        test_probabilities = result.fitted.probability_malignant(test.features)
    return (
        model_path,
        metrics_path,
        plot_roc_curve(
            test.labels, test_probabilities, result.test_metrics, output_dir / ROC_FILE_NAME
        ),
        plot_confusion_matrix(result.test_metrics, output_dir / CONFUSION_FILE_NAME),
        write_card_markdown(result.artifact, cv_summary, output_dir / CARD_FILE_NAME),
    )


def metrics_document(result: LocalTrainingResult) -> dict[str, Any]:
    """The metrics and the split by row index, so later tools can score exactly the held-out rows.

    Row indices are positions in scikit-learn's copy of WDBC, not patient data.
    """
    split = result.split
    return {
        "model": {"name": result.artifact.name, "version": result.artifact.version},
        "metrics": dict(result.artifact.metrics),
        "split": {
            "seed": split.seed,
            **{f"{name}_rows": part.row_indices.tolist() for name, part in split.parts.items()},
        },
    }


def run_local(options: TrainingOptions) -> TrainingOutcome:
    """The CLI's entry for ``--target local``: train, cross-validate, write every file, report."""
    result = train_local(options.seed, options.rule)
    cross_validation = cross_validate_local(result, options.rule)
    written_files = write_outputs(result, options.output_dir, cross_validation)
    return TrainingOutcome(
        model_name=result.artifact.name,
        model_version=result.artifact.version,
        seed=options.seed,
        split_sizes=_split_sizes(result.split),
        chosen_settings={
            "C": result.fitted.regularisation_strength,
            "threshold": result.artifact.threshold,
        },
        threshold_rule=options.rule.describe(),
        test_metrics=result.test_metrics,
        cross_validation={
            metric: cross_validation.spread(metric)
            for metric in ("accuracy", "roc_auc", "malignant_recall", "malignant_precision")
        },
        written_files=written_files,
    )


def _build_artifact(
    fitted: FittedModel,
    threshold: float,
    rule: ThresholdRule,
    split: WdbcSplit,
    validation_metrics: ClassificationMetrics,
    test_metrics: ClassificationMetrics,
) -> ModelArtifact:
    # float() throughout: the artifact must hold plain Python numbers, which JSON writes the same
    # way every time, never numpy scalars.
    train_features = split.train.features
    training: dict[str, Any] = {
        "seed": split.seed,
        "C": fitted.regularisation_strength,
        "C_grid": list(C_GRID),
        "cv_folds": CV_FOLDS,
        "cv_scoring": CV_SCORING_NAME,
        "threshold_rule": rule.describe(),
        "split_sizes": _split_sizes(split),
        "sklearn_version": sklearn.__version__,
    }
    if rule.name == TARGET_RECALL_RULE:
        training[TARGET_RECALL_KEY] = rule.target_recall
    return ModelArtifact(
        name=MODEL_NAME,
        means=_floats(fitted.scaler.mean_),
        scales=_floats(fitted.scaler.scale_),
        weights=_floats(fitted.classifier.coef_[0]),
        intercept=float(fitted.classifier.intercept_[0]),
        threshold=float(threshold),
        metrics={
            "test": test_metrics.to_json(),
            "validation": validation_metrics.to_json(),
            "cross_validation": {
                "scoring": CV_SCORING_NAME,
                "folds": CV_FOLDS,
                "mean_log_loss_by_C": {
                    repr(c): loss for c, loss in fitted.cv_mean_log_loss_by_c.items()
                },
            },
        },
        feature_ranges={
            name: (float(low), float(high))
            for name, low, high in zip(
                FEATURE_NAMES,
                np.min(train_features, axis=0),
                np.max(train_features, axis=0),
                strict=True,
            )
        },
        training=training,
    )


def _write_json(document: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _split_sizes(split: WdbcSplit) -> dict[str, int]:
    return {name: len(part.labels) for name, part in split.parts.items()}


def _floats(values: Any) -> tuple[float, ...]:
    return tuple(float(value) for value in values)
