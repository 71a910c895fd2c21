"""The output CSV: each scored row as written, with its line, prediction and probability."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO

from client.scoring import Scored

ADDED_COLUMNS = ("prediction", "probability_malignant")


class OutputCsv:
    """`line`, the input's columns (its header's order, or WDBC's), then the two answers."""

    def __init__(self, stream: IO[str], columns: Sequence[str]) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow(["line", *columns, *ADDED_COLUMNS])

    def write(self, scored: Iterable[Scored]) -> None:
        for item in scored:
            label, probability = item.prediction
            self._writer.writerow([item.row.line, *item.row.fields, label, repr(probability)])
