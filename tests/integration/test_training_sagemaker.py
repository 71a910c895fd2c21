"""The whole SageMaker flow under moto: channels, training job (built by sagemaker v3's
ModelTrainer), model, endpoint config, endpoint, status, update, delete."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from deploy.cli import cli as deploy_cli
from deploy.endpoint import (
    SCALING,
    SCALING_METRIC,
    Autoscaling,
    DeployRequest,
    ModelSource,
    delete_endpoint,
    deploy,
    model_version,
    project_resources,
)
from tests.support.rows import FEATURE_COUNT, WDBC
from tests.support.sagemaker_flow import (
    BUCKET,
    KMS_KEY,
    LINEAR_LEARNER_METRICS,
    NO_WAIT,
    PROJECT_DIR,
    REGION,
    ROLE,
    aws,
    train,
    wdbc_dev,
)
from training.aws import PROJECT, PROJECT_TAG_KEY, SEED_TAG_KEY, AwsClients, CloudError
from training.cli import cli
from training.data import DEFAULT_SEED, contract_split
from training.registry import sha256_of
from training.sagemaker import JOB_FILE_NAME, channel_csv, image_uri
from training.threshold import TARGET_RECALL_RULE, ThresholdRule

__all__ = ["aws", "wdbc_dev"]  # the fixtures
DIMENSION = SCALING["ScalableDimension"]


def source(aws: AwsClients, record: dict[str, Any]) -> ModelSource:
    return ModelSource.training_job_model(aws.sagemaker, record["training_job"])


def resources(aws: AwsClients) -> dict[tuple[str, str], str]:
    """status's lines by (kind, name)."""
    found = {}
    for line in project_resources(aws):
        kind, rest = line[:16].strip(), line[17:]
        name, _, details = rest.partition("  ")
        found[(kind, name)] = details
    return found


def test_training_uploads_three_csv_channels_and_requests_linear_learner(
    aws: AwsClients, tmp_path: Path
) -> None:
    record = train(tmp_path, kms_key_id=KMS_KEY)
    job = aws.sagemaker.describe_training_job(TrainingJobName=record["training_job"])
    assert job["AlgorithmSpecification"]["TrainingImage"] == image_uri(WDBC, REGION)
    assert job["AlgorithmSpecification"]["TrainingImage"].endswith(
        f".dkr.ecr.{REGION}.amazonaws.com/linear-learner:1"
    )
    assert job["HyperParameters"] == {
        "predictor_type": "binary_classifier",
        "feature_dim": str(FEATURE_COUNT),
        "normalize_data": "true",
        "mini_batch_size": "100",
        "binary_classifier_model_selection_criteria": "f_beta",
        "f_beta": "2.0",
    }
    channels = {channel["ChannelName"]: channel for channel in job["InputDataConfig"]}
    assert list(channels) == ["train", "validation", "test"]
    split = contract_split(WDBC, DEFAULT_SEED)
    s3 = boto3.client("s3", region_name=REGION)
    for name, channel in channels.items():
        assert channel["ContentType"] == "text/csv"
        uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
        assert uri == f"s3://{BUCKET}/wdbc/data/seed-{DEFAULT_SEED}/{name}/"
        stored = s3.get_object(Bucket=BUCKET, Key=f"wdbc/data/seed-42/{name}/{name}.csv")
        assert stored["Body"].read() == channel_csv(split.parts[name], WDBC)
        assert stored["ServerSideEncryption"] == "aws:kms"
    assert job["OutputDataConfig"]["KmsKeyId"] == KMS_KEY
    assert job["OutputDataConfig"]["S3OutputPath"] == f"s3://{BUCKET}/wdbc/output"
    assert job["RoleArn"] == ROLE
    tags = aws.sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]
    assert {"Key": PROJECT_TAG_KEY, "Value": PROJECT} in tags
    assert {"Key": SEED_TAG_KEY, "Value": "42"} in tags
    # The contract the job was trained for, as it was: in the bucket under its hash, named by tags.
    contract_file = PROJECT_DIR / "models" / "wdbc" / "contract.json"
    digest = sha256_of(contract_file)
    uri = f"s3://{BUCKET}/wdbc/contracts/wdbc-{digest[:12]}.json"
    assert {"Key": "wdbc:contract_uri", "Value": uri} in tags
    assert {"Key": "wdbc:contract_sha256", "Value": digest} in tags
    stored = s3.get_object(Bucket=BUCKET, Key=uri.removeprefix(f"s3://{BUCKET}/"))
    assert stored["Body"].read() == contract_file.read_bytes()
    assert job["TrainingJobName"].startswith("wdbc-predictor-wdbc-")
    assert record["model"]["version"] == "v1"
    assert record["model_data_url"] == job["ModelArtifacts"]["S3ModelArtifacts"]
    assert any("Completed" in line for line in record["lines"])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["metrics"]["test"]["malignant_recall"] == LINEAR_LEARNER_METRICS["test:recall"]
    assert metrics["split"]["test_rows"] == split.test.row_indices.tolist()


