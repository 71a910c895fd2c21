"""The model cards: the JSON card ``GET /model`` serves, the markdown page beside the local model,
the SageMaker Model Card of a registered version, and the write-back that points a Chalice stage
at a deployed endpoint and its card. Summaries only, never a row of data."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chalicelib.features import FEATURE_NAMES
from chalicelib.model_card import CARD_FORMAT, CARDS_DIR
from training import StageFileError
from training.artifact import ModelArtifact, write_json
from training.data import load_wdbc, split_wdbc
from training.linear_learner import MODEL_NAME, TrainedJob

INTENDED_USE = (
    "Research and teaching on the Wisconsin Diagnostic Breast Cancer data set. "
    "Not a diagnostic device: no clinical decision may rest on it."
)
DATA_LIMITS = (
    "Trained on 569 fine-needle-aspirate images from one clinic (1995); values outside the "
    "training ranges below are extrapolation"
)
LIMITS = f"{DATA_LIMITS}; the threshold favours accuracy, not recall."
RECALL_LIMITS = (
    f"{DATA_LIMITS}; the threshold was set to reach a target malignant recall on about 40 "
    "malignant validation rows, so one unusual row moves it and false alarms rise."
)
LINEAR_LEARNER_LIMITS = (
    f"{DATA_LIMITS}; Linear Learner chose its threshold on the validation channel by its "
    "binary_classifier_model_selection_criteria (see training.hyperparameters)."
)
DEFAULT_CARD = CARDS_DIR / "local.json"
# Set in a model's training record only when its threshold came from the target-recall rule.
TARGET_RECALL_KEY = "target_recall"
PROJECT_DIR = Path(__file__).resolve().parent.parent
INVOKE_ACTION = "sagemaker:InvokeEndpoint"
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
`normalize_data`), C = {C} by 5-fold cross-validated log loss on the train rows. Decision \
threshold {threshold:.4f}: {rule}.

## Intended use

{intended_use}

## Metrics

| | {labels} |
|---|---|---|---|---|
{test_row}
{validation_row}
| {folds}-fold CV, mean ± std | {spread} |

Test confusion matrix (tn fp fn tp): {counts}.

## Limits

{limits}
"""


def _card(
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
        "metrics": {part: metrics[part] for part in ("test", "validation") if part in metrics},
        "training": dict(training),
    }


def model_card(artifact: ModelArtifact) -> dict[str, Any]:
    """The card of the local model, from its artifact."""
    limits = limits_for(artifact.training)
    return _card(artifact.name, artifact.version, limits, artifact.threshold,
                 artifact.feature_ranges, artifact.metrics, artifact.training)  # fmt: skip


def limits_for(training: Mapping[str, Any]) -> str:
    """The limits text for the threshold rule the model was trained with."""
    return RECALL_LIMITS if TARGET_RECALL_KEY in training else LIMITS


def write_model_card(artifact: ModelArtifact, path: Path) -> Path:
    return write_json(model_card(artifact), path)


def sagemaker_card(
    job: Mapping[str, Any], version: str, seed: int, model_package: str | None = None
) -> dict[str, Any]:
    """The card of a Linear Learner model: Linear Learner's own test and validation metrics,
    and the training ranges of the split its seed reproduces."""
    trained = TrainedJob(job, split_wdbc(load_wdbc(), seed))
    training = {
        "training_job": trained.name,
        "training_job_arn": job["TrainingJobArn"],
        "image": trained.container["Image"],
        "hyperparameters": dict(job.get("HyperParameters", {})),
        "seed": seed,
        "split_sizes": trained.split.sizes,
        "linear_learner_metrics": trained.rates(),
        **({"model_package": model_package} if model_package else {}),
    }
    # Linear Learner keeps the threshold it chose inside its model; its answers' predicted_label
    # applies it. The card cannot name it without reading the model.
    ranges = trained.split.train_ranges()
    return _card(MODEL_NAME, version, LINEAR_LEARNER_LIMITS, None, ranges, trained.metrics(),
                 training)  # fmt: skip


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


