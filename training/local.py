"""The ``local`` target: fit, choose the threshold, cross-validate and score with scikit-learn,
and write the artifact, metrics, pictures and markdown card; and scoring through an endpoint.

Standardisation plus logistic regression, the counterpart of Linear Learner's binary classifier
with ``normalize_data``: the artifact's formula is what StandardScaler and LogisticRegression
compute, so the stand-in serves it with the standard library alone.

The procedure, on the train and validation rows together (the test rows take no part): C by
5-fold cross-validated log loss; the threshold by the rule (``training.threshold``) on the
out-of-fold probabilities of that C on the same five folds; the model refit on all those rows.
Repeated stratified nested cross-validation runs all of it inside each outer fold."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import scipy
import sklearn
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn import metrics as sklearn_metrics
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    RepeatedStratifiedKFold,
    StratifiedKFold,
    cross_val_predict,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from chalicelib.endpoint import ModelEndpoint
from chalicelib.errors import ApiError
from chalicelib.model_answer import read_predictions
from deploy.endpoint import CloudError
from training import TrainingError
from training.artifact import ModelArtifact, save_artifact, write_json
from training.data import (
    BENIGN,
    DEFAULT_SEED,
    EXPECTED_MALIGNANT_ROWS,
    MALIGNANT,
    MISSES,
    SUMMARISED,
    Features,
    Labels,
    Probabilities,
    SplitPart,
    WdbcSplit,
    load_wdbc,
    part_metrics,
    split_wdbc,
    take,
)
from training.model_card import write_card_markdown
from training.threshold import ThresholdRule

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
NESTED_REPEATS, NESTED_FOLDS = 10, 5
NESTED_PROCEDURE = (
    "in each outer fold, C by 5-fold CV, the threshold rule on the out-of-fold probabilities "
    "and the refit, on the other folds alone"
)
# Newton-Cholesky rather than lbfgs: scikit-learn fixes lbfgs's ftol at 64 machine epsilons of
# relative improvement, so on WDBC it stops at a gradient of about 2e-6 whatever its tol, 1e-5
# from the optimum in the weights, where another scipy may stop elsewhere. Newton's steps reach
# the optimum itself (gradient about 4e-12) in under 15 iterations, so refits agree far below
# the tolerance tests/test_local_model.py states.
SOLVER, TOLERANCE = "newton-cholesky", 1e-12
# What decides the weights, recorded with every model: scipy solves the Newton steps.
DECIDING_LIBRARIES = {"scikit-learn": sklearn, "scipy": scipy, "numpy": np}
# One BLAS thread: on two busy cores OpenBLAS's threads fight (a fit took 50 times longer), and a
# fixed thread count keeps the floating-point sums, so the version, reproducible.
_BLAS_THREADS = 1
DEFAULT_BATCH_ROWS = 100


class FittedModel(NamedTuple):
    pipeline: Pipeline  # the scaler and the classifier, refit on all the rows
    threshold: float
    out_of_fold: Probabilities  # each row's probability from the fold model that did not see it
    losses: dict[float, float]  # the mean cross-validated log loss of each C


def fit_model(rows: SplitPart, rule: ThresholdRule, seed: int) -> FittedModel:
    """C by stratified 5-fold cross-validation, the threshold by ``rule`` on the out-of-fold
    probabilities of that C on the same folds, and the model refit on all of ``rows``."""
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed)
    # The scaler sits inside the pipeline so each fold standardises with its own training rows.
    classifier = LogisticRegression(solver=SOLVER, tol=TOLERANCE)
    search = GridSearchCV(
        Pipeline([("scaler", StandardScaler()), ("classifier", classifier)]),
        param_grid={"classifier__C": list(C_GRID)},
        scoring=CV_SCORING,
        cv=folds,
    ).fit(rows.features, rows.labels)
    fitted = search.best_estimator_
    require_malignant_is_class_one(fitted["classifier"].classes_)
    out_of_fold = np.asarray(
        cross_val_predict(clone(fitted), rows.features, rows.labels, cv=folds,
                          method="predict_proba")[:, 1], dtype=np.float64
    )  # fmt: skip
    losses = (-np.asarray(search.cv_results_["mean_test_score"], dtype=np.float64)).tolist()
    threshold = rule.choose(out_of_fold, rows.labels)
    return FittedModel(fitted, threshold, out_of_fold, dict(zip(C_GRID, losses, strict=True)))


def require_malignant_is_class_one(classes: Any) -> None:
    """predict_proba's column 1 is the probability of ``classes_[1]``; it must be MALIGNANT."""
    if [int(label) for label in classes] != [BENIGN, MALIGNANT]:
        raise TrainingError(f"expected classes [0, 1] (1 = malignant), got {list(classes)}")


def probability_malignant(fitted: Pipeline, features: Features) -> Probabilities:
    return np.asarray(fitted.predict_proba(features)[:, 1], dtype=np.float64)


