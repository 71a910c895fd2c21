"""The moto-backed AWS account the SageMaker tests share, and a training run in it.

moto's invoke_endpoint never runs a model, so `deploy`'s contract check reaches a real stand-in
instead: ``standin_endpoint`` serves a committed model folder under an endpoint's name on
127.0.0.1, and AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME sends the runtime client there (moto lets
calls to an address it does not mock through)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

# From requirements-training.txt, which `make test` installs; without them these tests skip.
pytest.importorskip("moto", reason="no moto: pip install -r requirements-training.txt")
pytest.importorskip("sagemaker", reason="no sagemaker: pip install -r requirements-training.txt")

from moto import mock_aws

from standin import start_in_thread
from standin.model import load_model
from tests.support.sagemaker_twin import (
    add_registry_deletes,
    add_update_endpoint,
    emit_final_metrics,
)
from training.aws import AwsClients, WaitPolicy
from training.cli import run_sagemaker
from training.sagemaker import JOB_FILE_NAME, SageMakerTrainingSettings
from training.threshold import ThresholdRule

PROJECT_DIR = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
BUCKET = "wdbc-training-test"
ROLE = "arn:aws:iam::123456789012:role/wdbc-sagemaker"
KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
NO_WAIT = WaitPolicy(timeout_seconds=5, poll_seconds=0)
CALLER = "arn:aws:sts::123456789012:user/moto"  # moto's STS identity
LINEAR_LEARNER_METRICS = {
    "test:binary_classification_accuracy": 0.9736842105263158,
    "test:recall": 0.9523809523809523,
    "test:precision": 0.975609756097561,
    "test:roc_auc_score": 0.9951,
    "validation:binary_classification_accuracy": 0.9824561403508771,
    "validation:recall": 0.9523809523809523,
    "validation:precision": 1.0,
    "validation:roc_auc_score": 0.9969,
    "train:progress": 100.0,
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    # moto 5.2.5 has no iam:SimulatePrincipalPolicy, which ModelTrainer's role check calls.
    monkeypatch.setenv("SAGEMAKER_VALIDATE_ROLE", "false")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    add_update_endpoint(monkeypatch)
    add_registry_deletes(monkeypatch)
    emit_final_metrics(monkeypatch, LINEAR_LEARNER_METRICS)
    telemetry: list[Any] = []
    monkeypatch.setattr(
        "sagemaker.core.telemetry.telemetry_logging._send_telemetry_request",
        lambda *args, **kwargs: telemetry.append(args),
    )
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield AwsClients.create(REGION)
    assert telemetry == [], "the sagemaker SDK must not phone home"


@contextmanager
def standin_endpoint(
    monkeypatch: pytest.MonkeyPatch, model: str = "wdbc", endpoint: str = "wdbc-dev"
) -> Iterator[None]:
    """The committed ``models/<model>/`` answering InvokeEndpoint for ``endpoint``."""
    with start_in_thread(load_model(PROJECT_DIR / "models" / model), endpoint) as running:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", running.url)
        yield
    monkeypatch.delenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME")


@pytest.fixture
def wdbc_dev(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """WDBC's committed model behind the endpoint wdbc-dev, for deploy's contract check."""
    with standin_endpoint(monkeypatch):
        yield


def settings(**changes: Any) -> SageMakerTrainingSettings:
    return SageMakerTrainingSettings(role_arn=ROLE, bucket=BUCKET, region=REGION, **changes)


def train(tmp_path: Path, rule: ThresholdRule | None = None, **changes: Any) -> dict[str, Any]:
    lines: list[str] = []
    rule = rule or ThresholdRule()
    run_sagemaker(settings(rule=rule, **changes), tmp_path, lines.append, NO_WAIT)
    record: dict[str, Any] = json.loads((tmp_path / JOB_FILE_NAME).read_text())
    record["lines"] = lines
    return record
