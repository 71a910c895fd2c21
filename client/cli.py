"""`python -m client score INPUT.csv`: predictions for every row of a CSV file, through the API.

The API says which model it serves (its `GET /model`): the client reads the file's rows as that
contract has them and writes the answers' columns as its task has them. Rows go batch by batch;
a row the API refuses is reported and the rest of its batch resent.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import click
from tqdm import tqdm

from chalicelib.errors import MAX_ROWS
from chalicelib.rows import Row
from client.api import (
    UNREADABLE_ANSWER,
    ApiUnusable,
    BatchFailed,
    Prediction,
    PredictionApi,
    RowRefused,
    answer_columns,
)
from client.files import (
    Failed,
    HeaderError,
    InputRow,
    NotUtf8,
    OutputCsv,
    Scored,
    decode_input,
    read_input,
)

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
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the scored CSV [default: standard output].",
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
def score(
    input_file: Path,
    output: Path | None,
    url: str,
    api_key: str | None,
    batch_size: int,
    max_attempts: int,
) -> None:
    """Score INPUT.csv: a value per feature of the API's model a line, in its order or under a
    header naming the features.

    Writes every line of INPUT.csv, in its order, with its line number and fields, then the
    answer: `prediction` (the class code or the predicted value) and, for a classifier, the
    probability of its positive class (`probability_<name>`) or of each class
    (`probability_<code>`), and `warnings`: the features outside their training range, by name,
    where the API warned that the prediction extrapolates; a line that was not scored has
    `error` (the API's error code, or the client's) and `error_message` instead. A progress bar
    (rows, rate, time left), each failed line and a summary go to standard error; the exit
    status is 1 if any line was not scored.
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
    unread, failed, scored, outside = sorted(parsed.failed), list(parsed.failed), 0, 0
    with (
        click.open_file(str(output) if output else "-", "w", encoding="utf-8") as stream,
        # disable=None: a bar on a terminal only; a pipe or a log gets the summary alone.
        tqdm(
            total=len(parsed.rows), unit="rows", desc="scoring", file=sys.stderr, disable=None
        ) as bar,
    ):
        writer = OutputCsv(stream, parsed.columns, answer_columns(contract))
        for start in range(0, len(parsed.rows), batch_size):
            batch = parsed.rows[start : start + batch_size]
            try:
                outcome = score_batch(batch, api.predict)
            except ApiUnusable as error:
                raise click.ClickException(str(error)) from None
            # The input's unreadable lines go out in their place among the scored ones.
            before = [line for line in unread if line.line < batch[-1].line]
            unread = unread[len(before) :]
            writer.write([*before, *outcome])
            failed += [item for item in outcome if isinstance(item, Failed)]
            answered = [item for item in outcome if isinstance(item, Scored)]
            scored += len(answered)
            outside += sum(item.outside_training_range for item in answered)
            bar.update(len(batch))
        writer.write(unread)
    for item in sorted(failed):
        click.echo(f"{input_file}:{item.line}: {item.message}", err=True)
    click.echo(
        f"{scored + len(failed)} rows: {scored} scored"
        + (f" ({outside} outside the training range)" if outside else "")
        + f", {len(failed)} errors; "
        f"{api.requests} request{'s' if api.requests != 1 else ''} "
        f"in {time.monotonic() - started:.2f} s",
        err=True,
    )
    if failed:
        sys.exit(1)


def score_batch(
    batch: Sequence[InputRow], predict: Callable[[Sequence[Row]], list[Prediction]]
) -> list[Scored | Failed]:
    """Each refused row costs one more request for the rest; a failed batch fails every row."""
    pending, refused = list(batch), list[Scored | Failed]()
    while pending:
        try:
            predictions = predict([row.values for row in pending])
        except RowRefused as refusal:
            if not 1 <= refusal.row <= len(pending):
                message = f"not scored: the API refused a row it has not got: {refusal}"
                return refused + [Failed(r.line, UNREADABLE_ANSWER, message, r) for r in pending]
            row = pending.pop(refusal.row - 1)
            message = f"refused by the API: {refusal.message}"
            refused.append(Failed(row.line, refusal.code, message, row))
            continue
        except BatchFailed as failure:
            message = f"not scored: {failure}"
            return refused + [Failed(row.line, failure.code, message, row) for row in pending]
        return refused + [Scored(*pair) for pair in zip(pending, predictions, strict=True)]
    return refused
