"""The ``local`` target: fit, score and cross-validate with scikit-learn, write the artifact.

Standardisation plus logistic regression, the counterpart of Linear Learner's binary classifier
with ``normalize_data``: the artifact's formula is what StandardScaler and LogisticRegression
compute, so the stand-in serves it with the standard library alone."""

from __future__ import annotations

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
MODEL_FILE_NAME, METRICS_FILE_NAME = "model.json", "metrics.json"
ROC_FILE_NAME, CONFUSION_FILE_NAME = "roc_curve.png", "confusion_matrix.png"
CARD_FILE_NAME = "model_card.md"
# Ascending, so that among equally good values the cross-validation keeps the smallest C, the
# strongest regularisation: the simpler model when the data cannot tell them apart.
C_GRID: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)
CV_FOLDS = 5
# Log loss rather than ROC AUC: the threshold is chosen on the probability afterwards, so it
# must be well calibrated, which only log loss rewards; AUC sits near 1.0 for most C on WDBC.
CV_SCORING, CV_SCORING_NAME = "neg_log_loss", "log_loss"
CROSS_VALIDATION_FOLDS = 10
INNER_VALIDATION_SHARE = 0.25  # of a fold's training rows, to choose the threshold: 20 / (60 + 20)
SUMMARISED = ("accuracy", "malignant_recall", "malignant_precision", "roc_auc")
# lbfgs converges in under 50 iterations even at C = 100; the headroom keeps an unlucky fold from
# a ConvergenceWarning, which the strict test suite treats as a failure.
_MAX_ITERATIONS = 10_000
# One BLAS thread: on two busy cores OpenBLAS's threads fight (a fit took 50 times longer), and a
# fixed thread count keeps the floating-point sums, so the version, reproducible.
_BLAS_THREADS = 1


@dataclass(frozen=True)
class FittedModel:
    scaler: Any
    classifier: Any
    regularisation_strength: float
    cv_mean_log_loss_by_c: dict[float, float]

    def probability_malignant(self, features: Features) -> Probabilities:
        standardised = self.scaler.transform(features)
        return np.asarray(self.classifier.predict_proba(standardised)[:, 1], dtype=np.float64)


def fit_logistic_regression(train: SplitPart, seed: int) -> FittedModel:
    """C by stratified 5-fold cross-validation on ``train``, then refit on all of it."""
    # The scaler sits inside the pipeline so each fold standardises with its own training rows.
    pipeline = Pipeline(
        [("scaler", StandardScaler()), ("classifier", LogisticRegression(max_iter=_MAX_ITERATIONS))]
    )
    search = GridSearchCV(
        pipeline,
        param_grid={"classifier__C": list(C_GRID)},
        scoring=CV_SCORING,
        cv=StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed),
    ).fit(train.features, train.labels)
    steps = search.best_estimator_.named_steps
    require_malignant_is_class_one(steps["classifier"].classes_)
    losses = (-np.asarray(search.cv_results_["mean_test_score"], dtype=np.float64)).tolist()
    return FittedModel(steps["scaler"], steps["classifier"],
                       float(search.best_params_["classifier__C"]),
                       dict(zip(C_GRID, losses, strict=True)))  # fmt: skip


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
    def malignant_rows(self) -> int:
        return self.true_positives + self.false_negatives

    @property
    def benign_rows(self) -> int:
        return self.true_negatives + self.false_positives

    @property
    def rows(self) -> int:
        return self.benign_rows + self.malignant_rows

    def to_json(self) -> dict[str, Any]:
        counts = (self.true_negatives, self.false_positives, self.false_negatives,
                  self.true_positives)  # fmt: skip
        return {
            **{name: getattr(self, name) for name in SUMMARISED},
            "confusion_matrix": dict(zip(("tn", "fp", "fn", "tp"), counts, strict=True)),
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
    """Metrics of labels a model already predicted (an endpoint's ``predicted_label``)."""
    predicted = np.where(predicted_malignant, MALIGNANT, BENIGN)
    counts = sklearn_metrics.confusion_matrix(labels, predicted, labels=[BENIGN, MALIGNANT])
    # zero_division=0: no predicted malignant row gives precision 0.0, not NaN, which JSON lacks.
    by_class: dict[str, Any] = {"pos_label": MALIGNANT, "zero_division": 0}
    return ClassificationMetrics(
        float(sklearn_metrics.accuracy_score(labels, predicted)),
        float(sklearn_metrics.recall_score(labels, predicted, **by_class)),
        float(sklearn_metrics.precision_score(labels, predicted, **by_class)),
        # For two classes roc_auc_score scores the greater label, MALIGNANT, as positive.
        float(sklearn_metrics.roc_auc_score(labels, scores)),
        *counts.ravel().tolist(),
    )


@dataclass(frozen=True)
class Spread:
    mean: float
    std: float  # sample standard deviation over the folds (ddof=1)


@dataclass(frozen=True)
class CrossValidation:
    """10-fold cross-validation of the whole procedure (C by inner 5-fold CV, the threshold on a
    25% inner validation part) on the train and validation rows. The test rows take no part, so
    a threshold rule can be chosen here without ever looking at them."""

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
            validation, held = (
                take(development, validation_positions),
                take(development, held_positions),
            )
            threshold = rule.choose(
                fitted.probability_malignant(validation.features), validation.labels
            )
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
    losses = {repr(c): loss for c, loss in fitted.cv_mean_log_loss_by_c.items()}
    # .tolist() and float(): plain Python numbers, which JSON writes the same way every time.
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
                "mean_log_loss_by_C": losses,
            },
        },
        feature_ranges=split.train_ranges(),
        training=training,
    )
    return LocalTrainingResult(artifact, split, fitted, validation, test)


