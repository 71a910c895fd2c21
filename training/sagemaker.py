"""The ``sagemaker`` target and the Model Registry, for the task a model's contract names.

The training job runs a built-in algorithm through the sagemaker SDK v3's ModelTrainer on CSV
channels (label first, no header): Linear Learner with the contract's ``predictor_type``
(``num_classes`` for multiclass), a binary one choosing its threshold on ``validation`` by the
same rule as the local target and reporting ``test:*`` metrics; or, for an XGBoost contract,
SageMaker's XGBoost with the task's objective and the local procedure's hyperparameters, on
``train`` and ``validation`` (its only data channels). The SDK is imported only when a job is
built: ``make run`` never needs its gigabyte.

The contract travels with the model: before the job starts it is uploaded, content-addressed,
to ``s3://BUCKET/PREFIX/contracts/``; the job's tags and the registered version's
``CustomerMetadataProperties`` name it and its SHA-256, and ``deploy`` reads it from there,
checks the hash, and sends its examples to the endpoint (``check_endpoint``).

Each trained model is registered as a new version of its model's package group
``<model>-predictor`` (created if missing), PendingManualApproval, with its test metrics as a
model quality report in S3 and a SageMaker Model Card linked to it; ``registry approve`` and
``reject`` store who decided and why on the package; ``deploy`` takes only an Approved version.
Versions are the audit trail: only ``delete --registry`` deletes them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import urlparse

from chalicelib.contract import (
    BINARY,
    LINEAR_LEARNER,
    MULTICLASS,
    REGRESSION,
    XGBOOST,
    Contract,
    parse_contract,
    read_contract,
)
from chalicelib.endpoint import CLIENT_CONFIG, RUNTIME_SERVICE, ModelEndpoint
from chalicelib.errors import ApiError
from chalicelib.service import PredictionService
from deploy import endpoint as aws
from training import TrainingError
from training.artifact import write_json
from training.data import DEFAULT_MODEL, DEFAULT_SEED, POSITIVE, Split, SplitPart, contract_split
from training.data import contract_file as local_contract_file
from training.model_card import card_document, sagemaker_model_card
from training.procedure import OBJECTIVES, PREDICTOR_TYPES, XGBOOST_SETTINGS, class_names
from training.threshold import ACCURACY_RULE, F_BETA_RULE, TARGET_RECALL_RULE, ThresholdRule

CSV, JSON = "text/csv", "application/json"
# The image each answer format's container serves, and how a card names the algorithm.
ALGORITHMS = {LINEAR_LEARNER: ("linear-learner", "Linear Learner"), XGBOOST: ("xgboost", "XGBoost")}
XGBOOST_VERSION = "3.0-5"
SELECTION_CRITERION = "binary_classifier_model_selection_criteria"
SELECTION_CRITERIA = {
    F_BETA_RULE: "f_beta",
    ACCURACY_RULE: "accuracy",
    TARGET_RECALL_RULE: "precision_at_target_recall",
}
# Linear Learner's names for a rule's setting.
SETTING_NAMES = {"beta": "f_beta", "target_recall": "target_recall"}
# 341 training rows: the default mini-batch of 1,000 would be one batch per epoch.
MINI_BATCH_SIZE = 100
# The XGBoost container's names for the local procedure's settings, and what it reports.
XGBOOST_NAMES = {"n_estimators": "num_round", "learning_rate": "eta"}
EVAL_METRICS = {BINARY: "logloss,auc", MULTICLASS: "mlogloss,merror", REGRESSION: "rmse,mae"}
# The SDK's telemetry sends a GET to an AWS bucket for each train() call; a tool that handles
# health data asks before it phones home, so it is switched off (SageMaker's own config key).
SDK_CONFIG: dict[str, Any] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}
# The training jobs' metric names (FinalMetricDataList, "part:name") by ours; {0} is a binary
# classifier's positive class. Linear Learner's, then XGBoost's eval_metric.
_OUR_NAMES = {
    "binary_classification_accuracy": "accuracy",
    "multiclass_accuracy": "accuracy",
    "recall": "{0}_recall",
    "precision": "{0}_precision",
    "roc_auc_score": "roc_auc",
    "binary_f_beta": "f_beta",
    "macro_f_beta": "macro_f1",  # f_beta is left at its default, 1.0
    "objective_loss": "objective_loss",
    "binary_classification_cross_entropy": "cross_entropy",
    "absolute_loss": "mae",
    "mse": "rmse",  # its square root
    "auc": "roc_auc",
    "logloss": "log_loss",
    "mlogloss": "log_loss",
    "rmse": "rmse",
    "mae": "mae",
}
PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
# A card's status follows its package's; SageMaker keeps an Archived card read-only.
CARD_STATUS = {PENDING: "PendingReview", APPROVED: "Approved", REJECTED: "Archived"}
DEFAULT_SAGEMAKER_OUTPUT_DIR = Path("artifacts/sagemaker")
JOB_FILE_NAME = "training-job.json"
# SageMaker's model quality groups and names (what Studio shows) for ours, and their headings.
_QUALITY_GROUPS = {
    BINARY: "binary_classification_metrics",
    MULTICLASS: "multiclass_classification_metrics",
    REGRESSION: "regression_metrics",
}
_QUALITY_NAMES = {"accuracy": "accuracy", "{0}_recall": "recall", "{0}_precision": "precision",
                  "roc_auc": "auc", "rmse": "rmse", "mae": "mae", "r2": "r2"}  # fmt: skip
_QUALITY_HEADINGS = {"auc": "ROC AUC", "rmse": "RMSE", "mae": "MAE", "r2": "R²"}
# Where a package or a job names its contract: metadata keys, and "wdbc:<key>" tags on the job.
CONTRACT_KEYS = ("contract", "contract_uri", "contract_sha256")


def _for_task(names: Mapping[str, str], contract: Contract) -> dict[str, str]:
    """A table of names with {0}, a binary classifier's positive class, filled in; for other
    tasks without the names that hold it."""
    binary = contract.task == BINARY
    positive = class_names(contract)[0] if binary else ""
    return {
        key.format(positive): value.format(positive)
        for key, value in names.items()
        if binary or "{0}" not in key + value
    }


def group_name(model: str) -> str:
    """The model package group of one model's versions."""
    return f"{model}-predictor"


