"""The model on SageMaker: clients, this project's tags, bounded waits, and the endpoint that
serves it (deploy or update, autoscaling, status, delete). boto3 only: no scikit-learn or numpy.

A later deployment makes a new endpoint config and calls UpdateEndpoint, which SageMaker carries
out without downtime (blue/green), then deletes the config and model it replaced. A deployed model
is owned by one endpoint: model ``<endpoint>-<version>``, endpoint config
``<endpoint>-<version>-<UTC time>``, production variant ``<version>``, since the API reports the
variant that answered as the model version.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import boto3
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

Echo = Callable[[str], None]
PROJECT_TAG_KEY = "project"
PROJECT = "wdbc-predictor"  # the Chalice app_name, and the model package group's name
VERSION_TAG_KEY = "wdbc:model-version"
SEED_TAG_KEY = "wdbc:seed"
TRAINING_JOB_TAG_KEY = "wdbc:training-job"
MODEL_PACKAGE_TAG_KEY = "wdbc:model-package"
# Endpoint config names hold the endpoint name, the version (12 hex digits from a training job,
# v<N> from the registry) and a 14-digit time; SageMaker allows 63 characters in all.
MAX_ENDPOINT_NAME = 35
_ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)
SCALING = {
    "ServiceNamespace": "sagemaker",
    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
}
SCALING_METRIC = "SageMakerVariantInvocationsPerInstance"


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


def model_version(model_data_url: str) -> str:
    """A training job's model version: a content address of where its model lives (the URL
    holds the job's unique name, so each job gives a new version)."""
    return hashlib.sha256(model_data_url.encode("utf-8")).hexdigest()[:12]


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


class Autoscaling(NamedTuple):
    """Target tracking on invocations per instance per minute."""

    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: float


@dataclass(frozen=True)
class DeployRequest:
    """Where and how to serve: real-time instances, or serverless inference when ``memory_mb``
    is given. Checked when made, before any call: what SageMaker would refuse later."""

    endpoint: str
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    memory_mb: int | None = None
    max_concurrency: int = 5
    autoscaling: Autoscaling | None = None
    role_arn: str | None = None  # None: the training job's own role

    def __post_init__(self) -> None:
        if not _ENDPOINT_NAME.match(self.endpoint) or len(self.endpoint) > MAX_ENDPOINT_NAME:
            raise BadName(f"endpoint name {self.endpoint!r} must be at most {MAX_ENDPOINT_NAME} "
                          "letters, digits and inner hyphens")  # fmt: skip
        if self.autoscaling is not None:
            if self.memory_mb is not None:
                raise ValueError("autoscaling applies to instance hosting, not serverless")
            if not 1 <= self.autoscaling.min_capacity <= self.autoscaling.max_capacity:
                raise ValueError("autoscaling needs 1 <= min capacity <= max capacity")

    def variant_settings(self) -> tuple[dict[str, Any], str]:
        """The production variant's hosting settings, and a line that says what they are."""
        if self.memory_mb is None:
            instances = {
                "InstanceType": self.instance_type,
                "InitialInstanceCount": self.instance_count,
            }
            return instances, f"{self.instance_count} x {self.instance_type}"
        config = {"MemorySizeInMB": self.memory_mb, "MaxConcurrency": self.max_concurrency}
        described = f"serverless, {self.memory_mb} MB, at most {self.max_concurrency} at once"
        return {"ServerlessConfig": config}, described


@dataclass(frozen=True)
class ModelSource:
    """What a deployment serves: a registered version, or a training job's model directly."""

    version: str  # the production variant's name, the API's model.version
    container: Mapping[str, str]
    training_job: str
    model_package: str | None = None

    @classmethod
    def training_job_model(cls, sagemaker: Any, name: str) -> ModelSource:
        job = sagemaker.describe_training_job(TrainingJobName=name)
        url = job["ModelArtifacts"]["S3ModelArtifacts"]
        image = job["AlgorithmSpecification"]["TrainingImage"]
        return cls(model_version(url), {"Image": image, "ModelDataUrl": url}, name)


class Deployment(NamedTuple):
    endpoint: str
    endpoint_arn: str
    model: str
    endpoint_config: str
    version: str  # the production variant's name too
    training_job: Mapping[str, Any]  # describe_training_job's answer, for the model card
    replaced: tuple[str, ...]  # what the update made obsolete and deleted