def classification_metrics(
    labels: Labels, predicted_malignant: npt.NDArray[np.bool_], scores: Probabilities
) -> dict[str, Any]:
    """One part's metrics with malignant as the positive class, by scikit-learn's metrics;
    ``scores`` only for the ROC AUC."""
    predicted = np.where(predicted_malignant, MALIGNANT, BENIGN)
    counts = sklearn_metrics.confusion_matrix(labels, predicted, labels=[BENIGN, MALIGNANT])
    # zero_division=0: no predicted malignant row gives precision 0.0, not NaN, which JSON lacks.
    by_class: dict[str, Any] = {"pos_label": MALIGNANT, "zero_division": 0}
    rates = {
        "accuracy": sklearn_metrics.accuracy_score(labels, predicted),
        "malignant_recall": sklearn_metrics.recall_score(labels, predicted, **by_class),
        "malignant_precision": sklearn_metrics.precision_score(labels, predicted, **by_class),
        # For two classes roc_auc_score scores the greater label, MALIGNANT, as positive.
        "roc_auc": sklearn_metrics.roc_auc_score(labels, scores),
    }
    return part_metrics(
        {name: float(rate) for name, rate in rates.items()}, *counts.ravel().tolist()
    )


def repeated_nested_cv(
    split: WdbcSplit,
    rule: ThresholdRule,
    repeats: int = NESTED_REPEATS,
    folds: int = NESTED_FOLDS,
) -> dict[str, Any]:
    """Repeated stratified nested cross-validation of the whole procedure on the train and
    validation rows, each outer fold scored at the threshold its own procedure chose: each
    metric's mean and sample standard deviation over the repeats x folds, with the misses per 212
    malignant (the fold's missed share of WDBC's malignant rows) and the thresholds. The test
    rows take no part, so rules can be compared here without ever looking at them."""
    development = split.development()
    outer = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=split.seed)
    scored = []
    with threadpool_limits(limits=_BLAS_THREADS):
        for fit_positions, held_positions in outer.split(development.features, development.labels):
            fitted = fit_model(take(development, fit_positions), rule, split.seed)
            held = take(development, held_positions)
            probabilities = probability_malignant(fitted.pipeline, held.features)
            metrics = classification_metrics(
                held.labels, probabilities >= fitted.threshold, probabilities
            )
            missed = metrics["confusion_matrix"]["fn"] / metrics["malignant_rows"]
            scored.append({**{name: metrics[name] for name in SUMMARISED},
                           MISSES: missed * EXPECTED_MALIGNANT_ROWS,
                           "threshold": fitted.threshold})  # fmt: skip
    spreads = {}
    for name in scored[0]:
        values = np.array([fold[name] for fold in scored], dtype=np.float64)
        spreads[name] = {"mean": float(values.mean()), "std": float(values.std(ddof=1))}
    return {
        "repeats": repeats,
        "folds": folds,
        "rows": len(development.labels),
        "seed": split.seed,
        "procedure": NESTED_PROCEDURE,
        "threshold_rule": rule.to_json(),
        **spreads,
    }


class LocalTrainingResult(NamedTuple):
    artifact: ModelArtifact
    split: WdbcSplit
    fitted: Pipeline  # the scaler and the classifier
    out_of_fold: Probabilities  # of the train and validation rows, in row order
    test_metrics: dict[str, Any]


def train_local(seed: int = DEFAULT_SEED, rule: ThresholdRule | None = None) -> LocalTrainingResult:
    """Split, run the procedure on the train and validation rows, measure on test. Writes
    nothing."""
    rule = rule or ThresholdRule()
    split = split_wdbc(load_wdbc(), seed)
    development = split.development()
    with threadpool_limits(limits=_BLAS_THREADS):
        model = fit_model(development, rule, seed)
        test_probabilities = probability_malignant(model.pipeline, split.test.features)
    out_of_fold, test = (
        classification_metrics(labels, probabilities >= model.threshold, probabilities)
        for labels, probabilities in (
            (development.labels, model.out_of_fold),
            (split.test.labels, test_probabilities),
        )
    )
    scaler, classifier = model.pipeline["scaler"], model.pipeline["classifier"]
    training: dict[str, Any] = {
        "seed": split.seed,
        "C": float(classifier.C),
        "C_grid": list(C_GRID),
        "cv_folds": CV_FOLDS,
        "cv_scoring": CV_SCORING_NAME,
        "solver": SOLVER,
        "tolerance": TOLERANCE,
        "threshold_rule": rule.to_json(),
        "split_sizes": split.sizes,
        "fit_rows": len(development.labels),
        "versions": {name: module.__version__ for name, module in DECIDING_LIBRARIES.items()},
    }
    # .tolist() and float(): plain Python numbers, which JSON writes the same way every time.
    artifact = ModelArtifact(
        name=MODEL_NAME,
        means=tuple(scaler.mean_.tolist()),
        scales=tuple(scaler.scale_.tolist()),
        weights=tuple(classifier.coef_[0].tolist()),
        intercept=float(classifier.intercept_[0]),
        threshold=float(model.threshold),
        metrics={
            "test": test,
            "out_of_fold": out_of_fold,
            "cross_validation": {
                "scoring": CV_SCORING_NAME,
                "folds": CV_FOLDS,
                "mean_log_loss_by_C": {repr(c): loss for c, loss in model.losses.items()},
            },
        },
        feature_ranges=development.ranges(),
        training=training,
    )
    return LocalTrainingResult(artifact, split, model.pipeline, model.out_of_fold, test)


