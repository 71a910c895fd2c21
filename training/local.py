"""The ``local`` target: fit, score and cross-validate with scikit-learn, write the artifact.

Standardisation plus logistic regression, the counterpart of Linear Learner's binary classifier
with ``normalize_data``; the artifact's formula, sigmoid(intercept + sum(w_i * (x_i - mean_i) /
scale_i)), is what StandardScaler and LogisticRegression compute, so the stand-in serves it with
the standard library alone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import sklearn
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn import metrics as sklearn_metrics
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from chalicelib.features import FEATURE_NAMES
from training import TrainingError
from training.artifact import ModelArtifact, save_artifact, write_json
from training.data import (
    BENIGN,
    DEFAULT_SEED,
    MALIGNANT,
    Features,
    Labels,
    Probabilities,
    SplitPart,
    WdbcSplit,
    load_wdbc,
    split_wdbc,
    take,
)
from training.model_card import TARGET_RECALL_KEY, write_card_markdown
from training.threshold import TARGET_RECALL_RULE, ThresholdRule

MODEL_NAME = "wdbc-logistic-regression"
DEFAULT_OUTPUT_DIR = Path("models/wdbc-local")
MODEL_FILE_NAME = "model.json"
METRICS_FILE_NAME = "metrics.json"
ROC_FILE_NAME = "roc_curve.png"
CONFUSION_FILE_NAME = "confusion_matrix.png"
CARD_FILE_NAME = "model_card.md"

# Ascending, so that among equally good values the cross-validation keeps the smallest C, the
# strongest regularisation: the simpler model when the data cannot tell them apart.
C_GRID: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)
CV_FOLDS = 5
# Log loss rather than ROC AUC: the artifact ships a probability and the threshold is chosen on
# it afterwards, so the probabilities must be well calibrated, which only log loss rewards. AUC
# looks at the ranking alone and sits near 1.0 for most C on WDBC, so it barely separates them.
CV_SCORING = "neg_log_loss"
CV_SCORING_NAME = "log_loss"
CROSS_VALIDATION_FOLDS = 10
# Of a fold's training rows, the share set aside to choose the threshold: 20 / (60 + 20).
INNER_VALIDATION_SHARE = 0.25
SUMMARISED = ("accuracy", "malignant_recall", "malignant_precision", "roc_auc")

# lbfgs on standardised WDBC converges in under 50 iterations even at C = 100; the headroom keeps
# an unlucky fold from a ConvergenceWarning, which the strict test suite treats as a failure.
_MAX_ITERATIONS = 10_000
# One BLAS thread: on two busy cores OpenBLAS's threads fight over them (a fit took 50 times
# longer), and a fixed thread count keeps the floating-point sums, so the version, reproducible.
_BLAS_THREADS = 1
# No timestamp or software version in the PNG files: the same model draws the same bytes.
_PNG_METADATA: dict[str, str | None] = {"Software": None}


@dataclass(frozen=True)
class FittedModel:
    scaler: Any
    classifier: Any
    regularisation_strength: float
    cv_mean_log_loss_by_c: Mapping[float, float]

    def probability_malignant(self, features: Features) -> Probabilities:
        standardised = self.scaler.transform(features)
        return np.asarray(self.classifier.predict_proba(standardised)[:, 1], dtype=np.float64)


def fit_logistic_regression(train: SplitPart, seed: int) -> FittedModel:
    """Pick C by stratified 5-fold cross-validation on ``train``, then refit on all of it."""
    # The scaler sits inside the pipeline so each fold standardises with its own training rows;
    # scaling the whole train part first would leak the held-out fold's mean into the fit.
    pipeline = Pipeline(
        [("scaler", StandardScaler()), ("classifier", LogisticRegression(max_iter=_MAX_ITERATIONS))]
    )
    search = GridSearchCV(
        pipeline,
        param_grid={"classifier__C": list(C_GRID)},
        scoring=CV_SCORING,
        cv=StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed),
    )
    search.fit(train.features, train.labels)
    classifier = search.best_estimator_.named_steps["classifier"]
    require_malignant_is_class_one(classifier.classes_)
    mean_log_loss = -np.asarray(search.cv_results_["mean_test_score"], dtype=np.float64)
    return FittedModel(
        scaler=search.best_estimator_.named_steps["scaler"],
        classifier=classifier,
        regularisation_strength=float(search.best_params_["classifier__C"]),
        cv_mean_log_loss_by_c=dict(zip(C_GRID, mean_log_loss.tolist(), strict=True)),
    )


def require_malignant_is_class_one(classes: Any) -> None:
    """predict_proba's column 1 is the probability of ``classes_[1]``; it must be MALIGNANT."""
    if [int(label) for label in classes] != [BENIGN, MALIGNANT]:
        raise TrainingError(f"expected classes [0, 1] (1 = malignant), got {list(classes)}")


