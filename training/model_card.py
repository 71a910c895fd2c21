"""The model cards: the JSON card ``GET /model`` serves, the markdown page beside the local model,
and the SageMaker Model Card of a registered version. Summaries only, never a row of data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chalicelib.features import FEATURE_NAMES
from chalicelib.model_card import CARD_FORMAT, CARDS_DIR
from training.artifact import ModelArtifact, write_json
from training.data import MISSES
from training.threshold import ACCURACY_RULE, F_BETA_RULE, TARGET_RECALL_RULE

INTENDED_USE = (
    "Research and teaching on the Wisconsin Diagnostic Breast Cancer data set. "
    "Not a diagnostic device: no clinical decision may rest on it."
)
DATA_LIMITS = (
    "Trained on 569 fine-needle-aspirate images from one clinic (1995); values outside the "
    "training ranges below are extrapolation"
)
# What each threshold rule costs, for the local model's limits.
RULE_LIMITS = {
    F_BETA_RULE: f"{DATA_LIMITS}; the threshold favours malignant recall over precision (the "
    "best F-beta on out-of-fold predictions): it accepts false alarms to miss fewer cancers.",
    ACCURACY_RULE: f"{DATA_LIMITS}; the threshold favours accuracy, not recall.",
    TARGET_RECALL_RULE: f"{DATA_LIMITS}; the threshold was set to reach a target malignant recall "
    "on out-of-fold predictions, and false alarms rise steeply with the target.",
}
LINEAR_LEARNER_LIMITS = (
    f"{DATA_LIMITS}; Linear Learner chose its threshold on the validation channel by its "
    "binary_classifier_model_selection_criteria (see training.hyperparameters)."
)
DEFAULT_CARD = CARDS_DIR / "local.json"
# A card's metrics: the local model's test and out-of-fold rows, Linear Learner's test and
# validation channels.
CARD_PARTS = ("test", "validation", "out_of_fold")
METRIC_LABELS = {
    "accuracy": "accuracy",
    "malignant_recall": "malignant recall",
    "malignant_precision": "malignant precision",
    "roc_auc": "ROC AUC",
}
_MARKDOWN = """\
# Model card: {name}, version {version}

## Data

The Wisconsin Diagnostic Breast Cancer data set (569 fine-needle aspirates, 212 malignant, 357 \
benign; 30 features per image), as scikit-learn ships it. Label 1 = malignant.
Stratified split with seed {seed}: {train} train, {validation} validation, {test} test rows.

## Model

Standardisation and logistic regression (the local counterpart of SageMaker Linear Learner with \
`normalize_data`), fitted by {solver} to a tolerance of {tolerance:g} on the {fit_rows} train \
and validation rows, C = {C} by 5-fold cross-validated log loss on them. A row is malignant when \
its probability is >= the decision threshold, {threshold:.4f}: {rule}.

## Intended use

{intended_use}

## Metrics

| | {labels} |
|---|---|---|---|---|
{test_row}
{out_of_fold_row}
| {repeats} x {folds} nested CV, mean ± std | {spread} |

Test confusion matrix (tn fp fn tp): {counts}. The nested cross-validation runs the whole \
procedure in each outer fold of the train and validation rows; it misses {misses} of 212 \
malignant rows.

## Limits

