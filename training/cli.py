"""``python -m training``: train, register, approve, deploy, evaluate and tear down the WDBC
classifier. Every failure is one line and exit status 1, never a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.endpoint import ModelEndpoint, create_runtime_client
from training import TrainingError
from training.artifact import ArtifactError, load_artifact
from training.aws import PROJECT, PROJECT_TAG_KEY, SEED_TAG_KEY, AwsClients, WaitPolicy, cloud_error
from training.aws import tags_of as _tags_of
from training.data import DEFAULT_SEED, held_out_rows
from training.hosting import (
    DEFAULT_BATCH_ROWS,
    DEFAULT_INSTANCE_TYPE,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MEMORY_MB,
    SERVERLESS_MEMORY_SIZES,
    Autoscaling,
    Deployment,
    DeployRequest,
    Hosting,
    InstanceHosting,
    ModelSource,
    ServerlessHosting,
    delete_endpoint,
    evaluate_endpoint,
    project_resources,
)
from training.hosting import (
    deploy as deploy_model,
)
from training.linear_learner import (
    DEFAULT_PREFIX,
    DEFAULT_TRAINING_INSTANCE,
    SELECTION_CRITERION,
    SageMakerTrainingSettings,
)
from training.local import (
    DEFAULT_OUTPUT_DIR,
    METRICS_FILE_NAME,
    ClassificationMetrics,
    Spread,
    cross_validate,
    train_local,
    write_outputs,
)
from training.model_card import (
    DEFAULT_CARD,
    PROJECT_DIR,
    sagemaker_card,
    write_model_card,
    write_stage,
)
from training.registry import (
    DEFAULT_SAGEMAKER_OUTPUT_DIR,
    Package,
    approved_package,
    caller,
    decide,
    delete_registry,
    listing,
    publish_card,
    train_and_register,
)
from training.threshold import DEFAULT_RULE, DEFAULT_TARGET_RECALL, RULE_NAMES, ThresholdRule

_LABELS = {
    "accuracy": "accuracy",
    "roc_auc": "ROC AUC",
    "malignant_recall": "malignant recall",
    "malignant_precision": "malignant precision",
}
# train_test_split and StratifiedKFold take seeds in numpy's range.
_LARGEST_SEED = 2**32 - 1
_region = click.option("--region", help="AWS region [default: boto3's, e.g. AWS_REGION].")


@dataclass(frozen=True)
class TrainingOptions:
    output_dir: Path
    seed: int = DEFAULT_SEED
    rule: ThresholdRule = field(default_factory=ThresholdRule)
    sagemaker: SageMakerTrainingSettings | None = None


@dataclass(frozen=True)
class TrainingOutcome:
    """What a training run reports, whichever target trained the model."""

    model_name: str
    model_version: str
    seed: int
    split_sizes: Mapping[str, int]
    # The settings training picked for itself, such as C and the threshold, by display name.
    chosen_settings: Mapping[str, float]
    threshold_rule: str
    # None when the target reports rates only (Linear Learner logs no confusion matrix).
    test_metrics: ClassificationMetrics | None
    written_files: tuple[Path, ...]
    cross_validation: Mapping[str, Spread] = field(default_factory=dict)
    # Metrics by the target's own names, for targets that do not give ClassificationMetrics.
    reported_metrics: Mapping[str, float] = field(default_factory=dict)


def run_local(
    options: TrainingOptions, echo: Callable[[str], None] = click.echo
) -> TrainingOutcome:
    """``--target local``: train, cross-validate, write every file."""
    result = train_local(options.seed, options.rule)
    cross_validation = cross_validate(result.split, options.rule)
    return TrainingOutcome(
        model_name=result.artifact.name,
        model_version=result.artifact.version,
        seed=options.seed,
        split_sizes=result.split.sizes,
        chosen_settings={
            "C": result.fitted.regularisation_strength,
            "threshold": result.artifact.threshold,
        },
        threshold_rule=options.rule.describe(),
        test_metrics=result.test_metrics,
        written_files=write_outputs(result, options.output_dir, cross_validation),
        cross_validation={name: cross_validation.spread(name) for name in _LABELS},
    )


def run_sagemaker(
    options: TrainingOptions, echo: Callable[[str], None], policy: WaitPolicy | None = None
) -> TrainingOutcome:
    """``--target sagemaker``: Linear Learner on a training job, registered for approval."""
    settings = options.sagemaker
    if settings is None:
        raise TrainingError("--target sagemaker needs --role and --bucket")
    job, package, written = train_and_register(
        AwsClients.create(settings.region),
        settings,
        options.seed,
        options.rule,
        options.output_dir,
        echo,
        policy,
    )
    criterion = job.description.get("HyperParameters", {}).get(SELECTION_CRITERION, "?")
    return TrainingOutcome(
        model_name=f"{job.name}, registered as {PROJECT} {package.version} ({package.status})",
        model_version=package.version,
        seed=options.seed,
        split_sizes=job.split.sizes,
        chosen_settings={},
        threshold_rule=f"Linear Learner, {SELECTION_CRITERION}={criterion} on validation",
        test_metrics=None,
        reported_metrics=job.rates().get("test", {}),
        written_files=written,
    )


TARGETS: dict[str, Callable[[TrainingOptions, Callable[[str], None]], TrainingOutcome]] = {
    "local": run_local,
    "sagemaker": run_sagemaker,
}
DEFAULT_OUTPUT_DIRS = {"local": DEFAULT_OUTPUT_DIR, "sagemaker": DEFAULT_SAGEMAKER_OUTPUT_DIR}


@contextmanager
def reported_errors(action: str) -> Iterator[None]:
    try:
        yield
    except TrainingError as error:
        raise click.ClickException(str(error)) from None
    except (ClientError, BotoCoreError) as error:
        raise click.ClickException(str(cloud_error(action, error))) from None


@contextmanager
def usage_errors() -> Iterator[None]:
    """Settings that click's types cannot check alone (min <= max, allowed memory sizes)."""
    try:
        yield
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def format_metrics(metrics: ClassificationMetrics, heading: str) -> list[str]:
    return [
        heading,
        f"  accuracy             {metrics.accuracy:.4f}",
        f"  malignant recall     {metrics.malignant_recall:.4f}",
        f"  malignant precision  {metrics.malignant_precision:.4f}",
        f"  ROC AUC              {metrics.roc_auc:.4f}",
        "",
        "confusion matrix (malignant = positive)",
        "                    predicted benign  predicted malignant",
        f"  actual benign     {metrics.true_negatives:>16}  {metrics.false_positives:>19}",
        f"  actual malignant  {metrics.false_negatives:>16}  {metrics.true_positives:>19}",
    ]