def write_card_markdown(
    artifact: ModelArtifact, cross_validation: Mapping[str, Any], path: Path
) -> Path:
    """The model card as a short page for people: data, model, intended use, metrics, limits."""
    training, metrics = artifact.training, artifact.metrics
    sizes = training.get("split_sizes", {})

    def row(name: str, values: Mapping[str, Any]) -> str:
        cells = [f"{values[key]:.4f}" if key in values else "n/a" for key in METRIC_LABELS]
        return f"| {name} | " + " | ".join(cells) + " |"

    spread = [
        f"{cross_validation[key]['mean']:.4f} ± {cross_validation[key]['std']:.4f}"
        if key in cross_validation
        else "n/a"
        for key in METRIC_LABELS
    ]
    matrix = metrics.get("test", {}).get("confusion_matrix", {})
    text = _MARKDOWN.format(
        name=artifact.name,
        version=artifact.version,
        seed=training.get("seed"),
        **{part: sizes.get(part) for part in ("train", "validation", "test")},
        C=training.get("C"),
        threshold=artifact.threshold,
        rule=training.get("threshold_rule"),
        intended_use=INTENDED_USE,
        labels=" | ".join(METRIC_LABELS.values()),
        test_row=row("held-out test", metrics.get("test", {})),
        validation_row=row("validation", metrics.get("validation", {})),
        folds=cross_validation.get("folds", "?"),
        spread=" | ".join(spread),
        counts=" ".join(str(matrix.get(key, "?")) for key in ("tn", "fp", "fn", "tp")),
        limits=limits_for(training).replace("ranges below", "ranges (model.json, feature_ranges)"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_stage(
    stage: str,
    endpoint: str,
    endpoint_arn: str,
    card: Mapping[str, Any],
    project_dir: Path = PROJECT_DIR,
) -> tuple[Path, ...]:
    """After a deploy with ``--stage``: point the stage at the endpoint, so `chalice deploy`
    follows with no hand edits. Checks everything before writing anything; returns the files:
    ``.chalice/config.json`` (the stage's ``ENDPOINT_NAME`` and ``MODEL_CARD``), the stage's
    policy file (the Resource of its one ``sagemaker:InvokeEndpoint`` statement, the endpoint's
    lower-case ARN, as IAM matches SageMaker ARNs) and ``chalicelib/model_cards/<stage>.json``.
    """
    config_path = project_dir / ".chalice" / "config.json"
    config = _read_json(config_path)
    stages = config.get("stages") if isinstance(config, dict) else None
    block = stages.get(stage) if isinstance(stages, dict) else None
    if not isinstance(block, dict):
        known = ", ".join(stages) if isinstance(stages, dict) else "none"
        raise StageFileError(f"{config_path} has no stage {stage!r} (stages: {known})")
    policy_file = block.get("iam_policy_file")
    if not isinstance(policy_file, str) or Path(policy_file).name != policy_file:
        raise StageFileError(f"stage {stage!r} in {config_path} names no iam_policy_file")
    policy_path = config_path.parent / policy_file
    policy = _read_json(policy_path)
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    invoke = [
        statement
        for statement in (statements if isinstance(statements, list) else [])
        if isinstance(statement, dict)
        and statement.get("Action") in (INVOKE_ACTION, [INVOKE_ACTION])
    ]
    if len(invoke) != 1:
        raise StageFileError(
            f"{policy_path} must hold exactly one statement whose Action is {INVOKE_ACTION}; "
            f"it holds {len(invoke)}"
        )
    environment = block.setdefault("environment_variables", {})
    if not isinstance(environment, dict):
        raise StageFileError(f"stage {stage!r}: environment_variables must be an object")
    card_name = f"{stage}.json"
    environment.update({"ENDPOINT_NAME": endpoint, "MODEL_CARD": card_name})
    invoke[0]["Resource"] = endpoint_arn.lower()
    # json's own two-space layout is the one these files are kept in, so only the values change.
    write_json(config, config_path)
    write_json(policy, policy_path)
    card_path = write_json(dict(card), project_dir / "chalicelib" / "model_cards" / card_name)
    return config_path, policy_path, card_path


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StageFileError(f"{path} does not exist") from None
    except ValueError as error:
        raise StageFileError(f"{path} is not JSON: {error}") from None
