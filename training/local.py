"""The ``local`` target: fit, choose the threshold, score and cross-validate with scikit-learn,
and write the artifact, metrics, pictures and markdown card; and scoring through an endpoint.

Standardisation plus logistic regression, the counterpart of Linear Learner's binary classifier
with ``normalize_data``: the artifact's formula is what StandardScaler and LogisticRegression
compute, so the stand-in serves it with the standard library alone."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

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

from chalicelib.endpoint import ModelEndpoint
from chalicelib.errors import ApiError
from chalicelib.model_answer import AnswerReader
from deploy.endpoint import CloudError
from training import TrainingError, data
from training.artifact import ModelArtifact, save_artifact, write_json
from training.data import (
    BENIGN,
    DEFAULT_SEED,
    MALIGNANT,
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
from training.model_card import TARGET_RECALL_KEY, write_card_markdown

MODEL_NAME = "wdbc-logistic-regression"
DEFAULT_OUTPUT_DIR = Path("models/wdbc")
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
# lbfgs converges in under 50 iterations even at C = 100; the headroom keeps an unlucky fold from
# a ConvergenceWarning, which the strict test suite treats as a failure.
_MAX_ITERATIONS = 10_000
# One BLAS thread: on two busy cores OpenBLAS's threads fight (a fit took 50 times longer), and a
# fixed thread count keeps the floating-point sums, so the version, reproducible.
_BLAS_THREADS = 1
DEFAULT_BATCH_ROWS = 100

# The threshold rules, the local counterparts of Linear Learner's model selection criteria:
# ``accuracy`` and ``target-recall`` (its ``precision_at_target_recall``: the highest threshold,
# so the best precision, whose recall still reaches the target).
NEUTRAL_THRESHOLD = 0.5
# The stand-in requires 0 < threshold < 1; a threshold of exactly 0 or 1 would also mean
# "always malignant" or "never malignant", which no validation set should talk us into.
THRESHOLD_MARGIN = 1e-6
ACCURACY_RULE, TARGET_RECALL_RULE = "accuracy", "target-recall"
RULE_NAMES = (ACCURACY_RULE, TARGET_RECALL_RULE)
THRESHOLD_RULE = (
    "maximise validation accuracy at the midpoint of a gap between validation scores; "
    "among ties, the midpoint closest to 0.5"
)
# Decided on 10-fold cross-validation of the whole training procedure over the train and
# validation rows, never on the test rows (README, "The local model"). With about 40 malignant
# validation rows a target up to 0.974 allows one miss and behaves like the accuracy rule; any
# higher target means "flag every validation malignant row", which one unusual row drags down:
# cross-validated recall rose from 0.94 to 0.96 while precision fell from 0.99 to 0.77 +- 0.23.
DEFAULT_RULE = ACCURACY_RULE
DEFAULT_TARGET_RECALL = 0.98


@dataclass(frozen=True)
class ThresholdRule:
    """How training turns validation probabilities into the shipped threshold."""

    name: str = DEFAULT_RULE
    target_recall: float = DEFAULT_TARGET_RECALL

    def __post_init__(self) -> None:
        if self.name not in RULE_NAMES:
            raise ValueError(f"threshold rule must be one of {', '.join(RULE_NAMES)}")
        if not 0.0 < self.target_recall <= 1.0:
            raise ValueError("target recall must be in (0, 1]")

    def choose(self, probabilities: Probabilities, labels: Labels) -> float:
        if self.name == ACCURACY_RULE:
            return choose_threshold(probabilities, labels)
        return choose_threshold_for_recall(probabilities, labels, self.target_recall)

    def describe(self) -> str:
        if self.name == ACCURACY_RULE:
            return THRESHOLD_RULE
        return (
            f"the midpoint of the highest gap between validation scores whose validation malignant "
            f"recall is >= {self.target_recall:g}"
        )

    def to_json(self) -> dict[str, object]:
        recall = {"target_recall": self.target_recall} if self.name == TARGET_RECALL_RULE else {}
        return {"rule": self.name, "description": self.describe(), **recall}


def choose_threshold(probabilities: Probabilities, labels: Labels) -> float:
    """The threshold with the best accuracy on these rows; ties go to the one closest to 0.5.

    Every threshold in a gap between neighbouring probabilities predicts the same labels; each
    gap is represented by its midpoint, as far as the gap allows from every validation row, so
    no row's label hangs on the last bits of its score.
    """
    _require_matching(probabilities, labels)
    # Clamped before counting, so the accuracy compared is the one the shipped threshold gets.
    edges = sorted({0.0, 1.0, *np.unique(probabilities).tolist()})
    candidates = [_clamped(_midpoint(low, high)) for low, high in pairwise(edges)]
    # Counting correct rows in integers keeps ties exact, where float accuracies might not be.
    malignant = labels == MALIGNANT
    correct = {t: int(np.count_nonzero((probabilities >= t) == malignant)) for t in candidates}
    best = [threshold for threshold, count in correct.items() if count == max(correct.values())]
    # Should two be exactly as far from 0.5, the lower one flags more rows as malignant: a missed
    # cancer costs more than a false alarm.
    return min(best, key=lambda threshold: (abs(threshold - NEUTRAL_THRESHOLD), threshold))


def choose_threshold_for_recall(
    probabilities: Probabilities, labels: Labels, target_recall: float
) -> float:
    """The highest gap at which at least ``target_recall`` of the malignant rows are flagged.

    Recall only falls as the threshold rises, so the gap is the one just below the k-th most
    suspicious malignant row, k being the fewest rows that reach the target: the best precision
    the target allows.
    """
    _require_matching(probabilities, labels)
    if not 0.0 < target_recall <= 1.0:
        raise ValueError("target recall must be in (0, 1]")
    malignant = np.sort(probabilities[labels == MALIGNANT])[::-1]
    if len(malignant) == 0:
        raise ValueError("the rows hold no malignant row, so recall is undefined")
    # Counted in integers: the fewest flagged rows k with k / len(malignant) >= target.
    needed = next(k for k in range(1, len(malignant) + 1) if k / len(malignant) >= target_recall)
    lowest_flagged = float(malignant[needed - 1])
    below = probabilities[probabilities < lowest_flagged]
    return _clamped(_midpoint(float(below.max()) if below.size else 0.0, lowest_flagged))


def _require_matching(probabilities: Probabilities, labels: Labels) -> None:
    if len(probabilities) != len(labels) or len(labels) == 0:
        raise ValueError("need as many probabilities as labels, and at least one of each")


def _midpoint(low: float, high: float) -> float:
    """Halfway, or ``high`` when no float lies between them: a row at ``low`` stays below."""
    middle = (low + high) / 2
    return middle if low < middle else high


def _clamped(threshold: float) -> float:
    return min(max(threshold, THRESHOLD_MARGIN), 1.0 - THRESHOLD_MARGIN)


def fit_logistic_regression(train: SplitPart, seed: int) -> tuple[Pipeline, dict[float, float]]:
    """C by stratified 5-fold cross-validation on ``train``, refit on all of it; returns the
    fitted pipeline and the mean log loss of each C."""
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
    require_malignant_is_class_one(search.best_estimator_["classifier"].classes_)
    losses = (-np.asarray(search.cv_results_["mean_test_score"], dtype=np.float64)).tolist()
    return search.best_estimator_, dict(zip(C_GRID, losses, strict=True))


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


def cross_validate(
    split: WdbcSplit, rule: ThresholdRule, folds: int = CROSS_VALIDATION_FOLDS
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """10-fold cross-validation of the whole procedure (C by inner 5-fold CV, the threshold on a
    25% inner validation part) on the train and validation rows: each fold's metrics, and their
    summary (each metric's mean and sample standard deviation). The test rows take no part, so a
    threshold rule can be chosen here without ever looking at them."""
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
            fitted, _ = fit_logistic_regression(take(development, train_positions), split.seed)
            validation = take(development, validation_positions)
            held = take(development, held_positions)
            threshold = rule.choose(
                probability_malignant(fitted, validation.features), validation.labels
            )
            probabilities = probability_malignant(fitted, held.features)
            results.append(
                classification_metrics(held.labels, probabilities >= threshold, probabilities)
            )
    spreads = {}
    for metric in SUMMARISED:
        values = np.array([fold[metric] for fold in results], dtype=np.float64)
        spreads[metric] = {"mean": float(values.mean()), "std": float(values.std(ddof=1))}
    return results, {
        "folds": len(results),
        "rows": sum(fold["rows"] for fold in results),
        "seed": split.seed,
        "procedure": "C by 5-fold CV and the threshold rule on a 25% inner validation part",
        "threshold_rule": rule.to_json(),
        **spreads,
        "false_negatives": sum(fold["confusion_matrix"]["fn"] for fold in results),
        "false_positives": sum(fold["confusion_matrix"]["fp"] for fold in results),
    }


class LocalTrainingResult(NamedTuple):
    artifact: ModelArtifact
    split: WdbcSplit
    fitted: Pipeline  # the scaler and the classifier
    validation_metrics: dict[str, Any]
    test_metrics: dict[str, Any]


def train_local(seed: int = DEFAULT_SEED, rule: ThresholdRule | None = None) -> LocalTrainingResult:
    """Split, fit on train, pick the threshold on validation, measure on test. Writes nothing."""
    rule = rule or ThresholdRule()
    split = split_wdbc(load_wdbc(), seed)
    with threadpool_limits(limits=_BLAS_THREADS):
        fitted, losses = fit_logistic_regression(split.train, seed)
        validation_probabilities = probability_malignant(fitted, split.validation.features)
        test_probabilities = probability_malignant(fitted, split.test.features)
    threshold = rule.choose(validation_probabilities, split.validation.labels)
    validation, test = (
        classification_metrics(part.labels, probabilities >= threshold, probabilities)
        for part, probabilities in (
            (split.validation, validation_probabilities),
            (split.test, test_probabilities),
        )
    )
    scaler, classifier = fitted["scaler"], fitted["classifier"]
    training: dict[str, Any] = {
        "seed": split.seed,
        "C": float(classifier.C),
        "C_grid": list(C_GRID),
        "cv_folds": CV_FOLDS,
        "cv_scoring": CV_SCORING_NAME,
        "threshold_rule": rule.describe(),
        "split_sizes": split.sizes,
        "sklearn_version": sklearn.__version__,
    }
    if rule.name == TARGET_RECALL_RULE:
        training[TARGET_RECALL_KEY] = rule.target_recall
    # .tolist() and float(): plain Python numbers, which JSON writes the same way every time.
    artifact = ModelArtifact(
        name=MODEL_NAME,
        means=tuple(scaler.mean_.tolist()),
        scales=tuple(scaler.scale_.tolist()),
        weights=tuple(classifier.coef_[0].tolist()),
        intercept=float(classifier.intercept_[0]),
        threshold=float(threshold),
        metrics={
            "test": test,
            "validation": validation,
            "cross_validation": {
                "scoring": CV_SCORING_NAME,
                "folds": CV_FOLDS,
                "mean_log_loss_by_C": {repr(c): loss for c, loss in losses.items()},
            },
        },
        feature_ranges=split.train_ranges(),
        training=training,
    )
    return LocalTrainingResult(artifact, split, fitted, validation, test)


def write_outputs(
    result: LocalTrainingResult, output_dir: Path, cross_validation: dict[str, Any] | None = None
) -> tuple[Path, ...]:
    """``model.json`` and ``metrics.json``, and given cross-validation the pictures and the
    markdown card; returns the paths in that order."""
    artifact = result.artifact
    model_path = output_dir / MODEL_FILE_NAME
    save_artifact(artifact, model_path)
    document = {
        "model": {"name": artifact.name, "version": artifact.version},
        "metrics": dict(artifact.metrics),
        "split": result.split.record(),
    }
    if cross_validation is None:
        return model_path, write_json(document, output_dir / METRICS_FILE_NAME)
    document["metrics"]["cross_validation_10_fold"] = cross_validation
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
    return (*written, write_card_markdown(artifact, cross_validation, output_dir / CARD_FILE_NAME))


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
            predictions = AnswerReader(data.WDBC_CONTRACT).read(answer, len(batch))
        except ApiError as error:
            raise CloudError(f"endpoint {endpoint.name} failed on rows {start + 1}.."
                             f"{start + len(batch)}: {error}") from None  # fmt: skip
        variants.update({answer.variant: None} if answer.variant else {})
        positive = data.WDBC_CONTRACT.positive_index
        labels += [prediction.outcome == positive for prediction in predictions]
        scores += [prediction.probability for prediction in predictions]
    metrics = classification_metrics(rows.labels, np.array(labels), np.array(scores))
    return RemoteEvaluation(metrics, tuple(variants), len(starts))