def format_report(outcome: TrainingOutcome) -> str:
    sizes = outcome.split_sizes
    heading = f"test ({sizes.get('test', '?')} held-out rows)"
    lines = [
        f"model      {outcome.model_name}  version {outcome.model_version}",
        f"split      {sizes['train']} train / {sizes['validation']} validation / "
        f"{sizes['test']} test rows, seed {outcome.seed}",
        f"threshold  {outcome.threshold_rule}",
    ]
    if outcome.chosen_settings:
        settings = outcome.chosen_settings.items()
        lines.append("chosen     " + "  ".join(f"{name} {value:.6g}" for name, value in settings))
    lines.append("")
    if outcome.test_metrics is not None:
        lines += format_metrics(outcome.test_metrics, heading)
    else:
        lines.append(heading + ", as the training job reports")
        rates = outcome.reported_metrics.items()
        lines += [f"  {_LABELS.get(name, name):<21}{value:.4f}" for name, value in rates] or [
            "  (the training job reported no test metrics)"
        ]
    if outcome.cross_validation:
        lines += ["", "10-fold cross-validation on train + validation (mean ± std)"]
        lines += [
            f"  {_LABELS.get(name, name):<21}{spread.mean:.4f} ± {spread.std:.4f}"
            for name, spread in outcome.cross_validation.items()
        ]
    lines += ["", *(f"wrote {path}" for path in outcome.written_files)]
    return "\n".join(lines)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Train the WDBC breast-cancer classifier (label 1 = malignant), register it in the
    SageMaker Model Registry, approve it, deploy it, evaluate an endpoint on the held-out rows,
    and tear it down."""


@cli.command(short_help="Train a model and write its artifact and metrics.json.")
@click.option(
    "--target",
    type=click.Choice(sorted(TARGETS)),
    default="local",
    show_default=True,
    help="'local': scikit-learn here, no AWS account. 'sagemaker': Linear Learner on a "
    f"SageMaker training job (needs --role and --bucket), registered in {PROJECT}.",
)
@click.option(
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, writable=True, path_type=Path),
    default=None,
    help=f"Directory for the outputs [default: {DEFAULT_OUTPUT_DIR} or "
    f"{DEFAULT_SAGEMAKER_OUTPUT_DIR}]. Local: model.json, metrics.json, roc_curve.png, "
    "confusion_matrix.png, model_card.md. SageMaker: training-job.json, metrics.json.",
)
@click.option(
    "--seed",
    type=click.IntRange(0, _LARGEST_SEED),
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed for the 60/20/20 split and the cross-validation folds; same seed, same model.",
)
@click.option(
    "--threshold-rule",
    type=click.Choice(RULE_NAMES),
    default=DEFAULT_RULE,
    show_default=True,
    help="How the threshold is chosen on the validation rows: 'accuracy' maximises accuracy; "
    "'target-recall' takes the highest threshold whose malignant recall reaches "
    "--target-recall (Linear Learner: accuracy / precision_at_target_recall).",
)
@click.option(
    "--target-recall",
    type=click.FloatRange(0.0, 1.0, min_open=True),
    default=DEFAULT_TARGET_RECALL,
    show_default=True,
    help="The malignant recall the 'target-recall' rule must reach on the validation rows.",
)
@click.option(
    "--role",
    envvar="SAGEMAKER_ROLE_ARN",
    help="SageMaker: execution role ARN [env SAGEMAKER_ROLE_ARN].",
)
@click.option(
    "--bucket",
    envvar="WDBC_BUCKET",
    help="SageMaker: S3 bucket for the channels, the model and its report [env WDBC_BUCKET].",
)
@click.option(
    "--prefix", default=DEFAULT_PREFIX, show_default=True, help="SageMaker: S3 key prefix."
)
@_region
@click.option(
    "--instance-type",
    default=DEFAULT_TRAINING_INSTANCE,
    show_default=True,
    help="SageMaker: training instance type.",
)
@click.option(
    "--kms-key",
    help="SageMaker: KMS key id or ARN for the channels, the training volume, the model output "
    "and the metrics report.",
)
@click.option(
    "--timeout",
    "timeout_minutes",
    type=click.FloatRange(min=1),
    default=60,
    show_default=True,
    help="SageMaker: minutes to wait for the training job.",
)
def train(
    target: str,
    output_dir: Path | None,
    seed: int,
    threshold_rule: str,
    target_recall: float,
    role: str | None,
    bucket: str | None,
    prefix: str,
    region: str | None,
    instance_type: str,
    kms_key: str | None,
    timeout_minutes: float,
) -> None:
    """Split WDBC 60/20/20 by seed, fit, choose the threshold on validation, score on test.

    Local: C by 5-fold CV on train, then 10-fold cross-validation of the whole procedure on
    train + validation (mean and spread), a ROC curve, a confusion matrix and a model card.
    SageMaker: the model is registered as a new version of the model package group, pending
    manual approval (see `registry`).
    """
    sagemaker = None
    if target == "sagemaker":
        if not role or not bucket:
            raise click.UsageError("--target sagemaker needs --role and --bucket")
        sagemaker = SageMakerTrainingSettings(
            role_arn=role,
            bucket=bucket,
            prefix=prefix,
            region=region,
            instance_type=instance_type,
            kms_key_id=kms_key,
            wait_timeout_seconds=timeout_minutes * 60,
        )
    options = TrainingOptions(
        output_dir=output_dir or DEFAULT_OUTPUT_DIRS[target],
        seed=seed,
        rule=ThresholdRule(threshold_rule, target_recall),
        sagemaker=sagemaker,
    )
    with reported_errors(f"train --target {target}"):
        outcome = TARGETS[target](options, click.echo)
    click.echo(format_report(outcome))


@cli.command(short_help="Write the model card GET /model serves for a stage.")
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=DEFAULT_OUTPUT_DIR / "model.json",
    show_default=True,
    help="The model artifact (model.json) to describe.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=DEFAULT_CARD,
    show_default=True,
    help="Where the card goes: a file in chalicelib/model_cards/, named by a stage's MODEL_CARD.",
)
def card(model_path: Path, output: Path) -> None:
    """Describe a trained model: features and training ranges, metrics, intended use."""
    try:
        artifact = load_artifact(model_path)
    except ArtifactError as error:
        raise click.ClickException(str(error)) from None
    write_model_card(artifact, output)
    click.echo(f"wrote {output} for model {artifact.name} version {artifact.version}")


@cli.group()
def registry() -> None:
    """The model package group's versions: list them, approve or reject one."""


