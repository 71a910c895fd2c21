"""Rows with a value outside its feature's training range: still predicted, with a warning that
names the row and the features (and their ranges), never the value.

A JSON answer lists them in `warnings`, which is absent when there is none: a row inside every
range is answered byte for byte as before. Every answer type (JSON, CSV, JSON Lines, plain text,
OIP) also carries them in one header, `X-Outside-Training-Range: 1: radius_mean area_mean; 5:
texture_mean`, rows from 1, cut at a whole row to stay within HEADER_BYTES (then ending `; ...`):
no proxy or client refuses it for its size, and a JSON answer has them all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import chain, compress, count, repeat
from operator import gt, itemgetter, le, lt
from typing import NamedTuple

from chalicelib.contract import Contract

HEADER = "X-Outside-Training-Range"
HEADER_BYTES = 2048
CODE = "outside_training_range"
NAMED = 3  # features a warning's message names with their ranges; `features` has them all


class Extrapolation(NamedTuple):
    row: int  # from 1
    features: tuple[int, ...]  # positions in the contract's order, from 0


class TrainingRanges:
    """A contract's training ranges, checked against the rows of a request."""

    def __init__(self, contract: Contract) -> None:
        self.names = contract.feature_names
        self.lows = tuple(feature.training_range[0] for feature in contract.features)
        self.highs = tuple(feature.training_range[1] for feature in contract.features)
        self.ranges = [
            " to ".join(repr(bound).removesuffix(".0") for bound in feature.training_range)
            for feature in contract.features
        ]

    def bounds(self, values: Sequence[float]) -> tuple[Sequence[float], Sequence[float]]:
        """Each column's least and greatest value, of rows laid end to end: two passes in C, as
        many comparisons as the least and greatest of all the values would take."""
        width = len(self.names)
        if len(values) == width:
            return values, values
        columns = [values[position::width] for position in range(width)]
        return list(map(min, columns)), list(map(max, columns))

    def positions_outside(self, least: Sequence[float], greatest: Sequence[float]) -> list[int]:
        """The positions of the columns with these bounds that hold a value outside its range;
        [] (each value inside, and so finite) in two passes in C."""
        lows, highs = self.lows, self.highs
        if all(map(le, lows, least)) and all(map(le, greatest, highs)):
            return []
        return [p for p in range(len(lows)) if least[p] < lows[p] or greatest[p] > highs[p]]

    def outside(self, rows: Sequence[Sequence[float]]) -> list[Extrapolation]:
        """The rows with a value outside its range. Only the columns with one are looked
        through, value by value in C; which they are, the CSV reader may have found already
        (rows.Rows.outside)."""
        positions = getattr(rows, "outside", None)
        if positions is None and len(rows) == 1:
            positions = self.positions_outside(rows[0], rows[0])
        elif positions is None:
            positions = self.positions_outside(*self.bounds(list(chain.from_iterable(rows))))
        if not positions:
            return []
        found: dict[int, list[int]] = {}
        for position in positions:
            column = list(map(itemgetter(position), rows))
            below = compress(count(), map(gt, repeat(self.lows[position]), column))
            above = compress(count(), map(lt, repeat(self.highs[position]), column))
            for index in sorted({*below, *above}):
                found.setdefault(index, []).append(position)
        return [Extrapolation(index + 1, tuple(found[index])) for index in sorted(found)]

    def documents(self, warnings: Sequence[Extrapolation]) -> str:
        """The `warnings` list of a JSON answer, as JSON."""
        return json.dumps([self._document(warning) for warning in warnings])

    def _document(self, warning: Extrapolation) -> dict[str, object]:
        named = [f"{self.names[p]} ({self.ranges[p]})" for p in warning.features[:NAMED]]
        rest = len(warning.features) - len(named)
        if rest:
            named.append(f"{rest} more")
        listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
        one = len(warning.features) == 1
        which = "is outside its training range" if one else "are outside their training ranges"
        return {
            "code": CODE,
            "row": warning.row,
            "features": [self.names[position] for position in warning.features],
            "message": f"row {warning.row}: {listed} {which}; the prediction is an extrapolation",
        }

    def header(self, warnings: Sequence[Extrapolation]) -> dict[str, str]:
        """`{HEADER: "1: radius_mean; 5: texture_mean area_mean"}`, or {} for no warning."""
        if not warnings:
            return {}
        parts: list[str] = []
        size = 0
        for warning in warnings:
            part = f"{warning.row}: {' '.join(self.names[p] for p in warning.features)}"
            size += len(part) + 2
            if size > HEADER_BYTES - len("; ..."):
                parts.append("...")
                break
            parts.append(part)
        return {HEADER: "; ".join(parts)}