def deploy(
    clients: AwsClients,
    source: ModelSource,
    request: DeployRequest,
    policy: WaitPolicy,
    echo: Echo,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Deployment:
    sagemaker, endpoint, variant = clients.sagemaker, request.endpoint, source.version
    job = sagemaker.describe_training_job(TrainingJobName=source.training_job)
    if job["TrainingJobStatus"] != "Completed":
        raise CloudError(
            f"training job {source.training_job} is {job['TrainingJobStatus']}, not Completed"
        )
    package = {MODEL_PACKAGE_TAG_KEY: source.model_package} if source.model_package else {}
    tags = project_tags(
        {VERSION_TAG_KEY: variant, TRAINING_JOB_TAG_KEY: source.training_job, **package}
    )
    model = f"{endpoint}-{variant}"
    config = f"{model}-{now():%Y%m%d%H%M%S}"
    previous = describe_or_none(sagemaker.describe_endpoint, EndpointName=endpoint)
    if previous is not None and previous["EndpointStatus"] != "InService":
        raise CloudError(
            f"endpoint {endpoint} is {previous['EndpointStatus']}; only an InService "
            "endpoint can be updated: wait for it, or `delete` it first"
        )
    if describe_or_none(sagemaker.describe_model, ModelName=model) is None:
        role = request.role_arn or job["RoleArn"]
        sagemaker.create_model(ModelName=model, PrimaryContainer=dict(source.container),
                               ExecutionRoleArn=role, Tags=tags)  # fmt: skip
        echo(f"created model {model}")
    settings, described = request.variant_settings()
    sagemaker.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {"VariantName": variant, "ModelName": model, "InitialVariantWeight": 1.0, **settings}
        ],
        Tags=tags,
    )
    echo(f"created endpoint config {config} ({described}, variant {variant})")
    if previous is None:
        sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=config, Tags=tags)
        echo(f"creating endpoint {endpoint}")
    else:
        # Scaling targets pin the old variants; SageMaker refuses an update that drops them.
        for removed in disable_autoscaling(clients.autoscaling, endpoint, _variants(previous)):
            echo(f"removed {removed} for the update")
        sagemaker.update_endpoint(EndpointName=endpoint, EndpointConfigName=config)
        echo(f"updating endpoint {endpoint} from {previous['EndpointConfigName']}")
    try:
        final = wait_for(
            sagemaker, ENDPOINT, f"endpoint {endpoint}", policy, echo, EndpointName=endpoint
        )
        if final["EndpointConfigName"] != config:
            # A failed update rolls back to the old config and ends InService again.
            reason = final.get("FailureReason") or "SageMaker gave no FailureReason"
            raise WaitFailed(f"endpoint {endpoint} rolled back to its old config: {reason}")
    except WaitFailed:
        if previous is not None:  # the endpoint still runs its old config: drop the new one
            old = sagemaker.describe_endpoint_config(
                EndpointConfigName=previous["EndpointConfigName"]
            )
            sagemaker.delete_endpoint_config(EndpointConfigName=config)
            echo(f"deleted unused endpoint config {config}")
            if model not in _variants(old, "ModelName"):
                sagemaker.delete_model(ModelName=model)
                echo(f"deleted unused model {model}")
        raise
    replaced: list[str] = []
    if previous is not None:
        # Tags are set when a resource is created; the endpoint now serves another version.
        retagged = [VERSION_TAG_KEY, TRAINING_JOB_TAG_KEY, MODEL_PACKAGE_TAG_KEY]
        sagemaker.delete_tags(ResourceArn=final["EndpointArn"], TagKeys=retagged)
        sagemaker.add_tags(ResourceArn=final["EndpointArn"], Tags=tags[1:])
        replaced = _delete_replaced(sagemaker, previous["EndpointConfigName"], keep_model=model)
        for name in replaced:
            echo(f"deleted {name}")
    if request.autoscaling is not None:
        enable_autoscaling(clients.autoscaling, endpoint, variant, request.autoscaling, echo)
    return Deployment(endpoint, final["EndpointArn"], model, config, variant, job, tuple(replaced))


def enable_autoscaling(
    client: Any, endpoint: str, variant: str, scaling: Autoscaling, echo: Echo
) -> None:
    low, high, target = scaling
    scalable = {**SCALING, "ResourceId": f"endpoint/{endpoint}/variant/{variant}"}
    client.register_scalable_target(**scalable, MinCapacity=low, MaxCapacity=high)
    client.put_scaling_policy(
        **scalable,
        PolicyName=f"{endpoint}-{variant}-invocations",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target,
            "PredefinedMetricSpecification": {"PredefinedMetricType": SCALING_METRIC},
            "ScaleInCooldown": 300,  # seconds: slow to let go of capacity, quick to add it
            "ScaleOutCooldown": 60,
        },
    )
    echo(f"autoscaling {variant}: {low}..{high} instances at {target:g} invocations per instance")