def test_the_target_recall_rule_asks_for_precision_at_target_recall(
    aws: AwsClients, tmp_path: Path
) -> None:
    record = train(tmp_path, ThresholdRule(TARGET_RECALL_RULE, target_recall=0.98))
    hyperparameters = record["hyperparameters"]
    assert hyperparameters["binary_classifier_model_selection_criteria"] == (
        "precision_at_target_recall"
    )
    assert hyperparameters["target_recall"] == "0.98"


def test_deploy_update_status_and_delete_leave_nothing_behind(
    aws: AwsClients, tmp_path: Path
) -> None:
    first = train(tmp_path / "first")
    lines: list[str] = []
    created = deploy(
        aws,
        source(aws, first),
        DeployRequest("wdbc-dev", "ml.c5.large", 2, autoscaling=Autoscaling(2, 4, 250.0)),
        NO_WAIT,
        lines.append,
        now=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    version = model_version(first["model_data_url"])
    assert created.version == version
    assert created.endpoint_config == f"wdbc-dev-{version}-20260102030405"
    config = aws.sagemaker.describe_endpoint_config(EndpointConfigName=created.endpoint_config)
    assert config["ProductionVariants"] == [
        {
            "VariantName": version,
            "ModelName": f"wdbc-dev-{version}",
            "InitialInstanceCount": 2,
            "InstanceType": "ml.c5.large",
            "InitialVariantWeight": 1.0,
        }
    ]
    model = aws.sagemaker.describe_model(ModelName=created.model)
    assert model["PrimaryContainer"]["Image"] == image_uri(WDBC, REGION)
    assert model["PrimaryContainer"]["ModelDataUrl"] == first["model_data_url"]
    assert model["ExecutionRoleArn"] == ROLE
    resource = f"endpoint/wdbc-dev/variant/{version}"
    target = aws.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    assert [
        (t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in target["ScalableTargets"]
    ] == [(resource, 2, 4)]
    policy = aws.autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")
    tracking = policy["ScalingPolicies"][0]["TargetTrackingScalingPolicyConfiguration"]
    assert policy["ScalingPolicies"][0]["ScalableDimension"] == DIMENSION
    assert tracking["TargetValue"] == 250.0
    assert tracking["PredefinedMetricSpecification"] == {"PredefinedMetricType": SCALING_METRIC}
    assert "endpoint wdbc-dev: InService after 0s" in lines

    second = train(tmp_path / "second")
    updated = deploy(
        aws,
        source(aws, second),
        DeployRequest("wdbc-dev", memory_mb=3072, max_concurrency=8),
        NO_WAIT,
        lines.append,
    )
    endpoint = aws.sagemaker.describe_endpoint(EndpointName="wdbc-dev")
    assert endpoint["EndpointConfigName"] == updated.endpoint_config
    assert endpoint["ProductionVariants"][0]["VariantName"] == updated.version
    new_config = aws.sagemaker.describe_endpoint_config(EndpointConfigName=updated.endpoint_config)
    assert new_config["ProductionVariants"][0]["ServerlessConfig"] == {
        "MemorySizeInMB": 3072,
        "MaxConcurrency": 8,
    }
    # The update replaced the old config and model, and the old variant's scaling.
    assert updated.replaced == (
        f"endpoint config {created.endpoint_config}",
        f"model {created.model}",
    )
    assert (
        aws.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        == []
    )
    inventory = resources(aws)
    assert inventory[("endpoint", "wdbc-dev")] == f"InService  version {updated.version}"
    assert set(inventory) == {
        ("training job", first["training_job"]),
        ("training job", second["training_job"]),
        ("model", updated.model),
        ("endpoint config", updated.endpoint_config),
        ("endpoint", "wdbc-dev"),
    }

    deleted = delete_endpoint(aws, "wdbc-dev", lines.append)
    assert deleted == [
        "endpoint wdbc-dev",
        f"endpoint config {updated.endpoint_config}",
        f"model {updated.model}",
    ]
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []
    assert aws.sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert aws.sagemaker.list_models()["Models"] == []
    assert {kind for kind, _ in resources(aws)} == {"training job"}


def test_delete_removes_the_scaling_policy_and_target(aws: AwsClients, tmp_path: Path) -> None:
    record = train(tmp_path)
    deploy(
        aws,
        source(aws, record),
        DeployRequest("wdbc-prod", autoscaling=Autoscaling(1, 2, 70)),
        NO_WAIT,
        lambda _: None,
    )
    deleted = delete_endpoint(aws, "wdbc-prod", lambda _: None)
    version = model_version(record["model_data_url"])
    assert deleted[:2] == [
        f"scaling policy wdbc-prod-{version}-invocations",
        f"scalable target endpoint/wdbc-prod/variant/{version}",
    ]
    assert (
        aws.autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
        == []
    )
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []


def test_deploying_the_same_job_twice_keeps_the_model_and_swaps_the_config(
    aws: AwsClients, tmp_path: Path
) -> None:
    record = train(tmp_path)
    request = DeployRequest("wdbc-dev")
    first = deploy(
        aws,
        source(aws, record),
        request,
        NO_WAIT,
        lambda _: None,
        now=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    )
    second = deploy(
        aws,
        source(aws, record),
        request,
        NO_WAIT,
        lambda _: None,
        now=lambda: datetime(2026, 1, 2, tzinfo=UTC),
    )
    assert second.model == first.model
    assert second.replaced == (f"endpoint config {first.endpoint_config}",)
    assert [m["ModelName"] for m in aws.sagemaker.list_models()["Models"]] == [first.model]


def test_delete_of_a_missing_endpoint_says_so(aws: AwsClients) -> None:
    with pytest.raises(CloudError, match="there is no endpoint wdbc-none"):
        delete_endpoint(aws, "wdbc-none", lambda _: None)


def test_deploy_refuses_an_unfinished_or_unknown_job(aws: AwsClients) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        ModelSource.training_job_model(aws.sagemaker, "no-such-job")


@pytest.mark.parametrize(
    ("endpoint", "memory_mb", "scaling", "message"),
    [
        ("wdbc_dev", None, None, "endpoint name"),
        ("x" * 36, None, None, "endpoint name"),
        ("wdbc-dev", 2048, Autoscaling(1, 2, 10), "serverless"),
        ("wdbc-dev", None, Autoscaling(3, 2, 10), "min capacity <= max capacity"),
    ],
)
def test_requests_sagemaker_would_refuse_fail_before_any_call(
    endpoint: str, memory_mb: int | None, scaling: Autoscaling | None, message: str
) -> None:
    with pytest.raises((ValueError, CloudError), match=message):
        DeployRequest(endpoint, memory_mb=memory_mb, autoscaling=scaling)


def test_the_cli_runs_the_flow_and_status_lists_it(
    aws: AwsClients, wdbc_dev: None, tmp_path: Path
) -> None:
    runner = CliRunner()
    trained = runner.invoke(
        cli,
        ["train", "--target", "sagemaker", "--role", ROLE, "--bucket", BUCKET, "--region", REGION,
         "--output", str(tmp_path)],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "Linear Learner, binary_classifier_model_selection_criteria=f_beta" in trained.output
    assert "malignant recall     0.9524" in trained.output
    job = json.loads((tmp_path / JOB_FILE_NAME).read_text())["training_job"]
    deployed = runner.invoke(
        deploy_cli,
        ["endpoint", "host", "--training-job", job, "--endpoint", "wdbc-dev", "--serverless",
         "--region", REGION, "--poll-seconds", "0"],
    )  # fmt: skip
    assert deployed.exit_code == 0, deployed.output
    assert "endpoint wdbc-dev serves version" in deployed.output
    assert f"training job {job} bypasses the Model Registry" in deployed.output
    assert "endpoint wdbc-dev answers contract wdbc's 3 examples as it says" in deployed.output
    status = runner.invoke(deploy_cli, ["status", "--region", REGION])
    assert status.exit_code == 0, status.output
    assert "endpoint         wdbc-dev  InService  version " in status.output
    deleted = runner.invoke(
        deploy_cli, ["endpoint", "delete", "--endpoint", "wdbc-dev", "--region", REGION]
    )
    assert deleted.exit_code == 0, deleted.output
    missing = runner.invoke(
        deploy_cli, ["endpoint", "delete", "--endpoint", "wdbc-dev", "--region", REGION]
    )
    assert missing.exit_code == 1
    assert missing.output == "Error: there is no endpoint wdbc-dev\n"
    bad = runner.invoke(
        deploy_cli,
        ["endpoint", "host", "--training-job", job, "--endpoint", "wdbc-dev", "--autoscale-min",
         "1", "--region", REGION],
    )  # fmt: skip
    assert bad.exit_code == 2
    assert "autoscaling needs --autoscale-min, --autoscale-max and --target-invocations" in (
        bad.output
    )


def test_a_stage_takes_the_registered_versions_card_and_never_a_bare_training_job(
    aws: AwsClients, wdbc_dev: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR / ".chalice", project / ".chalice", ignore=_no_deployments)
    contracts = PROJECT_DIR / "chalicelib" / "contracts"
    shutil.copytree(contracts, project / "chalicelib" / "contracts")
    monkeypatch.setattr("deploy.cli.PROJECT_DIR", project)
    record = train(tmp_path / "job")
    host = ["endpoint", "host", "--endpoint", "wdbc-dev", "--stage", "dev", "--region", REGION,
            "--poll-seconds", "0"]  # fmt: skip
    bare = CliRunner().invoke(deploy_cli, [*host, "--training-job", record["training_job"]])
    assert bare.exit_code == 2
    assert "--stage serves a registered, Approved version" in bare.output
    approved = CliRunner().invoke(cli, ["registry", "approve", "v1", "--reason", "reviewed",
                                        "--region", REGION])  # fmt: skip
    assert approved.exit_code == 0, approved.output
    result = CliRunner().invoke(deploy_cli, [*host, "--approved", "latest"])
    assert result.exit_code == 0, result.output
    config = json.loads((project / ".chalice" / "config.json").read_text())
    environment = config["stages"]["dev"]["environment_variables"]
    assert (environment["ENDPOINT_NAME"], environment["MODEL_CARD"]) == ("wdbc-dev", "dev.json")
    assert environment["MODEL"] == "wdbc"
    policy = json.loads((project / ".chalice" / "policy-dev.json").read_text())
    assert policy["Statement"][0]["Resource"] == (
        f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/wdbc-dev"
    )
    # The card registration made and stored with the version, as deployment found it.
    card = json.loads((project / "chalicelib" / "model_cards" / "dev.json").read_text())
    assert card["version"] == "v1"
    assert card["training"]["model_package"] == record["model"]["model_package"]
    assert card["training"]["seed"] == DEFAULT_SEED
    assert card["metrics"]["test"]["confusion_matrix"] == {"tn": 71, "fp": 1, "fn": 2, "tp": 40}
    assert f"wrote {project / '.chalice' / 'config.json'}" in result.output


def _no_deployments(directory: str, names: list[str]) -> list[str]:
    return [name for name in names if name in {"deployments", "deployed"}]


def test_status_with_nothing_deployed_says_so(aws: AwsClients) -> None:
    result = CliRunner().invoke(deploy_cli, ["status", "--region", REGION])
    assert result.exit_code == 0
    assert result.output == f"nothing tagged {PROJECT_TAG_KEY}={PROJECT}\n"