@dataclass(frozen=True)
class ClassificationMetrics:
    """One part's metrics with malignant as the positive class, by scikit-learn's metrics."""

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

    def counts(self) -> npt.NDArray[np.int64]:
        """scikit-learn's confusion matrix: rows actual, columns predicted, benign first."""
        return np.array(
            [
                [self.true_negatives, self.false_positives],
                [self.false_negatives, self.true_positives],
            ]
        )

    def to_json(self) -> dict[str, Any]:
        return {
            **{name: getattr(self, name) for name in SUMMARISED},
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
    """Metrics of predicting malignant when ``probability >= threshold``; AUC ignores it."""
    return metrics_of_predictions(labels, probabilities >= threshold, probabilities)


def metrics_of_predictions(
    labels: Labels, predicted_malignant: npt.NDArray[np.bool_], scores: Probabilities
) -> ClassificationMetrics:
    """Metrics of labels a model already predicted (an endpoint's ``predicted_label``), with
    its scores for the ROC AUC. ``labels`` must hold both classes, as every stratified part does.
    """
    predicted = np.where(predicted_malignant, MALIGNANT, BENIGN)
    (tn, fp), (fn, tp) = sklearn_metrics.confusion_matrix(
        labels, predicted, labels=[BENIGN, MALIGNANT]
    ).tolist()
    # zero_division=0: no predicted malignant row gives precision 0.0, not NaN, which JSON lacks.
    by_class: dict[str, Any] = {"pos_label": MALIGNANT, "zero_division": 0}
    return ClassificationMetrics(
        accuracy=float(sklearn_metrics.accuracy_score(labels, predicted)),
        malignant_recall=float(sklearn_metrics.recall_score(labels, predicted, **by_class)),
        malignant_precision=float(sklearn_metrics.precision_score(labels, predicted, **by_class)),
        # For two classes roc_auc_score scores the greater label, MALIGNANT, as positive.
        roc_auc=float(sklearn_metrics.roc_auc_score(labels, scores)),
        true_negatives=tn,
        false_positives=fp,
        false_negatives=fn,
        true_positives=tp,
    )


@dataclass(frozen=True)
class Spread:
    mean: float
    std: float  # sample standard deviation over the folds (ddof=1)


@dataclass(frozen=True)
class CrossValidation:
    """10-fold cross-validation of the whole procedure on the train and validation rows: each
    fold's held-out rows scored by a model trained as the shipped one (C by inner 5-fold CV, the
    threshold on a 25% inner validation part). The test rows take no part, so a threshold rule
    can be chosen here without ever looking at them."""

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
            **{metric: vars(self.spread(metric)) for metric in SUMMARISED},
            "false_negatives": sum(fold.false_negatives for fold in self.folds),
            "false_positives": sum(fold.false_positives for fold in self.folds),
        }


