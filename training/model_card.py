"""The model cards: the JSON card ``GET /model`` serves, the markdown page beside the local model,
and the SageMaker Model Card of a registered version. Each is made from the model's contract
(features and training ranges, classes, threshold) and its training run's record (`metrics.json`:
name, version, metrics, training). Summaries only, never a row of data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chalicelib.contract import BINARY, MULTICLASS, Contract
from chalicelib.model_card import CARD_FORMAT
from training.data import dataset_of
from training.procedure import class_names, metric_labels
from training.threshold import ACCURACY_RULE, F_BETA_RULE, TARGET_RECALL_RULE

# What each threshold rule costs, for a binary model's limits ({0}: the positive class).
RULE_LIMITS = {
    F_BETA_RULE: "the threshold favours {0} recall over precision (the best F-beta on "
    "out-of-fold predictions): it accepts false alarms to miss fewer {0} cases.",
    ACCURACY_RULE: "the threshold favours accuracy, not recall.",
    TARGET_RECALL_RULE: "the threshold was set to reach a target {0} recall on out-of-fold "
    "predictions, and false alarms rise steeply with the target.",
}
JOB_LIMITS = (
    "a Linear Learner job chose its threshold on the validation channel by its "
    "binary_classifier_model_selection_criteria (see training.hyperparameters); an XGBoost "
    "job's is the contract's, chosen for the local model."
)
# A card's metrics: the local model's test and out-of-fold rows, a training job's test and
# validation channels.
CARD_PARTS = ("test", "validation", "out_of_fold")
PROBLEM_TYPES = {BINARY: "Binary Classification", MULTICLASS: "Multiclass Classification"}
_MARKDOWN = """\
# Model card: {name}, version {version}

## Data

{about}
{split} with seed {seed}: {train} train, {validation} validation, {test} test rows.

## Model

{model}

## Intended use

{intended_use}

## Metrics

| | {labels} |
|{columns}
{rows}

{notes}The nested cross-validation runs the whole procedure in each outer fold of the train and \
validation rows{misses}.

## Limits

