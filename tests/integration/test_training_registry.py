"""The Model Registry under moto: register, list, approve, reject, deploy only what is Approved,
the SageMaker Model Card created and updated, and delete leaving the audit trail alone."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from deploy.cli import cli as deploy_cli
from tests.support.sagemaker_flow import (
    BUCKET,
    CALLER,
    LINEAR_LEARNER_METRICS,
    PROJECT_DIR,
    REGION,
    ROLE,
    aws,
    wdbc_dev,
)
from training import TrainingError
from training.aws import AwsClients
from training.cli import cli
from training.registry import Package, fetch_card, find_package, sha256_of, versions

__all__ = ["aws", "wdbc_dev"]  # the fixtures
GROUP = "wdbc-predictor"


def run(*arguments: str) -> str:
    """A command of `python -m training`, or of `python -m deploy` (endpoint, status)."""
    command = deploy_cli if arguments[0] in ("endpoint", "status") else cli
    result = CliRunner().invoke(command, [*arguments, "--region", REGION])
    assert result.exit_code == 0, result.output
    return result.output


def host(*arguments: str) -> str:
    """`python -m deploy endpoint host`."""
    return run("endpoint", "host", *arguments)


def train(tmp_path: Path) -> dict[str, object]:
    run("train", "--target", "sagemaker", "--role", ROLE, "--bucket", BUCKET, "--output",
        str(tmp_path))  # fmt: skip
    record: dict[str, object] = json.loads((tmp_path / "training-job.json").read_text())
    return record


def card(aws: AwsClients, name: str) -> tuple[dict[str, object], dict[str, object]]:
    description = aws.sagemaker.describe_model_card(ModelCardName=name)
    return description, json.loads(description["Content"])


def test_training_registers_a_pending_version_with_its_report_and_card(
    aws: AwsClients, tmp_path: Path
) -> None:

    record = train(tmp_path / "one")
    group = aws.sagemaker.describe_model_package_group(ModelPackageGroupName=GROUP)
    assert group["ModelPackageGroupName"] == "wdbc-predictor"
    [package] = versions(aws.sagemaker, GROUP)
    assert record["model"] == {
        "name": "wdbc-linear-learner",
        "version": "v1",
        "model_package": package.arn,
        "contract": "wdbc",
    }
    described = package.description
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    [container] = described["InferenceSpecification"]["Containers"]
    assert container["ModelDataUrl"] == record["model_data_url"]
    assert container["Image"] == record["image"]
    metadata = described["CustomerMetadataProperties"]
    assert metadata["training_job"] == record["training_job"]
    # The contract travels with the version: named, in the bucket, and its hash to check it by.
    contract = PROJECT_DIR / "models" / "wdbc" / "contract.json"
    assert metadata["contract"] == "wdbc"
    assert metadata["contract_sha256"] == sha256_of(contract)
    stored = boto3.client("s3", region_name=REGION).get_object(
        Bucket=BUCKET, Key=metadata["contract_uri"].removeprefix(f"s3://{BUCKET}/")
    )
    assert stored["Body"].read() == contract.read_bytes()
    assert all(len(value) <= 256 for value in metadata.values())
    statistics = described["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["ContentType"] == "application/json"
    key = statistics["S3Uri"].removeprefix(f"s3://{BUCKET}/")
    report = json.loads(
        boto3.client("s3", region_name=REGION).get_object(Bucket=BUCKET, Key=key)["Body"].read()
    )["binary_classification_metrics"]
    assert report["recall"]["value"] == LINEAR_LEARNER_METRICS["test:recall"]
    assert (
        report["accuracy"]["value"] == LINEAR_LEARNER_METRICS["test:binary_classification_accuracy"]
    )
    assert report["confusion_matrix"] == {"0": {"0": 71, "1": 1}, "1": {"0": 2, "1": 40}}

    description, content = card(aws, "wdbc-predictor-v1")
    assert description["ModelCardStatus"] == "PendingReview"
    details = content["model_package_details"]
    assert details["model_package_arn"] == package.arn
    assert details["model_approval_status"] == "PendingManualApproval"
    assert "Not a diagnostic device" in content["intended_uses"]["intended_uses"]
    assert "one clinic" in content["additional_information"]["caveats_and_recommendations"]
    [test_metrics] = [e for e in content["evaluation_details"] if e["name"].startswith("test")]
    recall = test_metrics["metric_groups"][0]["metric_data"][1]
    assert recall == {"name": "malignant recall", "type": "number", "value": 0.9523809523809523}
    job_details = content["training_details"]["training_job_details"]
    assert job_details["training_arn"].startswith("arn:aws:sagemaker:eu-west-1:")
    assert job_details["hyper_parameters"]


def test_list_approve_reject_and_deploy_only_what_is_approved(
    aws: AwsClients, wdbc_dev: None, tmp_path: Path
) -> None:
    first, second = train(tmp_path / "one"), train(tmp_path / "two")
    listing = run("registry", "list")
    lines = listing.splitlines()
    assert lines[0].split() == ["version", "status", "created", "accuracy", "recall",
                                "precision", "ROC", "AUC"]  # fmt: skip
    assert lines[1].startswith("v2       PendingManualApproval")
    assert lines[1].endswith("0.9737     0.9524     0.9756     0.9951")
    assert lines[2].strip() == second["model"]["model_package"]  # type: ignore[index]
    assert lines[3].startswith("v1       PendingManualApproval")

    refused = CliRunner().invoke(
        deploy_cli, ["endpoint", "host", "--model-package", first["model"]["model_package"],  # type: ignore[index]
              "--endpoint", "wdbc-dev", "--region", REGION, "--poll-seconds", "0"],
    )  # fmt: skip
    assert refused.exit_code == 1
    assert refused.output == (
        "Error: wdbc-predictor v1 is PendingManualApproval, not Approved: deploy refused "
        "(`python -m training registry approve v1 --reason ...` first)\n"
    )
    none_approved = CliRunner().invoke(
        deploy_cli,
        ["endpoint", "host", "--approved", "latest", "--endpoint", "wdbc-dev", "--region", REGION],
    )
    assert (
        none_approved.output
        == "Error: model package group wdbc-predictor has no Approved version\n"
    )
    assert aws.sagemaker.list_models()["Models"] == []

    approved = run("registry", "approve", "v1", "--reason", "test metrics reviewed")
    assert approved.startswith("wdbc-predictor v1 is Approved: arn:aws:sagemaker:")
    run("registry", "reject", "2", "--reason", "trained on the wrong seed", "--by", "ana")
    package_one = find_package(aws.sagemaker, "v1", GROUP).description
    assert package_one["ApprovalDescription"] == f"Approved by {CALLER}: test metrics reviewed"
    assert package_one["CustomerMetadataProperties"]["training_job"] == first["training_job"]
    package_two = find_package(aws.sagemaker, "v2", GROUP).description
    assert package_two["ModelApprovalStatus"] == "Rejected"
    assert package_two["ApprovalDescription"] == "Rejected by ana: trained on the wrong seed"
    description, content = card(aws, "wdbc-predictor-v1")
    assert (description["ModelCardStatus"], description["ModelCardVersion"]) == ("Approved", 2)
    assert content["model_package_details"]["model_approval_status"] == "Approved"
    assert card(aws, "wdbc-predictor-v2")[0]["ModelCardStatus"] == "Archived"
    listed = run("registry", "list")
    assert "Rejected by ana: trained on the wrong seed" in listed

    deployed = host("--approved", "latest", "--endpoint", "wdbc-dev",
                   "--serverless", "--poll-seconds", "0")  # fmt: skip
    assert "deploying wdbc-predictor v1 (Approved)" in deployed
    assert "endpoint wdbc-dev serves version v1 (production variant v1" in deployed
    model = aws.sagemaker.describe_model(ModelName="wdbc-dev-v1")
    assert model["PrimaryContainer"]["ModelPackageName"] == package_one["ModelPackageArn"]
    assert model["ExecutionRoleArn"] == ROLE
    endpoint = aws.sagemaker.describe_endpoint(EndpointName="wdbc-dev")
    assert endpoint["ProductionVariants"][0]["VariantName"] == "v1"
    refused_again = CliRunner().invoke(
        deploy_cli, ["endpoint", "host", "--model-package", package_two["ModelPackageArn"],
                     "--endpoint", "wdbc-dev", "--region", REGION],
    )  # fmt: skip
    assert "v2 is Rejected, not Approved: deploy refused" in refused_again.output
    assert (
        aws.sagemaker.describe_endpoint(EndpointName="wdbc-dev")["EndpointConfigName"]
        == (endpoint["EndpointConfigName"])
    )


def test_an_update_moves_the_endpoint_to_a_newer_approved_version(
    aws: AwsClients, wdbc_dev: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR / ".chalice",
        project / ".chalice",
        ignore=lambda _, names: [name for name in names if name.startswith("deploy")],
    )
    contracts = PROJECT_DIR / "chalicelib" / "contracts"
    shutil.copytree(contracts, project / "chalicelib" / "contracts")
    monkeypatch.setattr("deploy.cli.PROJECT_DIR", project)
    train(tmp_path / "one")
    run("registry", "approve", "1", "--reason", "first")
    host("--approved", "latest", "--endpoint", "wdbc-dev", "--poll-seconds",
        "0")  # fmt: skip
    train(tmp_path / "two")
    run("registry", "approve", "v2", "--reason", "better")
    updated = host("--approved", "latest", "--endpoint", "wdbc-dev", "--stage",
                  "dev", "--poll-seconds", "0")  # fmt: skip
    assert "updating endpoint wdbc-dev from wdbc-dev-v1-" in updated
    assert "deleted model wdbc-dev-v1" in updated
    endpoint = aws.sagemaker.describe_endpoint(EndpointName="wdbc-dev")
    assert endpoint["ProductionVariants"][0]["VariantName"] == "v2"
    assert [m["ModelName"] for m in aws.sagemaker.list_models()["Models"]] == ["wdbc-dev-v2"]
    tags = aws.sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
    assert {"Key": "wdbc:model-version", "Value": "v2"} in tags
    api_card = json.loads((project / "chalicelib" / "model_cards" / "dev.json").read_text())
    assert (api_card["name"], api_card["version"]) == ("wdbc-linear-learner", "v2")
    assert api_card["training"]["model_package"] == find_package(aws.sagemaker, "v2", GROUP).arn
    description, content = card(aws, "wdbc-predictor-v2")
    assert description["ModelCardVersion"] == 2  # registered, approved
    assert content["additional_information"]["custom_details"] == {"api_card_version": "v2"}

    deleted = run("endpoint", "delete", "--endpoint", "wdbc-dev")
    assert "model package" not in deleted
    assert "model card" not in deleted
    assert len(versions(aws.sagemaker, GROUP)) == 2
    asked = run("registry", "delete", "--yes")
    assert asked.splitlines() == [
        "deleted model card wdbc-predictor-v2",
        "deleted model package wdbc-predictor v2",
        "deleted model card wdbc-predictor-v1",
        "deleted model package wdbc-predictor v1",
        "deleted model package group wdbc-predictor",
    ]
    assert run("registry", "list") == "model package group wdbc-predictor holds no version\n"


def test_a_version_registered_without_its_card_cannot_point_a_stage() -> None:
    package = Package("arn:aws:sagemaker:x", "v1", "Approved", {}, {"ModelPackageGroupName": GROUP})
    with pytest.raises(TrainingError, match=r"^wdbc-predictor v1 names no card \(card_uri, card_"):
        fetch_card(None, package)


def test_bad_references_are_one_line(aws: AwsClients, tmp_path: Path) -> None:
    train(tmp_path)
    for reference, message in [
        ("v9", "model package group wdbc-predictor has no version v9"),
        ("first", "'first' is no model package: give an ARN, v<N>, <N> or latest"),
    ]:
        result = CliRunner().invoke(
            cli, ["registry", "approve", reference, "--reason", "x", "--region", REGION]
        )
        assert (result.exit_code, result.output) == (1, f"Error: {message}\n")
    both = CliRunner().invoke(
        deploy_cli,
        ["endpoint", "host", "--approved", "latest", "--training-job", "j", "--endpoint", "e"],
    )
    assert both.exit_code == 2
    assert "give one of --approved latest, --model-package ARN, --training-job" in both.output
    nothing = CliRunner().invoke(deploy_cli, ["endpoint", "delete"])
    assert nothing.exit_code == 2
    unasked = CliRunner().invoke(cli, ["registry", "delete", "--region", REGION], input="n\n")
    assert unasked.exit_code == 1
    assert len(versions(aws.sagemaker, GROUP)) == 1
