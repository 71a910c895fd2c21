"""Turn a request body into the 30 numbers of one row, or say exactly which part is wrong."""

from __future__ import annotations

import math
import re
from typing import Any

from chalicelib.errors import InvalidPayload, InvalidValue, WrongValueCount
from chalicelib.features import FEATURE_COUNT
from chalicelib.json_body import load_json

Row = tuple[float, ...]

DATA_KEY = "data"
MAX_FIELD_CHARACTERS = 64

# Plain ASCII decimal: optional sign, digits with an optional point, optional exponent. No
# "nan", "inf", "1_000", hex or non-ASCII digits, all of which Python's float() would take.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BLANKS = " \t"


def parse_prediction_body(body: bytes) -> Row:
    """`{"data": "<30 comma-separated numbers>"}`, the AWS walk-through's request."""
    document = load_json(body)
    if not isinstance(document, dict):
        raise InvalidPayload(f'the body must be a JSON object with the key "{DATA_KEY}"', "body")
    unknown = sorted(set(document) - {DATA_KEY})
    if unknown:
        # Key names are the caller's structure, not measurements; still, cap what we repeat.
        shown = ", ".join(repr(key[:40]) for key in unknown[:3])
        raise InvalidPayload(f'unknown key(s) {shown}; only "{DATA_KEY}" is allowed', "body")
    if DATA_KEY not in document:
        raise InvalidPayload(f'the key "{DATA_KEY}" is missing', DATA_KEY)
    return parse_csv_row(_require_string(document[DATA_KEY]))


def _require_string(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidPayload(
            f'"{DATA_KEY}" must be a string of {FEATURE_COUNT} comma-separated numbers, '
            f"not {_json_type_name(value)}",
            DATA_KEY,
        )
    return value


def parse_csv_row(text: str) -> Row:
    fields = text.strip(_BLANKS + "\r\n").split(",")
    if len(fields) != FEATURE_COUNT:
        hint = " (a trailing comma?)" if fields[-1].strip(_BLANKS) == "" else ""
        raise WrongValueCount(len(fields), hint)
    return tuple(_parse_field(field, position) for position, field in enumerate(fields, start=1))


def _parse_field(field: str, position: int) -> float:
    text = field.strip(_BLANKS)
    if not text:
        raise InvalidValue(position, "is empty")
    if len(text) > MAX_FIELD_CHARACTERS:
        raise InvalidValue(position, f"is longer than {MAX_FIELD_CHARACTERS} characters")
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise InvalidValue(position, "is not a plain decimal number")
    value = float(text)
    if not math.isfinite(value):
        raise InvalidValue(position, "is too large to be a finite number")
    return value


def _json_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return "an object"
