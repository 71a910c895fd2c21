"""One row of 30 finite floats from each form a client may send it in.

Every refusal names the field and the value's position and feature, never the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any

from chalicelib.echo import quote_names
from chalicelib.errors import InvalidPayload, InvalidValue, WrongValueCount
from chalicelib.features import FEATURE_COUNT, FEATURE_NAMES

Row = tuple[float, ...]


class Rows(list[Row]):
    """Rows, and the CSV text they were read from when it may go to the endpoint as written."""

    __slots__ = ("csv",)

    def __init__(self, rows: Iterable[Row], csv: str | None = None) -> None:
        super().__init__(rows)
        self.csv = csv


# Plain ASCII decimal: optional sign, digits with an optional point, optional exponent. No
# "nan", "inf", "1_000", hex or non-ASCII digits, all of which Python's float() would take.
DECIMAL_PATTERN = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
# Its digit runs possessive (`++`, `*+`): a run is never given back, so refusing a megabyte of
# digits and a letter takes one pass, not one per digit. The spec keeps the portable spelling.
PLAIN_DECIMAL = re.compile(DECIMAL_PATTERN.replace("]+", "]++").replace("]*", "]*+"))
# The common case, cheaply: a row of only these characters that float() reads as 30 values is
# 30 plain decimals (without letters, underscores or other blanks float() takes nothing more
# than DECIMAL_PATTERN). Any other row is examined value by value, for the message.
_DECIMAL_ROW_CHARACTERS = re.compile(r"[0-9.eE+\- \t,]*")
# Rows of plain decimals without blanks, a sign "+" or a bare point at either end of a number
# ("+1", ".5", "5.") are sent to the endpoint as written: any CSV reader takes them, and reads
# the numbers we read. Re-writing them would cost a repr() a value, the batch's largest cost.
_WRITTEN_CHARACTERS = re.compile(r"[0-9.eE+\-,]*")
_UNWRITTEN = (",+", ",.", "-.", ".,", ".e", ".E")
BLANKS = " \t"
# The model computes in float32 (Linear Learner does): a value beyond its range cannot be
# scored, so it is the caller's error (400), not the model's (502). WDBC's largest is ~4,300.
MAX_MAGNITUDE = 3.4028234663852886e38
TOO_LARGE = "is too large (beyond ±3.4e38, the model's float32 range)"
LINE_ENDS = BLANKS + "\r\n"


def row_from_text(text: str, field: str = "data", columns: Sequence[str] = FEATURE_NAMES) -> Row:
    """`"13.49,22.3,..."`: 30 comma-separated plain decimals, blanks around them allowed.

    Values come back in the order sent; `columns` names them for error messages.
    """
    text = text.strip(LINE_ENDS)
    commas = text.count(",")  # counted, not split: a line of a million commas makes no list
    if commas != FEATURE_COUNT - 1:
        hint = " (a trailing comma?)" if text[text.rfind(",") + 1 :].strip(BLANKS) == "" else ""
        raise WrongValueCount(commas + 1, field, hint=hint)
    fields = text.split(",")
    if _DECIMAL_ROW_CHARACTERS.fullmatch(text):
        try:
            row = tuple(map(float, fields))
        except ValueError:
            pass
        else:
            if _within_range(row):
                return row
    return tuple(
        _value_from_text(value, position, field, name)
        for position, (value, name) in enumerate(zip(fields, columns, strict=True), start=1)
    )


def rows_from_lines(lines: list[str]) -> Rows | None:
    """Many CSV lines at once, in a few passes in C; None if any line needs a closer look.

    The same rule as row_from_text (float() strips the blanks around values and rows); the caller
    reads the lines one by one when this gives up, to name the line, value and reason.
    """
    joined = ",".join(lines)
    if not _DECIMAL_ROW_CHARACTERS.fullmatch(joined):
        return None
    if set(map(str.count, lines, repeat(","))) != {FEATURE_COUNT - 1}:
        return None
    try:
        values = tuple(map(float, joined.split(",")))
    except ValueError:
        return None
    if not _within_range(values):
        return None
    csv = "\n".join(lines) if _sendable_as_written(joined) else None
    return Rows(zip(*[iter(values)] * FEATURE_COUNT, strict=True), csv)


def _sendable_as_written(joined: str) -> bool:
    return (
        _WRITTEN_CHARACTERS.fullmatch(joined) is not None
        and joined[0] not in "+."
        and joined[-1] != "."
        and not any(pattern in joined for pattern in _UNWRITTEN)
    )


def _value_from_text(text: str, position: int, field: str, name: str) -> float:
    text = text.strip(BLANKS)
    if not text:
        raise InvalidValue(position, "is empty", field, name)
    if not PLAIN_DECIMAL.fullmatch(text):
        raise InvalidValue(position, "is not a plain decimal number", field, name)
    value = float(text)
    if not abs(value) <= MAX_MAGNITUDE:
        raise InvalidValue(position, TOO_LARGE, field, name)
    return value


def _within_range(row: Row) -> bool:
    """Two passes in C rather than abs() of each; also refuses inf (from 1e309 or 1e400)."""
    return min(row) >= -MAX_MAGNITUDE and max(row) <= MAX_MAGNITUDE


_NUMBER_TYPES = frozenset({int, float})  # not bool: True is no measurement


def row_from_numbers(values: list[Any], field: str = "data") -> Row:
    """`[13.49, 22.3, ...]`: 30 JSON numbers."""
    if len(values) != FEATURE_COUNT:
        raise WrongValueCount(len(values), field, "numbers")
    if _NUMBER_TYPES.issuperset(map(type, values)):
        try:
            row = tuple(map(float, values))
        except OverflowError:  # an integer beyond the float range: found again below
            pass
        else:
            if _within_range(row):
                return row
    return tuple(
        _value_from_json(value, position, field) for position, value in enumerate(values, start=1)
    )


def row_from_named(features: Mapping[str, Any], field: str = "features") -> Row:
    """`{"radius_mean": 13.49, ...}`: all 30 names, nothing else."""
    if features.keys() == _NAME_SET:
        return row_from_numbers(list(_in_wdbc_order(features)), field)
    unknown = [name for name in features if name not in _POSITIONS]
    if unknown:
        raise InvalidPayload(f"{field} has unknown name(s) {quote_names(unknown)}", field)
    missing = [name for name in FEATURE_NAMES if name not in features]
    if missing:
        raise InvalidPayload(f"{field} is missing {quote_names(missing)}", field)
    return tuple(
        _value_from_json(features[name], position, field)
        for position, name in enumerate(FEATURE_NAMES, start=1)
    )


def _value_from_json(value: Any, position: int, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidValue(position, f"must be a number, not {json_type_name(value)}", field)
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the float range
        number = math.inf
    if not abs(number) <= MAX_MAGNITUDE:  # json.loads reads 1e400 as inf
        raise InvalidValue(position, TOO_LARGE, field)
    return number


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


_POSITIONS = {name: position for position, name in enumerate(FEATURE_NAMES)}
_NAME_SET = frozenset(FEATURE_NAMES)
_in_wdbc_order = itemgetter(*FEATURE_NAMES)