def write_outputs(
    result: LocalTrainingResult, output_dir: Path, cross_validation: CrossValidation | None = None
) -> tuple[Path, ...]:
    """``model.json`` and ``metrics.json``, and given cross-validation the pictures and the
    markdown card; returns the paths in that order."""
    model_path = output_dir / MODEL_FILE_NAME
    save_artifact(result.artifact, model_path)
    artifact = result.artifact
    document = {
        "model": {"name": artifact.name, "version": artifact.version},
        "metrics": dict(artifact.metrics),
        "split": result.split.record(),
    }
    if cross_validation is None:
        return model_path, write_json(document, output_dir / METRICS_FILE_NAME)
    summary = document["metrics"]["cross_validation_10_fold"] = cross_validation.to_json()
    test, metrics = result.split.test, result.test_metrics
    with threadpool_limits(limits=_BLAS_THREADS):
        test_probabilities = result.fitted.probability_malignant(test.features)
    written = [model_path, write_json(document, output_dir / METRICS_FILE_NAME)]
    # matplotlib's object API on the Agg canvas: no global backend, no display.
    roc, confusion = (Figure(figsize=(4.8, 4.2), dpi=100, layout="constrained") for _ in "rc")
    sklearn_metrics.RocCurveDisplay.from_predictions(
        test.labels,
        test_probabilities,
        pos_label=MALIGNANT,
        ax=roc.add_subplot(),
        curve_kwargs={"label": f"model (AUC {metrics.roc_auc:.4f})"},
        plot_chance_level=True,
    )
    axes = roc.axes[0]
    axes.plot([metrics.false_positives / metrics.benign_rows], [metrics.malignant_recall], "ko",
              label="chosen threshold", linestyle="")  # fmt: skip
    axes.set(
        xlabel="false positive rate (benign flagged malignant)",
        ylabel="malignant recall",
        title=f"ROC curve, {metrics.rows} held-out test rows",
    )
    axes.legend(loc="lower right")
    matrix = [[metrics.true_negatives, metrics.false_positives],
              [metrics.false_negatives, metrics.true_positives]]  # fmt: skip
    sklearn_metrics.ConfusionMatrixDisplay(
        np.array(matrix), display_labels=["benign", "malignant"]
    ).plot(ax=confusion.add_subplot(), cmap="Blues", colorbar=False)
    confusion.axes[0].set_title(f"Confusion matrix, {metrics.rows} held-out test rows")
    for figure, name in ((roc, ROC_FILE_NAME), (confusion, CONFUSION_FILE_NAME)):
        FigureCanvasAgg(figure)
        # No timestamp or software version in the PNG: the same model draws the same bytes.
        figure.savefig(output_dir / name, format="png", metadata={"Software": None})
        written.append(output_dir / name)
    return (*written, write_card_markdown(artifact, summary, output_dir / CARD_FILE_NAME))
