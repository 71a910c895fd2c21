"""Hosting the model: deploy to an endpoint (or move one to a new model), autoscaling, what this
project has on SageMaker, delete, and scoring the held-out rows through an endpoint.

Plain boto3 ``sagemaker`` calls: model, endpoint config, endpoint. A first deployment creates
the endpoint; a later one makes a new endpoint config and calls UpdateEndpoint, which SageMaker
carries out without downtime (blue/green), then deletes the config and model it replaced. A
deployed model is owned by one endpoint: model ``<endpoint>-<version>``, endpoint config
``<endpoint>-<version>-<UTC time>``, production variant ``<version>``. The API reports the
variant that answered as the model version, so the variant is named exactly that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from chalicelib.endpoint import ModelEndpoint
from chalicelib.errors import ApiError
from chalicelib.model_answer import MALIGNANT, read_predictions
from training import CloudError, WaitFailed
from training.aws import (
    BASE_JOB_NAME,
    ENDPOINT,
    MODEL_PACKAGE_TAG_KEY,
    TRAINING_JOB_TAG_KEY,
    VERSION_TAG_KEY,
    AwsClients,
    Echo,
    WaitPolicy,
    check_endpoint_name,
    describe_or_none,
    is_project_resource,
    model_version,
    project_tags,
    tags_of,
    wait_for,
)
from training.data import SplitPart
from training.local import ClassificationMetrics, metrics_of_predictions

DEFAULT_INSTANCE_TYPE = "ml.m5.large"
DEFAULT_MEMORY_MB = 2048
DEFAULT_MAX_CONCURRENCY = 5
SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)
DEFAULT_BATCH_ROWS = 100
SCALING = {
    "ServiceNamespace": "sagemaker",
    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
}
SCALING_METRIC = "SageMakerVariantInvocationsPerInstance"
_RETAGGED = (VERSION_TAG_KEY, TRAINING_JOB_TAG_KEY, MODEL_PACKAGE_TAG_KEY)


@dataclass(frozen=True)
class Hosting:
    """Real-time instances, or serverless inference when ``memory_mb`` is given."""

    instance_type: str = DEFAULT_INSTANCE_TYPE
    instance_count: int = 1
    memory_mb: int | None = None
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY

    def __post_init__(self) -> None:
        if self.memory_mb is not None and self.memory_mb not in SERVERLESS_MEMORY_SIZES:
            raise ValueError(f"serverless memory must be one of {SERVERLESS_MEMORY_SIZES} MB")

    def variant_settings(self) -> dict[str, Any]:
        if self.memory_mb is None:
            return {"InstanceType": self.instance_type, "InitialInstanceCount": self.instance_count}
        config = {"MemorySizeInMB": self.memory_mb, "MaxConcurrency": self.max_concurrency}
        return {"ServerlessConfig": config}

    def describe(self) -> str:
        if self.memory_mb is None:
            return f"{self.instance_count} x {self.instance_type}"
        return f"serverless, {self.memory_mb} MB, at most {self.max_concurrency} at once"


@dataclass(frozen=True)
class Autoscaling:
    """A target-tracking policy on SageMaker's invocations-per-instance metric: the variant is
    held at ``target_invocations_per_instance`` per instance per minute."""

    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: float

    def __post_init__(self) -> None:
        if not 1 <= self.min_capacity <= self.max_capacity:
            raise ValueError("autoscaling needs 1 <= min capacity <= max capacity")


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

    def tags(self) -> dict[str, str]:
        tags = {VERSION_TAG_KEY: self.version, TRAINING_JOB_TAG_KEY: self.training_job}
        return tags | ({MODEL_PACKAGE_TAG_KEY: self.model_package} if self.model_package else {})


@dataclass(frozen=True)
class DeployRequest:
    source: ModelSource
    endpoint: str
    hosting: Hosting
    autoscaling: Autoscaling | None = None
    role_arn: str | None = None  # None: the training job's own role

    def __post_init__(self) -> None:
        check_endpoint_name(self.endpoint)
        if self.autoscaling is not None and self.hosting.memory_mb is not None:
            raise ValueError("autoscaling applies to instance hosting, not serverless")


@dataclass(frozen=True)
class Deployment:
    endpoint: str
    endpoint_arn: str
    model: str
    endpoint_config: str
    version: str  # the production variant's name too
    training_job: Mapping[str, Any]  # describe_training_job's answer, for the model card
    replaced: tuple[str, ...]  # what the update made obsolete and deleted


def deploy(
    clients: AwsClients,
    request: DeployRequest,
    policy: WaitPolicy,
    echo: Echo,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Deployment:
    sagemaker, source, endpoint = clients.sagemaker, request.source, request.endpoint
    job = sagemaker.describe_training_job(TrainingJobName=source.training_job)
    if job["TrainingJobStatus"] != "Completed":
        raise CloudError(
            f"training job {source.training_job} is {job['TrainingJobStatus']}, not Completed"
        )
    tags = project_tags(source.tags())
    model = f"{endpoint}-{source.version}"
    config = f"{endpoint}-{source.version}-{now():%Y%m%d%H%M%S}"
    variant = source.version  # the API reports the variant that answered as model.version
    previous = describe_or_none(sagemaker.describe_endpoint, EndpointName=endpoint)
    if previous is not None and previous["EndpointStatus"] != "InService":
        raise CloudError(
            f"endpoint {endpoint} is {previous['EndpointStatus']}; only an InService "
            "endpoint can be updated: wait for it, or `delete` it first"
        )
    if describe_or_none(sagemaker.describe_model, ModelName=model) is None:
        sagemaker.create_model(
            ModelName=model,
            PrimaryContainer=dict(source.container),
            ExecutionRoleArn=request.role_arn or job["RoleArn"],
            Tags=tags,
        )
        echo(f"created model {model}")
    sagemaker.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": model,
                "InitialVariantWeight": 1.0,
                **request.hosting.variant_settings(),
            }
        ],
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
        final = wait_for(
            sagemaker, ENDPOINT, f"endpoint {endpoint}", policy, echo, EndpointName=endpoint
        )
        if final["EndpointConfigName"] != config:
            # A failed update rolls back to the old config and ends InService again.
            reason = final.get("FailureReason") or "SageMaker gave no FailureReason"
            raise WaitFailed(f"endpoint {endpoint} rolled back to its old config: {reason}")
    except WaitFailed:
        if previous is not None:
            _delete_unused(sagemaker, config, model, previous, echo)
        raise
    replaced: list[str] = []
    if previous is not None:
        # Tags are set when a resource is created; the endpoint now serves another version.
        sagemaker.delete_tags(ResourceArn=final["EndpointArn"], TagKeys=list(_RETAGGED))
        sagemaker.add_tags(ResourceArn=final["EndpointArn"], Tags=project_tags(source.tags())[1:])
        replaced = _delete_replaced(sagemaker, previous, keep_model=model)
        for name in replaced:
            echo(f"deleted {name}")
    if request.autoscaling is not None:
        enable_autoscaling(clients.autoscaling, endpoint, variant, request.autoscaling)
        scaling = request.autoscaling
        echo(
            f"autoscaling {variant}: {scaling.min_capacity}..{scaling.max_capacity} instances at "
            f"{scaling.target_invocations_per_instance:g} invocations per instance"
        )
    return Deployment(
        endpoint, final["EndpointArn"], model, config, source.version, job, tuple(replaced)
    )


def enable_autoscaling(client: Any, endpoint: str, variant: str, scaling: Autoscaling) -> None:
    target = {**SCALING, "ResourceId": f"endpoint/{endpoint}/variant/{variant}"}
    client.register_scalable_target(
        **target, MinCapacity=scaling.min_capacity, MaxCapacity=scaling.max_capacity
    )
    client.put_scaling_policy(
        **target,
        PolicyName=f"{endpoint}-{variant}-invocations",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": scaling.target_invocations_per_instance,
            "PredefinedMetricSpecification": {"PredefinedMetricType": SCALING_METRIC},
            "ScaleInCooldown": 300,  # seconds: slow to let go of capacity, quick to add it
            "ScaleOutCooldown": 60,
        },
    )


def disable_autoscaling(client: Any, endpoint: str, variants: Iterable[str]) -> list[str]:
    """Delete the policies and deregister the targets of these variants; returns what it removed.

    Needed before an update that drops a scaled variant or changes its instance type, and
    explicitly on delete, so nothing is left behind whatever IAM allows SageMaker to do.
    """
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
    """The endpoint and everything deploy made for it: scaling, endpoint, config, model; returns
    what was deleted. The endpoint goes first, as SageMaker needs its config and model no longer
    in use. Model and config are this endpoint's own: deploy names them after it. The Model
    Registry is left alone."""
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
    ("model", "list_models", "Models", "ModelName", "ModelArn", None),
    ("endpoint config", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName",
     "EndpointConfigArn", None),
    ("endpoint", "list_endpoints", "Endpoints", "EndpointName", "EndpointArn", "EndpointStatus"),
)  # fmt: skip


def project_resources(clients: AwsClients) -> list[str]:
    """A line per resource carrying the project tag: kind, name, status and model version."""
    lines = []
    for kind, operation, result_key, name_key, arn_key, status_key in _KINDS:
        arguments = {"NameContains": BASE_JOB_NAME} if kind == "training job" else {}
        for page in clients.sagemaker.get_paginator(operation).paginate(**arguments):
            for summary in page.get(result_key, []):
                tags = tags_of(clients.sagemaker, summary[arn_key])
                if is_project_resource(tags):
                    version = tags.get(VERSION_TAG_KEY)
                    details = [summary.get(status_key or ""), version and f"version {version}"]
                    line = f"{kind:<16} {summary[name_key]}  " + "  ".join(filter(None, details))
                    lines.append(line.rstrip())
    return lines


def _variants(description: Mapping[str, Any], key: str = "VariantName") -> list[str]:
    return [variant[key] for variant in description.get("ProductionVariants", [])]


def _delete_replaced(sagemaker: Any, previous: Mapping[str, Any], keep_model: str) -> list[str]:
    """The old endpoint config, and its models if this project made them and they are not kept."""
    old_config_name = previous["EndpointConfigName"]
    old_config = sagemaker.describe_endpoint_config(EndpointConfigName=old_config_name)
    deleted = []
    if is_project_resource(tags_of(sagemaker, old_config["EndpointConfigArn"])):
        sagemaker.delete_endpoint_config(EndpointConfigName=old_config_name)
        deleted.append(f"endpoint config {old_config_name}")
    for old_model in _variants(old_config, "ModelName"):
        described = describe_or_none(sagemaker.describe_model, ModelName=old_model)
        if (
            old_model != keep_model
            and described
            and is_project_resource(tags_of(sagemaker, described["ModelArn"]))
        ):
            sagemaker.delete_model(ModelName=old_model)
            deleted.append(f"model {old_model}")
    return deleted


def _delete_unused(
    sagemaker: Any, config: str, model: str, previous: Mapping[str, Any], echo: Echo
) -> None:
    """After a failed update: the endpoint still runs its old config; drop the new one."""
    sagemaker.delete_endpoint_config(EndpointConfigName=config)
    echo(f"deleted unused endpoint config {config}")
    old = sagemaker.describe_endpoint_config(EndpointConfigName=previous["EndpointConfigName"])
    if model not in _variants(old, "ModelName"):
        sagemaker.delete_model(ModelName=model)
        echo(f"deleted unused model {model}")


@dataclass(frozen=True)
class RemoteEvaluation:
    metrics: ClassificationMetrics
    variants: tuple[str, ...]  # the production variants that answered
    calls: int
    seed: int


def evaluate_endpoint(
    endpoint: ModelEndpoint, rows: SplitPart, seed: int, batch_rows: int = DEFAULT_BATCH_ROWS
) -> RemoteEvaluation:
    """The held-out rows through the endpoint's InvokeEndpoint in CSV batches, with the same
    client code the API uses; the labels are the endpoint's own ``predicted_label``."""
    if batch_rows < 1:
        raise ValueError("a batch needs at least one row")
    labels: list[bool] = []
    scores: list[float] = []
    variants: list[str] = []
    for start in range(0, len(rows.labels), batch_rows):
        batch = rows.features[start : start + batch_rows].tolist()
        try:
            answer = endpoint.invoke(batch)
            predictions = read_predictions(answer, len(batch))
        except ApiError as error:
            raise CloudError(
                f"endpoint {endpoint.name} failed on rows {start + 1}..{start + len(batch)}: "
                f"{error}"
            ) from None
        if answer.variant and answer.variant not in variants:
            variants.append(answer.variant)
        labels.extend(prediction.label == MALIGNANT for prediction in predictions)
        scores.extend(prediction.probability_malignant for prediction in predictions)
    metrics = metrics_of_predictions(
        rows.labels, np.array(labels, dtype=np.bool_), np.array(scores, dtype=np.float64)
    )
    calls = -(-len(rows.labels) // batch_rows)
    return RemoteEvaluation(metrics=metrics, variants=tuple(variants), calls=calls, seed=seed)
