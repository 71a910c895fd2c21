from __future__ import annotations

import json

import pytest

from chalicelib.errors import (
    ApiError,
    InvalidJson,
    InvalidPayload,
    InvalidValue,
    PayloadTooLarge,
    WrongValueCount,
)
from chalicelib.features import FEATURE_NAMES
from chalicelib.json_body import MAX_BODY_BYTES
from chalicelib.payload import parse_csv_row, parse_prediction_body
from tests.rows import EXAMPLE_ROW, EXAMPLE_VALUES, body_for, row_with

SENTINEL = "987.654321"


def test_the_walkthrough_row_parses_to_its_30_floats() -> None:
    assert parse_prediction_body(body_for(EXAMPLE_ROW)) == EXAMPLE_VALUES


@pytest.mark.parametrize(
    "text",
    [
        "13",
        "+13",
        "-13",
        "13.",
        ".5",
        "13.49",
        "1e3",
        "1E-3",
        "-1.5e+2",
        "0",
        "-0.0",
        " 13.49",
        "13.49\t",
        "1" * 64,
    ],
)
def test_plain_decimals_are_accepted(text: str) -> None:
    row = parse_csv_row(row_with(7, text))
    assert row[6] == float(text)


def test_blanks_and_a_final_newline_around_the_row_are_accepted() -> None:
    assert parse_csv_row(f"  {EXAMPLE_ROW}\r\n") == EXAMPLE_VALUES


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nan", "is not a plain decimal number"),
        ("NaN", "is not a plain decimal number"),
        ("inf", "is not a plain decimal number"),
        ("-Infinity", "is not a plain decimal number"),
        ("1e309", "is too large to be a finite number"),
        ("-1e309", "is too large to be a finite number"),
        ("1_000", "is not a plain decimal number"),
        ("0x1A", "is not a plain decimal number"),
        ("\u0661\u0662", "is not a plain decimal number"),  # Arabic-Indic digits
        ("\uff11\uff12", "is not a plain decimal number"),  # full-width digits
        ("1.2.3", "is not a plain decimal number"),
        ("--1", "is not a plain decimal number"),
        ("1e", "is not a plain decimal number"),
        (".", "is not a plain decimal number"),
        ("1 2", "is not a plain decimal number"),
        ("\u00a013", "is not a plain decimal number"),  # non-ASCII space
        ("", "is empty"),
        ("   ", "is empty"),
        ("1" * 65, "is longer than 64 characters"),
    ],
)
def test_bad_values_name_position_and_feature(text: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_csv_row(row_with(3, text))
    assert caught.value.message == f"value 3 of 30 (perimeter_mean) {reason}"
    assert caught.value.details == {"field": "data", "position": 3, "feature": "perimeter_mean"}


@pytest.mark.parametrize("position", [1, 15, 30])
def test_every_position_maps_to_its_feature_name(position: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_csv_row(row_with(position, "x"))
    assert caught.value.details["feature"] == FEATURE_NAMES[position - 1]


@pytest.mark.parametrize(
    ("text", "found", "hint"),
    [
        (",".join(EXAMPLE_ROW.split(",")[:29]), 29, ""),
        (EXAMPLE_ROW + ",1.0", 31, ""),
        (EXAMPLE_ROW + ",", 31, " (a trailing comma?)"),
        ("", 1, " (a trailing comma?)"),
        (EXAMPLE_ROW.replace(",", ";"), 1, ""),
    ],
)
def test_wrong_counts_say_what_was_expected(text: str, found: int, hint: str) -> None:
    with pytest.raises(WrongValueCount) as caught:
        parse_csv_row(text)
    assert caught.value.details == {"field": "data", "expected": 30, "found": found}
    assert caught.value.message.endswith(f"it holds {found}{hint}")


@pytest.mark.parametrize(
    ("body", "error_class", "message_part"),
    [
        (b"", InvalidJson, "empty"),
        (b"{", InvalidJson, "not valid JSON (line 1, column 2)"),
        (b"\xff\xfe", InvalidJson, "not UTF-8"),
        (b'{"data": NaN}', InvalidJson, "NaN and Infinity"),
        (b'{"data": Infinity}', InvalidJson, "NaN and Infinity"),
        (b'{"data": "1", "data": "2"}', InvalidJson, "repeats a key"),
        (b"[" * 100_000 + b"]" * 100_000, InvalidJson, "nested too deeply"),
        (b"[]", InvalidPayload, "must be a JSON object"),
        (b'"text"', InvalidPayload, "must be a JSON object"),
        (b"{}", InvalidPayload, 'the key "data" is missing'),
        (b'{"data": "1", "extra": 1}', InvalidPayload, "unknown key(s) 'extra'"),
        (body_for(13.49), InvalidPayload, "not a number"),
        (body_for(None), InvalidPayload, "not null"),
        (body_for(True), InvalidPayload, "not a boolean"),
        (body_for(EXAMPLE_VALUES), InvalidPayload, "not an array"),
        (body_for({"radius_mean": 1}), InvalidPayload, "not an object"),
    ],
)
def test_bad_bodies_are_refused_clearly(
    body: bytes, error_class: type[ApiError], message_part: str
) -> None:
    with pytest.raises(error_class) as caught:
        parse_prediction_body(body)
    assert message_part in caught.value.message


def test_a_body_over_the_limit_is_refused_before_parsing() -> None:
    with pytest.raises(PayloadTooLarge):
        parse_prediction_body(b" " * (MAX_BODY_BYTES + 1))


@pytest.mark.parametrize(
    "body",
    [
        body_for(row_with(5, SENTINEL + "x")),
        body_for(row_with(5, SENTINEL) + ","),
        body_for(float(SENTINEL)),
        json.dumps({"data": EXAMPLE_ROW, SENTINEL: 1}).encode()[:-1],
    ],
)
def test_no_error_message_echoes_an_input_value(body: bytes) -> None:
    with pytest.raises(ApiError) as caught:
        parse_prediction_body(body)
    assert SENTINEL not in caught.value.message
    assert SENTINEL not in json.dumps(dict(caught.value.details))
