"""``python -m training``: train, register, approve, deploy, evaluate and tear down a shipped
example's model (``--model``, by default WDBC's). Every failure is one line and exit status 1,
never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.contract import BINARY, MULTICLASS, Contract
from chalicelib.endpoint import ModelEndpoint, create_runtime_client
from chalicelib.errors import ConfigurationError
from chalicelib.model_card import CARDS_DIR
from deploy import endpoint as hosting
from deploy.endpoint import AwsClients, DeployRequest, ModelSource, WaitPolicy
from deploy.stages import PROJECT_DIR, StageConfigError, write_stage
from standin.model import ModelFileError
from training import TrainingError, local, procedure, sagemaker, threshold
from training.artifact import write_json
from training.data import DATASETS, DEFAULT_MODEL, DEFAULT_SEED, MODELS_DIR, Split, held_out_rows
from training.model_card import card_document
from training.procedure import class_names, metric_labels
from training.sagemaker import (
    DEFAULT_SAGEMAKER_OUTPUT_DIR,
    Package,
    SageMakerTrainingSettings,
    group_name,
    sagemaker_card,
)

_region = click.option("--region", help="AWS region [default: boto3's, e.g. AWS_REGION].")
_model = click.option(
    "--model",
    type=click.Choice(list(DATASETS)),
    default=DEFAULT_MODEL,
    help="The model: a folder of models/, its contract's name; SageMaker keeps its versions "
    "in the model package group <model>-predictor.",
)


def run_local(model: str, output_dir: Path, seed: int, rule: threshold.ThresholdRule) -> list[str]:
    """``--target local``: train, cross-validate, write every file; returns the report."""
    result = local.train_local(model, seed, rule)
    contract, artifact, test = result.contract, result.artifact, result.test_metrics
    nested_cv = procedure.repeated_nested_cv(result.split, contract, rule)
    written = local.write_outputs(result, output_dir, nested_cv)
    spreads = metric_labels(contract)
    chosen = [f"{name} {result.training[name]:.6g}" for name in ("C", "alpha")
              if name in result.training]  # fmt: skip
    if contract.task == BINARY:
        misses = next(key for key in nested_cv if key.startswith("misses_per_"))
        count = misses.split("_")[2]
        spreads[misses] = f"misses per {count} {contract.classes[contract.positive_index].code}"
        chosen.append(f"threshold {artifact.threshold:.6g}")
    rule_text = rule.describe() if contract.task == BINARY else None
    return [
        *_heading(f"{artifact.name}  version {artifact.version}", result.split, rule_text),
        *([f"chosen     {'  '.join(chosen)}"] if chosen else []),
        "",
        *format_metrics(contract, test, f"test ({test['rows']} held-out rows)"),
        "",
        f"{nested_cv['repeats']} x {nested_cv['folds']} repeated nested cross-validation on "
        "train + validation (mean ± std)",
        *(
            f"  {label:<21}{nested_cv[key]['mean']:.4f} ± {nested_cv[key]['std']:.4f}"
            for key, label in spreads.items()
        ),
        "",
        *(f"wrote {path}" for path in written),
    ]


def run_sagemaker(
    settings: SageMakerTrainingSettings,
    output_dir: Path,
    echo: hosting.Echo,
    policy: WaitPolicy | None = None,
) -> list[str]:
    """``--target sagemaker``: Linear Learner on a training job, registered for approval."""
    clients = AwsClients.create(settings.region)
    job, package, written = sagemaker.train_and_register(
        clients, settings, output_dir, echo, policy
    )
    hyperparameters = job.description.get("HyperParameters", {})
    criterion = hyperparameters.get(sagemaker.SELECTION_CRITERION)
    rule = f"Linear Learner, {sagemaker.SELECTION_CRITERION}={criterion}" if criterion else None
    part = job.held_out
    rates, labels = job.rates().get(part, {}), metric_labels(job.contract)
    model = f"{job.name}, registered as {package.group} {package.version} ({package.status})"
    return [
        *_heading(model, job.split, rule),
        "",
        f"{part} ({job.split.sizes[part]} rows), as the training job reports",
        *(f"  {labels.get(name, name):<21}{value:.4f}" for name, value in rates.items()),
        *([] if rates else [f"  (the training job reported no {part} metrics)"]),
        "",
        *(f"wrote {path}" for path in written),
    ]


def _heading(model: str, split: Split, rule: str | None) -> list[str]:
    sizes = split.sizes
    return [
        f"model      {model}",
        f"split      {sizes['train']} train / {sizes['validation']} validation / "
        f"{sizes['test']} test rows, seed {split.seed}",
        *([f"threshold  {rule}"] if rule else []),
    ]


def format_metrics(contract: Contract, metrics: dict[str, Any], heading: str) -> list[str]:
    """A part's rates, and a classifier's confusion matrix (rows: actual; columns: predicted)."""
    lines = [heading, *(f"  {label:<21}{metrics[key]:.4f}"
                        for key, label in metric_labels(contract).items())]  # fmt: skip
    counts: Any = metrics.get("confusion_matrix")
    if contract.task == BINARY:
        positive, negative = class_names(contract)
        counts = [[counts["tn"], counts["fp"]], [counts["fn"], counts["tp"]]]
        lines += ["", f"confusion matrix ({positive} = positive)"]
        names = [negative, positive]
    elif contract.task == MULTICLASS:
        names = [c.code for c in contract.classes]
        lines += ["", "confusion matrix"]
    else:
        return lines
    width = max(map(len, names)) + 9
    headings = [f"predicted {name}" for name in names]
    lines.append(" " * (width + 2) + "  ".join(headings))
    for name, row in zip(names, counts, strict=True):
        cells = "  ".join(
            f"{count:>{len(text)}}" for count, text in zip(row, headings, strict=True)
        )
        lines.append(f"  {'actual ' + name:<{width}}{cells}")
    return lines


@contextmanager
def reported_errors(action: str) -> Iterator[None]:
    try:
        yield
    except (TrainingError, hosting.CloudError, ModelFileError, StageConfigError,
            ConfigurationError) as error:  # fmt: skip
        raise click.ClickException(str(error)) from None
    except (ClientError, BotoCoreError) as error:
        raise click.ClickException(str(hosting.cloud_error(action, error))) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
def cli() -> None:
    """Train a shipped example's model (WDBC's breast-cancer classifier by default), register
    it in the SageMaker Model Registry, approve it, deploy it, evaluate an endpoint on the
    held-out rows, and tear it down."""


@cli.command(short_help="Train a model and write its artifact and metrics.json.")
@_model
@click.option(
    "--target",
    type=click.Choice(["local", "sagemaker"]),
    default="local",
    help="'local': scikit-learn (or xgboost) here, no AWS account. 'sagemaker': the contract's "
    "built-in algorithm (Linear Learner or XGBoost) on a SageMaker training job (needs --role "
    "and --bucket), registered in the model's package group.",
)
@click.option(
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, writable=True, path_type=Path),
    help=f"Directory for the outputs [default: models/MODEL or "
    f"{DEFAULT_SAGEMAKER_OUTPUT_DIR}/MODEL]. Local: the model file, metrics.json, the completed "
    "contract.json, pictures, model_card.md. SageMaker: training-job.json, metrics.json.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),  # numpy's range, which scikit-learn takes
    default=DEFAULT_SEED,
    help="Seed for the 60/20/20 split and the cross-validation folds; same seed, same model.",
)
@click.option(
    "--threshold-rule",
    type=click.Choice(threshold.RULE_NAMES),
    default=threshold.DEFAULT_RULE,
    help="A binary model's threshold: how it is chosen on out-of-fold probabilities of the "
    "train and validation "
    "rows: 'f-beta' maximises F-beta (--beta; malignant recall counts beta times as much as "
    "precision), 'accuracy' maximises accuracy, 'target-recall' takes the highest threshold whose "
    "malignant recall reaches --target-recall. Linear Learner (on its validation channel): "
    "f_beta, accuracy, precision_at_target_recall.",
)
@click.option(
    "--beta",
    type=click.FloatRange(0.0, min_open=True),
    default=threshold.DEFAULT_BETA,
    help="The 'f-beta' rule's beta.",
)
@click.option(
    "--target-recall",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=threshold.DEFAULT_TARGET_RECALL,
    help="The malignant recall the 'target-recall' rule must reach.",
)
@click.option(
    "--role", "role_arn", envvar="SAGEMAKER_ROLE_ARN", help="SageMaker: execution role ARN."
)
@click.option("--bucket", envvar="WDBC_BUCKET", help="SageMaker: S3 bucket for data and model.")
@click.option("--prefix", help="SageMaker: S3 key prefix in the bucket [default: MODEL].")
@_region
@click.option("--instance-type", default="ml.m5.large", help="SageMaker: training instance.")
@click.option(
    "--kms-key", "kms_key_id", help="SageMaker: KMS key for the channels, volume, model and report."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=60,
    help="SageMaker: minutes to wait for the training job.",
)
def train(
    model: str,
    target: str,
    output_dir: Path | None,
    threshold_rule: str,
    beta: float,
    target_recall: float,
    timeout: float,
    **job: Any,
) -> None:
    """Split the model's data 60/20/20 by seed (stratified for a classifier), fit, choose a
    binary threshold, score on test.

    Local: on train + validation, the hyperparameter by 5-fold CV, a binary threshold on the
    out-of-fold probabilities, the refit on all of them; then 10 x 5 repeated nested
    cross-validation of the whole procedure (mean and spread), pictures, a model card, and the
    model's contract completed (training ranges, threshold, examples).
    SageMaker: the contract's task on its built-in algorithm (a binary Linear Learner chooses
    its threshold on validation by the same rule); the model is registered, with its contract,
    as a new version of the model's package group, pending manual approval (see `registry`).
    """
    rule = threshold.ThresholdRule(threshold_rule, beta, target_recall)
    with reported_errors(f"train --target {target}"):
        if target == "local":
            lines = run_local(model, output_dir or MODELS_DIR / model, job["seed"], rule)
        elif not job["role_arn"] or not job["bucket"]:
            raise click.UsageError("--target sagemaker needs --role and --bucket")
        else:
            settings = SageMakerTrainingSettings(
                **job, model=model, rule=rule, wait_timeout_seconds=timeout * 60
            )
            output_dir = output_dir or DEFAULT_SAGEMAKER_OUTPUT_DIR / model
            lines = run_sagemaker(settings, output_dir, click.echo)
    click.echo("\n".join(lines))


@cli.command(short_help="Write the model card GET /model serves for a stage.")
@click.option(
    "--model",
    "folder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=MODELS_DIR / DEFAULT_MODEL,
    show_default=f"models/{DEFAULT_MODEL}",
    help="The model folder to describe: its contract.json, metrics.json and model file.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where the card goes: a file in chalicelib/model_cards/, named by a stage's MODEL_CARD "
    "[default: chalicelib/model_cards/<the contract's name>.json].",
)
def card(folder: Path, output: Path | None) -> None:
    """Describe a trained model: features and training ranges, metrics, intended use."""
    with reported_errors("card"):
        contract, record = local.read_model_folder(folder)
    output = write_json(
        card_document(contract, record), output or CARDS_DIR / f"{contract.name}.json"
    )
    model = record["model"]
    click.echo(f"wrote {output} for model {model['name']} version {model['version']}")


@cli.group("registry")
def registry_commands() -> None:
    """The model package group's versions: list them, approve or reject one."""