def cross_validate(
    split: WdbcSplit, rule: ThresholdRule, folds: int = CROSS_VALIDATION_FOLDS
) -> CrossValidation:
    """Cross-validate on train + validation; the test part of ``split`` is never touched."""
    development = split.development()
    outer = StratifiedKFold(n_splits=folds, shuffle=True, random_state=split.seed)
    results = []
    with threadpool_limits(limits=_BLAS_THREADS):
        for fit_positions, held_positions in outer.split(development.features, development.labels):
            train_positions, validation_positions = train_test_split(
                fit_positions,
                test_size=INNER_VALIDATION_SHARE,
                stratify=development.labels[fit_positions],
                random_state=split.seed,
            )
            fitted = fit_logistic_regression(take(development, train_positions), split.seed)
            validation = take(development, validation_positions)
            threshold = rule.choose(
                fitted.probability_malignant(validation.features), validation.labels
            )
            held = take(development, held_positions)
            probabilities = fitted.probability_malignant(held.features)
            results.append(classification_metrics(held.labels, probabilities, threshold))
    return CrossValidation(folds=tuple(results), seed=split.seed, rule=rule)


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
    validation = classification_metrics(
        split.validation.labels, validation_probabilities, threshold
    )
    test = classification_metrics(split.test.labels, test_probabilities, threshold)
    training: dict[str, Any] = {
        "seed": split.seed,
        "C": fitted.regularisation_strength,
        "C_grid": list(C_GRID),
        "cv_folds": CV_FOLDS,
        "cv_scoring": CV_SCORING_NAME,
        "threshold_rule": rule.describe(),
        "split_sizes": split.sizes,
        "sklearn_version": sklearn.__version__,
    }
    if rule.name == TARGET_RECALL_RULE:
        training[TARGET_RECALL_KEY] = rule.target_recall
    train_features = split.train.features
    # float() throughout: the artifact must hold plain Python numbers, which JSON writes the same
    # way every time, never numpy scalars.
    artifact = ModelArtifact(
        name=MODEL_NAME,
        means=tuple(fitted.scaler.mean_.tolist()),
        scales=tuple(fitted.scaler.scale_.tolist()),
        weights=tuple(fitted.classifier.coef_[0].tolist()),
        intercept=float(fitted.classifier.intercept_[0]),
        threshold=float(threshold),
        metrics={
            "test": test.to_json(),
            "validation": validation.to_json(),
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
                FEATURE_NAMES, train_features.min(axis=0), train_features.max(axis=0), strict=True
            )
        },
        training=training,
    )
    return LocalTrainingResult(artifact, split, fitted, validation, test)


def write_outputs(
    result: LocalTrainingResult, output_dir: Path, cross_validation: CrossValidation | None = None
) -> tuple[Path, ...]:
    """Write ``model.json`` and ``metrics.json`` (and, given cross-validation, the pictures and
    the markdown card); returns the paths, ``model.json`` and ``metrics.json`` first."""
    model_path = output_dir / MODEL_FILE_NAME
    save_artifact(result.artifact, model_path)
    document = {
        "model": {"name": result.artifact.name, "version": result.artifact.version},
        "metrics": dict(result.artifact.metrics),
        "split": result.split.record(),
    }
    if cross_validation is None:
        return model_path, write_json(document, output_dir / METRICS_FILE_NAME)
    summary = cross_validation.to_json()
    document["metrics"]["cross_validation_10_fold"] = summary
    test = result.split.test
    with threadpool_limits(limits=_BLAS_THREADS):
        test_probabilities = result.fitted.probability_malignant(test.features)
    return (
        model_path,
        write_json(document, output_dir / METRICS_FILE_NAME),
        plot_roc_curve(
            test.labels, test_probabilities, result.test_metrics, output_dir / ROC_FILE_NAME
        ),
        plot_confusion_matrix(result.test_metrics, output_dir / CONFUSION_FILE_NAME),
        write_card_markdown(result.artifact, summary, output_dir / CARD_FILE_NAME),
    )


def plot_roc_curve(
    labels: Labels, probabilities: Probabilities, metrics: ClassificationMetrics, path: Path
) -> Path:
    """The test ROC curve with its AUC, and the point the shipped threshold operates at."""
    figure, axes = _figure()
    sklearn_metrics.RocCurveDisplay.from_predictions(
        labels,
        probabilities,
        pos_label=MALIGNANT,
        ax=axes,
        curve_kwargs={"label": f"model (AUC {metrics.roc_auc:.4f})"},
        plot_chance_level=True,
    )
    operating_fpr = metrics.false_positives / metrics.benign_rows if metrics.benign_rows else 0.0
    axes.plot(
        [operating_fpr], [metrics.malignant_recall], "ko", label="chosen threshold", linestyle=""
    )
    axes.set(
        xlabel="false positive rate (benign flagged malignant)",
        ylabel="malignant recall",
        title=f"ROC curve, {metrics.rows} held-out test rows",
    )
    axes.legend(loc="lower right")
    return _save(figure, path)


def plot_confusion_matrix(metrics: ClassificationMetrics, path: Path) -> Path:
    """Counts of the test rows by actual and predicted class at the shipped threshold."""
    figure, axes = _figure()
    sklearn_metrics.ConfusionMatrixDisplay(
        metrics.counts(), display_labels=["benign", "malignant"]
    ).plot(ax=axes, cmap="Blues", colorbar=False)
    axes.set_title(f"Confusion matrix, {metrics.rows} held-out test rows")
    return _save(figure, path)


def _figure() -> tuple[Figure, Any]:
    # matplotlib's object API on the Agg canvas: no global backend, no display.
    figure = Figure(figsize=(4.8, 4.2), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", metadata=_PNG_METADATA)
    return path