def model_name(contract: Contract) -> str:
    return f"{contract.name}-{ALGORITHMS[contract.answer.format][0]}"


@dataclass(frozen=True)
class SageMakerTrainingSettings:
    """Where and how the SageMaker training job runs."""

    role_arn: str
    bucket: str
    model: str = DEFAULT_MODEL
    prefix: str | None = None  # None: the model's name
    region: str | None = None  # None: boto3's own resolution (AWS_REGION, config file)
    instance_type: str = "ml.m5.large"
    kms_key_id: str | None = None  # encrypts the channels, the model output and the report
    seed: int = DEFAULT_SEED
    rule: ThresholdRule = field(default_factory=ThresholdRule)
    max_runtime_seconds: int = 3600
    wait_timeout_seconds: float = 3600.0
    poll_seconds: float = 30.0

    def key(self, *parts: str) -> str:
        return "/".join([(self.prefix or self.model).strip("/"), *parts])

    def put(self, s3: Any, key: str, body: bytes | str, content_type: str) -> str:
        """Into the bucket, encrypted with the KMS key if one is given; returns the object's URI."""
        kms = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
                      **(kms if self.kms_key_id else {}))  # fmt: skip
        return f"s3://{self.bucket}/{key}"


@dataclass(frozen=True)
class TrainedJob:
    """A completed job: describe_training_job's answer, its contract and the split it was
    trained on."""

    description: Mapping[str, Any]
    contract: Contract
    split: Split

    @property
    def name(self) -> str:
        return str(self.description["TrainingJobName"])

    @property
    def container(self) -> dict[str, str]:
        """The inference container: the built-in algorithms serve with their training image."""
        return {
            "Image": self.description["AlgorithmSpecification"]["TrainingImage"],
            "ModelDataUrl": self.description["ModelArtifacts"]["S3ModelArtifacts"],
        }

    @property
    def held_out(self) -> str:
        """The part its quality report is of: test; for XGBoost, which has no test channel,
        validation, on which its fixed hyperparameters choose nothing."""
        return "validation" if self.contract.answer.format == XGBOOST else "test"

    def rates(self) -> dict[str, dict[str, float]]:
        return job_metrics(self.description.get("FinalMetricDataList", []), self.contract)

    def metrics(self) -> dict[str, dict[str, Any]]:
        """The test and validation rates, a binary classifier's with the confusion counts they
        imply where they do."""
        if self.contract.task != BINARY:
            return self.rates()
        counted = {}
        for part, rates in self.rates().items():
            labels = self.split.parts[part].labels
            positives = int((labels == POSITIVE).sum())
            if metrics := metrics_with_counts(rates, positives, len(labels) - positives,
                                              self.contract):  # fmt: skip
                counted[part] = metrics
        return counted


