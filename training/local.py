"""The ``local`` target: a shipped example's procedure (``training.procedure``) run on its data,
and its model folder written: the model file, `metrics.json`, the contract completed with what
training knows, pictures and the markdown card; and scoring through an endpoint.

Training completes the contract the engineer wrote: each feature's `training_range` (the train
and validation rows'), a binary classifier's `threshold`, and, where it has none, `examples`:
the first held-out row of each class (of a regression, the first three held-out rows).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn import metrics as sklearn_metrics
from threadpoolctl import threadpool_limits

from chalicelib.contract import (
    BINARY,
    MULTICLASS,
    REGRESSION,
    XGBOOST,
    Contract,
    ContractError,
    parse_contract,
    read_contract,
)
from chalicelib.endpoint import ModelEndpoint
from chalicelib.errors import ApiError
from chalicelib.model_answer import AnswerReader
from deploy.endpoint import CloudError
from standin.model import load_model
from training import TrainingError
from training.artifact import Artifact, ModelArtifact, XGBoostArtifact, save_artifact, write_json
from training.data import (
    DEFAULT_MODEL,
    DEFAULT_SEED,
    Split,
    SplitPart,
    contract_file,
    contract_split,
    dataset_of,
)
from training.model_card import write_card_markdown
from training.procedure import (
    BLAS_THREADS,
    CV_FOLDS,
    PREDICTOR_TYPES,
    class_names,
    fit_model,
    part_metrics,
    predict,
    procedure_for,
    scored,
)
from training.threshold import ThresholdRule

METRICS_FILE_NAME, CONTRACT_FILE_NAME, CARD_FILE_NAME = (
    "metrics.json", "contract.json", "model_card.md"
)  # fmt: skip
ROC_FILE_NAME, CONFUSION_FILE_NAME = "roc_curve.png", "confusion_matrix.png"
ERRORS_FILE_NAME = "prediction_errors.png"
REGRESSION_EXAMPLES = 3
DEFAULT_BATCH_ROWS = 100


class LocalTrainingResult(NamedTuple):
    contract: Contract  # completed by training
    document: dict[str, Any]  # the completed contract, as contract.json keeps it
    artifact: Artifact
    split: Split
    fitted: Any  # the estimator, refit on the train and validation rows
    out_of_fold: Any  # of the train and validation rows, in row order
    metrics: dict[str, Any]  # test, out_of_fold, cross_validation
    training: dict[str, Any]  # how the model was made

    @property
    def test_metrics(self) -> dict[str, Any]:
        return dict(self.metrics["test"])

    def record(self, nested_cv: dict[str, Any] | None = None) -> dict[str, Any]:
        """The run as metrics.json keeps it, and the cards read it."""
        artifact = self.artifact
        threshold = {} if artifact.threshold is None else {"threshold": artifact.threshold}
        nested = {} if nested_cv is None else {"repeated_nested_cv": nested_cv}
        return {
            "model": {"name": artifact.name, "version": artifact.version,
                      "contract": self.contract.name, **threshold},
            "metrics": {**self.metrics, **nested},
            "training": self.training,
            "split": self.split.record(),
        }  # fmt: skip


def read_draft(path: Path) -> tuple[dict[str, Any], Contract]:
    """The contract as its engineer wrote it, and read as the API reads it with neutral values
    where training has yet to fill in (training ranges, threshold, examples)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:  # no file, or no JSON in it
        raise ContractError(f"model contract {path}: {type(error).__name__}") from None
    draft = copy.deepcopy(document)
    if isinstance(draft, dict) and isinstance(draft.get("features"), list):
        for feature in draft["features"]:
            if isinstance(feature, dict):
                feature.setdefault("training_range", [0, 0])
        if draft.get("task") == BINARY:
            draft.setdefault("threshold", 0.5)
        width = len(draft["features"])
        draft.setdefault("examples", [{"summary": "draft", "values": [0] * width}])
    return document, parse_contract(draft, path.name)


