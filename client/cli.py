"""`python -m client score INPUT.csv`: predictions for every row of a CSV file, through the API.

The API says which model it serves (its `GET /model`): the client reads the file's rows as that
contract has them and writes the answers' columns as its task has them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from chalicelib.errors import MAX_ROWS
from client.api import PredictionApi, answer_columns
from client.errors import ApiUnusable
from client.input_file import BadLine, HeaderError, NotUtf8, decode_input, read_input
from client.output_file import OutputCsv
from client.scoring import batches, score_batch

DEFAULT_URL = "http://127.0.0.1:8000"
API_KEY_VARIABLE = "WDBC_API_KEY"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """A batch client for the prediction API, for whichever model it serves."""


@cli.command(short_help="Score a CSV file of rows through the API.")
@click.argument(
    "input_file", metavar="INPUT.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--url",
    default=DEFAULT_URL,
    show_default=True,
    help="The API's base address (with its stage, on AWS).",
)
@click.option(
    "--api-key", envvar=API_KEY_VARIABLE, help=f"Sent as x-api-key; or set {API_KEY_VARIABLE}."
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, MAX_ROWS),
    default=500,
    show_default=True,
    help="Rows per request.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 10),
    default=5,
    show_default=True,
    help="Tries per batch when the API answers 429 or 503 or cannot be reached.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the scored CSV (default: standard output).",
)
def score(
    input_file: Path,
    url: str,
    api_key: str | None,
    batch_size: int,
    max_attempts: int,
    output: Path | None,
) -> None:
    """Score INPUT.csv: a value per feature of the API's model a line, in its order or under a
    header naming the features.

    Writes each scored row with its input line number and the answer: `prediction` (the class
    code or the predicted value) and, for a classifier, the probability of its positive class
    (`probability_<name>`) or of each class (`probability_<code>`). Bad lines are reported on
    standard error by line number and do not stop the run; the exit status is 1 if any line was
    not scored.
    """
    started = time.monotonic()
    try:
        api = PredictionApi(url, api_key, max_attempts)
    except ApiUnusable as error:
        raise click.BadParameter(str(error), param_hint="--url") from None
    try:
        text = decode_input(input_file.read_bytes())
        contract = api.contract
        parsed = read_input(text, contract)
    except (HeaderError, NotUtf8) as error:
        raise click.ClickException(f"{input_file}: {error}") from None
    except ApiUnusable as error:
        raise click.ClickException(str(error)) from None
    bad_lines: list[BadLine] = list(parsed.bad_lines)
    scored_rows = 0
    with click.open_file(str(output) if output else "-", "w", encoding="utf-8") as stream:
        writer = OutputCsv(stream, parsed.columns, answer_columns(contract))
        progress = click.progressbar(length=len(parsed.rows), label="scoring", file=sys.stderr)
        with progress as bar:
            for batch in batches(parsed.rows, batch_size):
                try:
                    outcome = score_batch(batch, api.predict)
                except ApiUnusable as error:
                    raise click.ClickException(str(error)) from None
                writer.write(outcome.scored)
                scored_rows += len(outcome.scored)
                bad_lines.extend(outcome.bad_lines)
                bar.update(len(batch))
    for bad in sorted(bad_lines):
        click.echo(f"{input_file}:{bad.line}: {bad.message}", err=True)
    rows = scored_rows + len(bad_lines)
    click.echo(
        f"{rows} rows: {scored_rows} scored, {len(bad_lines)} errors; "
        f"{api.requests} request{'s' if api.requests != 1 else ''} "
        f"in {time.monotonic() - started:.2f} s",
        err=True,
    )
    if bad_lines:
        sys.exit(1)
