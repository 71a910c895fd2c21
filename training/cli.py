"""``python -m training``: train, describe, deploy, evaluate and tear down the WDBC classifier.

``train`` dispatches by target from a table; the SageMaker commands live in cli_sagemaker.py and
import the sagemaker SDK only when a SageMaker job is built.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from training.artifact import ArtifactError, load_artifact
from training.cli_errors import reported_errors
from training.cli_evaluate import evaluate
from training.cli_sagemaker import delete, deploy, status
from training.data import DEFAULT_SEED
from training.local import DEFAULT_OUTPUT_DIR, run_local
from training.model_card import DEFAULT_CARD, write_model_card
from training.options import (
    DEFAULT_PREFIX,
    DEFAULT_TRAINING_INSTANCE,
    SageMakerTrainingSettings,
    TrainingOptions,
)
from training.outcome import TrainingOutcome
from training.report import format_report
from training.sagemaker_target import DEFAULT_SAGEMAKER_OUTPUT_DIR, run_sagemaker
from training.threshold import DEFAULT_RULE, DEFAULT_TARGET_RECALL, RULE_NAMES, ThresholdRule
from training.waiting import Echo

TARGETS: dict[str, Callable[[TrainingOptions, Echo], TrainingOutcome]] = {
    "local": lambda options, echo: run_local(options),
    "sagemaker": lambda options, echo: run_sagemaker(options, echo),
}
DEFAULT_OUTPUT_DIRS = {"local": DEFAULT_OUTPUT_DIR, "sagemaker": DEFAULT_SAGEMAKER_OUTPUT_DIR}

# train_test_split and StratifiedKFold take seeds in numpy's range.
_LARGEST_SEED = 2**32 - 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Train the WDBC breast-cancer classifier (label 1 = malignant), deploy it to SageMaker,
    evaluate an endpoint on the held-out rows, and tear it down."""


@cli.command(short_help="Train a model and write its artifact and metrics.json.")
@click.option(
    "--target",
    type=click.Choice(sorted(TARGETS)),
    default="local",
    show_default=True,
    help="'local': scikit-learn here, no AWS account. 'sagemaker': Linear Learner on a "
    "SageMaker training job (needs --role and --bucket).",
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
    help="SageMaker: S3 bucket for the channels and the model [env WDBC_BUCKET].",
)
@click.option(
    "--prefix",
    default=DEFAULT_PREFIX,
    show_default=True,
    help="SageMaker: S3 key prefix in the bucket.",
)
@click.option("--region", help="SageMaker: AWS region [default: boto3's, e.g. AWS_REGION].")
@click.option(
    "--instance-type",
    default=DEFAULT_TRAINING_INSTANCE,
    show_default=True,
    help="SageMaker: training instance type.",
)
@click.option(
    "--kms-key",
    help="SageMaker: KMS key id or ARN for the channels, the training volume and the model output.",
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


for _command in (deploy, evaluate, delete, status):
    cli.add_command(_command)
