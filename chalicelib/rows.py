"""One row of 30 finite floats from each form a client may send it in.

Every refusal names the field and the value's position and feature, never the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.echo import quote_names
from chalicelib.errors import InvalidPayload, InvalidValue, WrongValueCount
from chalicelib.features import FEATURE_COUNT, FEATURE_NAMES

Row = tuple[float, ...]

# Plain ASCII decimal: optional sign, digits with an optional point, optional exponent. No
# "nan", "inf", "1_000", hex or non-ASCII digits, all of which Python's float() would take.
DECIMAL_PATTERN = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_PLAIN_DECIMAL = re.compile(DECIMAL_PATTERN)
# The common case in one match; only a row that fails it is examined value by value. Compiled
# (and kept by `re`'s cache) on the first text row, not at start-up: JSON numbers never need it.
_PLAIN_ROW = ",".join([f"[ \\t]*{DECIMAL_PATTERN}[ \\t]*"] * FEATURE_COUNT)
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
    if re.fullmatch(_PLAIN_ROW, text):
        row = tuple(map(float, text.split(",")))
        if max(map(abs, row)) <= MAX_MAGNITUDE:  # also refuses inf from 1e309
            return row
    fields = text.split(",")
    if len(fields) != FEATURE_COUNT:
        hint = " (a trailing comma?)" if fields[-1].strip(BLANKS) == "" else ""
        raise WrongValueCount(len(fields), field, hint=hint)
    return tuple(
        _value_from_text(value, position, field, name)
        for position, (value, name) in enumerate(zip(fields, columns, strict=True), start=1)
    )


def _value_from_text(text: str, position: int, field: str, name: str) -> float:
    text = text.strip(BLANKS)
    if not text:
        raise InvalidValue(position, "is empty", field, name)
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise InvalidValue(position, "is not a plain decimal number", field, name)
    value = float(text)
    if not abs(value) <= MAX_MAGNITUDE:
        raise InvalidValue(position, TOO_LARGE, field, name)
    return value


def row_from_numbers(values: list[Any], field: str = "data") -> Row:
    """`[13.49, 22.3, ...]`: 30 JSON numbers."""
    if len(values) != FEATURE_COUNT:
        raise WrongValueCount(len(values), field, "numbers")
    return tuple(
        _value_from_json(value, position, field) for position, value in enumerate(values, start=1)
    )


def row_from_named(features: Mapping[str, Any], field: str = "features") -> Row:
    """`{"radius_mean": 13.49, ...}`: all 30 names, nothing else."""
    unknown = [name for name in features if name not in _POSITIONS]
    if unknown:
        raise InvalidPayload(f"{field} has unknown name(s) {_quote_some(unknown)}", field)
    missing = [name for name in FEATURE_NAMES if name not in features]
    if missing:
        raise InvalidPayload(f"{field} is missing {_quote_some(missing)}", field)
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


def _quote_some(names: list[str], shown: int = 3) -> str:
    # Names are the caller's structure, not measurements; still, repeat only a few, and only
    # those that look like names.
    return quote_names(names, shown)


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
