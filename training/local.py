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

from chalicelib.features import FEATURE_NAMES
from training.artifact import ModelArtifact, save_artifact
from training.data import DEFAULT_SEED, WdbcSplit, load_wdbc, split_wdbc
from training.evaluate import ClassificationMetrics, classification_metrics
from training.fit import (
    C_GRID,
    CV_FOLDS,
    CV_SCORING_NAME,
    FittedModel,
    fit_logistic_regression,
)
from training.outcome import TrainingOutcome
from training.threshold import THRESHOLD_RULE, choose_threshold

MODEL_NAME = "wdbc-logistic-regression"
DEFAULT_OUTPUT_DIR = Path("artifacts/local")
MODEL_FILE_NAME = "model.json"
METRICS_FILE_NAME = "metrics.json"


@dataclass(frozen=True)
class LocalTrainingResult:
    artifact: ModelArtifact
    split: WdbcSplit
    fitted: FittedModel
    validation_metrics: ClassificationMetrics
    test_metrics: ClassificationMetrics


def train_local(seed: int = DEFAULT_SEED) -> LocalTrainingResult:
    """Split, fit on train, pick the threshold on validation, measure on test. Writes nothing."""
    split = split_wdbc(load_wdbc(), seed)
    fitted = fit_logistic_regression(split.train, seed)
    validation_probabilities = fitted.probability_malignant(split.validation.features)
    threshold = choose_threshold(validation_probabilities, split.validation.labels)
    validation_metrics = classification_metrics(
        split.validation.labels, validation_probabilities, threshold
    )
    test_metrics = classification_metrics(
        split.test.labels, fitted.probability_malignant(split.test.features), threshold
    )
    artifact = _build_artifact(fitted, threshold, split, validation_metrics, test_metrics)
    return LocalTrainingResult(artifact, split, fitted, validation_metrics, test_metrics)


def write_outputs(result: LocalTrainingResult, output_dir: Path) -> tuple[Path, Path]:
    """Write ``model.json`` and ``metrics.json``; returns their paths in that order."""
    model_path = output_dir / MODEL_FILE_NAME
    metrics_path = output_dir / METRICS_FILE_NAME
    save_artifact(result.artifact, model_path)
    metrics_path.write_text(json.dumps(metrics_document(result), indent=2) + "\n", encoding="utf-8")
    return model_path, metrics_path


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


def run_local(output_dir: Path, seed: int) -> TrainingOutcome:
    """The CLI's entry for ``--target local``: train, write both files, report."""
    result = train_local(seed)
    written_files = write_outputs(result, output_dir)
    return TrainingOutcome(
        model_name=result.artifact.name,
        model_version=result.artifact.version,
        seed=seed,
        split_sizes=_split_sizes(result.split),
        chosen_settings={
            "C": result.fitted.regularisation_strength,
            "threshold": result.artifact.threshold,
        },
        test_metrics=result.test_metrics,
        written_files=written_files,
    )


def _build_artifact(
    fitted: FittedModel,
    threshold: float,
    split: WdbcSplit,
    validation_metrics: ClassificationMetrics,
    test_metrics: ClassificationMetrics,
) -> ModelArtifact:
    # float() throughout: the artifact must hold plain Python numbers, which JSON writes the same
    # way every time, never numpy scalars.
    train_features = split.train.features
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
        training={
            "seed": split.seed,
            "C": fitted.regularisation_strength,
            "C_grid": list(C_GRID),
            "cv_folds": CV_FOLDS,
            "cv_scoring": CV_SCORING_NAME,
            "threshold_rule": THRESHOLD_RULE,
            "split_sizes": _split_sizes(split),
            "sklearn_version": sklearn.__version__,
        },
    )


def _split_sizes(split: WdbcSplit) -> dict[str, int]:
    return {name: len(part.labels) for name, part in split.parts.items()}


def _floats(values: Any) -> tuple[float, ...]:
    return tuple(float(value) for value in values)