@registry_commands.command("list")
@_model
@_region
def list_versions(model: str, region: str | None) -> None:
    """Each version, newest first: status, creation time, the test metrics of its model quality
    report, its ARN, and who approved or rejected it and why."""
    with reported_errors("registry list"):
        click.echo("\n".join(sagemaker.listing(AwsClients.create(region), group_name(model))))


def _decision(approve: bool) -> click.Command:
    verb = "approve" if approve else "reject"

    @click.command(verb, help=f"{verb.capitalize()} VERSION (v<N>, <N> or its ARN); its model "
                   "card follows.")  # fmt: skip
    @click.argument("version")
    @click.option("--reason", required=True, help=f"Why you {verb} it; stored on the package.")
    @click.option("--by", help="Who decides [default: the caller's AWS identity, from STS].")
    @_model
    @_region
    def command(version: str, reason: str, by: str | None, model: str, region: str | None) -> None:
        with reported_errors(f"registry {verb}"):
            clients = AwsClients.create(region)
            package = sagemaker.decide(clients, version, group_name(model), approve, by, reason)
        click.echo(f"{package.group} {package.version} is {package.status}: {package.arn}")

    return command


registry_commands.add_command(_decision(True))
registry_commands.add_command(_decision(False))


@cli.command(short_help="Deploy an approved model package to an endpoint, or update one.")
@click.option("--model-package", help="The ARN of an Approved version of a model's group.")
@click.option("--approved", type=click.Choice(["latest"]), help="The newest Approved version.")
@click.option(
    "--training-job",
    help="Quick experiments: a completed training job's model, bypassing the Model Registry.",
)
@click.option(
    "--endpoint",
    required=True,
    help="Endpoint name; created, or updated in place to a new endpoint config if it exists.",
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
@click.option(
    "--stage",
    help="Also write this Chalice stage's MODEL, ENDPOINT_NAME and MODEL_CARD "
    "(.chalice/config.json), its policy's InvokeEndpoint Resource and its model card, so "
    "`chalice deploy` follows; only if the contract it ships is the model's.",
)
@_model
@_region
@click.option(
    "--timeout", type=click.FloatRange(min=1), default=30, help="Minutes to wait for InService."
)
@click.option(
    "--poll-seconds", type=click.FloatRange(min=0), default=15, help="Seconds between checks."
)
def deploy(model_package: str | None, approved: str | None, training_job: str | None,
           endpoint: str, serverless: bool, autoscale_min: int | None, autoscale_max: int | None,
           target_invocations: float | None, memory_mb: str, role: str | None,
           stage: str | None, model: str, region: str | None, timeout: float,
           poll_seconds: float, **instances: Any) -> None:  # fmt: skip
    """Model, endpoint config (variant named by the model version: v<N> for a package) and
    endpoint; an existing one is updated without downtime, then its old config and model are
    deleted. Only an Approved package is deployed (--approved latest: of --model's group).
    Then the contract registered with the model sends its examples to the endpoint, whose
    answers must read as it says; else deploy fails and writes no stage."""
    if sum(choice is not None for choice in (model_package, approved, training_job)) != 1:
        raise click.UsageError("give one of --model-package ARN, --approved latest, --training-job")
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
    except (ValueError, hosting.BadName) as error:
        raise click.UsageError(str(error)) from None
    with reported_errors("deploy"):
        clients = AwsClients.create(region)
        package: Package | None = None
        if training_job is not None:
            click.echo(
                f"training job {training_job} bypasses the Model Registry: no approval is checked"
            )
            source = ModelSource.training_job_model(clients.sagemaker, training_job)
            arn = clients.sagemaker.describe_training_job(TrainingJobName=training_job)
            tags = hosting.tags_of(clients.sagemaker, arn["TrainingJobArn"])
            reference = {key: tags.get(f"wdbc:{key}", "") for key in sagemaker.CONTRACT_KEYS}
            owner = f"training job {training_job}"
        else:
            reference_name = model_package or "latest"
            package = sagemaker.approved_package(clients.sagemaker, reference_name,
                                                 group_name(model))  # fmt: skip
            click.echo(f"deploying {package.group} {package.version} (Approved): {package.arn}")
            container = {"ModelPackageName": package.arn}
            training = package.metadata["training_job"]
            source = ModelSource(package.version, container, training, package.arn)
            reference, owner = package.metadata, f"{package.group} {package.version}"
        contract = sagemaker.fetch_contract(clients.s3, reference, owner)
        shipped = PROJECT_DIR / "chalicelib" / "contracts" / f"{contract.name}.json"
        if stage and sagemaker.sha256_of(shipped) != reference["contract_sha256"]:
            raise TrainingError(
                f"stage {stage} would ship {shipped}, not the contract {owner} was trained with "
                "(their SHA-256 differ): nothing was deployed"
            )
        policy = WaitPolicy(timeout * 60, poll_seconds)
        deployment = hosting.deploy(clients, source, request, policy, click.echo)
        click.echo(
            f"endpoint {deployment.endpoint} serves version {deployment.version} "
            f"(production variant {deployment.version}, config {deployment.endpoint_config})"
        )
        sagemaker.check_endpoint(clients, deployment.endpoint, contract)
        click.echo(f"endpoint {deployment.endpoint} answers contract {contract.name}'s "
                   f"{len(contract.examples)} examples as it says")  # fmt: skip
        if stage:
            # The stage's settings and its card; a package's SageMaker Model Card is published too.
            job = deployment.training_job
            seed = hosting.tags_of(clients.sagemaker, job["TrainingJobArn"]).get(
                hosting.SEED_TAG_KEY
            )
            if seed is None:
                raise TrainingError(
                    f"training job {job['TrainingJobName']} has no {hosting.SEED_TAG_KEY} tag: "
                    "it was not trained by `python -m training train --target sagemaker`"
                )
            api_card = sagemaker_card(job, contract, deployment.version, int(seed),
                                      package and package.arn)  # fmt: skip
            if package is not None:
                published = sagemaker.publish_card(clients, package)
                click.echo(f"published SageMaker model card {published}")
            written = write_stage(stage, deployment.endpoint, deployment.endpoint_arn, api_card,
                                  PROJECT_DIR, model=contract.name)  # fmt: skip
            click.echo("\n".join(f"wrote {path}" for path in written))


@cli.command(short_help="Score the held-out test rows through an endpoint.")
@click.option(
    "--endpoint",
    required=True,
    help="The endpoint to call: on SageMaker, or the local stand-in when "
    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME points at it.",
)
@click.option(
    "--metrics",
    "metrics_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=MODELS_DIR / DEFAULT_MODEL / "metrics.json",
    show_default=f"models/{DEFAULT_MODEL}/metrics.json",
    help="A training run's metrics.json: its contract, seed and test row indices say which rows "
    "to send and how to read the answers.",
)
@click.option(
    "--batch-rows",
    type=click.IntRange(1, 1000),
    default=local.DEFAULT_BATCH_ROWS,
    help="Rows per InvokeEndpoint call (text/csv).",
)
def evaluate(endpoint: str, metrics_file: Path, batch_rows: int) -> None:
    """The task's metrics (for a classifier with its confusion matrix) of the endpoint's own
    answers, read as the model's contract says, on the rows training held out."""
    with reported_errors("evaluate"):
        contract, rows, seed = held_out_rows(metrics_file)
        client = create_runtime_client()
        model = ModelEndpoint(endpoint, lambda: client, contract.answer.accept)
        result = local.evaluate_endpoint(model, contract, rows, batch_rows)
    metrics, variants = result.metrics, ", ".join(result.variants) or "not named"
    click.echo(f"endpoint   {endpoint}  variant {variants}")
    click.echo(
        f"rows       {metrics['rows']} held-out test rows of seed {seed}, "
        f"{result.calls} InvokeEndpoint calls of at most {batch_rows} rows\n"
    )
    heading = f"test ({metrics['rows']} held-out rows)"
    click.echo("\n".join(format_metrics(contract, metrics, heading)))


@cli.command(short_help="Delete an endpoint, its config, model and autoscaling.")
@click.option("--endpoint", help="The endpoint to delete.")
@click.option(
    "--registry",
    "with_registry",
    is_flag=True,
    help="Also delete --model's model package group, its versions and their model cards: "
    "the audit trail, which delete otherwise leaves alone.",
)
@_model
@_region
def delete(endpoint: str | None, with_registry: bool, model: str, region: str | None) -> None:
    """Delete the endpoint, its endpoint config and model, and any scaling target and policy.
    The Model Registry stays unless --registry asks for it too."""
    if endpoint is None and not with_registry:
        raise click.UsageError("give --endpoint, --registry or both")
    with reported_errors("delete"):
        clients = AwsClients.create(region)
        if endpoint is not None:
            hosting.delete_endpoint(clients, endpoint, click.echo)
        if with_registry:
            sagemaker.delete_registry(clients, group_name(model), click.echo)


@cli.command(short_help="List this project's training jobs, models and endpoints.")
@_region
def status(region: str | None) -> None:
    """What exists on SageMaker with this project's tag: training jobs, models, endpoint
    configs and endpoints, with their status and model version (`registry list` for versions)."""
    with reported_errors("status"):
        lines = hosting.project_resources(AwsClients.create(region))
    click.echo("\n".join(lines) or f"nothing tagged project={hosting.PROJECT}")
