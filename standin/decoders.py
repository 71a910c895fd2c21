"""Request bodies to rows of 30 floats, dispatched by content type.

The two forms Linear Learner accepts for dense input: CSV rows without a header, and
`{"instances": [{"features": [...]}, ...]}`. Messages name the row and the value's position,
never the value itself (the body is health data).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable

from chalicelib.features import FEATURE_COUNT, FEATURE_NAMES
from chalicelib.rows import DECIMAL_PATTERN
from standin.errors import InvalidRequestBody, UnsupportedContentType
from standin.media_types import CSV, JSON, media_type

Row = tuple[float, ...]
Decoder = Callable[[bytes], list[Row]]

# float() alone would also take "1_000", "nan", "infinity" and non-ASCII digits.
# The API's own rule for a plain decimal (chalicelib.rows), so both sides refuse the same text.
_CSV_NUMBER = re.compile(f"[ \t]*{DECIMAL_PATTERN}[ \t]*")
# Over these bytes, float() and _CSV_NUMBER agree on every field: each takes exactly the
# decimal numbers with optional sign, exponent and surrounding spaces or tabs. A carriage return
# is only allowed as part of a CRLF line end (float() would take one around a field).
_PLAIN_CSV_BYTES = b"0123456789+-.eE, \t\r\n"
# Content-Type values differ little between requests; bounded because clients choose them.
_CACHED_CONTENT_TYPES = 256


@functools.lru_cache(maxsize=_CACHED_CONTENT_TYPES)
def decoder_for(content_type: str | None) -> Decoder:
    decoder = _DECODERS.get(media_type(content_type) or "")
    if decoder is None:
        raise UnsupportedContentType(f"content type must be one of: {', '.join(_DECODERS)}")
    return decoder


def decode(body: bytes, content_type: str | None) -> list[Row]:
    return decoder_for(content_type)(body)


def decode_csv(body: bytes) -> list[Row]:
    rows = _plain_csv_rows(body) if not body.translate(None, _PLAIN_CSV_BYTES) else None
    return strict_decode_csv(body) if rows is None else rows


def strict_decode_csv(body: bytes) -> list[Row]:
    """Every value checked against `_CSV_NUMBER`; the error names the first place that fails.

    `decode_csv` answers the same for every body; it only comes here for bodies it cannot
    decode quickly.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestBody("the body is not UTF-8 text") from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last row
    if not lines:
        raise InvalidRequestBody("the body is empty")
    return [_csv_row(number, line.removesuffix("\r")) for number, line in enumerate(lines, 1)]


def decode_json(body: bytes) -> list[Row]:
    if not body:
        raise InvalidRequestBody("the body is empty")
    try:
        document = json.loads(body)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise InvalidRequestBody(f"the body is not valid JSON ({where})") from None
    except (ValueError, RecursionError):
        # Not UTF-8, an integer too long to convert, or nesting too deep to parse.
        raise InvalidRequestBody("the body is not valid JSON") from None
    instances = document.get("instances") if isinstance(document, dict) else None
    if not isinstance(instances, list):
        raise InvalidRequestBody('the body must be a JSON object with an "instances" list')
    if not instances:
        raise InvalidRequestBody('"instances" is empty')
    return [_json_row(number, instance) for number, instance in enumerate(instances, 1)]


def _plain_csv_rows(body: bytes) -> list[Row] | None:
    """Rows of finite numbers from a body of `_PLAIN_CSV_BYTES`, or None if anything is amiss."""
    text = body.decode("ascii")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last row
    rows = []
    for line in lines:
        fields = line.split(",")
        if len(fields) != FEATURE_COUNT:
            return None
        try:
            row = tuple(map(float, fields))
        except ValueError:
            return None
        if not all(map(math.isfinite, row)):
            return None
        rows.append(row)
    return rows or None


def _csv_row(number: int, line: str) -> Row:
    if not line.strip():
        raise InvalidRequestBody(f"row {number} is empty")
    fields = line.split(",")
    if len(fields) != FEATURE_COUNT:
        raise InvalidRequestBody(f"row {number} has {len(fields)} values, expected {FEATURE_COUNT}")
    return tuple(_csv_number(number, position, field) for position, field in enumerate(fields))


def _csv_number(row: int, position: int, field: str) -> float:
    if not field.strip():
        raise InvalidRequestBody(f"row {row}, {_describe(position)} is empty")
    value = float(field) if _CSV_NUMBER.fullmatch(field) else math.nan
    if not math.isfinite(value):
        raise InvalidRequestBody(f"row {row}, {_describe(position)} is not a finite number")
    return value


def _json_row(number: int, instance: object) -> Row:
    features = instance.get("features") if isinstance(instance, dict) else None
    if not isinstance(features, list):
        raise InvalidRequestBody(f'instance {number} must be an object with a "features" list')
    if len(features) != FEATURE_COUNT:
        raise InvalidRequestBody(
            f"instance {number} has {len(features)} features, expected {FEATURE_COUNT}"
        )
    return tuple(_json_number(number, position, value) for position, value in enumerate(features))


def _json_number(instance: int, position: int, value: object) -> float:
    number = _as_float(value)
    if number is None or not math.isfinite(number):
        raise InvalidRequestBody(
            f"instance {instance}, {_describe(position)} is not a finite number"
        )
    return number


def _as_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer beyond the float range
        return None


def _describe(position: int) -> str:
    return f"value {position + 1} ({FEATURE_NAMES[position]})"


_DECODERS: dict[str, Decoder] = {CSV: decode_csv, JSON: decode_json}