def write_outputs(
    result: LocalTrainingResult, output_dir: Path, nested_cv: dict[str, Any] | None = None
) -> tuple[Path, ...]:
    """``model.json`` and ``metrics.json``, and given the repeated nested cross-validation the
    pictures and the markdown card; returns the paths in that order."""
    artifact = result.artifact
    model_path = output_dir / MODEL_FILE_NAME
    save_artifact(artifact, model_path)
    document = {
        "model": {"name": artifact.name, "version": artifact.version},
        "metrics": dict(artifact.metrics),
        "split": result.split.record(),
    }
    if nested_cv is None:
        return model_path, write_json(document, output_dir / METRICS_FILE_NAME)
    document["metrics"]["repeated_nested_cv"] = nested_cv
    written = [model_path, write_json(document, output_dir / METRICS_FILE_NAME)]
    test, metrics = result.split.test, result.test_metrics
    counts = metrics["confusion_matrix"]
    with threadpool_limits(limits=_BLAS_THREADS):
        test_probabilities = probability_malignant(result.fitted, test.features)
    # matplotlib's object API on the Agg canvas: no global backend, no display.
    roc, confusion = (Figure(figsize=(4.8, 4.2), dpi=100, layout="constrained") for _ in "rc")
    sklearn_metrics.RocCurveDisplay.from_predictions(
        test.labels,
        test_probabilities,
        pos_label=MALIGNANT,
        ax=roc.add_subplot(),
        curve_kwargs={"label": f"model (AUC {metrics['roc_auc']:.4f})"},
        plot_chance_level=True,
    )
    axes = roc.axes[0]
    axes.plot([counts["fp"] / metrics["benign_rows"]], [metrics["malignant_recall"]], "ko",
              label="chosen threshold", linestyle="")  # fmt: skip
    axes.set(
        xlabel="false positive rate (benign flagged malignant)",
        ylabel="malignant recall",
        title=f"ROC curve, {metrics['rows']} held-out test rows",
    )
    axes.legend(loc="lower right")
    matrix = [[counts["tn"], counts["fp"]], [counts["fn"], counts["tp"]]]
    sklearn_metrics.ConfusionMatrixDisplay(
        np.array(matrix), display_labels=["benign", "malignant"]
    ).plot(ax=confusion.add_subplot(), cmap="Blues", colorbar=False)
    confusion.axes[0].set_title(f"Confusion matrix, {metrics['rows']} held-out test rows")
    for figure, name in ((roc, ROC_FILE_NAME), (confusion, CONFUSION_FILE_NAME)):
        FigureCanvasAgg(figure)
        # No timestamp or software version in the PNG: the same model draws the same bytes.
        figure.savefig(output_dir / name, format="png", metadata={"Software": None})
        written.append(output_dir / name)
    return (*written, write_card_markdown(artifact, nested_cv, output_dir / CARD_FILE_NAME))


class RemoteEvaluation(NamedTuple):
    metrics: dict[str, Any]
    variants: tuple[str, ...]  # the production variants that answered
    calls: int


def evaluate_endpoint(
    endpoint: ModelEndpoint, rows: SplitPart, batch_rows: int = DEFAULT_BATCH_ROWS
) -> RemoteEvaluation:
    """The held-out rows through InvokeEndpoint in CSV batches, with the same client code the
    API uses; the labels are the endpoint's own ``predicted_label``."""
    if batch_rows < 1:
        raise ValueError("a batch needs at least one row")
    labels, scores, variants = [], [], dict[str, None]()
    starts = range(0, len(rows.labels), batch_rows)
    for start in starts:
        batch = rows.features[start : start + batch_rows].tolist()
        try:
            answer = endpoint.invoke(batch)
            predictions = read_predictions(answer, len(batch))
        except ApiError as error:
            raise CloudError(f"endpoint {endpoint.name} failed on rows {start + 1}.."
                             f"{start + len(batch)}: {error}") from None  # fmt: skip
        variants.update({answer.variant: None} if answer.variant else {})
        labels += [prediction.label == MALIGNANT for prediction in predictions]
        scores += [prediction.probability_malignant for prediction in predictions]
    metrics = classification_metrics(rows.labels, np.array(labels), np.array(scores))
    return RemoteEvaluation(metrics, tuple(variants), len(starts))
