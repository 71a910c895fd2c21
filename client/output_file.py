"""The output CSV: each scored row as written, with its line and the answer's columns."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO

from client.scoring import Scored


class OutputCsv:
    """`line`, the input's columns (its header's order, or the contract's), then the answer's
    (client.api.answer_columns)."""

    def __init__(self, stream: IO[str], columns: Sequence[str], answer: Sequence[str]) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow(["line", *columns, *answer])

    def write(self, scored: Iterable[Scored]) -> None:
        for item in scored:
            self._writer.writerow([item.row.line, *item.row.fields, *item.prediction])
