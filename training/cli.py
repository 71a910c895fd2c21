"""``python -m training``: train the WDBC classifier and report its held-out test metrics.

Targets are dispatched by table, so a SageMaker target is one more entry, not another command.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from training.artifact import ArtifactError, load_artifact
from training.data import DEFAULT_SEED
from training.errors import TrainingError
from training.local import DEFAULT_OUTPUT_DIR, run_local
from training.model_card import DEFAULT_CARD, write_model_card
from training.outcome import TrainingOutcome

TARGETS: dict[str, Callable[[Path, int], TrainingOutcome]] = {
    "local": run_local,
}

# train_test_split and StratifiedKFold take seeds in numpy's range.
_LARGEST_SEED = 2**32 - 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Train the WDBC breast-cancer classifier (label 1 = malignant) and write its artifact."""


@cli.command(short_help="Train a model and write model.json and metrics.json.")
@click.option(
    "--target",
    type=click.Choice(sorted(TARGETS)),
    default="local",
    show_default=True,
    help="Where training runs. 'local': scikit-learn on this machine, no AWS account needed.",
)
@click.option(
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, writable=True, path_type=Path),
    default=DEFAULT_OUTPUT_DIR,
    show_default=True,
    help="Directory for model.json (the artifact) and metrics.json (metrics and split rows).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, _LARGEST_SEED),
    default=DEFAULT_SEED,
    show_default=True,
    help="Seed for the 60/20/20 split and the cross-validation folds; same seed, same model.",
)
def train(target: str, output_dir: Path, seed: int) -> None:
    """Fit on the train part, pick C by 5-fold CV and the threshold on validation, score on test."""
    try:
        outcome = TARGETS[target](output_dir, seed)
    except TrainingError as error:
        raise click.ClickException(str(error)) from None
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


def format_report(outcome: TrainingOutcome) -> str:
    """A short table of the test metrics; holds no row of data, only counts and summaries."""
    metrics = outcome.test_metrics
    sizes = outcome.split_sizes
    settings = "  ".join(f"{name} {value:.6g}" for name, value in outcome.chosen_settings.items())
    lines = [
        f"model      {outcome.model_name}  version {outcome.model_version}",
        f"split      {sizes['train']} train / {sizes['validation']} validation / "
        f"{sizes['test']} test rows, seed {outcome.seed}",
        f"chosen     {settings}",
        "",
        f"test ({metrics.rows} held-out rows)",
        f"  accuracy             {metrics.accuracy:.4f}",
        f"  malignant recall     {metrics.malignant_recall:.4f}",
        f"  malignant precision  {metrics.malignant_precision:.4f}",
        f"  ROC AUC              {metrics.roc_auc:.4f}",
        "",
        "confusion matrix (malignant = positive)",
        "                    predicted benign  predicted malignant",
        f"  actual benign     {metrics.true_negatives:>16}  {metrics.false_positives:>19}",
        f"  actual malignant  {metrics.false_negatives:>16}  {metrics.true_positives:>19}",
        "",
        *(f"wrote {path}" for path in outcome.written_files),
    ]
    return "\n".join(lines)
