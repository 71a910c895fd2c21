"""The ``sagemaker`` target and the Model Registry.

The training job runs Linear Learner, a built-in algorithm, through the sagemaker SDK v3's
ModelTrainer, on three CSV channels (label first, no header); it chooses its threshold on
``validation`` and reports ``test:*`` metrics. The SDK is imported only when a job is built:
``make run`` never needs its gigabyte.

Each trained model is registered as a new version of the model package group ``wdbc-predictor``
(created if missing), PendingManualApproval, with its test metrics as a model quality report in
S3 and a SageMaker Model Card linked to it; ``registry approve`` and ``reject`` store who decided
and why on the package; ``deploy`` takes only an Approved version. Versions are the audit trail:
only ``delete --registry`` deletes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple
from urllib.parse import urlparse

from chalicelib.features import FEATURE_COUNT, FEATURE_NAMES
from deploy import endpoint as aws
from training import data
from training.artifact import write_json
from training.data import DEFAULT_SEED, MALIGNANT, SUMMARISED, SplitPart, WdbcSplit
from training.model_card import LINEAR_LEARNER_LIMITS, card_document, sagemaker_model_card
from training.threshold import ACCURACY_RULE, F_BETA_RULE, TARGET_RECALL_RULE, ThresholdRule

MODEL_NAME = "wdbc-linear-learner"
CSV, JSON = "text/csv", "application/json"
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
# The SDK's telemetry sends a GET to an AWS bucket for each train() call; a tool that handles
# health data asks before it phones home, so it is switched off (SageMaker's own config key).
SDK_CONFIG: dict[str, Any] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}
# Linear Learner's binary-classifier metric names, by the names our metrics use.
_OUR_NAMES = {
    "binary_classification_accuracy": "accuracy",
    "recall": "malignant_recall",
    "precision": "malignant_precision",
    "roc_auc_score": "roc_auc",
    "binary_f_beta": "f_beta",
    "objective_loss": "objective_loss",
    "binary_classification_cross_entropy": "cross_entropy",
}
GROUP = aws.PROJECT
PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
# A card's status follows its package's; SageMaker keeps an Archived card read-only.
CARD_STATUS = {PENDING: "PendingReview", APPROVED: "Approved", REJECTED: "Archived"}
DEFAULT_SAGEMAKER_OUTPUT_DIR = Path("artifacts/sagemaker")
JOB_FILE_NAME = "training-job.json"
# SageMaker's model quality names (what Studio shows) for ours.
_QUALITY_NAMES = dict(zip(SUMMARISED, ("accuracy", "recall", "precision", "auc"), strict=True))


@dataclass(frozen=True)
class SageMakerTrainingSettings:
    """Where and how the SageMaker training job runs."""

    role_arn: str
    bucket: str
    prefix: str = "wdbc"
    region: str | None = None  # None: boto3's own resolution (AWS_REGION, config file)
    instance_type: str = "ml.m5.large"
    kms_key_id: str | None = None  # encrypts the channels, the model output and the report
    seed: int = DEFAULT_SEED
    rule: ThresholdRule = field(default_factory=ThresholdRule)
    max_runtime_seconds: int = 3600
    wait_timeout_seconds: float = 3600.0
    poll_seconds: float = 30.0

    def key(self, *parts: str) -> str:
        return "/".join([self.prefix.strip("/"), *parts])

    def put(self, s3: Any, key: str, body: bytes | str, content_type: str) -> str:
        """Into the bucket, encrypted with the KMS key if one is given; returns the object's URI."""
        kms = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type,
                      **(kms if self.kms_key_id else {}))  # fmt: skip
        return f"s3://{self.bucket}/{key}"


@dataclass(frozen=True)
class TrainedJob:
    """A completed job: describe_training_job's answer and the split it was trained on."""

    description: Mapping[str, Any]
    split: WdbcSplit

    @property
    def name(self) -> str:
        return str(self.description["TrainingJobName"])

    @property
    def container(self) -> dict[str, str]:
        """The inference container: Linear Learner serves with its training image."""
        return {
            "Image": self.description["AlgorithmSpecification"]["TrainingImage"],
            "ModelDataUrl": self.description["ModelArtifacts"]["S3ModelArtifacts"],
        }

    def rates(self) -> dict[str, dict[str, float]]:
        return linear_learner_metrics(self.description.get("FinalMetricDataList", []))

    def metrics(self) -> dict[str, dict[str, Any]]:
        """The test and validation rates with the confusion counts they imply, where they do."""
        counted = {}
        for part, rates in self.rates().items():
            labels = self.split.parts[part].labels
            malignant = int((labels == MALIGNANT).sum())
            if metrics := metrics_with_counts(rates, malignant, len(labels) - malignant):
                counted[part] = metrics
        return counted


