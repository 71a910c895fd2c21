"""``evaluate``: the held-out test rows through an endpoint's InvokeEndpoint, the same metrics."""

from __future__ import annotations

from pathlib import Path

import click

from chalicelib.endpoint import create_runtime_client
from training.cli_errors import reported_errors
from training.local import DEFAULT_OUTPUT_DIR, METRICS_FILE_NAME
from training.remote_evaluation import (
    DEFAULT_BATCH_ROWS,
    evaluate_endpoint,
    held_out_rows,
    runtime_endpoint,
)
from training.report import format_metrics


@click.command(short_help="Score the held-out test rows through an endpoint.")
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
        result = evaluate_endpoint(
            runtime_endpoint(endpoint, create_runtime_client()), rows, seed, batch_rows
        )
    variants = ", ".join(result.variants) or "not named"
    click.echo(f"endpoint   {endpoint}  variant {variants}")
    click.echo(
        f"rows       {result.metrics.rows} held-out test rows of seed {seed}, "
        f"{result.calls} InvokeEndpoint calls of at most {batch_rows} rows"
    )
    click.echo("")
    click.echo(
        "\n".join(format_metrics(result.metrics, f"test ({result.metrics.rows} held-out rows)"))
    )