@registry.command("list", short_help="Each version with its test metrics and status.")
@_region
def list_versions(region: str | None) -> None:
    """Each version of the group, newest first: status, creation time, the test metrics of its
    model quality report, its ARN and who approved or rejected it and why."""
    with reported_errors("registry list"):
        click.echo("\n".join(listing(AwsClients.create(region))))


def _decision(approve: bool) -> Callable[..., None]:
    verb = "approve" if approve else "reject"

    @click.argument("version")
    @click.option("--reason", required=True, help=f"Why you {verb} it; stored on the package.")
    @click.option("--by", help="Who decides [default: the caller's AWS identity, from STS].")
    @_region
    def command(version: str, reason: str, by: str | None, region: str | None) -> None:
        with reported_errors(f"registry {verb}"):
            clients = AwsClients.create(region)
            package = decide(clients, version, approve, by or caller(clients), reason)
        click.echo(f"{PROJECT} {package.version} is {package.status}: {package.arn}")

    command.__doc__ = (
        f"{verb.capitalize()} VERSION (v<N>, <N> or its ARN): the package records who and why, "
        "and its SageMaker Model Card follows."
    )
    return command


registry.command("approve", short_help="Approve a version for deployment.")(_decision(True))
registry.command("reject", short_help="Reject a version.")(_decision(False))


