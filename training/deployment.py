"""Deploy a Linear Learner training job's model to an endpoint, or move an endpoint to it.

Plain boto3 ``sagemaker`` calls: model, endpoint config, endpoint. A first deployment creates
the endpoint; a later one makes a new endpoint config and calls UpdateEndpoint, which SageMaker
carries out without downtime (blue/green), then deletes the config and model it replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from training import autoscaling
from training.autoscaling import Autoscaling
from training.aws_clients import AwsClients, is_not_found
from training.errors import CloudError, WaitFailed
from training.hosting import Hosting, InstanceHosting
from training.naming import (
    TRAINING_JOB_TAG_KEY,
    VERSION_TAG_KEY,
    check_endpoint_name,
    endpoint_config_name,
    is_project_resource,
    model_name,
    model_version,
    project_tags,
    variant_name,
)
from training.waiting import Echo, WaitPolicy, endpoint_watch, wait_for


@dataclass(frozen=True)
class DeployRequest:
    training_job: str
    endpoint: str
    hosting: Hosting
    autoscaling: Autoscaling | None = None
    role_arn: str | None = None  # None: the training job's own role

    def __post_init__(self) -> None:
        check_endpoint_name(self.endpoint)
        if self.autoscaling is not None and not isinstance(self.hosting, InstanceHosting):
            raise ValueError("autoscaling applies to instance hosting, not serverless")


@dataclass(frozen=True)
class Deployment:
    endpoint: str
    endpoint_arn: str
    model: str
    endpoint_config: str
    variant: str
    version: str
    training_job: Mapping[str, Any]  # describe_training_job's answer, for the model card
    replaced: tuple[str, ...]  # what the update made obsolete and deleted


def deploy(
    clients: AwsClients,
    request: DeployRequest,
    policy: WaitPolicy,
    echo: Echo,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Deployment:
    sagemaker = clients.sagemaker
    job = sagemaker.describe_training_job(TrainingJobName=request.training_job)
    if job["TrainingJobStatus"] != "Completed":
        raise CloudError(
            f"training job {request.training_job} is {job['TrainingJobStatus']}, not Completed"
        )
    model_data_url = job["ModelArtifacts"]["S3ModelArtifacts"]
    version = model_version(model_data_url)
    tags = project_tags({VERSION_TAG_KEY: version, TRAINING_JOB_TAG_KEY: request.training_job})
    model = model_name(request.endpoint, version)
    config = endpoint_config_name(request.endpoint, version, now())
    variant = variant_name(version)
    previous = _describe_endpoint(sagemaker, request.endpoint)
    if previous is not None and previous["EndpointStatus"] != "InService":
        raise CloudError(
            f"endpoint {request.endpoint} is {previous['EndpointStatus']}; only an InService "
            "endpoint can be updated: wait for it, or `delete` it first"
        )

    if _describe_model(sagemaker, model) is None:
        sagemaker.create_model(
            ModelName=model,
            PrimaryContainer={
                "Image": job["AlgorithmSpecification"]["TrainingImage"],
                "ModelDataUrl": model_data_url,
            },
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
        sagemaker.create_endpoint(
            EndpointName=request.endpoint, EndpointConfigName=config, Tags=tags
        )
        echo(f"creating endpoint {request.endpoint}")
    else:
        # Scaling targets pin the old variants; SageMaker refuses an update that drops them.
        for removed in autoscaling.disable(
            clients.autoscaling, request.endpoint, _variant_names(previous)
        ):
            echo(f"removed {removed} for the update")
        sagemaker.update_endpoint(EndpointName=request.endpoint, EndpointConfigName=config)
        echo(f"updating endpoint {request.endpoint} from {previous['EndpointConfigName']}")

    try:
        final = wait_for(
            lambda: sagemaker.describe_endpoint(EndpointName=request.endpoint),
            endpoint_watch(request.endpoint),
            policy,
            echo,
        )
        if final["EndpointConfigName"] != config:
            # A failed update rolls back to the old config and ends InService again.
            reason = final.get("FailureReason") or "SageMaker gave no FailureReason"
            raise WaitFailed(f"endpoint {request.endpoint} rolled back to its old config: {reason}")
    except WaitFailed:
        if previous is not None:
            _delete_unused(sagemaker, config, model, previous, echo)
        raise

    replaced: list[str] = []
    if previous is not None:
        # Tags are set when a resource is created; the endpoint now serves another version.
        sagemaker.delete_tags(
            ResourceArn=final["EndpointArn"], TagKeys=[VERSION_TAG_KEY, TRAINING_JOB_TAG_KEY]
        )
        sagemaker.add_tags(
            ResourceArn=final["EndpointArn"],
            Tags=[tag for tag in tags if tag["Key"] in {VERSION_TAG_KEY, TRAINING_JOB_TAG_KEY}],
        )
        replaced = _delete_replaced(sagemaker, previous, keep_model=model)
        for name in replaced:
            echo(f"deleted {name}")
    if request.autoscaling is not None:
        autoscaling.enable(clients.autoscaling, request.endpoint, variant, request.autoscaling)
        echo(
            f"autoscaling {variant}: {request.autoscaling.min_capacity}.."
            f"{request.autoscaling.max_capacity} instances at "
            f"{request.autoscaling.target_invocations_per_instance:g} invocations per instance"
        )
    return Deployment(
        endpoint=request.endpoint,
        endpoint_arn=final["EndpointArn"],
        model=model,
        endpoint_config=config,
        variant=variant,
        version=version,
        training_job=job,
        replaced=tuple(replaced),
    )


def _describe_endpoint(sagemaker: Any, name: str) -> Mapping[str, Any] | None:
    try:
        return dict(sagemaker.describe_endpoint(EndpointName=name))
    except ClientError as error:
        if is_not_found(error):
            return None
        raise


def _describe_model(sagemaker: Any, name: str) -> Mapping[str, Any] | None:
    try:
        return dict(sagemaker.describe_model(ModelName=name))
    except ClientError as error:
        if is_not_found(error):
            return None
        raise


def _variant_names(endpoint: Mapping[str, Any]) -> list[str]:
    return [variant["VariantName"] for variant in endpoint.get("ProductionVariants", [])]


def _delete_replaced(sagemaker: Any, previous: Mapping[str, Any], keep_model: str) -> list[str]:
    """The old endpoint config, and its models if this project made them and they are not kept."""
    old_config_name = previous["EndpointConfigName"]
    old_config = sagemaker.describe_endpoint_config(EndpointConfigName=old_config_name)
    deleted = []
    if _owned(sagemaker, old_config["EndpointConfigArn"]):
        sagemaker.delete_endpoint_config(EndpointConfigName=old_config_name)
        deleted.append(f"endpoint config {old_config_name}")
    for variant in old_config.get("ProductionVariants", []):
        old_model = variant["ModelName"]
        description = _describe_model(sagemaker, old_model)
        if old_model != keep_model and description and _owned(sagemaker, description["ModelArn"]):
            sagemaker.delete_model(ModelName=old_model)
            deleted.append(f"model {old_model}")
    return deleted


def _delete_unused(
    sagemaker: Any, config: str, model: str, previous: Mapping[str, Any], echo: Echo
) -> None:
    """After a failed update: the endpoint still runs its old config; drop the new one."""
    sagemaker.delete_endpoint_config(EndpointConfigName=config)
    echo(f"deleted unused endpoint config {config}")
    old_config = sagemaker.describe_endpoint_config(
        EndpointConfigName=previous["EndpointConfigName"]
    )
    if model not in {variant["ModelName"] for variant in old_config["ProductionVariants"]}:
        sagemaker.delete_model(ModelName=model)
        echo(f"deleted unused model {model}")


def _owned(sagemaker: Any, arn: str) -> bool:
    return is_project_resource(sagemaker.list_tags(ResourceArn=arn).get("Tags", []))
