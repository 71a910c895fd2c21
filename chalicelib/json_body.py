"""Strict JSON: what `json.loads` lets through but an API for health data must refuse."""

from __future__ import annotations

import json
from typing import Any, NoReturn

from chalicelib.errors import InvalidJson, check_body_size


class _RefusedJson(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _refuse_constant(_name: str) -> NoReturn:
    raise _RefusedJson("NaN and Infinity are not JSON numbers")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise _RefusedJson("an object repeats a key")
    return document


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant
)


def load_json(body: bytes) -> Any:
    check_body_size(body)
    if not body.strip():
        raise InvalidJson("the body is empty; send a JSON object")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidJson("the body is not UTF-8 text") from None
    try:
        # A byte-order mark may open the body, as Windows tools write it (RFC 8259 8.1).
        return _DECODER.decode(text.removeprefix("\ufeff"))
    except _RefusedJson as refused:
        raise InvalidJson(f"the body is not acceptable JSON: {refused.reason}") from None
    except json.JSONDecodeError as error:
        # Position only: the decoder's own message is safe, but the document is not ours to echo.
        raise InvalidJson(
            f"the body is not valid JSON (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise InvalidJson("the body is nested too deeply") from None
    except ValueError:
        # int() refuses an integer literal longer than sys.get_int_max_str_digits() (4,300).
        raise InvalidJson("the body is not acceptable JSON: a number has too many digits") from None
