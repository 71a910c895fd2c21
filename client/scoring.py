"""Rows to predictions, batch by batch; a row the API refuses is reported and the rest resent."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from chalicelib.rows import Row
from client.api import Prediction
from client.errors import BatchFailed, RowRefused
from client.input_file import BadLine, InputRow


class Scored(NamedTuple):
    row: InputRow
    prediction: Prediction


class BatchOutcome(NamedTuple):
    scored: list[Scored]
    bad_lines: list[BadLine]


def batches(rows: Sequence[InputRow], size: int) -> Iterator[Sequence[InputRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def score_batch(
    batch: Sequence[InputRow], predict: Callable[[Sequence[Row]], list[Prediction]]
) -> BatchOutcome:
    """Each refused row costs one more request for the rest; a failed batch reports every row."""
    pending = list(batch)
    bad_lines: list[BadLine] = []
    while pending:
        try:
            predictions = predict([row.values for row in pending])
        except RowRefused as refused:
            if not 1 <= refused.row <= len(pending):
                return _failed(
                    pending, bad_lines, f"the API refused a row it has not got: {refused}"
                )
            row = pending.pop(refused.row - 1)
            bad_lines.append(BadLine(row.line, f"refused by the API: {refused.message}"))
            continue
        except BatchFailed as failed:
            return _failed(pending, bad_lines, str(failed))
        return BatchOutcome(
            [Scored(*pair) for pair in zip(pending, predictions, strict=True)], bad_lines
        )
    return BatchOutcome([], bad_lines)


def _failed(pending: list[InputRow], bad_lines: list[BadLine], reason: str) -> BatchOutcome:
    return BatchOutcome(
        [], [*bad_lines, *(BadLine(row.line, f"not scored: {reason}") for row in pending)]
    )