def sagemaker_card(
    job: Mapping[str, Any],
    contract: Contract,
    version: str,
    seed: int,
    model_package: str | None = None,
) -> dict[str, Any]:
    """The API's card of a training job's model: the job's own test and validation metrics,
    and the training ranges of the train rows its seed reproduces."""
    trained = TrainedJob(job, contract, contract_split(contract, seed))
    training = {
        "algorithm": ALGORITHMS[contract.answer.format][1],
        "training_job": trained.name,
        "training_job_arn": job["TrainingJobArn"],
        "image": trained.container["Image"],
        "hyperparameters": dict(job.get("HyperParameters", {})),
        "seed": seed,
        "split_sizes": trained.split.sizes,
        "job_metrics": trained.rates(),
        **({"model_package": model_package} if model_package else {}),
    }
    # Linear Learner keeps the threshold it chose inside its model, and its answers'
    # predicted_label applies it: the card cannot name it without reading the model. XGBoost
    # answers a probability alone, which the contract's threshold labels.
    threshold = {"threshold": contract.threshold} if contract.answer.format == XGBOOST else {}
    record = {
        "model": {"name": model_name(contract), "version": version, **threshold},
        "metrics": trained.metrics(),
        "training": training,
    }
    return card_document(contract, record, trained.split.train.ranges())


def hyperparameters(contract: Contract, rule: ThresholdRule) -> dict[str, str]:
    """The task as the algorithm's hyperparameters; a binary Linear Learner chooses its
    threshold by the rule's model selection criterion, on the validation channel."""
    task, classes = contract.task, {"num_classes": str(len(contract.classes))}
    if contract.answer.format == XGBOOST:
        return {
            "objective": OBJECTIVES[task],
            **{
                XGBOOST_NAMES.get(name, name): str(value)
                for name, value in XGBOOST_SETTINGS.items()
            },
            "eval_metric": EVAL_METRICS[task],
            **({"num_class": classes["num_classes"]} if task == MULTICLASS else {}),
        }
    selection = {
        SELECTION_CRITERION: SELECTION_CRITERIA[rule.name],
        **{SETTING_NAMES[name]: repr(value) for name, value in rule.setting.items()},
    }
    return {
        "predictor_type": PREDICTOR_TYPES[task],
        "feature_dim": str(contract.feature_count),
        "normalize_data": "true",
        "mini_batch_size": str(MINI_BATCH_SIZE),
        **(classes if task == MULTICLASS else selection if task == BINARY else {}),
    }


def image_uri(contract: Contract, region: str) -> str:
    from sagemaker.core import image_uris

    framework = ALGORITHMS[contract.answer.format][0]
    version = {"version": XGBOOST_VERSION} if contract.answer.format == XGBOOST else {}
    return str(image_uris.retrieve(framework, region=region, **version))


