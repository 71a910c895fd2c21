"""SageMaker plumbing both command lines use: clients built once, this project's tags, waits
bounded in time with a line per change of status, and the one-line errors the commands print.
boto3 only: no scikit-learn or numpy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

import boto3
import click
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

Echo = Callable[[str], None]
PROJECT_TAG_KEY = "project"
PROJECT = "wdbc-predictor"  # the Chalice app_name, and the model package group's name
VERSION_TAG_KEY = "wdbc:model-version"
SEED_TAG_KEY = "wdbc:seed"
TRAINING_JOB_TAG_KEY = "wdbc:training-job"
MODEL_PACKAGE_TAG_KEY = "wdbc:model-package"


class CloudError(Exception):
    """SageMaker, S3 or Application Auto Scaling refused or failed; the message says which call."""


class BadName(CloudError):
    """A name SageMaker would refuse, caught before any call is made."""


class WaitFailed(CloudError):
    """A training job or endpoint ended in a failed state; the message holds its FailureReason."""


class WaitTimedOut(CloudError):
    """A training job or endpoint did not reach its goal within the bounded wait."""


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


@contextmanager
def one_line_errors(action: str, *expected: type[Exception]) -> Iterator[None]:
    """A command's failures as one line and exit status 1, never a traceback: the message of an
    error it expects (and of CloudError), or which step AWS refused, with AWS's code and message."""
    kinds: tuple[type[Exception], ...] = (CloudError, *expected)
    try:
        yield
    except kinds as error:
        raise click.ClickException(str(error)) from None
    except (ClientError, BotoCoreError) as error:
        raise click.ClickException(str(cloud_error(action, error))) from None


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