{limits}
"""


def card_document(
    name: str,
    version: str,
    limits: str,
    threshold: float | None,
    ranges: Mapping[str, Sequence[float]],
    metrics: Mapping[str, Any],
    training: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "format": CARD_FORMAT,
        "name": name,
        "version": version,
        "intended_use": INTENDED_USE,
        "limits": limits,
        "labels": {"M": "malignant (model label 1)", "B": "benign (model label 0)"},
        "decision_threshold": threshold,
        "features": [
            {"position": position, "name": name, "training_range": list(ranges.get(name, ()))}
            for position, name in enumerate(FEATURE_NAMES, start=1)
        ],
        "metrics": {part: metrics[part] for part in CARD_PARTS if part in metrics},
        "training": dict(training),
    }


def model_card(artifact: ModelArtifact) -> dict[str, Any]:
    """The card of the local model, from its artifact."""
    limits = RULE_LIMITS[artifact.training["threshold_rule"]["rule"]]
    return card_document(artifact.name, artifact.version, limits, artifact.threshold,
                 artifact.feature_ranges, artifact.metrics, artifact.training)  # fmt: skip


def write_model_card(artifact: ModelArtifact, path: Path) -> Path:
    return write_json(model_card(artifact), path)


def sagemaker_model_card(card: Mapping[str, Any], package: Mapping[str, Any]) -> dict[str, Any]:
    """The API's card in SageMaker's model card schema, linked to its model package
    (describe_model_package's answer): intended use, limits, metrics, training details."""
    training = card["training"]
    container = package["InferenceSpecification"]["Containers"][0]
    evaluations = [
        {
            "name": f"{part} rows, as Linear Learner reports them",
            "metric_groups": [{"name": part, "metric_data": [
                {"name": label, "type": "number", "value": metrics[key]}
                for key, label in METRIC_LABELS.items() if key in metrics
            ]}],
        }
        for part, metrics in training["linear_learner_metrics"].items()
    ]  # fmt: skip
    sizes = ", ".join(f"{rows} {part}" for part, rows in training["split_sizes"].items())
    return {
        "model_overview": {
            "model_description": f"{card['name']} {card['version']}: WDBC breast-cancer "
            "classifier, label 1 = malignant, on the 30 WDBC features in WDBC order.",
            "algorithm_type": "Linear Learner (binary_classifier)",
            "problem_type": "Binary Classification",
            "model_artifact": [container["ModelDataUrl"]],
            "inference_environment": {"container_image": [container["Image"]]},
        },
        "intended_uses": {
            "purpose_of_model": INTENDED_USE,
            "intended_uses": INTENDED_USE,
            "risk_rating": "High",
            "explanations_for_risk_rating": "Health data; a missed malignancy is the costly error.",
        },
        "training_details": {
            "training_observations": f"Stratified 60/20/20 split with seed {training['seed']}: "
            + sizes,
            "training_job_details": {
                "training_arn": training["training_job_arn"],
                "training_environment": {"container_image": [training["image"]]},
                "hyper_parameters": [
                    {"name": name, "value": value}
                    for name, value in training["hyperparameters"].items()
                ],
            },
        },
        "evaluation_details": evaluations,
        "additional_information": {
            "caveats_and_recommendations": card["limits"],
            "custom_details": {"api_card_version": card["version"]},
        },
        "model_package_details": {
            "model_package_arn": package["ModelPackageArn"],
            "model_package_group_name": package["ModelPackageGroupName"],
            "model_package_version": package["ModelPackageVersion"],
            "model_approval_status": package["ModelApprovalStatus"],
            "approval_description": package.get("ApprovalDescription", ""),
        },
    }


def write_card_markdown(artifact: ModelArtifact, nested_cv: Mapping[str, Any], path: Path) -> Path:
    """The model card as a short page for people: data, model, intended use, metrics, limits."""
    training, metrics = artifact.training, artifact.metrics

    def row(name: str, values: Mapping[str, Any]) -> str:
        cells = [f"{values[key]:.4f}" for key in METRIC_LABELS]
        return f"| {name} | " + " | ".join(cells) + " |"

    def spread(key: str, digits: int = 4) -> str:
        return f"{nested_cv[key]['mean']:.{digits}f} ± {nested_cv[key]['std']:.{digits}f}"

    out_of_fold = metrics["out_of_fold"]
    text = _MARKDOWN.format(
        name=artifact.name,
        version=artifact.version,
        seed=training["seed"],
        **training["split_sizes"],
        solver=training["solver"],
        tolerance=training["tolerance"],
        fit_rows=training["fit_rows"],
        C=training["C"],
        threshold=artifact.threshold,
        rule=training["threshold_rule"]["description"],
        intended_use=INTENDED_USE,
        labels=" | ".join(METRIC_LABELS.values()),
        test_row=row("held-out test", metrics["test"]),
        out_of_fold_row=row(f"out-of-fold, {out_of_fold['rows']} rows", out_of_fold),
        repeats=nested_cv["repeats"],
        folds=nested_cv["folds"],
        spread=" | ".join(spread(key) for key in METRIC_LABELS),
        misses=spread(MISSES, 1),
        counts=" ".join(str(count) for count in metrics["test"]["confusion_matrix"].values()),
        limits=RULE_LIMITS[training["threshold_rule"]["rule"]].replace(
            "ranges below", "ranges (model.json, feature_ranges)"
        ),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
