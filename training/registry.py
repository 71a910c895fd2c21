"""The SageMaker Model Registry: what was trained, with which metrics, and who approved it.

``train --target sagemaker`` registers each model as a new version of the model package group
``wdbc-predictor`` (created if missing), PendingManualApproval, with its test metrics as a model
quality report in S3 and a SageMaker Model Card linked to it; ``registry approve`` and ``reject``
store who decided and why on the package; ``deploy`` takes only an Approved version. Versions
are the audit trail: only ``delete --registry`` deletes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.features import FEATURE_NAMES
from training import BadName, CloudError, aws
from training.artifact import write_json
from training.linear_learner import (
    CSV,
    MODEL_NAME,
    SageMakerTrainingSettings,
    TrainedJob,
    run_training_job,
)
from training.model_card import sagemaker_card, sagemaker_model_card

GROUP = aws.PROJECT
PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
# A card's status follows its package's; SageMaker keeps an Archived card read-only.
CARD_STATUS = {PENDING: "PendingReview", APPROVED: "Approved", REJECTED: "Archived"}
DEFAULT_SAGEMAKER_OUTPUT_DIR = Path("artifacts/sagemaker")
JOB_FILE_NAME = "training-job.json"
JSON = "application/json"
# SageMaker's model quality names (what Studio shows) for ours.
_QUALITY_NAMES = {
    "accuracy": "accuracy",
    "malignant_recall": "recall",
    "malignant_precision": "precision",
    "roc_auc": "auc",
}


@dataclass(frozen=True)
class Package:
    """One version of the group: describe_model_package's answer."""

    description: Mapping[str, Any]

    @property
    def arn(self) -> str:
        return str(self.description["ModelPackageArn"])

    @property
    def version(self) -> str:
        """The API's model.version once deployed, and the production variant's name."""
        return f"v{self.description['ModelPackageVersion']}"

    @property
    def status(self) -> str:
        return str(self.description["ModelApprovalStatus"])

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self.description.get("CustomerMetadataProperties") or {})

    @property
    def training_job(self) -> str:
        return self.metadata["training_job"]


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
    key = settings.key("reports", job.name, "model-quality.json")
    test = job.metrics().get("test") or job.rates().get("test", {})
    clients.s3.put_object(Bucket=settings.bucket, Key=key, Body=json.dumps(quality_report(test)),
                          ContentType=JSON, **settings.encryption())  # fmt: skip
    report = {"ContentType": JSON, "S3Uri": f"s3://{settings.bucket}/{key}"}
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
        return Package(sagemaker.describe_model_package(ModelPackageName=reference))
    if reference == "latest":
        approved = versions(sagemaker, ModelApprovalStatus=APPROVED)
        if not approved:
            raise CloudError(f"model package group {GROUP} has no Approved version")
        return approved[0]
    number = reference.removeprefix("v")
    if not number.isdigit():
        raise BadName(f"{reference!r} is no model package: give an ARN, v<N>, <N> or latest")
    for package in versions(sagemaker):
        if package.version == f"v{int(number)}":
            return package
    raise CloudError(f"model package group {GROUP} has no version v{int(number)}")


def approved_package(sagemaker: Any, reference: str) -> Package:
    """The version deploy may take: an Approved one, or a one-line refusal."""
    package = find_package(sagemaker, reference)
    if package.status != APPROVED:
        raise CloudError(
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
    job = sagemaker.describe_training_job(TrainingJobName=package.training_job)
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
            for name in ("accuracy", "recall", "precision", "auc")
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