def channel_csv(part: SplitPart, contract: Contract) -> bytes:
    """One line per row: the label (a class label, or a regression's value), then the features
    in the contract's order."""
    label = (lambda value: str(int(value))) if contract.is_classifier else repr
    lines = [
        ",".join([label(target), *map(repr, features.tolist())])
        for target, features in zip(part.labels.tolist(), part.features, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


def upload_contract(
    clients: aws.AwsClients, settings: SageMakerTrainingSettings
) -> tuple[Contract, dict[str, str]]:
    """The model's contract, read as the API reads it, into the bucket under its hash; returns
    it and how a package or job names it."""
    path = local_contract_file(settings.model)
    contract, content, digest = read_contract(path), path.read_bytes(), sha256_of(path)
    key = settings.key("contracts", f"{settings.model}-{digest[:12]}.json")
    uri = settings.put(clients.s3, key, content, JSON)
    return contract, dict(zip(CONTRACT_KEYS, (settings.model, uri, digest), strict=True))


def sha256_of(path: Path) -> str:
    """The file's SHA-256, or "" where there is none."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def fetch_contract(s3: Any, reference: Mapping[str, str], owner: str) -> Contract:
    """The contract a package or job names (``CONTRACT_KEYS``), checked against its hash."""
    if not all(reference.get(key) for key in CONTRACT_KEYS):
        raise TrainingError(
            f"{owner} names no model contract ({', '.join(CONTRACT_KEYS)}): it was not trained "
            "by `python -m training train --target sagemaker`"
        )
    uri = reference["contract_uri"]
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    content = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if hashlib.sha256(content).hexdigest() != reference["contract_sha256"]:
        raise TrainingError(f"{uri} is not the contract {owner} names: its SHA-256 differs")
    try:
        return parse_contract(json.loads(content), uri)
    except ValueError as error:
        raise TrainingError(f"{uri} is not JSON: {type(error).__name__}") from None


def check_endpoint(clients: aws.AwsClients, endpoint: str, contract: Contract) -> None:
    """The contract's examples through the endpoint, read as the contract says (the dev
    server's start-up check); TrainingError, in one line, where they do not."""
    runtime = clients.session.client(RUNTIME_SERVICE, config=CLIENT_CONFIG)
    model = ModelEndpoint(endpoint, lambda: runtime, contract.answer.accept)
    try:
        PredictionService(model, contract).check_examples()
    except ApiError as error:
        raise TrainingError(
            f"endpoint {endpoint}'s answers to the examples of contract {contract.name} do not "
            f"read as it says: {error.message}; no stage was written (deploy another version, "
            "or `delete` it)"
        ) from None


def run_training_job(
    clients: aws.AwsClients,
    settings: SageMakerTrainingSettings,
    contract: Contract,
    reference: Mapping[str, str],
    echo: aws.Echo,
    policy: aws.WaitPolicy | None,
) -> TrainedJob:
    """Upload the split, start the job without the SDK's own wait, then wait for it with a line
    per change of status. Building the ModelTrainer validates the role unless
    ``SAGEMAKER_VALIDATE_ROLE=false`` (which the SDK reads)."""
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.core.training.configs import (
        Compute,
        InputData,
        OutputDataConfig,
        StoppingCondition,
        Tag,
    )
    from sagemaker.train.model_trainer import ModelTrainer

    split = contract_split(contract, settings.seed)
    # XGBoost's algorithm mode reads train and validation only; the test rows stay for evaluate.
    parts = list(split.parts)[: 2 if contract.answer.format == XGBOOST else 3]
    channels = []
    for name in parts:
        key = settings.key("data", f"seed-{split.seed}", name, "")
        settings.put(clients.s3, f"{key}{name}.csv", channel_csv(split.parts[name], contract), CSV)
        uri = f"s3://{settings.bucket}/{key}"
        echo(f"uploaded channel {name} ({CSV}, label first, no header) to {uri}")
        channels.append(InputData(channel_name=name, data_source=uri, content_type=CSV))
    contract_tags = {f"wdbc:{key}": value for key, value in reference.items()}
    tags = aws.project_tags({aws.SEED_TAG_KEY: str(settings.seed), **contract_tags})
    trainer = ModelTrainer(
        sagemaker_session=Session(boto_session=clients.session, sagemaker_config=SDK_CONFIG),
        role=settings.role_arn,
        base_job_name=f"{aws.PROJECT}-{contract.name}",
        training_image=image_uri(contract, clients.session.region_name),
        compute=Compute(
            instance_type=settings.instance_type,
            instance_count=1,
            volume_kms_key_id=settings.kms_key_id,
        ),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=settings.max_runtime_seconds),
        output_data_config=OutputDataConfig(
            s3_output_path=f"s3://{settings.bucket}/{settings.key('output')}",
            kms_key_id=settings.kms_key_id,
        ),
        hyperparameters=hyperparameters(contract, settings.rule),
        tags=[Tag(key=tag["Key"], value=tag["Value"]) for tag in tags],
    )
    trainer.train(input_data_config=channels, wait=False, logs=False)
    # ModelTrainer's one public view of the job it started: ``output_data``, documented as
    # ``{s3_output_path}/{training_job_name}/output/output.tar.gz``.
    job_name = PurePosixPath(urlparse(trainer.output_data).path).parts[-3]
    description = aws.wait_for(
        clients.sagemaker,
        aws.TRAINING_JOB,
        f"training job {job_name}",
        policy or aws.WaitPolicy(settings.wait_timeout_seconds, settings.poll_seconds),
        echo,
        TrainingJobName=job_name,
    )
    return TrainedJob(description, contract, split)


def job_metrics(
    final_metrics: Iterable[Mapping[str, Any]], contract: Contract
) -> dict[str, dict[str, float]]:
    """``[{"MetricName": "test:recall", "Value": 0.9}]`` -> ``{"test": {"malignant_recall": 0.9}}``;
    other parts (``train:progress``) and names we do not know are left out."""
    names = _for_task(_OUR_NAMES, contract)
    by_part: dict[str, dict[str, float]] = {}
    for item in final_metrics:
        part, _, name = str(item.get("MetricName", "")).partition(":")
        ours, value = names.get(name), item.get("Value")
        if part in ("test", "validation") and ours and isinstance(value, (int, float)):
            by_part.setdefault(part, {})[ours] = math.sqrt(value) if name == "mse" else float(value)
    return by_part


def metrics_with_counts(
    rates: Mapping[str, float], positive_rows: int, negative_rows: int, contract: Contract
) -> dict[str, Any] | None:
    """A binary job's rates as the card's metrics, with the confusion counts they imply.

    The part's class counts are known from the split, so recall gives the true positives and
    precision the false positives; the accuracy must then agree, or the rates are not of these
    rows and None is returned rather than invented counts.
    """
    positive, negative = class_names(contract)
    rate_names = ("accuracy", f"{positive}_recall", f"{positive}_precision", "roc_auc")
    if not all(name in rates for name in rate_names):
        return None
    rows = positive_rows + negative_rows
    tp = round(rates[f"{positive}_recall"] * positive_rows)
    precision = rates[f"{positive}_precision"]
    fp = round(tp / precision - tp) if precision else 0
    fn, tn = positive_rows - tp, negative_rows - fp
    if tn < 0 or abs((tp + tn) / rows - rates["accuracy"]) > 0.5 / rows:
        return None
    return {
        **{name: rates[name] for name in rate_names},
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "rows": rows,
        f"{positive}_rows": positive_rows,
        f"{negative}_rows": negative_rows,
    }


class Package(NamedTuple):
    """One version of a group, from describe_model_package's answer."""

    arn: str
    version: str  # v<N>: the API's model.version once deployed, and the production variant's name
    status: str
    metadata: dict[str, str]  # training_job, seed and the contract (CONTRACT_KEYS)
    description: Mapping[str, Any]

    @property
    def group(self) -> str:
        return str(self.description["ModelPackageGroupName"])


def train_and_register(
    clients: aws.AwsClients,
    settings: SageMakerTrainingSettings,
    output_dir: Path,
    echo: aws.Echo,
    policy: aws.WaitPolicy | None = None,
) -> tuple[TrainedJob, Package, tuple[Path, ...]]:
    """The SageMaker target: train, register, write training-job.json and metrics.json."""
    contract, reference = upload_contract(clients, settings)
    echo(f"uploaded contract {settings.model} to {reference['contract_uri']}")
    job = run_training_job(clients, settings, contract, reference, echo, policy)
    package = register(clients, job, reference, settings)
    echo(f"registered {package.group} {package.version} ({package.status}): {package.arn}")
    model = {"name": model_name(contract), "version": package.version,
             "model_package": package.arn, "contract": contract.name}  # fmt: skip
    record = {
        "training_job": job.name,
        "training_job_arn": job.description["TrainingJobArn"],
        "model_data_url": job.container["ModelDataUrl"],
        "image": job.container["Image"],
        "hyperparameters": job.description.get("HyperParameters", {}),
        "model": model,
    }
    metrics = {"model": model, "metrics": job.rates(), "split": job.split.record()}
    written = (
        write_json(record, output_dir / JOB_FILE_NAME),
        write_json(metrics, output_dir / "metrics.json"),
    )
    return job, package, written


def register(
    clients: aws.AwsClients,
    job: TrainedJob,
    reference: Mapping[str, str],
    settings: SageMakerTrainingSettings,
) -> Package:
    """A new version, PendingManualApproval, with its quality report, its contract and its
    model card."""
    sagemaker, seed, contract = clients.sagemaker, str(job.split.seed), job.contract
    group = group_name(contract.name)
    if not _group_exists(sagemaker, group):
        sagemaker.create_model_package_group(
            ModelPackageGroupName=group,
            ModelPackageGroupDescription=(contract.description or contract.name)[:1024],
            Tags=aws.project_tags(),
        )
    test = job.metrics().get(job.held_out) or job.rates().get(job.held_out, {})
    key = settings.key("reports", job.name, "model-quality.json")
    uri = settings.put(clients.s3, key, json.dumps(quality_report(contract, test)), JSON)
    report = {"ContentType": JSON, "S3Uri": uri}
    algorithm = ALGORITHMS[contract.answer.format][1]
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription=f"{algorithm}, training job {job.name}, seed {seed}",
        InferenceSpecification={
            "Containers": [job.container],
            "SupportedContentTypes": [CSV],
            "SupportedResponseMIMETypes": [contract.answer.accept],
        },
        ModelMetrics={"ModelQuality": {"Statistics": report}},
        ModelApprovalStatus=PENDING,
        CustomerMetadataProperties={"training_job": job.name, "seed": seed, **reference},
        Domain="MACHINE_LEARNING",
        Task="REGRESSION" if contract.task == REGRESSION else "CLASSIFICATION",
        Tags=aws.project_tags({aws.TRAINING_JOB_TAG_KEY: job.name, aws.SEED_TAG_KEY: seed}),
    )["ModelPackageArn"]
    package = find_package(sagemaker, arn)
    publish_card(clients, package)
    return package


