"""How deploy and delete fail: a clear reason, and nothing new left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import EndpointConnectionError
from click.testing import CliRunner

from deploy.cli import cli
from deploy.endpoint import DeployRequest, ModelSource, delete_endpoint, deploy
from tests.support.sagemaker_flow import NO_WAIT, REGION, aws, train
from tests.support.sagemaker_twin import fail_new_endpoints, roll_back_updates
from training.aws import AwsClients, CloudError, WaitFailed, cloud_error

__all__ = ["aws"]  # the fixture, shared with the flow tests


def test_a_failed_update_keeps_the_old_config_and_drops_the_new_one(
    aws: AwsClients, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    first = train(tmp_path / "first")
    running = deploy(
        aws,
        ModelSource.training_job_model(aws.sagemaker, first["training_job"]),
        DeployRequest("wdbc-dev"),
        NO_WAIT,
        print,
    )
    roll_back_updates(monkeypatch)
    second = train(tmp_path / "second")
    lines: list[str] = []
    with pytest.raises(WaitFailed, match="rolled back to its old config: The primary container"):
        deploy(
            aws,
            ModelSource.training_job_model(aws.sagemaker, second["training_job"]),
            DeployRequest("wdbc-dev"),
            NO_WAIT,
            lines.append,
        )
    configs = [
        c["EndpointConfigName"] for c in aws.sagemaker.list_endpoint_configs()["EndpointConfigs"]
    ]
    models = [m["ModelName"] for m in aws.sagemaker.list_models()["Models"]]
    assert configs == [running.endpoint_config]
    assert models == [running.model]
    assert any(line.startswith("deleted unused endpoint config") for line in lines)


def test_a_failed_endpoint_names_sagemakers_reason_and_cannot_be_updated(
    aws: AwsClients, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_new_endpoints(monkeypatch, "Image does not exist")
    record = train(tmp_path)
    source = ModelSource.training_job_model(aws.sagemaker, record["training_job"])
    request = DeployRequest("wdbc-dev", memory_mb=2048)
    with pytest.raises(WaitFailed, match="endpoint wdbc-dev is Failed: Image does not exist"):
        deploy(aws, source, request, NO_WAIT, lambda _: None)
    with pytest.raises(CloudError, match="is Failed; only an InService endpoint can be updated"):
        deploy(aws, source, request, NO_WAIT, lambda _: None)
    # delete cleans up what the failed creation left.
    assert len(delete_endpoint(aws, "wdbc-dev", lambda _: None)) == 3
    assert aws.sagemaker.list_models()["Models"] == []


def test_delete_copes_with_a_config_or_model_already_gone(aws: AwsClients, tmp_path: Path) -> None:
    record = train(tmp_path)
    source = ModelSource.training_job_model(aws.sagemaker, record["training_job"])
    request = DeployRequest("wdbc-dev")
    deployed = deploy(aws, source, request, NO_WAIT, print)
    aws.sagemaker.delete_model(ModelName=deployed.model)
    assert delete_endpoint(aws, "wdbc-dev", lambda _: None) == [
        "endpoint wdbc-dev",
        f"endpoint config {deployed.endpoint_config}",
    ]
    deployed = deploy(aws, source, request, NO_WAIT, print)
    aws.sagemaker.delete_endpoint_config(EndpointConfigName=deployed.endpoint_config)
    assert delete_endpoint(aws, "wdbc-dev", lambda _: None) == ["endpoint wdbc-dev"]


def test_an_aws_error_is_one_line_naming_the_step(aws: AwsClients) -> None:
    result = CliRunner().invoke(
        cli,
        ["endpoint", "host", "--training-job", "missing", "--endpoint", "wdbc-dev", "--region",
         REGION],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout == (
        "training job missing bypasses the Model Registry: no approval is checked\n"
    )
    assert result.stderr.startswith("Error: endpoint host: ValidationException: ")
    assert result.stderr.count("\n") == 1


def test_a_transport_error_and_a_missing_region_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    message = str(cloud_error("status", EndpointConnectionError(endpoint_url="https://x")))
    assert message.startswith("status: EndpointConnectionError: ")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(CloudError, match="no AWS region"):
        AwsClients.create()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--instance-count", "0"], "Invalid value for '--instance-count'"),
        (
            ["--autoscale-min", "3", "--autoscale-max", "2", "--target-invocations", "5"],
            "min capacity",
        ),
        (["--serverless", "--memory", "512"], "Invalid value for '--memory'"),
    ],
)
def test_deploy_settings_are_checked_before_any_call(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(
        cli, ["endpoint", "host", "--training-job", "j", "--endpoint", "e", *arguments]
    )
    assert result.exit_code == 2
    assert message in result.output