@cli.command(short_help="Deploy an approved model package to an endpoint, or update one.")
@click.option("--model-package", help="The ARN of an Approved version of the group.")
@click.option(
    "--approved",
    type=click.Choice(["latest"]),
    help="'latest': the newest Approved version of the group.",
)
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
    model_package: str | None,
    approved: str | None,
    training_job: str | None,
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
    """Model, endpoint config (variant named by the model version: v<N> for a package) and
    endpoint; an existing one is updated without downtime, then its old config and model are
    deleted. Only an Approved package is deployed."""
    if sum(choice is not None for choice in (model_package, approved, training_job)) != 1:
        raise click.UsageError("give one of --model-package ARN, --approved latest, --training-job")
    with usage_errors():
        hosting: Hosting = (
            ServerlessHosting(int(memory), max_concurrency)
            if serverless
            else InstanceHosting(instance_type, instance_count)
        )
        scaling = _autoscaling(autoscale_min, autoscale_max, target_invocations)
        # Checked before any call: a name SageMaker would refuse, autoscaling on serverless.
        DeployRequest(ModelSource("v1", {}, ""), endpoint, hosting, scaling, role)
    with reported_errors("deploy"):
        clients = AwsClients.create(region)
        package: Package | None = None
        if training_job is not None:
            click.echo(
                f"training job {training_job} bypasses the Model Registry: no approval is checked"
            )
            source = ModelSource.training_job_model(clients.sagemaker, training_job)
        else:
            package = approved_package(clients.sagemaker, model_package or "latest")
            click.echo(f"deploying {PROJECT} {package.version} (Approved): {package.arn}")
            container = {"ModelPackageName": package.arn}
            source = ModelSource(package.version, container, package.training_job, package.arn)
        request = DeployRequest(source, endpoint, hosting, scaling, role)
        policy = WaitPolicy(timeout_minutes * 60, poll_seconds)
        deployment = deploy_model(clients, request, policy, click.echo)
        click.echo(
            f"endpoint {deployment.endpoint} serves version {deployment.version} "
            f"(variant {deployment.variant}, config {deployment.endpoint_config})"
        )
        if stage:
            for path in write_back(clients, deployment, package, stage, PROJECT_DIR):
                click.echo(f"wrote {path}")