def quality_report(contract: Contract, metrics: Mapping[str, Any]) -> dict[str, Any]:
    """SageMaker's model quality statistics of the task."""
    report: dict[str, Any] = {
        theirs: {"value": metrics[ours], "standard_deviation": "NaN"}
        for ours, theirs in _for_task(_QUALITY_NAMES, contract).items()
        if ours in metrics
    }
    if isinstance(counts := metrics.get("confusion_matrix"), dict):
        report["confusion_matrix"] = {
            "0": {"0": counts["tn"], "1": counts["fp"]},
            "1": {"0": counts["fn"], "1": counts["tp"]},
        }
    return {_QUALITY_GROUPS[contract.task]: report}


def versions(sagemaker: Any, group: str, **filters: Any) -> list[Package]:
    """The group's versions, newest first."""
    if not _group_exists(sagemaker, group):
        return []
    pages = sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Descending", **filters
    )
    return [
        find_package(sagemaker, summary["ModelPackageArn"])
        for page in pages
        for summary in page["ModelPackageSummaryList"]
    ]


def find_package(sagemaker: Any, reference: str, group: str = "") -> Package:
    """A version by ARN, or of ``group`` by ``v<N>`` or ``<N>``, or ``latest``: the newest
    Approved one."""
    if reference.startswith("arn:"):
        found = sagemaker.describe_model_package(ModelPackageName=reference)
        metadata = dict(found.get("CustomerMetadataProperties") or {})
        return Package(found["ModelPackageArn"], f"v{found['ModelPackageVersion']}",
                       found["ModelApprovalStatus"], metadata, found)  # fmt: skip
    if reference == "latest":
        approved = versions(sagemaker, group, ModelApprovalStatus=APPROVED)
        if not approved:
            raise aws.CloudError(f"model package group {group} has no Approved version")
        return approved[0]
    number = reference.removeprefix("v")
    if not number.isdigit():
        raise aws.BadName(f"{reference!r} is no model package: give an ARN, v<N>, <N> or latest")
    for package in versions(sagemaker, group):
        if package.version == f"v{int(number)}":
            return package
    raise aws.CloudError(f"model package group {group} has no version v{int(number)}")


