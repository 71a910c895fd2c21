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
from itertools import compress, count, repeat
from operator import gt, le, lt
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
        self.count = len(self.names)
        self.lows = tuple(feature.training_range[0] for feature in contract.features)
        self.highs = tuple(feature.training_range[1] for feature in contract.features)
        self.ranges = [
            " to ".join(repr(bound).removesuffix(".0") for bound in feature.training_range)
            for feature in contract.features
        ]

    def inside(self, values: Sequence[float]) -> bool:
        """Whether each of these values, rows laid end to end in the contract's order, is inside
        its range (and so finite): each value's two comparisons, in C, per value for one row,
        by column (its least and greatest) for more."""
        if len(values) == self.count:
            return all(map(le, self.lows, values)) and all(map(le, values, self.highs))
        columns = [values[position :: self.count] for position in range(self.count)]
        return all(map(le, self.lows, map(min, columns))) and all(
            map(le, map(max, columns), self.highs)
        )

    def outside(self, rows: Sequence[Sequence[float]]) -> list[Extrapolation]:
        """The rows with a value outside its range: none at once where the reader has found
        them all inside (rows.Rows.inside), else as `inside` finds them, and only a column
        with a value outside is looked through, value by value."""
        lows, highs = self.lows, self.highs
        if getattr(rows, "inside", False):
            return []
        if len(rows) == 1 and self.inside(rows[0]):
            return []
        columns = list(zip(*rows, strict=True))
        least, greatest = list(map(min, columns)), list(map(max, columns))
        if all(map(le, lows, least)) and all(map(le, greatest, highs)):
            return []
        outside: dict[int, list[int]] = {}
        for position, column in enumerate(columns):
            low, high = lows[position], highs[position]
            if low <= least[position] and greatest[position] <= high:
                continue
            below = compress(count(), map(gt, repeat(low), column))
            above = compress(count(), map(lt, repeat(high), column))
            for index in sorted({*below, *above}):
                outside.setdefault(index, []).append(position)
        return [Extrapolation(index + 1, tuple(outside[index])) for index in sorted(outside)]

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