{limits}
"""


def limits(contract: Contract, training: Mapping[str, Any]) -> str:
    """What the data cannot tell, and for a binary classifier what its threshold rule costs."""
    clause = "."
    if contract.task == BINARY:
        rule = training.get("threshold_rule", {}).get("rule")
        positive = class_names(contract)[0]
        clause = f"; {RULE_LIMITS[rule].format(positive) if rule else JOB_LIMITS}"
    return dataset_of(contract.name).limits + clause


def card_document(
    contract: Contract,
    record: Mapping[str, Any],
    ranges: Sequence[Sequence[float]] | None = None,
) -> dict[str, Any]:
    """The card `GET /model` serves, from the contract and a training run's record; ``ranges``
    where they are not the contract's (a training job's own rows)."""
    model, metrics, training = record["model"], record["metrics"], record["training"]
    ranges = ranges or [feature.training_range for feature in contract.features]
    # A binary card names the positive class first, as WDBC's always has.
    classes = sorted(contract.classes, key=lambda c: c.code != contract.positive_class)
    return {
        "format": CARD_FORMAT,
        "name": model["name"],
        "version": model["version"],
        "intended_use": dataset_of(contract.name).intended_use,
        "limits": limits(contract, training),
        "labels": {c.code: f"{c.name} (model label {c.label})" for c in classes},
        "decision_threshold": model.get("threshold"),
        "features": [
            {"position": position, "name": feature.name, "training_range": list(bounds)}
            for position, (feature, bounds) in enumerate(
                zip(contract.features, ranges, strict=True), 1
            )
        ],
        "metrics": {part: metrics[part] for part in CARD_PARTS if part in metrics},
        "training": dict(training),
    }


def sagemaker_model_card(
    contract: Contract, card: Mapping[str, Any], package: Mapping[str, Any]
) -> dict[str, Any]:
    """The API's card in SageMaker's model card schema, linked to its model package
    (describe_model_package's answer): intended use, limits, metrics, training details."""
    training, dataset = card["training"], dataset_of(contract.name)
    container = package["InferenceSpecification"]["Containers"][0]
    hyperparameters = training["hyperparameters"]
    labels = metric_labels(contract)
    evaluations = [
        {
            "name": f"{part} rows, as the training job reports them",
            "metric_groups": [{"name": part, "metric_data": [
                {"name": labels.get(key, key), "type": "number", "value": value}
                for key, value in metrics.items()
            ]}],
        }
        for part, metrics in training["job_metrics"].items()
    ]  # fmt: skip
    sizes = ", ".join(f"{rows} {part}" for part, rows in training["split_sizes"].items())
    algorithm = hyperparameters.get("predictor_type") or hyperparameters.get("objective")
    return {
        "model_overview": {
            "model_description": f"{card['name']} {card['version']}: {contract.description}; "
            f"contract {contract.name}, {contract.feature_count} features in its order.",
            "algorithm_type": f"{training['algorithm']} ({algorithm})",
            "problem_type": PROBLEM_TYPES.get(contract.task, "Regression"),
            "model_artifact": [container["ModelDataUrl"]],
            "inference_environment": {"container_image": [container["Image"]]},
        },
        "intended_uses": {
            "purpose_of_model": dataset.intended_use,
            "intended_uses": dataset.intended_use,
            "risk_rating": dataset.risk[0],
            "explanations_for_risk_rating": dataset.risk[1],
        },
        "training_details": {
            "training_observations": f"Split 60/20/20 with seed {training['seed']}: {sizes}",
            "training_job_details": {
                "training_arn": training["training_job_arn"],
                "training_environment": {"container_image": [training["image"]]},
                "hyper_parameters": [
                    {"name": name, "value": value} for name, value in hyperparameters.items()
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


def describe_model(contract: Contract, record: Mapping[str, Any]) -> str:
    """The local procedure in a paragraph, from its training record."""
    training, threshold = record["training"], record["model"].get("threshold")
    fit_rows = f"on the {training['fit_rows']} train and validation rows"
    if "objective" in training:
        text = (
            f"Gradient-boosted trees, XGBoost `{training['objective']}` ({training['n_estimators']}"
            f" trees of depth at most {training['max_depth']}, learning rate "
            f"{training['learning_rate']:g}, `{training['tree_method']}`), fitted {fit_rows}; "
            "SageMaker's XGBoost container serves its JSON model."
        )
    else:
        parameter = "alpha" if "alpha" in training else "C"
        linear = {"alpha": "ridge regression", "C": "logistic regression"}[parameter]
        multinomial = "multinomial " if contract.task == MULTICLASS else ""
        loss = {"rmse": "RMSE", "log_loss": "log loss"}[training["cv_scoring"]]
        text = (
            f"Standardisation and {multinomial}{linear} (the local counterpart of SageMaker "
            f"Linear Learner with `normalize_data`), fitted by {training['solver']}"
            + (f" to a tolerance of {training['tolerance']:g}" if "tolerance" in training else "")
            + f" {fit_rows}, {parameter} = {training[parameter]} by 5-fold cross-validated "
            f"{loss} on them."
        )
    if threshold is None:
        return text
    positive = contract.classes[contract.positive_index].name
    return (
        f"{text} A row is {positive} when its probability is >= the decision threshold, "
        f"{threshold:.4f}: {training['threshold_rule']['description']}."
    )


def write_card_markdown(contract: Contract, record: Mapping[str, Any], path: Path) -> Path:
    """The model card as a short page for people: data, model, intended use, metrics, limits."""
    training, metrics = record["training"], record["metrics"]
    nested, labels = metrics["repeated_nested_cv"], metric_labels(contract)

    def row(name: str, values: Mapping[str, Any]) -> str:
        return f"| {name} | " + " | ".join(f"{values[key]:.4f}" for key in labels) + " |"

    def spread(key: str, digits: int = 4) -> str:
        return f"{nested[key]['mean']:.{digits}f} ± {nested[key]['std']:.{digits}f}"

    notes, misses = "", ""
    if contract.task == BINARY:
        counts = " ".join(map(str, metrics["test"]["confusion_matrix"].values()))
        notes = f"Test confusion matrix (tn fp fn tp): {counts}. "
        key = next(key for key in nested if key.startswith("misses_per_"))
        positives = key.removeprefix("misses_per_").replace("_", " ")
        misses = f"; it misses {spread(key, 1)} of {positives} rows"
    dataset = dataset_of(contract.name)
    spreads = " | ".join(spread(key) for key in labels)
    rows = [
        row("held-out test", metrics["test"]),
        row(f"out-of-fold, {metrics['out_of_fold']['rows']} rows", metrics["out_of_fold"]),
        f"| {nested['repeats']} x {nested['folds']} nested CV, mean ± std | {spreads} |",
    ]
    text = _MARKDOWN.format(
        name=record["model"]["name"],
        version=record["model"]["version"],
        about=dataset.about,
        split="Stratified split" if contract.is_classifier else "Random split",
        seed=training["seed"],
        **training["split_sizes"],
        model=describe_model(contract, record),
        intended_use=dataset.intended_use,
        labels=" | ".join(labels.values()),
        columns="---|" * (len(labels) + 1),
        rows="\n".join(rows),
        notes=notes,
        misses=misses,
        limits=limits(contract, training).replace(
            "ranges below", "ranges (contract.json, training_range)"
        ),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