def approved_package(sagemaker: Any, reference: str, group: str) -> Package:
    """The version deploy may take: an Approved one, or a one-line refusal."""
    package = find_package(sagemaker, reference, group)
    if package.status != APPROVED:
        raise aws.CloudError(
            f"{package.group} {package.version} is {package.status}, not Approved: deploy "
            f"refused (`python -m training registry approve {package.version} --reason ...` first)"
        )
    return package


def decide(
    clients: aws.AwsClients, reference: str, group: str, approve: bool, by: str | None, reason: str
) -> Package:
    """Approve or reject a version; who (by default the caller, as STS knows them) and why go
    on the package as its ApprovalDescription."""
    package = find_package(clients.sagemaker, reference, group)
    status = APPROVED if approve else REJECTED
    by = by or str(clients.sts.get_caller_identity()["Arn"])
    clients.sagemaker.update_model_package(
        ModelPackageArn=package.arn,
        ModelApprovalStatus=status,
        ApprovalDescription=f"{status} by {by}: {reason}"[:1024],
        # Given again: SageMaker merges them, moto replaces them; either way they stay.
        CustomerMetadataProperties=package.metadata,
    )
    decided = find_package(clients.sagemaker, package.arn)
    publish_card(clients, decided)
    return decided


def package_contract(clients: aws.AwsClients, package: Package) -> Contract:
    return fetch_contract(clients.s3, package.metadata, f"{package.group} {package.version}")