def write_back(
    clients: AwsClients,
    deployment: Deployment,
    package: Package | None,
    stage: str,
    project_dir: Path,
) -> tuple[Path, ...]:
    """The stage's settings and its card; a package's SageMaker Model Card is published too."""
    job = deployment.training_job
    seed = _tags_of(clients.sagemaker, job["TrainingJobArn"]).get(SEED_TAG_KEY)
    if seed is None:
        raise TrainingError(
            f"training job {job['TrainingJobName']} has no {SEED_TAG_KEY} tag: "
            "it was not trained by `python -m training train --target sagemaker`"
        )
    arn = package.arn if package else None
    api_card = sagemaker_card(job, deployment.version, int(seed), arn)
    if package is not None:
        click.echo(f"published SageMaker model card {publish_card(clients, package)}")
    return write_stage(stage, deployment.endpoint, deployment.endpoint_arn, api_card, project_dir)


@cli.command(short_help="Score the held-out test rows through an endpoint.")
@click.option(
    "--endpoint",
    required=True,
    help="The endpoint to call: on SageMaker, or the "
    "local stand-in when AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME points at it.",
)
@click.option(
    "--metrics",
    "metrics_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=DEFAULT_OUTPUT_DIR / METRICS_FILE_NAME,
    show_default=True,
    help="A training run's metrics.json: its seed and test row indices say which rows to send.",
)
@click.option(
    "--batch-rows",
    type=click.IntRange(1, 1000),
    default=DEFAULT_BATCH_ROWS,
    show_default=True,
    help="Rows per InvokeEndpoint call (text/csv).",
)
def evaluate(endpoint: str, metrics_file: Path, batch_rows: int) -> None:
    """Accuracy, malignant recall and precision, ROC AUC and the confusion matrix of the
    endpoint's own predicted_label and score on the rows training held out."""
    with reported_errors("evaluate"):
        rows, seed = held_out_rows(metrics_file)
        client = create_runtime_client()
        result = evaluate_endpoint(ModelEndpoint(endpoint, lambda: client), rows, seed, batch_rows)
    rows_line = f"{result.metrics.rows} held-out test rows of seed {seed}"
    click.echo(f"endpoint   {endpoint}  variant {', '.join(result.variants) or 'not named'}")
    click.echo(
        f"rows       {rows_line}, {result.calls} InvokeEndpoint calls of at most {batch_rows} rows"
    )
    click.echo("")
    click.echo(
        "\n".join(format_metrics(result.metrics, f"test ({result.metrics.rows} held-out rows)"))
    )


@cli.command(short_help="Delete an endpoint, its config, model and autoscaling.")
@click.option("--endpoint", help="The endpoint to delete.")
@click.option(
    "--registry",
    "with_registry",
    is_flag=True,
    help=f"Also delete the model package group {PROJECT}, its versions and their model cards: "
    "the audit trail, which delete otherwise leaves alone.",
)
@_region
def delete(endpoint: str | None, with_registry: bool, region: str | None) -> None:
    """Delete the endpoint, its endpoint config and model, and any scaling target and policy.
    The Model Registry stays unless --registry asks for it too."""
    if endpoint is None and not with_registry:
        raise click.UsageError("give --endpoint, --registry or both")
    with reported_errors("delete"):
        clients = AwsClients.create(region)
        if endpoint is not None:
            delete_endpoint(clients, endpoint, click.echo)
        if with_registry:
            delete_registry(clients, click.echo)


@cli.command(short_help="List this project's training jobs, models and endpoints.")
@_region
def status(region: str | None) -> None:
    """What exists on SageMaker with this project's tag: training jobs, models, endpoint
    configs and endpoints, with their status and model version (`registry list` for versions)."""
    with reported_errors("status"):
        lines = project_resources(AwsClients.create(region))
    click.echo("\n".join(lines) or f"nothing tagged {PROJECT_TAG_KEY}={PROJECT}")


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
