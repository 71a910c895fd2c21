"""``python -m deploy``: host a registered model on a SageMaker endpoint, and everything the API
in front of it needs to be deployed (its policy, its merge template, its package's check).
Every failure is one line and a non-zero exit status, never a traceback."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import click

from chalicelib.errors import ConfigurationError
from deploy import endpoint as hosting
from deploy.endpoint import DeployRequest, ModelSource, check_endpoint
from deploy.merge_template import merge_template
from deploy.package_check import zip_problems
from deploy.policy import literal_policy, write_policy
from deploy.stages import EXAMPLE_NETWORK, PROJECT_DIR, load_config, read_stage, write_stage
from training import TrainingError, registry
from training.aws import PROJECT, AwsClients, BadName, WaitPolicy, one_line_errors, tags_of

_region = click.option("--region", help="AWS region [default: boto3's, e.g. AWS_REGION].")
_stage = click.option("--stage", required=True, help="The Chalice stage (.chalice/config.json).")
_model = click.option(
    "--model",
    default="wdbc",
    show_default=True,
    help="The model whose package group --approved reads: <model>-predictor.",
)


def _reported(action: str) -> Any:
    return one_line_errors(action, TrainingError, ConfigurationError, ValueError)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
def cli() -> None:
    """Deploy a trained model, in two parts with two names:

    \b
    1. The endpoint: SageMaker hosts an Approved version of the model
       (`python -m training registry approve` first), and a stage is pointed at it:
         python -m deploy endpoint host --approved latest --endpoint wdbc-dev --stage dev
    2. The API: the Chalice app in front of the endpoint. Its policy, with your
       account's ARNs, then Chalice deploys it:
         python -m deploy api policy --stage dev --account 123456789012 --region eu-west-1
         chalice deploy --stage dev
       Or as a CloudFormation stack (`make package`): `api template`, `chalice
       package`, `api check`.

    `status` lists what this project has on SageMaker; `endpoint delete` takes an
    endpoint down.
    """


@cli.group(short_help="Host (or update) and delete the SageMaker endpoint.")
def endpoint() -> None:
    """The SageMaker endpoint that serves the model: host it (or update it), delete it."""


@endpoint.command(short_help="Host an Approved model version on an endpoint, or update one.")
@click.option("--approved", type=click.Choice(["latest"]), help="The newest Approved version.")
@click.option("--model-package", help="Or the ARN of an Approved version of a model's group.")
@click.option(
    "--training-job",
    help="Or, for experiments, a completed training job's model, bypassing the Model Registry "
    "(no --stage).",
)
@click.option(
    "--endpoint",
    required=True,
    help="Endpoint name; created, or updated in place to a new endpoint config if it exists.",
)
@click.option(
    "--stage",
    help="Also point this Chalice stage at it: its MODEL, ENDPOINT_NAME and MODEL_CARD "
    "(.chalice/config.json), its policy's InvokeEndpoint Resource and the version's card "
    "(chalicelib/model_cards/STAGE.json), so `chalice deploy` follows; only if the contract it "
    "ships is the one the version was trained with.",
)
@click.option("--serverless", is_flag=True, help="Serverless inference instead of instances.")
@click.option("--instance-type", default="ml.m5.large", help="Instances: the instance type.")
@click.option(
    "--instance-count", type=click.IntRange(min=1), default=1, help="Instances: how many."
)
@click.option("--autoscale-min", type=click.IntRange(min=1), help="Instances: autoscaling minimum.")
@click.option("--autoscale-max", type=click.IntRange(min=1), help="Instances: autoscaling maximum.")
@click.option(
    "--target-invocations",
    type=click.FloatRange(min=0, min_open=True),
    help="Instances: invocations per instance per minute the autoscaling policy "
    "(SageMakerVariantInvocationsPerInstance) holds.",
)
@click.option(
    "--memory",
    "memory_mb",
    type=click.Choice([str(size) for size in hosting.SERVERLESS_MEMORY_SIZES]),
    default="2048",
    help="Serverless: memory in MB.",
)
@click.option(
    "--max-concurrency", type=click.IntRange(1, 200), default=5, help="Serverless: at most at once."
)
@click.option("--role", help="Execution role for the model [default: the training job's].")
@_model
@_region
@click.option(
    "--timeout", type=click.FloatRange(min=1), default=30, help="Minutes to wait for InService."
)
@click.option(
    "--poll-seconds", type=click.FloatRange(min=0), default=15, help="Seconds between checks."
)
def host(approved: str | None, model_package: str | None, training_job: str | None,
         endpoint: str, stage: str | None, serverless: bool, autoscale_min: int | None,
         autoscale_max: int | None, target_invocations: float | None, memory_mb: str,
         role: str | None, model: str, region: str | None, timeout: float, poll_seconds: float,
         **instances: Any) -> None:  # fmt: skip
    """Host a model version on a SageMaker endpoint: a model, an endpoint config (its variant
    named by the version, v<N>) and the endpoint. An existing endpoint is updated without
    downtime, then its old config and model are deleted. Only an Approved version is hosted.
    Then the contract registered with it sends its examples to the endpoint, whose answers
    must read as it says; else nothing is written."""
    if sum(choice is not None for choice in (model_package, approved, training_job)) != 1:
        raise click.UsageError("give one of --approved latest, --model-package ARN, --training-job")
    if stage and training_job:
        raise click.UsageError(
            "--stage serves a registered, Approved version: --approved or --model-package"
        )
    scaling = (autoscale_min, autoscale_max, target_invocations)
    if None in scaling and scaling != (None, None, None):
        raise click.UsageError(
            "autoscaling needs --autoscale-min, --autoscale-max and --target-invocations"
        )
    autoscaling = None if None in scaling else hosting.Autoscaling(*scaling)  # type: ignore[arg-type]
    memory = int(memory_mb) if serverless else None
    try:  # checked before any call: what click's types cannot check alone
        request = DeployRequest(endpoint, **instances, memory_mb=memory, autoscaling=autoscaling,
                                role_arn=role)  # fmt: skip
    except (ValueError, BadName) as error:
        raise click.UsageError(str(error)) from None
    with _reported("endpoint host"):
        clients = AwsClients.create(region)
        if training_job is not None:
            click.echo(
                f"training job {training_job} bypasses the Model Registry: no approval is checked"
            )
            source = ModelSource.training_job_model(clients.sagemaker, training_job)
            arn = clients.sagemaker.describe_training_job(TrainingJobName=training_job)
            tags = tags_of(clients.sagemaker, arn["TrainingJobArn"])
            reference = {key: tags.get(f"wdbc:{key}", "") for key in registry.CONTRACT_KEYS}
            owner, package = f"training job {training_job}", None
        else:
            package = registry.approved_package(clients.sagemaker, model_package or "latest",
                                                registry.group_name(model))  # fmt: skip
            click.echo(f"deploying {package.group} {package.version} (Approved): {package.arn}")
            container = {"ModelPackageName": package.arn}
            training = package.metadata["training_job"]
            source = ModelSource(package.version, container, training, package.arn)
            reference, owner = package.metadata, f"{package.group} {package.version}"
        contract = registry.fetch_contract(clients.s3, reference, owner)
        shipped = PROJECT_DIR / "chalicelib" / "contracts" / f"{contract.name}.json"
        if stage and registry.sha256_of(shipped) != reference["contract_sha256"]:
            raise TrainingError(
                f"stage {stage} would ship {shipped}, not the contract {owner} was trained with "
                "(their SHA-256 differ): nothing was deployed"
            )
        card = registry.fetch_card(clients.s3, package) if stage and package else None
        policy = WaitPolicy(timeout * 60, poll_seconds)
        deployment = hosting.deploy(clients, source, request, policy, click.echo)
        click.echo(
            f"endpoint {deployment.endpoint} serves version {deployment.version} "
            f"(production variant {deployment.version}, config {deployment.endpoint_config})"
        )
        check_endpoint(clients, deployment.endpoint, contract)
        click.echo(f"endpoint {deployment.endpoint} answers contract {contract.name}'s "
                   f"{len(contract.examples)} examples as it says")  # fmt: skip
        if stage and card:
            written = write_stage(stage, deployment.endpoint, deployment.endpoint_arn, card,
                                  PROJECT_DIR, model=contract.name)  # fmt: skip
            click.echo("\n".join(f"wrote {path}" for path in written))


@endpoint.command(short_help="Delete an endpoint, its config, model and autoscaling.")
@click.option("--endpoint", "name", required=True, help="The endpoint to delete.")
@_region
def delete(name: str, region: str | None) -> None:
    """Delete the endpoint, its endpoint config and model, and any scaling target and policy.
    The Model Registry stays (`python -m training registry delete` removes it)."""
    with _reported("endpoint delete"):
        hosting.delete_endpoint(AwsClients.create(region), name, click.echo)


@cli.command(short_help="List this project's training jobs, models and endpoints.")
@_region
def status(region: str | None) -> None:
    """What exists on SageMaker with this project's tag: training jobs, models, endpoint
    configs and endpoints, with their status and model version (`python -m training registry
    list` for the registered versions)."""
    with _reported("status"):
        lines = hosting.project_resources(AwsClients.create(region))
    click.echo("\n".join(lines) or f"nothing tagged project={PROJECT}")


@cli.group(short_help="The API's IAM policy, merge template and package check.")
def api() -> None:
    """The Chalice API in front of the endpoint: what `chalice deploy` and `chalice package`
    need besides the app."""


@api.command(short_help="Write the stage's IAM policy with literal ARNs, for `chalice deploy`.")
@_stage
@click.option("--account", required=True, help="The 12-digit AWS account id.")
@click.option("--region", required=True, help="The region to deploy to.")
@click.option("--vpc-endpoint", help="A private stage's SageMaker Runtime VPC endpoint (vpce-...).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="[default: the stage's iam_policy_file, .chalice/policy-STAGE.json]",
)
def policy(
    stage: str, account: str, region: str, vpc_endpoint: str | None, output: Path | None
) -> None:
    """The stage's least-privilege policy: its one endpoint, its own logs, traces; on the
    private path, its subnets and VPC endpoint too (`make policy`)."""
    with _reported("api policy"):
        configured = read_stage(load_config(), stage)
        document = literal_policy(
            configured, account=account, region=region, vpc_endpoint=vpc_endpoint
        )
        output = output or configured.policy_file
        write_policy(document, output)
    click.echo(f"wrote {output} for account {account} in {region}")


@api.command(short_help="Write the stage's merge template, for `chalice package`.")
@_stage
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--example-network",
    is_flag=True,
    help="As if the stage were on the private path, with example ids (for the checks).",
)
def template(stage: str, output: Path, example_network: bool) -> None:
    """What `chalice package --merge-template` adds to Chalice's SAM template: the usage plan
    and API key, the role's policy, log retention, alarms and dashboard, the private path
    (`make package`)."""
    with _reported("api template"):
        configured = read_stage(load_config(), stage)
        if example_network:
            configured = configured.on_network(EXAMPLE_NETWORK)
        document = merge_template(configured)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


@api.command(short_help="Check a `chalice package` directory's Lambda zip.")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
def check(directory: Path) -> None:
    """The zip holds app.py, chalicelib/ and Chalice's runtime only, within its size budget."""
    zip_path = directory / "deployment.zip"
    with one_line_errors("api check", OSError, zipfile.BadZipFile):
        problems = zip_problems(zip_path)
    if problems:
        raise click.ClickException("; ".join(problems))
    click.echo(f"{zip_path} holds app.py, chalicelib/ and Chalice's runtime only")