def publish_card(clients: aws.AwsClients, package: Package) -> str:
    """Create, or update to a new card version, the version's SageMaker Model Card: the API's
    card in SageMaker's schema, linked to the package. Returns the card's name."""
    sagemaker, name = clients.sagemaker, f"{package.group}-{package.version}"
    contract = package_contract(clients, package)
    job = sagemaker.describe_training_job(TrainingJobName=package.metadata["training_job"])
    card = sagemaker_card(job, contract, package.version, int(package.metadata["seed"]),
                          package.arn)  # fmt: skip
    content = json.dumps(sagemaker_model_card(contract, card, package.description))
    status = CARD_STATUS[package.status]
    if aws.describe_or_none(sagemaker.describe_model_card, ModelCardName=name) is None:
        sagemaker.create_model_card(
            ModelCardName=name, Content=content, ModelCardStatus=status, Tags=aws.project_tags()
        )
    else:
        sagemaker.update_model_card(ModelCardName=name, Content=content, ModelCardStatus=status)
    return name


def listing(clients: aws.AwsClients, group: str) -> list[str]:
    """The ``registry list`` table: two or three lines per version, newest first; the columns
    are the model quality report's rates."""
    packages = versions(clients.sagemaker, group)
    if not packages:
        return [f"model package group {group} holds no version"]
    tables = []
    for package in packages:
        uri = package.description["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        body = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        [(_, report)] = json.loads(body).items()
        tables.append(report)
    names = [name for name in dict.fromkeys(_QUALITY_NAMES.values())
             if any(name in report for report in tables)]  # fmt: skip
    headings = [_QUALITY_HEADINGS.get(name, name) for name in names]
    lines = [f"{'version':<8} {'status':<22} {'created':<16} "
             + "  ".join(f"{heading:<9}" for heading in headings).rstrip()]  # fmt: skip
    for package, report in zip(packages, tables, strict=True):
        cells = [f"{report[name]['value']:.4f}" if name in report else "n/a" for name in names]
        created = package.description["CreationTime"]
        lines.append(
            f"{package.version:<8} {package.status:<22} {created:%Y-%m-%d %H:%M} "
            + "  ".join(f"{cell:<9}" for cell in cells).rstrip()
        )
        details = (package.arn, package.description.get("ApprovalDescription"))
        lines += [f"         {text}" for text in details if text]
    return lines


def delete_registry(clients: aws.AwsClients, group: str, echo: aws.Echo) -> list[str]:
    """Only when asked (``delete --registry``): every version, its card, and the group."""
    sagemaker, deleted = clients.sagemaker, []
    for package in versions(sagemaker, group):
        card = f"{group}-{package.version}"
        if aws.describe_or_none(sagemaker.describe_model_card, ModelCardName=card):
            sagemaker.delete_model_card(ModelCardName=card)
            deleted.append(f"model card {card}")
        sagemaker.delete_model_package(ModelPackageName=package.arn)
        deleted.append(f"model package {group} {package.version}")
    if _group_exists(sagemaker, group):
        sagemaker.delete_model_package_group(ModelPackageGroupName=group)
        deleted.append(f"model package group {group}")
    for line in deleted:
        echo(f"deleted {line}")
    return deleted


def _group_exists(sagemaker: Any, group: str) -> bool:
    describe = sagemaker.describe_model_package_group
    return aws.describe_or_none(describe, ModelPackageGroupName=group) is not None
