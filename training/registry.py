"""The SageMaker Model Registry, where training hands a model to deployment: each model's versions
in its package group ``<model>-predictor``, found, listed, approved or rejected, deleted; and
what travels with a version, content-addressed in S3 and named in its
``CustomerMetadataProperties``: the contract it was trained with (``CONTRACT_KEYS``) and the
card ``GET /model`` serves for it (``CARD_KEYS``), both checked against their SHA-256 when read.
boto3 only: deployment reads it without scikit-learn.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from chalicelib.contract import Contract, parse_contract
from training import TrainingError, aws

PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
# Where a package or a job names its contract: metadata keys, and "wdbc:<key>" tags on the job.
CONTRACT_KEYS = ("contract", "contract_uri", "contract_sha256")
# Where a package names its API card.
CARD_KEYS = ("card_uri", "card_sha256")
# SageMaker's model quality names (what Studio shows) for ours, and their headings.
QUALITY_NAMES = {"accuracy": "accuracy", "{0}_recall": "recall", "{0}_precision": "precision",
                 "roc_auc": "auc", "rmse": "rmse", "mae": "mae", "r2": "r2"}  # fmt: skip
_QUALITY_HEADINGS = {"auc": "ROC AUC", "rmse": "RMSE", "mae": "MAE", "r2": "R²"}


def group_name(model: str) -> str:
    """The model package group of one model's versions."""
    return f"{model}-predictor"


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


def versions(sagemaker: Any, group: str, **filters: Any) -> list[Package]:
    """The group's versions, newest first."""
    if not group_exists(sagemaker, group):
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
    return find_package(clients.sagemaker, package.arn)


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
    content = _fetch(s3, uri, reference["contract_sha256"], f"the contract {owner} names")
    try:
        return parse_contract(json.loads(content), uri)
    except ValueError as error:
        raise TrainingError(f"{uri} is not JSON: {type(error).__name__}") from None


def fetch_card(s3: Any, package: Package) -> dict[str, Any]:
    """The card ``GET /model`` serves for the version (``CARD_KEYS``), checked against its hash."""
    uri, digest = (package.metadata.get(key) for key in CARD_KEYS)
    if not uri or not digest:
        raise TrainingError(
            f"{package.group} {package.version} names no card ({', '.join(CARD_KEYS)}): it was "
            "registered without one; train it again (python -m training train --target sagemaker)"
        )
    card: dict[str, Any] = json.loads(_fetch(s3, uri, digest, f"the card {package.arn} names"))
    return card


def _fetch(s3: Any, uri: str, sha256: str, what: str) -> bytes:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    content: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if hashlib.sha256(content).hexdigest() != sha256:
        raise TrainingError(f"{uri} is not {what}: its SHA-256 differs")
    return content


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
    names = [name for name in dict.fromkeys(QUALITY_NAMES.values())
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
    """Only when asked (``registry delete``): every version, its card, and the group."""
    sagemaker, deleted = clients.sagemaker, []
    for package in versions(sagemaker, group):
        card = f"{group}-{package.version}"
        if aws.describe_or_none(sagemaker.describe_model_card, ModelCardName=card):
            sagemaker.delete_model_card(ModelCardName=card)
            deleted.append(f"model card {card}")
        sagemaker.delete_model_package(ModelPackageName=package.arn)
        deleted.append(f"model package {group} {package.version}")
    if group_exists(sagemaker, group):
        sagemaker.delete_model_package_group(ModelPackageGroupName=group)
        deleted.append(f"model package group {group}")
    for line in deleted:
        echo(f"deleted {line}")
    return deleted


def group_exists(sagemaker: Any, group: str) -> bool:
    describe = sagemaker.describe_model_package_group
    return aws.describe_or_none(describe, ModelPackageGroupName=group) is not None
