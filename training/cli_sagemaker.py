"""``deploy``, ``delete`` and ``status``: the SageMaker hosting commands, plain boto3."""

from __future__ import annotations

from pathlib import Path

import click

from training.autoscaling import Autoscaling
from training.aws_clients import AwsClients
from training.cli_errors import reported_errors, usage_errors
from training.deployment import Deployment, DeployRequest
from training.deployment import deploy as deploy_model
from training.hosting import (
    DEFAULT_INSTANCE_TYPE,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MEMORY_MB,
    SERVERLESS_MEMORY_SIZES,
    Hosting,
    InstanceHosting,
    ServerlessHosting,
)
from training.inventory import project_resources
from training.naming import PROJECT, PROJECT_TAG_KEY
from training.sagemaker_card import sagemaker_model_card, training_seed
from training.stage_writeback import PROJECT_DIR, write_stage
from training.teardown import delete_endpoint
from training.waiting import WaitPolicy

_region = click.option("--region", help="AWS region [default: boto3's, e.g. AWS_REGION].")


@click.command(short_help="Deploy a training job's model to an endpoint, or update one.")
@click.option(
    "--training-job",
    required=True,
    help="The completed Linear Learner training job (`train --target sagemaker` prints it).",
)
@click.option(
    "--endpoint",
    required=True,
    help="Endpoint name; created, or updated in place to a new endpoint config if it exists.",
)
@click.option("--serverless", is_flag=True, help="Serverless inference instead of instances.")
@click.option(
    "--instance-type",
    default=DEFAULT_INSTANCE_TYPE,
    show_default=True,
    help="Instances: the instance type.",
)
@click.option(
    "--instance-count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Instances: how many to start with.",
)
@click.option(
    "--autoscale-min",
    type=click.IntRange(min=1),
    help="Instances: autoscaling minimum; with --autoscale-max and --target-invocations.",
)
@click.option("--autoscale-max", type=click.IntRange(min=1), help="Instances: autoscaling maximum.")
@click.option(
    "--target-invocations",
    type=click.FloatRange(min=0, min_open=True),
    help="Instances: invocations per instance per minute the autoscaling policy "
    "(SageMakerVariantInvocationsPerInstance) holds.",
)
@click.option(
    "--memory",
    type=click.Choice([str(size) for size in SERVERLESS_MEMORY_SIZES]),
    default=str(DEFAULT_MEMORY_MB),
    show_default=True,
    help="Serverless: memory in MB.",
)
@click.option(
    "--max-concurrency",
    type=click.IntRange(1, 200),
    default=DEFAULT_MAX_CONCURRENCY,
    show_default=True,
    help="Serverless: concurrent invocations at most.",
)
@click.option("--role", help="Execution role for the model [default: the training job's].")
@click.option(
    "--stage",
    help="Also write this Chalice stage's ENDPOINT_NAME and MODEL_CARD "
    "(.chalice/config.json), its policy's InvokeEndpoint Resource and its model "
    "card, so `chalice deploy --stage STAGE` follows.",
)
@_region
@click.option(
    "--timeout",
    "timeout_minutes",
    type=click.FloatRange(min=1),
    default=30,
    show_default=True,
    help="Minutes to wait for the endpoint to be InService.",
)
@click.option(
    "--poll-seconds",
    type=click.FloatRange(min=0),
    default=15,
    show_default=True,
    help="Seconds between status checks.",
)
def deploy(
    training_job: str,
    endpoint: str,
    serverless: bool,
    instance_type: str,
    instance_count: int,
    autoscale_min: int | None,
    autoscale_max: int | None,
    target_invocations: float | None,
    memory: str,
    max_concurrency: int,
    role: str | None,
    stage: str | None,
    region: str | None,
    timeout_minutes: float,
    poll_seconds: float,
) -> None:
    """Model, endpoint config (variant named by the model version) and endpoint; an existing one is
    updated without downtime, then its old config and model are deleted."""
    with usage_errors():
        hosting: Hosting = (
            ServerlessHosting(int(memory), max_concurrency)
            if serverless
            else InstanceHosting(instance_type, instance_count)
        )
        request = DeployRequest(
            training_job=training_job,
            endpoint=endpoint,
            hosting=hosting,
            autoscaling=_autoscaling(autoscale_min, autoscale_max, target_invocations),
            role_arn=role,
        )
    with reported_errors("deploy"):
        clients = AwsClients.create(region)
        deployment = deploy_model(
            clients, request, WaitPolicy(timeout_minutes * 60, poll_seconds), click.echo
        )
        click.echo(
            f"endpoint {deployment.endpoint} serves version {deployment.version} "
            f"(variant {deployment.variant}, config {deployment.endpoint_config})"
        )
        if stage:
            for path in write_back(clients, deployment, stage, PROJECT_DIR):
                click.echo(f"wrote {path}")


def write_back(
    clients: AwsClients, deployment: Deployment, stage: str, project_dir: Path
) -> tuple[Path, ...]:
    seed = training_seed(clients.sagemaker, deployment.training_job)
    card = sagemaker_model_card(deployment.training_job, deployment.version, seed)
    return write_stage(stage, deployment.endpoint, deployment.endpoint_arn, card, project_dir)


@click.command(short_help="Delete an endpoint, its config, its model and its autoscaling.")
@click.option("--endpoint", required=True, help="The endpoint to delete.")
@_region
def delete(endpoint: str, region: str | None) -> None:
    """Delete the endpoint, its endpoint config and model, and any scaling target and policy."""
    with reported_errors("delete"):
        delete_endpoint(AwsClients.create(region), endpoint, click.echo)


@click.command(short_help="List this project's training jobs, models and endpoints.")
@_region
def status(region: str | None) -> None:
    """What exists on SageMaker with this project's tag: training jobs, models, endpoint
    configs and endpoints, with their status and model version."""
    with reported_errors("status"):
        resources = project_resources(AwsClients.create(region))
    if not resources:
        click.echo(f"nothing tagged {PROJECT_TAG_KEY}={PROJECT}")
    for resource in resources:
        click.echo(resource.line())


def _autoscaling(
    minimum: int | None, maximum: int | None, target: float | None
) -> Autoscaling | None:
    given = [value is not None for value in (minimum, maximum, target)]
    if not any(given):
        return None
    if not all(given):
        raise ValueError(
            "autoscaling needs --autoscale-min, --autoscale-max and --target-invocations"
        )
    return Autoscaling(int(minimum or 0), int(maximum or 0), float(target or 0))
