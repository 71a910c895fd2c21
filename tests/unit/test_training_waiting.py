"""Bounded waits: boto3's own waiters, a line per change of status, under botocore's Stubber."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from deploy.endpoint import ENDPOINT
from training.aws import TRAINING_JOB, CloudError, WaitFailed, WaitPolicy, WaitTimedOut, wait_for

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ARN = "arn:aws:sagemaker:eu-west-1:123456789012:"
NO_DELAY = WaitPolicy(timeout_seconds=2, poll_seconds=0)  # three checks, no sleeping


@pytest.fixture
def sagemaker() -> Any:
    return boto3.client(
        "sagemaker", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def endpoint(status: str, **extra: Any) -> dict[str, Any]:
    return {"EndpointName": "wdbc-dev", "EndpointArn": f"{ARN}endpoint/wdbc-dev",
            "EndpointStatus": status, "CreationTime": NOW, "LastModifiedTime": NOW,
            **extra}  # fmt: skip


def job(status: str, secondary: str, **extra: Any) -> dict[str, Any]:
    return {"TrainingJobName": "job-1", "TrainingJobArn": f"{ARN}training-job/job-1",
            "ModelArtifacts": {"S3ModelArtifacts": "s3://b/m"}, "TrainingJobStatus": status,
            "SecondaryStatus": secondary, "CreationTime": NOW,
            "AlgorithmSpecification": {"TrainingInputMode": "File"},
            "ResourceConfig": {"VolumeSizeInGB": 1}, "StoppingCondition": {}, **extra}  # fmt: skip


def scripted(sagemaker: Any, operation: str, answers: list[dict[str, Any]]) -> Stubber:
    stubber = Stubber(sagemaker)
    for answer in answers:
        stubber.add_response(operation, answer)
    stubber.activate()
    return stubber


def test_a_line_per_status_change() -> None:
    client = boto3.client(
        "sagemaker", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    answers = [
        job("InProgress", "Starting"),
        job("InProgress", "Starting"),
        job("InProgress", "Training"),
        job("Completed", "Completed"),
    ]
    lines: list[str] = []
    with scripted(client, "describe_training_job", answers):
        final = wait_for(
            client, TRAINING_JOB, "training job job-1", WaitPolicy(5, 0), lines.append,
            TrainingJobName="job-1",
        )  # fmt: skip
    assert final["TrainingJobStatus"] == "Completed"
    assert lines == [
        "training job job-1: InProgress (Starting) after 0s",
        "training job job-1: InProgress (Training) after 0s",
        "training job job-1: Completed after 0s",
    ]


def test_a_failure_names_sagemakers_reason(sagemaker: Any) -> None:
    answers = [endpoint("Creating"), endpoint("Failed", FailureReason="Image does not exist")]
    with (
        scripted(sagemaker, "describe_endpoint", answers),
        pytest.raises(WaitFailed, match="endpoint wdbc-dev is Failed: Image does not exist"),
    ):
        wait_for(sagemaker, ENDPOINT, "endpoint wdbc-dev", NO_DELAY, print, EndpointName="wdbc-dev")


def test_a_stopped_job_without_a_reason_says_so(sagemaker: Any) -> None:
    with (
        scripted(sagemaker, "describe_training_job", [job("Stopped", "Stopped")]),
        pytest.raises(
            WaitFailed, match="training job job-1 is Stopped: SageMaker gave no FailureReason"
        ),
    ):
        wait_for(sagemaker, TRAINING_JOB, "training job job-1", NO_DELAY, print,
                 TrainingJobName="job-1")  # fmt: skip


def test_the_wait_is_bounded_and_says_what_it_last_saw(sagemaker: Any) -> None:
    lines: list[str] = []
    with (
        scripted(sagemaker, "describe_endpoint", [endpoint("Creating")] * 3),
        pytest.raises(
            WaitTimedOut,
            match=r"endpoint wdbc-dev is still Creating after 0s; the wait is bounded at 2s",
        ),
    ):
        wait_for(sagemaker, ENDPOINT, "endpoint wdbc-dev", NO_DELAY, lines.append,
                 EndpointName="wdbc-dev")  # fmt: skip
    assert lines == ["endpoint wdbc-dev: Creating after 0s"]


def test_a_missing_endpoint_is_one_line(sagemaker: Any) -> None:
    stubber = Stubber(sagemaker)
    stubber.add_client_error(
        "describe_endpoint", "ValidationException", "Could not find endpoint wdbc-dev."
    )
    with stubber, pytest.raises(CloudError, match="endpoint wdbc-dev: Could not find endpoint"):
        wait_for(sagemaker, ENDPOINT, "endpoint wdbc-dev", NO_DELAY, print, EndpointName="wdbc-dev")