def sagemaker_card(
    job: Mapping[str, Any], version: str, seed: int, model_package: str | None = None
) -> dict[str, Any]:
    """The API's card of a Linear Learner model: Linear Learner's own test and validation
    metrics, and the training ranges of the split its seed reproduces."""
    trained = TrainedJob(job, data.split_wdbc(data.load_wdbc(), seed))
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
    ranges = trained.split.train.ranges()
    return card_document(MODEL_NAME, version, LINEAR_LEARNER_LIMITS, None, ranges,
                         trained.metrics(), training)  # fmt: skip


def hyperparameters(rule: ThresholdRule) -> dict[str, str]:
    """The rule as Linear Learner's model selection criterion, which it applies to the
    validation channel."""
    return {
        "predictor_type": "binary_classifier",
        "feature_dim": str(FEATURE_COUNT),
        "normalize_data": "true",
        "mini_batch_size": str(MINI_BATCH_SIZE),
        SELECTION_CRITERION: SELECTION_CRITERIA[rule.name],
        **{SETTING_NAMES[name]: repr(value) for name, value in rule.setting.items()},
    }


def image_uri(region: str) -> str:
    from sagemaker.core import image_uris

    return str(image_uris.retrieve("linear-learner", region=region))


def linear_learner_csv(part: SplitPart) -> bytes:
    """One line per row: label (1 = malignant), then the 30 features in WDBC order."""
    lines = [
        ",".join([str(int(label)), *map(repr, features.tolist())])
        for label, features in zip(part.labels, part.features, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


def run_training_job(
    clients: aws.AwsClients,
    settings: SageMakerTrainingSettings,
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

    split = data.split_wdbc(data.load_wdbc(), settings.seed)
    channels = []
    for name, part in split.parts.items():
        key = settings.key("data", f"seed-{split.seed}", name, "")
        settings.put(clients.s3, f"{key}{name}.csv", linear_learner_csv(part), CSV)
        uri = f"s3://{settings.bucket}/{key}"
        echo(f"uploaded channel {name} ({CSV}, label first, no header) to {uri}")
        channels.append(InputData(channel_name=name, data_source=uri, content_type=CSV))
    tags = aws.project_tags({aws.SEED_TAG_KEY: str(settings.seed)})
    trainer = ModelTrainer(
        sagemaker_session=Session(boto_session=clients.session, sagemaker_config=SDK_CONFIG),
        role=settings.role_arn,
        base_job_name=aws.BASE_JOB_NAME,
        training_image=image_uri(clients.session.region_name),
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
        hyperparameters=hyperparameters(settings.rule),
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
    return TrainedJob(description, split)


def linear_learner_metrics(
    final_metrics: Iterable[Mapping[str, Any]],
) -> dict[str, dict[str, float]]:
    """``[{"MetricName": "test:recall", "Value": 0.9}]`` -> ``{"test": {"malignant_recall": 0.9}}``;
    other parts (``train:progress``) and names we do not know are left out."""
    by_part: dict[str, dict[str, float]] = {}
    for item in final_metrics:
        part, _, name = str(item.get("MetricName", "")).partition(":")
        ours, value = _OUR_NAMES.get(name), item.get("Value")
        if part in ("test", "validation") and ours and isinstance(value, (int, float)):
            by_part.setdefault(part, {})[ours] = float(value)
    return by_part


def metrics_with_counts(
    rates: Mapping[str, float], malignant_rows: int, benign_rows: int
) -> dict[str, Any] | None:
    """Linear Learner's rates as the card's metrics, with the confusion counts they imply.

    The part's class counts are known from the split, so recall gives the true positives and
    precision the false positives; the accuracy must then agree, or the rates are not of these
    rows and None is returned rather than invented counts.
    """
    if not all(name in rates for name in SUMMARISED):
        return None
    rows = malignant_rows + benign_rows
    tp = round(rates["malignant_recall"] * malignant_rows)
    precision = rates["malignant_precision"]
    fp = round(tp / precision - tp) if precision else 0
    fn, tn = malignant_rows - tp, benign_rows - fp
    if tn < 0 or abs((tp + tn) / rows - rates["accuracy"]) > 0.5 / rows:
        return None
    return data.part_metrics(rates, tn, fp, fn, tp)


class Package(NamedTuple):
    """One version of the group, from describe_model_package's answer."""

    arn: str
    version: str  # v<N>: the API's model.version once deployed, and the production variant's name
    status: str
    metadata: dict[str, str]  # training_job, seed and the feature names
    description: Mapping[str, Any]


def train_and_register(
    clients: aws.AwsClients,
    settings: SageMakerTrainingSettings,
    output_dir: Path,
    echo: aws.Echo,
    policy: aws.WaitPolicy | None = None,
) -> tuple[TrainedJob, Package, tuple[Path, ...]]:
    """The SageMaker target: train, register, write training-job.json and metrics.json."""
    job = run_training_job(clients, settings, echo, policy)
    package = register(clients, job, settings)
    echo(f"registered {GROUP} {package.version} ({package.status}): {package.arn}")
    model = {"name": MODEL_NAME, "version": package.version, "model_package": package.arn}
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
    clients: aws.AwsClients, job: TrainedJob, settings: SageMakerTrainingSettings
) -> Package:
    """A new version, PendingManualApproval, with its quality report and its model card."""
    sagemaker, seed = clients.sagemaker, str(job.split.seed)
    if not _group_exists(sagemaker):
        sagemaker.create_model_package_group(
            ModelPackageGroupName=GROUP,
            ModelPackageGroupDescription="WDBC breast-cancer classifier (label 1 = malignant)",
            Tags=aws.project_tags(),
        )
    test = job.metrics().get("test") or job.rates().get("test", {})
    key = settings.key("reports", job.name, "model-quality.json")
    uri = settings.put(clients.s3, key, json.dumps(quality_report(test)), JSON)
    report = {"ContentType": JSON, "S3Uri": uri}
    # A metadata value holds at most 256 characters: the feature names go by statistic, in order.
    features = {
        f"features{kind}": ",".join(name for name in FEATURE_NAMES if name.endswith(kind))
        for kind in ("_mean", "_se", "_worst")
    }
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP,
        ModelPackageDescription=f"Linear Learner, training job {job.name}, seed {seed}",
        InferenceSpecification={
            "Containers": [job.container],
            "SupportedContentTypes": [CSV],
            "SupportedResponseMIMETypes": [JSON],
        },
        ModelMetrics={"ModelQuality": {"Statistics": report}},
        ModelApprovalStatus=PENDING,
        CustomerMetadataProperties={"training_job": job.name, "seed": seed, **features},
        Domain="MACHINE_LEARNING",
        Task="CLASSIFICATION",
        Tags=aws.project_tags({aws.TRAINING_JOB_TAG_KEY: job.name, aws.SEED_TAG_KEY: seed}),
    )["ModelPackageArn"]
    package = find_package(sagemaker, arn)
    publish_card(clients, package)
    return package


def quality_report(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """SageMaker's model quality statistics of a binary classifier."""
    report: dict[str, Any] = {
        theirs: {"value": metrics[ours], "standard_deviation": "NaN"}
        for ours, theirs in _QUALITY_NAMES.items()
        if ours in metrics
    }
    if counts := metrics.get("confusion_matrix"):
        report["confusion_matrix"] = {
            "0": {"0": counts["tn"], "1": counts["fp"]},
            "1": {"0": counts["fn"], "1": counts["tp"]},
        }
    return {"binary_classification_metrics": report}


def versions(sagemaker: Any, **filters: Any) -> list[Package]:
    """The group's versions, newest first."""
    if not _group_exists(sagemaker):
        return []
    pages = sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=GROUP, SortBy="CreationTime", SortOrder="Descending", **filters
    )
    return [
        find_package(sagemaker, summary["ModelPackageArn"])
        for page in pages
        for summary in page["ModelPackageSummaryList"]
    ]


def find_package(sagemaker: Any, reference: str) -> Package:
    """A version by ARN, by ``v<N>`` or ``<N>``, or ``latest``: the newest Approved one."""
    if reference.startswith("arn:"):
        found = sagemaker.describe_model_package(ModelPackageName=reference)
        metadata = dict(found.get("CustomerMetadataProperties") or {})
        return Package(found["ModelPackageArn"], f"v{found['ModelPackageVersion']}",
                       found["ModelApprovalStatus"], metadata, found)  # fmt: skip
    if reference == "latest":
        approved = versions(sagemaker, ModelApprovalStatus=APPROVED)
        if not approved:
            raise aws.CloudError(f"model package group {GROUP} has no Approved version")
        return approved[0]
    number = reference.removeprefix("v")
    if not number.isdigit():
        raise aws.BadName(f"{reference!r} is no model package: give an ARN, v<N>, <N> or latest")
    for package in versions(sagemaker):
        if package.version == f"v{int(number)}":
            return package
    raise aws.CloudError(f"model package group {GROUP} has no version v{int(number)}")


def approved_package(sagemaker: Any, reference: str) -> Package:
    """The version deploy may take: an Approved one, or a one-line refusal."""
    package = find_package(sagemaker, reference)
    if package.status != APPROVED:
        raise aws.CloudError(
            f"{GROUP} {package.version} is {package.status}, not Approved: deploy refused "
            f"(`python -m training registry approve {package.version} --reason ...` first)"
        )
    return package


def decide(
    clients: aws.AwsClients, reference: str, approve: bool, by: str | None, reason: str
) -> Package:
    """Approve or reject a version; who (by default the caller, as STS knows them) and why go
    on the package as its ApprovalDescription."""
    package = find_package(clients.sagemaker, reference)
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


def publish_card(clients: aws.AwsClients, package: Package) -> str:
    """Create, or update to a new card version, the version's SageMaker Model Card: the API's
    card in SageMaker's schema, linked to the package. Returns the card's name."""
    sagemaker, name = clients.sagemaker, f"{GROUP}-{package.version}"
    job = sagemaker.describe_training_job(TrainingJobName=package.metadata["training_job"])
    card = sagemaker_card(job, package.version, int(package.metadata["seed"]), package.arn)
    content = json.dumps(sagemaker_model_card(card, package.description))
    status = CARD_STATUS[package.status]
    if aws.describe_or_none(sagemaker.describe_model_card, ModelCardName=name) is None:
        sagemaker.create_model_card(
            ModelCardName=name, Content=content, ModelCardStatus=status, Tags=aws.project_tags()
        )
    else:
        sagemaker.update_model_card(ModelCardName=name, Content=content, ModelCardStatus=status)
    return name


def listing(clients: aws.AwsClients) -> list[str]:
    """The ``registry list`` table: two or three lines per version, newest first."""
    packages = versions(clients.sagemaker)
    if not packages:
        return [f"model package group {GROUP} holds no version"]
    lines = [f"{'version':<8} {'status':<22} {'created':<16} accuracy  recall  precision  ROC AUC"]
    for package in packages:
        uri = package.description["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        body = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        metrics = json.loads(body)["binary_classification_metrics"]
        cells = [
            f"{metrics[name]['value']:.4f}" if name in metrics else "n/a"
            for name in _QUALITY_NAMES.values()
        ]
        created = package.description["CreationTime"]
        lines.append(
            f"{package.version:<8} {package.status:<22} {created:%Y-%m-%d %H:%M} "
            f"{cells[0]:<8}  {cells[1]:<6}  {cells[2]:<9}  {cells[3]}"
        )
        details = (package.arn, package.description.get("ApprovalDescription"))
        lines += [f"         {text}" for text in details if text]
    return lines


def delete_registry(clients: aws.AwsClients, echo: aws.Echo) -> list[str]:
    """Only when asked (``delete --registry``): every version, its card, and the group."""
    sagemaker, deleted = clients.sagemaker, []
    for package in versions(sagemaker):
        card = f"{GROUP}-{package.version}"
        if aws.describe_or_none(sagemaker.describe_model_card, ModelCardName=card):
            sagemaker.delete_model_card(ModelCardName=card)
            deleted.append(f"model card {card}")
        sagemaker.delete_model_package(ModelPackageName=package.arn)
        deleted.append(f"model package {GROUP} {package.version}")
    if _group_exists(sagemaker):
        sagemaker.delete_model_package_group(ModelPackageGroupName=GROUP)
        deleted.append(f"model package group {GROUP}")
    for line in deleted:
        echo(f"deleted {line}")
    return deleted


def _group_exists(sagemaker: Any) -> bool:
    describe = sagemaker.describe_model_package_group
    return aws.describe_or_none(describe, ModelPackageGroupName=GROUP) is not None
