"""``python -m training``: train a shipped example's model (``--model``, by default WDBC's) here or
on SageMaker, evaluate it, write its card, and keep its registered versions (list, approve,
reject, delete). Hosting it is ``python -m deploy``'s. Every failure is one line and a non-zero
exit status, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from chalicelib.contract import BINARY, MULTICLASS, Contract
from chalicelib.endpoint import ModelEndpoint, create_runtime_client
from chalicelib.errors import ConfigurationError
from chalicelib.model_card import CARDS_DIR
from standin.model import ModelFileError
from training import TrainingError, local, procedure, registry, sagemaker, threshold
from training.artifact import write_json
from training.aws import AwsClients, Echo, WaitPolicy, one_line_errors
from training.data import DATASETS, DEFAULT_MODEL, DEFAULT_SEED, MODELS_DIR, Split, held_out_rows
from training.model_card import card_document
from training.procedure import class_names, metric_labels
from training.sagemaker import DEFAULT_SAGEMAKER_OUTPUT_DIR, SageMakerTrainingSettings

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
    echo: Echo,
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


def _reported(action: str) -> Any:
    return one_line_errors(action, TrainingError, ModelFileError, ConfigurationError)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
def cli() -> None:
    """Train a model and hand it to deployment, for a shipped example's contract
    (models/NAME/contract.json; --model, WDBC's by default).

    \b
    Here, with no AWS account:
      python -m training train          fit; write models/wdbc/ (make train)
      python -m training card           the card GET /model serves for it
    On SageMaker:
      python -m training train --target sagemaker --role ARN --bucket NAME
                                        a training job, registered for approval
      python -m training registry list
      python -m training registry approve v1 --reason "reviewed the card"
    Then host the approved version and deploy the API: python -m deploy --help.
    """


@cli.command(short_help="Fit a model here, or on SageMaker and register it.")
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
    with _reported(f"train --target {target}"):
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


@cli.command(short_help="Write the card GET /model serves for a local model.")
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
    """Describe a trained model folder: features and training ranges, metrics, intended use.
    (A SageMaker version's card is made when it is registered, and travels with it to the
    stage that `python -m deploy endpoint host --stage` points at it.)"""
    with _reported("card"):
        contract, record = local.read_model_folder(folder)
    output = write_json(
        card_document(contract, record), output or CARDS_DIR / f"{contract.name}.json"
    )
    model = record["model"]
    click.echo(f"wrote {output} for model {model['name']} version {model['version']}")


@cli.group("registry", short_help="The registered versions: list, approve, reject, delete.")
def registry_commands() -> None:
    """The Model Registry: a model's versions in its package group <model>-predictor, where
    SageMaker training registers them and deployment takes only an Approved one."""


@registry_commands.command("list", short_help="Each version, newest first: status, metrics.")
@_model
@_region
def list_versions(model: str, region: str | None) -> None:
    """Each version, newest first: status, creation time, the test metrics of its model quality
    report, its ARN, and who approved or rejected it and why."""
    with _reported("registry list"):
        lines = registry.listing(AwsClients.create(region), registry.group_name(model))
    click.echo("\n".join(lines))


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
        with _reported(f"registry {verb}"):
            clients = AwsClients.create(region)
            group = registry.group_name(model)
            package = registry.decide(clients, version, group, approve, by, reason)
            sagemaker.publish_card(clients, package)
        click.echo(f"{package.group} {package.version} is {package.status}: {package.arn}")

    return command


registry_commands.add_command(_decision(True))
registry_commands.add_command(_decision(False))


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
    with _reported("evaluate"):
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


@registry_commands.command("delete", short_help="Delete every version, its cards, the group.")
@_model
@_region
@click.confirmation_option(
    prompt="Delete every version of the model, its cards and its package group?",
    help="Do not ask first.",
)
def delete_versions(model: str, region: str | None) -> None:
    """Delete the model's package group, its versions and their SageMaker Model Cards: the
    audit trail, which nothing else deletes. Endpoints stay (`python -m deploy endpoint
    delete`)."""
    with _reported("registry delete"):
        clients = AwsClients.create(region)
        registry.delete_registry(clients, registry.group_name(model), click.echo)
