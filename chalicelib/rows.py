"""One row of a model's features, as finite floats, from each form a client may send it in.

A `RowReader` is built once per contract. Every refusal names the field and the value's position
and feature, never the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

from chalicelib.contract import Contract
from chalicelib.errors import InvalidPayload, InvalidValue, WrongValueCount
from chalicelib.extrapolation import TrainingRanges
from chalicelib.names import FeatureNames

Row = tuple[float, ...]
Order = Callable[[Row], Row] | None  # a row in the order sent to the contract's order


class Rows(list[Row]):
    """Rows, and the CSV text they were read from when it may go to the endpoint as written;
    `outside`, where known, the positions of the features with a value outside its training
    range (extrapolation.TrainingRanges)."""

    __slots__ = ("csv", "outside")

    def __init__(
        self, rows: Iterable[Row], csv: str | None = None, outside: list[int] | None = None
    ) -> None:
        super().__init__(rows)
        self.csv = csv
        self.outside = outside


# Plain ASCII decimal: optional sign, digits with an optional point, optional exponent. No
# "nan", "inf", "1_000", hex or non-ASCII digits, all of which Python's float() would take.
DECIMAL_PATTERN = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
# Its digit runs possessive (`++`, `*+`): a run is never given back, so refusing a megabyte of
# digits and a letter takes one pass, not one per digit. The spec keeps the portable spelling.
PLAIN_DECIMAL = re.compile(DECIMAL_PATTERN.replace("]+", "]++").replace("]*", "]*+"))
# The common case, cheaply: a row of only these characters that float() reads as N values is
# N plain decimals (without letters, underscores or other blanks float() takes nothing more
# than DECIMAL_PATTERN). Any other row is examined value by value, for the message.
_DECIMAL_ROW_CHARACTERS = re.compile(r"[0-9.eE+\- \t,]*")
# Rows of plain decimals without blanks, a sign "+" or a bare point at either end of a number
# ("+1", ".5", "5.") are sent to the endpoint as written: any CSV reader takes them, and reads
# the numbers we read. Re-writing them would cost a repr() a value, the batch's largest cost.
_WRITTEN_CHARACTERS = re.compile(r"[0-9.eE+\-,]*")
_UNWRITTEN = (",+", ",.", "-.", ".,", ".e", ".E")
BLANKS = " \t"
# The models compute in float32 (Linear Learner and XGBoost do): a value beyond its range cannot
# be scored, so it is the caller's error (400), not the model's (502).
MAX_MAGNITUDE = 3.4028234663852886e38
TOO_LARGE = "is too large (beyond ±3.4e38, the model's float32 range)"
LINE_ENDS = BLANKS + "\r\n"
_NUMBER_TYPES = frozenset({int, float})  # not bool: True is no measurement


class RowReader:
    """The contract's features read from text, numbers and names: N values, in its order."""

    def __init__(self, contract: Contract) -> None:
        self.names = contract.feature_names
        self.count = len(self.names)
        self.naming = FeatureNames(contract)
        self.ranges = TrainingRanges(contract)
        self._name_set = frozenset(self.names)
        self._in_order = tuple_getter(self.names)
        bounds = [feature.limits for feature in contract.features]
        self._lows = tuple(-MAX_MAGNITUDE if low is None else low for low, _ in bounds)
        self._highs = tuple(MAX_MAGNITUDE if high is None else high for _, high in bounds)
        self._limited = any(low is not None or high is not None for low, high in bounds)

    def from_text(
        self, text: str, field: str = "data", columns: Sequence[str] = (), order: Order = None
    ) -> Row:
        """`"13.49,22.3,..."`: N comma-separated plain decimals, blanks around them allowed.

        `columns` names the values in the order sent (a CSV header's), `order` puts them in the
        contract's; by default they are sent in the contract's order.
        """
        text = text.strip(LINE_ENDS)
        commas = text.count(",")  # counted, not split: a line of a million commas makes no list
        if commas != self.count - 1:
            hint = " (a trailing comma?)" if text[text.rfind(",") + 1 :].strip(BLANKS) == "" else ""
            raise WrongValueCount(commas + 1, self.names, field, hint=hint)
        fields = text.split(",")
        if _DECIMAL_ROW_CHARACTERS.fullmatch(text):
            try:
                row = tuple(map(float, fields))
            except ValueError:
                pass
            else:
                if self._within_range(row):
                    return self._within_limits(_reordered(row, order), field, columns)
        names = columns or self.names
        row = tuple(
            self._value_from_text(value, position, field, name)
            for position, (value, name) in enumerate(zip(fields, names, strict=True), start=1)
        )
        return self._within_limits(_reordered(row, order), field, columns)

    def from_lines(self, lines: list[str], order: Order = None) -> Rows | None:
        """Many CSV lines at once, in a few passes in C; None if any line needs a closer look.

        The same rule as from_text (float() strips the blanks around values and rows); the caller
        reads the lines one by one when this gives up, to name the line, value and reason.
        """
        joined = ",".join(lines)
        if not _DECIMAL_ROW_CHARACTERS.fullmatch(joined):
            return None
        if set(map(str.count, lines, repeat(","))) != {self.count - 1}:
            return None
        try:
            values = tuple(map(float, joined.split(",")))
        except ValueError:
            return None
        rows = self._checked(values, order)
        if rows is not None and order is None and _sendable_as_written(joined):
            rows.csv = "\n".join(lines)
        return rows

    def from_arrays(self, arrays: list[Any], order: Order = None) -> Rows | None:
        """Many arrays of N JSON numbers at once, in a few passes in C; None if any array needs
        a closer look (the caller reads them one by one, as from_numbers, to say why)."""
        if len(arrays) < 2 or not all(isinstance(array, list) for array in arrays):
            return None  # one row: from_numbers is as quick
        if set(map(len, arrays)) != {self.count}:
            return None
        return self._from_json_values(tuple(chain.from_iterable(arrays)), order)

    def from_records(self, records: list[Any]) -> Rows | None:
        """Many objects of the N features by their names, at once; None if any needs a closer
        look (an alias, a name missing or unknown, a value: the caller reads them one by one)."""
        names = self._name_set
        if len(records) < 2:
            return None  # one row: from_named is as quick
        if not all(isinstance(record, dict) and record.keys() == names for record in records):
            return None
        return self._from_json_values(tuple(chain.from_iterable(map(self._in_order, records))))

    def _from_json_values(self, values: tuple[Any, ...], order: Order = None) -> Rows | None:
        if not _NUMBER_TYPES.issuperset(map(type, values)):
            return None
        try:
            return self._checked(tuple(map(float, values)), order)
        except OverflowError:  # an integer beyond the float range
            return None

    def _checked(self, values: Row, order: Order) -> Rows | None:
        """Rows of N from values laid end to end, or None where one is outside the float32
        range or a limit. Each column's bounds say both that and which columns hold a value
        outside its training range, in as many comparisons as the least and greatest of all
        the values."""
        least, greatest = self.ranges.bounds(values)
        if not (min(least) >= -MAX_MAGNITUDE and max(greatest) <= MAX_MAGNITUDE):
            return None
        least, greatest = _reordered(tuple(least), order), _reordered(tuple(greatest), order)
        outside = self.ranges.positions_outside(least, greatest)
        rows = Rows(zip(*[iter(values)] * self.count, strict=True), outside=outside)
        if order is not None:
            rows = Rows(map(order, rows), outside=outside)
        if self._limited and not all(map(self._inside_limits, rows)):
            return None  # read again row by row, to name the row and the feature
        return rows

    def from_numbers(self, values: list[Any], field: str = "data") -> Row:
        """`[13.49, 22.3, ...]`: N JSON numbers."""
        if len(values) != self.count:
            raise WrongValueCount(len(values), self.names, field, "numbers")
        if _NUMBER_TYPES.issuperset(map(type, values)):
            try:
                row = tuple(map(float, values))
            except OverflowError:  # an integer beyond the float range: found again below
                pass
            else:
                if self._within_range(row):
                    return self._within_limits(row, field)
        row = tuple(
            self._value_from_json(value, position, field)
            for position, value in enumerate(values, start=1)
        )
        return self._within_limits(row, field)

    def from_named(self, features: Mapping[str, Any], field: str = "features") -> Row:
        """`{"<name>": 13.49, ...}`: every feature by name or alias, nothing else."""
        if features.keys() != self._name_set:
            features = self.naming.named(features, field)
            missing = [name for name in self.names if name not in features]
            if missing:
                shown = ", ".join(repr(name) for name in missing[:3])
                more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
                raise InvalidPayload(f"{field} is missing {shown}{more}", field)
        return self.from_numbers(list(self._in_order(features)), field)

    def _value_from_text(self, text: str, position: int, field: str, name: str) -> float:
        text = text.strip(BLANKS)
        if not text:
            raise self._invalid(position, "is empty", field, name)
        if not PLAIN_DECIMAL.fullmatch(text):
            raise self._invalid(position, "is not a plain decimal number", field, name)
        value = float(text)
        if not abs(value) <= MAX_MAGNITUDE:
            raise self._invalid(position, TOO_LARGE, field, name)
        return value

    def _value_from_json(self, value: Any, position: int, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            reason = f"must be a number, not {json_type_name(value)}"
            raise self._invalid(position, reason, field)
        try:
            number = float(value)
        except OverflowError:  # an integer beyond the float range
            number = math.inf
        if not abs(number) <= MAX_MAGNITUDE:  # json.loads reads 1e400 as inf
            raise self._invalid(position, TOO_LARGE, field)
        return number

    def _invalid(self, position: int, reason: str, field: str, name: str = "") -> InvalidValue:
        return InvalidValue(position, reason, field, name or self.names[position - 1], self.count)

    @staticmethod
    def _within_range(row: Row) -> bool:
        """Two passes in C rather than abs() of each; also refuses inf (from 1e309 or 1e400)."""
        return min(row) >= -MAX_MAGNITUDE and max(row) <= MAX_MAGNITUDE

    def _inside_limits(self, row: Row) -> bool:
        return all(map(float.__le__, self._lows, row)) and all(map(float.__le__, row, self._highs))

    def _within_limits(self, row: Row, field: str, columns: Sequence[str] = ()) -> Row:
        """The contract's hard limits on a row in its order: a value outside one is refused,
        naming the limit; its position is the one it was sent at."""
        if not self._limited or self._inside_limits(row):
            return row
        for index, (value, name) in enumerate(zip(row, self.names, strict=True)):
            low, high = self._lows[index], self._highs[index]
            if low <= value <= high:
                continue
            position = (list(columns).index(name) if columns else index) + 1
            side = (
                f"below its lower limit {low:g}"
                if value < low
                else f"above its upper limit {high:g}"
            )
            raise self._invalid(position, f"is {side}", field, name)
        return row


def tuple_getter(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """`itemgetter`, but a tuple even of one key."""
    if len(keys) == 1:
        (key,) = keys
        return lambda items: (items[key],)
    return itemgetter(*keys)


def _reordered(row: Row, order: Order) -> Row:
    return row if order is None else order(row)


def _sendable_as_written(joined: str) -> bool:
    return (
        _WRITTEN_CHARACTERS.fullmatch(joined) is not None
        and joined[0] not in "+."
        and joined[-1] != "."
        and not any(pattern in joined for pattern in _UNWRITTEN)
    )


def json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