def read_model_folder(folder: Path) -> tuple[Contract, dict[str, Any]]:
    """A trained model folder's contract and training record (metrics.json), checked to
    describe the model file beside them."""
    contract = read_contract(folder / CONTRACT_FILE_NAME)
    path = folder / METRICS_FILE_NAME
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        version = {**record["model"], **record["metrics"], **record["training"]}["version"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TrainingError(f"{path} holds no training record: {type(error).__name__}") from None
    served = load_model(folder).version
    if served != version:
        raise TrainingError(f"{path} describes version {version}, but {folder} holds version "
                            f"{served}: train again (make train)")  # fmt: skip
    return contract, record


def complete_contract(
    document: dict[str, Any], contract: Contract, split: Split, threshold: float | None
) -> dict[str, Any]:
    completed = copy.deepcopy(document)
    for feature, bounds in zip(completed["features"], split.development().ranges(), strict=True):
        feature["training_range"] = list(bounds)
    if threshold is not None:
        completed["threshold"] = threshold
    if not completed.get("examples"):
        completed["examples"] = held_out_examples(contract, split.test)
    return completed


def held_out_examples(contract: Contract, test: SplitPart) -> list[dict[str, Any]]:
    title = dataset_of(contract.name).title
    if contract.is_classifier:
        picks = [(f"{c.name} ", int(np.flatnonzero(test.labels == c.label)[0]))
                 for c in contract.classes]  # fmt: skip
    else:
        picks = [("", position) for position in range(REGRESSION_EXAMPLES)]
    return [
        {"summary": f"A {kind}row held out from training ({title} row {test.row_indices[at]})",
         "values": test.features[at].tolist()}
        for kind, at in picks
    ]  # fmt: skip


def train_local(
    model: str = DEFAULT_MODEL, seed: int = DEFAULT_SEED, rule: ThresholdRule | None = None
) -> LocalTrainingResult:
    """Split, run the procedure on the train and validation rows, measure on test, complete the
    contract. Writes nothing."""
    rule = rule or ThresholdRule()
    document, draft = read_draft(contract_file(model))
    split = contract_split(draft, seed)
    development, procedure = split.development(), procedure_for(draft, seed)
    with threadpool_limits(limits=BLAS_THREADS):
        model_fit = fit_model(development, draft, rule, seed)
        test_output = predict(model_fit.estimator, draft, split.test.features)
    threshold, estimator = model_fit.threshold, model_fit.estimator
    scoring = procedure.scoring[1]
    losses = {repr(value): loss for value, loss in model_fit.losses.items()}
    by_value = f"_by_{procedure.parameter}" if procedure.parameter else ""
    metrics = {
        "test": part_metrics(draft, split.test.labels, test_output, threshold),
        "out_of_fold": part_metrics(draft, development.labels, model_fit.out_of_fold, threshold),
        "cross_validation": {
            "scoring": scoring,
            "folds": CV_FOLDS,
            f"mean_{scoring}{by_value}": losses if by_value else losses.popitem()[1],
        },
    }
    chosen = {}
    if procedure.parameter:
        [(key, grid)] = procedure.grid.items()
        chosen = {procedure.parameter: float(estimator.get_params()[key]),
                  f"{procedure.parameter}_grid": grid}  # fmt: skip
    training: dict[str, Any] = {
        "seed": split.seed,
        **chosen,
        "cv_folds": CV_FOLDS,
        "cv_scoring": scoring,
        **procedure.settings,
        **({"threshold_rule": rule.to_json()} if draft.task == BINARY else {}),
        "split_sizes": split.sizes,
        "fit_rows": len(development.labels),
        "versions": {name: module.__version__ for name, module in procedure.libraries.items()},
    }
    artifact: Artifact
    if draft.answer.format == XGBOOST:
        content = bytes(estimator.get_booster().save_raw("json"))
        artifact = XGBoostArtifact(procedure.name, content, threshold)
    else:
        # .tolist() and float(): plain Python numbers, which JSON writes the same way every time.
        scaler, linear = estimator["scaler"], estimator[-1]
        multiclass = draft.task == MULTICLASS
        weights = linear.coef_.tolist() if multiclass else np.ravel(linear.coef_).tolist()
        intercept = np.ravel(linear.intercept_).tolist()
        artifact = ModelArtifact(
            procedure.name, draft.feature_names, tuple(scaler.mean_.tolist()),
            tuple(scaler.scale_.tolist()),
            tuple(map(tuple, weights)) if multiclass else tuple(weights),
            tuple(intercept) if multiclass else float(intercept[0]),
            threshold, PREDICTOR_TYPES[draft.task],
        )  # fmt: skip
    completed = complete_contract(document, draft, split, threshold)
    contract = parse_contract(completed, CONTRACT_FILE_NAME)  # as the API will read it
    return LocalTrainingResult(contract, completed, artifact, split, estimator,
                               model_fit.out_of_fold, metrics, training)  # fmt: skip


def write_outputs(
    result: LocalTrainingResult, output_dir: Path, nested_cv: dict[str, Any] | None = None
) -> tuple[Path, ...]:
    """The model file, ``metrics.json`` and ``contract.json``, and given the repeated nested
    cross-validation the pictures and the markdown card; returns the paths in that order."""
    artifact, contract = result.artifact, result.contract
    written = [
        save_artifact(artifact, output_dir / artifact.file_name),
        write_json(result.record(nested_cv), output_dir / METRICS_FILE_NAME),
        write_json(result.document, output_dir / CONTRACT_FILE_NAME),
    ]
    if nested_cv is None:
        return tuple(written)
    test, metrics = result.split.test, result.test_metrics
    with threadpool_limits(limits=BLAS_THREADS):
        output = predict(result.fitted, contract, test.features)
    title = f"{metrics['rows']} held-out test rows"
    # matplotlib's object API on the Agg canvas: no global backend, no display.
    figures: dict[str, Figure] = {}
    if contract.task == REGRESSION:
        figures[ERRORS_FILE_NAME] = figure = _figure()
        sklearn_metrics.PredictionErrorDisplay.from_predictions(
            test.labels, output, kind="actual_vs_predicted", ax=figure.add_subplot()
        )
        figure.axes[0].set_title(f"Actual and predicted {contract.target}, {title}")
    if contract.task == BINARY:
        positive, negative = class_names(contract)
        figures[ROC_FILE_NAME] = roc = _figure()
        sklearn_metrics.RocCurveDisplay.from_predictions(
            test.labels,
            output,
            pos_label=contract.classes[contract.positive_index].label,
            ax=roc.add_subplot(),
            curve_kwargs={"label": f"model (AUC {metrics['roc_auc']:.4f})"},
            plot_chance_level=True,
        )
        axes = roc.axes[0]
        axes.plot([metrics["confusion_matrix"]["fp"] / metrics[f"{negative}_rows"]],
                  [metrics[f"{positive}_recall"]], "ko", label="chosen threshold",
                  linestyle="")  # fmt: skip
        axes.set(
            xlabel=f"false positive rate ({negative} flagged {positive})",
            ylabel=f"{positive} recall",
            title=f"ROC curve, {title}",
        )
        axes.legend(loc="lower right")
    if contract.is_classifier:
        counts = metrics["confusion_matrix"]
        matrix = np.array(counts if isinstance(counts, list) else
                          [[counts["tn"], counts["fp"]], [counts["fn"], counts["tp"]]])  # fmt: skip
        figures[CONFUSION_FILE_NAME] = confusion = _figure()
        sklearn_metrics.ConfusionMatrixDisplay(
            matrix, display_labels=[c.name for c in contract.classes]
        ).plot(ax=confusion.add_subplot(), cmap="Blues", colorbar=False)
        confusion.axes[0].set_title(f"Confusion matrix, {title}")
    for name, figure in figures.items():
        FigureCanvasAgg(figure)
        # No timestamp or software version in the PNG: the same model draws the same bytes.
        figure.savefig(output_dir / name, format="png", metadata={"Software": None})
        written.append(output_dir / name)
    card = write_card_markdown(contract, result.record(nested_cv), output_dir / CARD_FILE_NAME)
    return (*written, card)


def _figure() -> Figure:
    return Figure(figsize=(4.8, 4.2), dpi=100, layout="constrained")


class RemoteEvaluation(NamedTuple):
    metrics: dict[str, Any]
    variants: tuple[str, ...]  # the production variants that answered
    calls: int


def evaluate_endpoint(
    endpoint: ModelEndpoint,
    contract: Contract,
    rows: SplitPart,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> RemoteEvaluation:
    """The held-out rows through InvokeEndpoint in CSV batches, with the same client code the
    API uses, read as the contract says; a classifier's labels are the endpoint's own."""
    if batch_rows < 1:
        raise ValueError("a batch needs at least one row")
    reader, predicted, outputs = AnswerReader(contract), [], []
    variants = dict[str, None]()
    starts = range(0, len(rows.labels), batch_rows)
    for start in starts:
        batch = rows.features[start : start + batch_rows].tolist()
        try:
            answer = endpoint.invoke(batch)
            predictions = reader.read(answer, len(batch))
        except ApiError as error:
            raise CloudError(f"endpoint {endpoint.name} failed on rows {start + 1}.."
                             f"{start + len(batch)}: {error}") from None  # fmt: skip
        variants.update({answer.variant: None} if answer.variant else {})
        for prediction in predictions:
            classifier = contract.is_classifier
            predicted.append(contract.classes[int(prediction.outcome)].label if classifier
                             else prediction.outcome)  # fmt: skip
            outputs.append(prediction.probability if classifier else prediction.outcome)
    metrics = scored(contract, rows.labels, np.array(predicted), np.array(outputs))
    return RemoteEvaluation(metrics, tuple(variants), len(starts))
