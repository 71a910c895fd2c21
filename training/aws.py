"""What the SageMaker commands share: boto3 clients, the names and tags of what this project
creates, AWS errors as one line, and bounded waits on boto3's own waiters."""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import boto3
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from training import BadName, CloudError, WaitFailed, WaitTimedOut

Echo = Callable[[str], None]
PROJECT_TAG_KEY = "project"
PROJECT = "wdbc-predictor"  # the Chalice app_name, and the model package group's name
VERSION_TAG_KEY = "wdbc:model-version"
SEED_TAG_KEY = "wdbc:seed"
TRAINING_JOB_TAG_KEY = "wdbc:training-job"
MODEL_PACKAGE_TAG_KEY = "wdbc:model-package"
BASE_JOB_NAME = "wdbc-linear-learner"
# Endpoint config names hold the endpoint name, the version (12 hex digits from a training job,
# v<N> from the registry) and a 14-digit time; SageMaker allows 63 characters in all.
MAX_ENDPOINT_NAME = 35
_ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


@dataclass(frozen=True)
class AwsClients:
    """Built once and handed in; the tests hand in moto's."""

    session: Any  # boto3's, for the sagemaker SDK
    sagemaker: Any
    autoscaling: Any  # application-autoscaling
    s3: Any
    sts: Any

    @classmethod
    def create(cls, region: str | None = None) -> AwsClients:
        session = boto3.session.Session(region_name=region)
        if session.region_name is None:
            raise CloudError("no AWS region: pass --region or set AWS_REGION")
        services = ("sagemaker", "application-autoscaling", "s3", "sts")
        return cls(session, *map(session.client, services))


def check_endpoint_name(name: str) -> str:
    if not _ENDPOINT_NAME.match(name) or len(name) > MAX_ENDPOINT_NAME:
        raise BadName(f"endpoint name {name!r} must be at most {MAX_ENDPOINT_NAME} letters, "
                      "digits and inner hyphens")  # fmt: skip
    return name


def model_version(model_data_url: str) -> str:
    """A training job's model version: a content address of where its model lives (the URL
    holds the job's unique name, so each job gives a new version)."""
    return hashlib.sha256(model_data_url.encode("utf-8")).hexdigest()[:12]


def project_tags(extra: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    tags = {PROJECT_TAG_KEY: PROJECT, **(extra or {})}
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def tags_of(sagemaker: Any, arn: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def is_project_resource(tags: Mapping[str, str]) -> bool:
    return tags.get(PROJECT_TAG_KEY) == PROJECT


def describe_or_none(describe: Callable[..., Any], **name: str) -> dict[str, Any] | None:
    """The answer, or None where SageMaker says the resource does not exist: ValidationException
    "Could not find ..." or "... does not exist", ResourceNotFound for model cards."""
    try:
        return dict(describe(**name))
    except ClientError as error:
        details = error.response.get("Error", {})
        code, message = details.get("Code"), details.get("Message", "").lower()
        if code == "ResourceNotFound" or (
            code in {"ValidationException", "ValidationError"}
            and any(words in message for words in ("could not find", "does not exist", "not found"))
        ):
            return None
        raise


def cloud_error(action: str, error: ClientError | BotoCoreError) -> CloudError:
    """One line for the CLI: which step, AWS's error code and message."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return CloudError(f"{action}: {details.get('Code', 'error')}: {details.get('Message', '')}")
    return CloudError(f"{action}: {type(error).__name__}: {error}")


class WaitPolicy(NamedTuple):
    timeout_seconds: float
    poll_seconds: float = 15.0


class Watch(NamedTuple):
    """A boto3 waiter, the describe call it polls, and where the status is in the answer."""

    waiter: str
    operation: str
    status_key: str
    succeeded: str
    detail_key: str = ""


TRAINING_JOB = Watch("training_job_completed_or_stopped", "DescribeTrainingJob",
                     "TrainingJobStatus", "Completed", "SecondaryStatus")  # fmt: skip
ENDPOINT = Watch("endpoint_in_service", "DescribeEndpoint", "EndpointStatus", "InService")


def wait_for(
    sagemaker: Any, watch: Watch, what: str, policy: WaitPolicy, echo: Echo, **name: str
) -> dict[str, Any]:
    """Poll with boto3's waiter until a final status, echoing each change of status with the
    time elapsed (a hook on the waiter's describe calls). Raises WaitFailed with SageMaker's
    FailureReason, or WaitTimedOut."""
    started, shown, last = time.monotonic(), [""], dict[str, Any]()

    def show(parsed: Mapping[str, Any], **_: Any) -> None:
        if watch.status_key in parsed:
            last.update(parsed)
            status, detail = parsed[watch.status_key], parsed.get(watch.detail_key)
            current = f"{status} ({detail})" if detail and detail != status else str(status)
            if current != shown[-1]:
                echo(f"{what}: {current} after {_duration(time.monotonic() - started)}")
                shown.append(current)

    event, hook = f"after-call.sagemaker.{watch.operation}", f"wdbc-wait-{id(show)}"
    sagemaker.meta.events.register(event, show, unique_id=hook)
    attempts = 1 + math.ceil(policy.timeout_seconds / max(policy.poll_seconds, 1.0))
    try:
        config = {"Delay": policy.poll_seconds, "MaxAttempts": attempts}
        sagemaker.get_waiter(watch.waiter).wait(**name, WaiterConfig=config)
    except WaiterError as error:
        if "Max attempts exceeded" in str(error.kwargs.get("reason")):
            raise WaitTimedOut(
                f"{what} is still {last.get(watch.status_key)} after "
                f"{_duration(time.monotonic() - started)}; the wait is bounded at "
                f"{_duration(policy.timeout_seconds)} (it may still finish: see `status`)"
            ) from None
        if not last:
            message = error.last_response.get("Error", {}).get("Message")
            raise CloudError(f"{what}: {message}") from None
    finally:
        sagemaker.meta.events.unregister(event, unique_id=hook)
    if last.get(watch.status_key) != watch.succeeded:
        reason = last.get("FailureReason") or "SageMaker gave no FailureReason"
        raise WaitFailed(f"{what} is {last.get(watch.status_key)}: {reason}")
    return last


def _duration(seconds: float) -> str:
    minutes, remainder = divmod(int(seconds), 60)
    return f"{minutes}m{remainder:02d}s" if minutes else f"{remainder}s"
