"""Hosting the model: deploy to an endpoint (or move one to a new model), autoscaling, what this
project has on SageMaker, delete, and scoring the held-out rows through an endpoint.

Plain boto3 calls: model, endpoint config, endpoint. A later deployment makes a new endpoint
config and calls UpdateEndpoint, which SageMaker carries out without downtime (blue/green), then
deletes the config and model it replaced. A deployed model is owned by one endpoint: model
``<endpoint>-<version>``, endpoint config ``<endpoint>-<version>-<UTC time>``, production variant
``<version>``, since the API reports the variant that answered as the model version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np

from chalicelib.endpoint import ModelEndpoint
from chalicelib.errors import ApiError
from chalicelib.model_answer import MALIGNANT, read_predictions
from training import CloudError, WaitFailed, aws
from training.data import SplitPart
from training.local import ClassificationMetrics, metrics_of_predictions

SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)
DEFAULT_BATCH_ROWS = 100
SCALING = {
    "ServiceNamespace": "sagemaker",
    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
}
SCALING_METRIC = "SageMakerVariantInvocationsPerInstance"


@dataclass(frozen=True)
class Hosting:
    """Real-time instances, or serverless inference when ``memory_mb`` is given."""

    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    memory_mb: int | None = None
    max_concurrency: int = 5

    def variant_settings(self) -> dict[str, Any]:
        if self.memory_mb is None:
            return {"InstanceType": self.instance_type, "InitialInstanceCount": self.instance_count}
        config = {"MemorySizeInMB": self.memory_mb, "MaxConcurrency": self.max_concurrency}
        return {"ServerlessConfig": config}

    def describe(self) -> str:
        if self.memory_mb is None:
            return f"{self.instance_count} x {self.instance_type}"
        return f"serverless, {self.memory_mb} MB, at most {self.max_concurrency} at once"


class Autoscaling(NamedTuple):
    """Target tracking on invocations per instance per minute."""

    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: float


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
        return cls(aws.model_version(url), {"Image": image, "ModelDataUrl": url}, name)

    def tags(self) -> list[dict[str, str]]:
        tags = {aws.VERSION_TAG_KEY: self.version, aws.TRAINING_JOB_TAG_KEY: self.training_job}
        package = {aws.MODEL_PACKAGE_TAG_KEY: self.model_package} if self.model_package else {}
        return aws.project_tags(tags | package)


@dataclass(frozen=True)
class DeployRequest:
    source: ModelSource
    endpoint: str
    hosting: Hosting
    autoscaling: Autoscaling | None = None
    role_arn: str | None = None  # None: the training job's own role

    def __post_init__(self) -> None:
        aws.check_endpoint_name(self.endpoint)
        if self.autoscaling is not None:
            if self.hosting.memory_mb is not None:
                raise ValueError("autoscaling applies to instance hosting, not serverless")
            if not 1 <= self.autoscaling.min_capacity <= self.autoscaling.max_capacity:
                raise ValueError("autoscaling needs 1 <= min capacity <= max capacity")


class Deployment(NamedTuple):
    endpoint: str
    endpoint_arn: str
    model: str
    endpoint_config: str
    version: str  # the production variant's name too
    training_job: Mapping[str, Any]  # describe_training_job's answer, for the model card
    replaced: tuple[str, ...]  # what the update made obsolete and deleted


def deploy(
    clients: aws.AwsClients,
    request: DeployRequest,
    policy: aws.WaitPolicy,
    echo: aws.Echo,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Deployment:
    sagemaker, source, endpoint = clients.sagemaker, request.source, request.endpoint
    job = sagemaker.describe_training_job(TrainingJobName=source.training_job)
    if job["TrainingJobStatus"] != "Completed":
        raise CloudError(
            f"training job {source.training_job} is {job['TrainingJobStatus']}, not Completed"
        )
    tags, variant = source.tags(), source.version
    model = f"{endpoint}-{variant}"
    config = f"{model}-{now():%Y%m%d%H%M%S}"
    previous = aws.describe_or_none(sagemaker.describe_endpoint, EndpointName=endpoint)
    if previous is not None and previous["EndpointStatus"] != "InService":
        raise CloudError(
            f"endpoint {endpoint} is {previous['EndpointStatus']}; only an InService "
            "endpoint can be updated: wait for it, or `delete` it first"
        )
    if aws.describe_or_none(sagemaker.describe_model, ModelName=model) is None:
        role = request.role_arn or job["RoleArn"]
        container = dict(source.container)
        sagemaker.create_model(
            ModelName=model, PrimaryContainer=container, ExecutionRoleArn=role, Tags=tags
        )
        echo(f"created model {model}")
    settings = {"VariantName": variant, "ModelName": model, "InitialVariantWeight": 1.0}
    sagemaker.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[settings | request.hosting.variant_settings()],
        Tags=tags,
    )
    echo(f"created endpoint config {config} ({request.hosting.describe()}, variant {variant})")
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
        final = aws.wait_for(
            sagemaker, aws.ENDPOINT, f"endpoint {endpoint}", policy, echo, EndpointName=endpoint
        )
        if final["EndpointConfigName"] != config:
            # A failed update rolls back to the old config and ends InService again.
            reason = final.get("FailureReason") or "SageMaker gave no FailureReason"
            raise WaitFailed(f"endpoint {endpoint} rolled back to its old config: {reason}")
    except WaitFailed:
        if previous is not None:  # the endpoint still runs its old config: drop the new one
            old_config = previous["EndpointConfigName"]
            old = sagemaker.describe_endpoint_config(EndpointConfigName=old_config)
            sagemaker.delete_endpoint_config(EndpointConfigName=config)
            echo(f"deleted unused endpoint config {config}")
            if model not in _variants(old, "ModelName"):
                sagemaker.delete_model(ModelName=model)
                echo(f"deleted unused model {model}")
        raise
    replaced: list[str] = []
    if previous is not None:
        # Tags are set when a resource is created; the endpoint now serves another version.
        retagged = [aws.VERSION_TAG_KEY, aws.TRAINING_JOB_TAG_KEY, aws.MODEL_PACKAGE_TAG_KEY]
        sagemaker.delete_tags(ResourceArn=final["EndpointArn"], TagKeys=retagged)
        sagemaker.add_tags(ResourceArn=final["EndpointArn"], Tags=tags[1:])
        replaced = _delete_replaced(sagemaker, previous["EndpointConfigName"], keep_model=model)
        for name in replaced:
            echo(f"deleted {name}")
    if request.autoscaling is not None:
        enable_autoscaling(clients.autoscaling, endpoint, variant, request.autoscaling, echo)
    return Deployment(endpoint, final["EndpointArn"], model, config, variant, job, tuple(replaced))


def enable_autoscaling(
    client: Any, endpoint: str, variant: str, scaling: Autoscaling, echo: aws.Echo
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


def delete_endpoint(clients: aws.AwsClients, endpoint: str, echo: aws.Echo) -> list[str]:
    """The endpoint first (SageMaker needs its config and model no longer in use), then its
    scaling, config and model, which deploy named after it. The Model Registry is left alone."""
    sagemaker = clients.sagemaker
    description = aws.describe_or_none(sagemaker.describe_endpoint, EndpointName=endpoint)
    if description is None:
        raise CloudError(f"there is no endpoint {endpoint}")
    config_name = description["EndpointConfigName"]
    config = aws.describe_or_none(
        sagemaker.describe_endpoint_config, EndpointConfigName=config_name
    )
    deleted = disable_autoscaling(clients.autoscaling, endpoint, _variants(description))
    sagemaker.delete_endpoint(EndpointName=endpoint)
    deleted.append(f"endpoint {endpoint}")
    if config is not None:
        sagemaker.delete_endpoint_config(EndpointConfigName=config_name)
        deleted.append(f"endpoint config {config_name}")
        for model in _variants(config, "ModelName"):
            if aws.describe_or_none(sagemaker.describe_model, ModelName=model) is not None:
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


def project_resources(clients: aws.AwsClients) -> list[str]:
    """A line per resource carrying the project tag: kind, name, status and model version."""
    lines = []
    for kind, operation, result_key, name_key, arn_key, status_key in _KINDS:
        arguments = {"NameContains": aws.BASE_JOB_NAME} if kind == "training job" else {}
        for page in clients.sagemaker.get_paginator(operation).paginate(**arguments):
            for summary in page.get(result_key, []):
                tags = aws.tags_of(clients.sagemaker, summary[arn_key])
                if aws.is_project_resource(tags):
                    version = tags.get(aws.VERSION_TAG_KEY)
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
    if aws.is_project_resource(aws.tags_of(sagemaker, old["EndpointConfigArn"])):
        sagemaker.delete_endpoint_config(EndpointConfigName=config)
        deleted.append(f"endpoint config {config}")
    for model in _variants(old, "ModelName"):
        described = aws.describe_or_none(sagemaker.describe_model, ModelName=model)
        if (
            model != keep_model
            and described
            and aws.is_project_resource(aws.tags_of(sagemaker, described["ModelArn"]))
        ):
            sagemaker.delete_model(ModelName=model)
            deleted.append(f"model {model}")
    return deleted


class RemoteEvaluation(NamedTuple):
    metrics: ClassificationMetrics
    variants: tuple[str, ...]  # the production variants that answered
    calls: int


def evaluate_endpoint(
    endpoint: ModelEndpoint, rows: SplitPart, batch_rows: int = DEFAULT_BATCH_ROWS
) -> RemoteEvaluation:
    """The held-out rows through InvokeEndpoint in CSV batches, with the same client code the
    API uses; the labels are the endpoint's own ``predicted_label``."""
    if batch_rows < 1:
        raise ValueError("a batch needs at least one row")
    labels, scores, variants = [], [], dict[str, None]()
    starts = range(0, len(rows.labels), batch_rows)
    for start in starts:
        batch = rows.features[start : start + batch_rows].tolist()
        try:
            answer = endpoint.invoke(batch)
            predictions = read_predictions(answer, len(batch))
        except ApiError as error:
            raise CloudError(f"endpoint {endpoint.name} failed on rows {start + 1}.."
                             f"{start + len(batch)}: {error}") from None  # fmt: skip
        variants.update({answer.variant: None} if answer.variant else {})
        labels += [prediction.label == MALIGNANT for prediction in predictions]
        scores += [prediction.probability_malignant for prediction in predictions]
    metrics = metrics_of_predictions(rows.labels, np.array(labels), np.array(scores))
    return RemoteEvaluation(metrics, tuple(variants), len(starts))