def disable_autoscaling(client: Any, endpoint: str, variants: Iterable[str]) -> list[str]:
    """Delete the policies and deregister the targets of these variants; returns what it removed.
    Needed before an update that drops a scaled variant, and on delete, so nothing is left
    behind whatever IAM allows SageMaker to do."""
    removed = []
    for variant in variants:
        target = {**SCALING, "ResourceId": f"endpoint/{endpoint}/variant/{variant}"}
        for policy in client.describe_scaling_policies(**target).get("ScalingPolicies", []):
            client.delete_scaling_policy(**target, PolicyName=policy["PolicyName"])
            removed.append(f"scaling policy {policy['PolicyName']}")
        if client.describe_scalable_targets(
            ServiceNamespace=SCALING["ServiceNamespace"], ResourceIds=[target["ResourceId"]]
        ).get("ScalableTargets"):
            client.deregister_scalable_target(**target)
            removed.append(f"scalable target {target['ResourceId']}")
    return removed


def delete_endpoint(clients: AwsClients, endpoint: str, echo: Echo) -> list[str]:
    """The endpoint first (SageMaker needs its config and model no longer in use), then its
    scaling, config and model, which deploy named after it. The Model Registry is left alone."""
    sagemaker = clients.sagemaker
    description = describe_or_none(sagemaker.describe_endpoint, EndpointName=endpoint)
    if description is None:
        raise CloudError(f"there is no endpoint {endpoint}")
    config_name = description["EndpointConfigName"]
    config = describe_or_none(sagemaker.describe_endpoint_config, EndpointConfigName=config_name)
    deleted = disable_autoscaling(clients.autoscaling, endpoint, _variants(description))
    sagemaker.delete_endpoint(EndpointName=endpoint)
    deleted.append(f"endpoint {endpoint}")
    if config is not None:
        sagemaker.delete_endpoint_config(EndpointConfigName=config_name)
        deleted.append(f"endpoint config {config_name}")
        for model in _variants(config, "ModelName"):
            if describe_or_none(sagemaker.describe_model, ModelName=model) is not None:
                sagemaker.delete_model(ModelName=model)
                deleted.append(f"model {model}")
    for line in deleted:
        echo(f"deleted {line}")
    return deleted


# (kind, paginated list call, its result key, name key, ARN key, status key)
_KINDS = (
    ("training job", "list_training_jobs", "TrainingJobSummaries", "TrainingJobName",
     "TrainingJobArn", "TrainingJobStatus"),
    ("model", "list_models", "Models", "ModelName", "ModelArn", ""),
    ("endpoint config", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName",
     "EndpointConfigArn", ""),
    ("endpoint", "list_endpoints", "Endpoints", "EndpointName", "EndpointArn", "EndpointStatus"),
)  # fmt: skip


def project_resources(clients: AwsClients) -> list[str]:
    """A line per resource carrying the project tag: kind, name, status and model version."""
    lines = []
    for kind, operation, result_key, name_key, arn_key, status_key in _KINDS:
        # Training jobs are named <project>-<model>-<time>: listing them all would be slow.
        arguments = {"NameContains": PROJECT} if kind == "training job" else {}
        for page in clients.sagemaker.get_paginator(operation).paginate(**arguments):
            for summary in page.get(result_key, []):
                tags = tags_of(clients.sagemaker, summary[arn_key])
                if is_project_resource(tags):
                    version = tags.get(VERSION_TAG_KEY)
                    details = [summary.get(status_key), version and f"version {version}"]
                    line = f"{kind:<16} {summary[name_key]}  " + "  ".join(filter(None, details))
                    lines.append(line.rstrip())
    return lines


def _variants(description: Mapping[str, Any], key: str = "VariantName") -> list[str]:
    return [variant[key] for variant in description.get("ProductionVariants", [])]


def _delete_replaced(sagemaker: Any, config: str, keep_model: str) -> list[str]:
    """The old endpoint config, and its models if this project made them and they are not kept."""
    old = sagemaker.describe_endpoint_config(EndpointConfigName=config)
    deleted = []
    if is_project_resource(tags_of(sagemaker, old["EndpointConfigArn"])):
        sagemaker.delete_endpoint_config(EndpointConfigName=config)
        deleted.append(f"endpoint config {config}")
    for model in _variants(old, "ModelName"):
        described = describe_or_none(sagemaker.describe_model, ModelName=model)
        if (
            model != keep_model
            and described
            and is_project_resource(tags_of(sagemaker, described["ModelArn"]))
        ):
            sagemaker.delete_model(ModelName=model)
            deleted.append(f"model {model}")
    return deleted
