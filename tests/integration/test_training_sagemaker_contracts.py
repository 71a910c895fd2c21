"""The SageMaker path for any contract, under moto: the job trains the task the contract names,
the contract travels with the registered version, and deploy checks the endpoint's answers to
the contract's examples (through a real stand-in) before it writes a stage."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from chalicelib.contract import load_contract
from deploy.cli import cli as deploy_cli
from tests.support.sagemaker_flow import (
    BUCKET,
    PROJECT_DIR,
    REGION,
    ROLE,
    aws,
    standin_endpoint,
    wdbc_dev,
)
from tests.support.sagemaker_twin import emit_final_metrics
from training.aws import AwsClients
from training.cli import cli
from training.registry import sha256_of, versions
from training.sagemaker import XGBOOST_VERSION, hyperparameters
from training.threshold import ThresholdRule

__all__ = ["aws", "wdbc_dev"]  # the fixtures


def run(*arguments: str, code: int = 0) -> str:
    """A command of `python -m training`, or of `python -m deploy` (endpoint, status)."""
    command = deploy_cli if arguments[0] in ("endpoint", "status") else cli
    result = CliRunner().invoke(command, [*arguments, "--region", REGION])
    assert result.exit_code == code, result.output
    return result.output


def host(*arguments: str, code: int = 0) -> str:
    """`python -m deploy endpoint host`."""
    return run("endpoint", "host", *arguments, code=code)


def train(model: str, tmp_path: Path) -> dict[str, Any]:
    run("train", "--model", model, "--target", "sagemaker", "--role", ROLE, "--bucket", BUCKET,
        "--output", str(tmp_path))  # fmt: skip
    record: dict[str, Any] = json.loads((tmp_path / "training-job.json").read_text())
    return record


def project_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """.chalice/ and the shipped contracts, where deploy --stage writes and looks."""
    project = tmp_path / "project"
    deployments = shutil.ignore_patterns("deploy*")
    shutil.copytree(PROJECT_DIR / ".chalice", project / ".chalice", ignore=deployments)
    shutil.copytree(PROJECT_DIR / "chalicelib" / "contracts", project / "chalicelib" / "contracts")
    monkeypatch.setattr("deploy.cli.PROJECT_DIR", project)
    return project


# What each algorithm reports at the end of such a job (its FinalMetricDataList), and the model
# quality report registration makes of it: test rows, or for XGBoost (no test channel) validation.
JOB_METRICS = {
    "wine": {"test:multiclass_accuracy": 0.97, "test:macro_f_beta": 0.96, "train:progress": 1},
    "diabetes": {"test:mse": 2916.0, "test:absolute_loss": 43.0, "validation:mse": 3025.0},
    "wdbc-xgboost": {"validation:auc": 0.99, "validation:logloss": 0.1, "train:auc": 1.0},
}
REPORTS = {
    "wine": {"multiclass_classification_metrics": {"accuracy": 0.97}},
    "diabetes": {"regression_metrics": {"rmse": 54.0, "mae": 43.0}},
    "wdbc-xgboost": {"binary_classification_metrics": {"auc": 0.99}},
}


@pytest.mark.parametrize(
    ("model", "image", "channels", "task", "columns"),
    [
        ("wine", "linear-learner:1", ["train", "validation", "test"], "CLASSIFICATION",
         "accuracy"),
        ("diabetes", "linear-learner:1", ["train", "validation", "test"], "REGRESSION",
         "RMSE       MAE"),
        ("wdbc-xgboost", f"sagemaker-xgboost:{XGBOOST_VERSION}", ["train", "validation"],
         "CLASSIFICATION", "ROC AUC"),
    ],
)  # fmt: skip
def test_each_contract_trains_its_task_and_registers_it_with_its_contract(
    aws: AwsClients,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
    image: str,
    channels: list[str],
    task: str,
    columns: str,
) -> None:
    contract = load_contract(model)
    emit_final_metrics(monkeypatch, JOB_METRICS[model])
    record = train(model, tmp_path)
    job = aws.sagemaker.describe_training_job(TrainingJobName=record["training_job"])
    assert job["TrainingJobName"].startswith(f"wdbc-predictor-{model}-")
    assert job["AlgorithmSpecification"]["TrainingImage"].endswith(image)
    assert job["HyperParameters"] == hyperparameters(contract, ThresholdRule())
    assert [channel["ChannelName"] for channel in job["InputDataConfig"]] == channels
    [package] = versions(aws.sagemaker, f"{model}-predictor")
    described = package.description
    assert described["Task"] == task
    assert described["InferenceSpecification"]["SupportedResponseMIMETypes"] == [
        contract.answer.accept
    ]
    metadata = described["CustomerMetadataProperties"]
    shipped = PROJECT_DIR / "chalicelib" / "contracts" / f"{model}.json"
    assert (metadata["contract"], metadata["contract_sha256"]) == (model, sha256_of(shipped))
    s3 = boto3.client("s3", region_name=REGION)
    key = metadata["contract_uri"].removeprefix(f"s3://{BUCKET}/")
    assert key == f"{model}/contracts/{model}-{metadata['contract_sha256'][:12]}.json"
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == shipped.read_bytes()
    # The card GET /model will serve for the version travels with it, under its hash.
    card_key = metadata["card_uri"].removeprefix(f"s3://{BUCKET}/")
    api_card = s3.get_object(Bucket=BUCKET, Key=card_key)["Body"].read()
    assert hashlib.sha256(api_card).hexdigest() == metadata["card_sha256"]
    assert json.loads(api_card)["version"] == "v1"
    quality = described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    body = s3.get_object(Bucket=BUCKET, Key=quality.removeprefix(f"s3://{BUCKET}/"))["Body"]
    [(group, values)] = REPORTS[model].items()
    reported = json.loads(body.read())[group]
    assert {name: item["value"] for name, item in reported.items()} == values
    card = aws.sagemaker.describe_model_card(ModelCardName=f"{model}-predictor-v1")
    overview = json.loads(card["Content"])["model_overview"]
    assert overview["model_description"].startswith(f"{model}-")
    assert f"contract {model}, {contract.feature_count} features" in overview["model_description"]
    listed = run("registry", "list", "--model", model).splitlines()
    assert listed[0].endswith(columns)
    assert listed[1].startswith("v1       PendingManualApproval")
    assert run("registry", "list") == "model package group wdbc-predictor holds no version\n"


def test_deploy_checks_the_endpoint_against_the_packages_contract_and_names_it_in_the_stage(
    aws: AwsClients, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_copy(tmp_path, monkeypatch)
    train("wine", tmp_path / "job")
    run("registry", "approve", "v1", "--model", "wine", "--reason", "reviewed")
    with standin_endpoint(monkeypatch, "wine", "wine-dev"):
        deployed = host("--approved", "latest", "--model", "wine", "--endpoint",
                       "wine-dev", "--stage", "dev", "--poll-seconds", "0")  # fmt: skip
    assert "deploying wine-predictor v1 (Approved)" in deployed
    assert "endpoint wine-dev answers contract wine's 3 examples as it says" in deployed
    config = json.loads((project / ".chalice" / "config.json").read_text())
    environment = config["stages"]["dev"]["environment_variables"]
    assert (environment["MODEL"], environment["ENDPOINT_NAME"]) == ("wine", "wine-dev")
    card = json.loads((project / "chalicelib" / "model_cards" / "dev.json").read_text())
    assert [f["name"] for f in card["features"]] == list(load_contract("wine").feature_names)
    assert (card["name"], card["version"]) == ("wine-linear-learner", "v1")


def test_deploy_refuses_an_endpoint_whose_answers_do_not_read_as_its_contract_says(
    aws: AwsClients, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_copy(tmp_path, monkeypatch)
    before = (project / ".chalice" / "config.json").read_text()
    train("wdbc", tmp_path / "job")
    run("registry", "approve", "v1", "--reason", "reviewed")
    # An XGBoost model behind the endpoint: a probability without Linear Learner's label.
    with standin_endpoint(monkeypatch, "wdbc-xgboost", "wdbc-dev"):
        refused = host("--approved", "latest", "--endpoint", "wdbc-dev", "--stage",
                      "dev", "--poll-seconds", "0", code=1)  # fmt: skip
    [error] = [line for line in refused.splitlines() if line.startswith("Error: ")]
    assert error.startswith(
        "Error: endpoint wdbc-dev's answers to the examples of contract wdbc do not read as it "
        "says: "
    )
    assert error.endswith(
        "; no stage was written (deploy another version, or `python -m deploy endpoint delete` it)"
    )
    assert (project / ".chalice" / "config.json").read_text() == before


def test_deploy_refuses_a_contract_changed_since_it_was_registered(
    aws: AwsClients, wdbc_dev: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_copy(tmp_path, monkeypatch)
    record = train("wdbc", tmp_path / "job")
    run("registry", "approve", "v1", "--reason", "reviewed")
    # The stage's shipped contract is no longer the one the version was trained with.
    shipped = project / "chalicelib" / "contracts" / "wdbc.json"
    shipped.write_text(shipped.read_text().replace("M", "M "), encoding="utf-8")
    stage = host("--approved", "latest", "--endpoint", "wdbc-dev", "--stage", "dev",
                "--poll-seconds", "0", code=1)  # fmt: skip
    assert stage.splitlines()[-1] == (
        f"Error: stage dev would ship {shipped}, not the contract wdbc-predictor v1 was trained "
        "with (their SHA-256 differ): nothing was deployed"
    )
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []
    # The object in the bucket changed: deploy refuses before it deploys anything.
    package = versions(aws.sagemaker, "wdbc-predictor")[0]
    uri = package.metadata["contract_uri"]
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=BUCKET, Key=uri.removeprefix(f"s3://{BUCKET}/"), Body=b"{}")
    changed = host("--training-job", record["training_job"], "--endpoint", "wdbc-two",
                  code=1)  # fmt: skip
    assert changed.splitlines()[-1] == (
        f"Error: {uri} is not the contract training job {record['training_job']} names: its "
        "SHA-256 differs"
    )
    assert "wdbc-two" not in str(aws.sagemaker.list_endpoints())


def test_deploy_refuses_a_card_changed_since_it_was_registered(
    aws: AwsClients, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_copy(tmp_path, monkeypatch)
    train("wdbc", tmp_path / "job")
    run("registry", "approve", "v1", "--reason", "reviewed")
    package = versions(aws.sagemaker, "wdbc-predictor")[0]
    uri = package.metadata["card_uri"]
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=BUCKET, Key=uri.removeprefix(f"s3://{BUCKET}/"), Body=b"{}")
    refused = host("--approved", "latest", "--endpoint", "wdbc-dev", "--stage", "dev", code=1)
    assert refused.splitlines()[-1] == (
        f"Error: {uri} is not the card {package.arn} names: its SHA-256 differs"
    )
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []


def test_a_job_that_names_no_contract_is_not_deployed(aws: AwsClients, tmp_path: Path) -> None:
    record = train("wdbc", tmp_path / "job")
    arn = aws.sagemaker.describe_training_job(TrainingJobName=record["training_job"])
    aws.sagemaker.delete_tags(ResourceArn=arn["TrainingJobArn"],
                              TagKeys=["wdbc:contract_uri", "wdbc:contract_sha256"])  # fmt: skip
    refused = host("--training-job", record["training_job"], "--endpoint", "wdbc-dev",
                  code=1)  # fmt: skip
    assert refused.splitlines()[-1] == (
        f"Error: training job {record['training_job']} names no model contract (contract, "
        "contract_uri, contract_sha256): it was not trained by `python -m training train "
        "--target sagemaker`"
    )
    assert aws.sagemaker.list_models()["Models"] == []
