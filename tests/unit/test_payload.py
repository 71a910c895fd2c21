from __future__ import annotations

import json

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from chalicelib.errors import (
    MAX_BODY_BYTES,
    MAX_ROWS,
    ApiError,
    InvalidHeader,
    InvalidJson,
    InvalidPayload,
    InvalidValue,
    PayloadTooLarge,
    TooManyRows,
    UnsupportedMediaType,
    WrongValueCount,
)
from chalicelib.payload import Payload
from tests.support.fuzzing import (
    VALUES_PER_ROW,
    Refusal,
    decimals,
    examples,
    expected_row,
    not_decimals,
    written_rows,
)
from tests.support.rows import (
    EXAMPLE_ROW,
    EXAMPLE_VALUES,
    FEATURE_NAMES,
    body_for,
    parse_payload,
    row_from_text,
    row_with,
)

SENTINEL = "987.654321"
NAMED = dict(zip(FEATURE_NAMES, EXAMPLE_VALUES, strict=True))
JSON, CSV = "application/json", "text/csv"


def as_json(document: object) -> bytes:
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    "document",
    [
        {"data": EXAMPLE_ROW},
        {"data": list(EXAMPLE_VALUES)},
        {"features": NAMED},
    ],
)
def test_each_single_form_gives_one_row_and_asks_for_one_answer(document: object) -> None:
    assert parse_payload(as_json(document), JSON) == Payload([EXAMPLE_VALUES], single=True)


def test_a_batch_mixes_forms_and_keeps_order() -> None:
    other = tuple(value * 2 for value in EXAMPLE_VALUES)
    document = {
        "instances": [
            {"data": EXAMPLE_ROW},
            {"data": list(other)},
            {"features": NAMED},
        ]
    }
    assert parse_payload(as_json(document), "application/json; charset=utf-8") == Payload(
        [EXAMPLE_VALUES, other, EXAMPLE_VALUES], single=False
    )


def test_a_batch_of_the_limit_is_accepted_and_one_more_is_413() -> None:
    rows = [{"data": EXAMPLE_ROW}] * MAX_ROWS
    assert len(parse_payload(as_json({"instances": rows}), JSON).rows) == MAX_ROWS
    with pytest.raises(TooManyRows) as caught:
        parse_payload(as_json({"instances": [*rows, {"data": EXAMPLE_ROW}]}), JSON)
    assert caught.value.STATUS_CODE == 413


BAD_JSON_BODIES: list[tuple[bytes, type[ApiError], str]] = [
    (b"", InvalidJson, "empty"),
    (b"{", InvalidJson, "not valid JSON (line 1, column 2)"),
    (b"\xff\xfe", InvalidJson, "not UTF-8"),
    (b'{"data": NaN}', InvalidJson, "NaN and Infinity"),
    (b'{"data": -Infinity}', InvalidJson, "NaN and Infinity"),
    (b'{"data": "1", "data": "2"}', InvalidJson, "repeats a key"),
    (b"[" * 10_000 + b"]" * 10_000, InvalidJson, "nested too deeply"),  # 3.13 parses 9,999
    (b"[" * 100_000 + b"]" * 100_000, InvalidJson, "nested too deeply"),
    (b"[]", InvalidPayload, "must be a JSON object, not an array"),
    (b'"text"', InvalidPayload, "must be a JSON object, not a string"),
    (b"{}", InvalidPayload, 'exactly one of "data" or "features" (one row), or one of "inst'),
    (as_json({"data": EXAMPLE_ROW, "features": NAMED}), InvalidPayload, "exactly one of"),
    (as_json({"data": EXAMPLE_ROW, "extra": 1}), InvalidPayload, "it also holds 'extra'"),
    (as_json({"instances": [], "data": "1"}), InvalidPayload, "exactly one of"),
    (as_json({"instances": [], "dataframe_records": []}), InvalidPayload, "exactly one of"),
    (as_json({"instances": [], "_134977777": 1}), InvalidPayload, "also holds 1 other name"),
    (body_for(13.49), InvalidPayload, "not a number"),
    (body_for(None), InvalidPayload, "not null"),
    (body_for(True), InvalidPayload, "not a boolean"),
    (body_for({"radius_mean": 1}), InvalidPayload, "not an object"),
    (as_json({"features": EXAMPLE_ROW}), InvalidPayload, '"features" must be an object'),
    (as_json({"features": EXAMPLE_VALUES[:29]}), WrongValueCount, "features must hold 30"),
    (as_json({"instances": {}}), InvalidPayload, '"instances" must be an array'),
    (as_json({"instances": []}), InvalidPayload, '"instances" is empty'),
]
BAD_CSV_BODIES: list[tuple[bytes, type[ApiError], str]] = [
    (b"", InvalidPayload, "the body is empty"),
    (b"\n", InvalidPayload, "the body is empty"),
    (",".join(FEATURE_NAMES).encode(), InvalidPayload, "a header but no rows"),
    (b"\xff", InvalidPayload, "not UTF-8"),
    (f"{EXAMPLE_ROW}\n\n{EXAMPLE_ROW}".encode(), WrongValueCount, "row 2: "),
    (f"{EXAMPLE_ROW}\n{EXAMPLE_ROW},".encode(), WrongValueCount, "row 2: "),
]


@pytest.mark.parametrize(
    ("content_type", "body", "error_class", "message_part"),
    [(JSON, *refusal) for refusal in BAD_JSON_BODIES]
    + [(CSV, *refusal) for refusal in BAD_CSV_BODIES],
)
def test_bad_bodies_are_refused_clearly(
    content_type: str, body: bytes, error_class: type[ApiError], message_part: str
) -> None:
    with pytest.raises(error_class) as caught:
        parse_payload(body, content_type)
    assert message_part in caught.value.message


@pytest.mark.parametrize(
    ("item", "error_class", "message_part"),
    [
        (None, InvalidPayload, "an instance must be an object, an array of 30 numbers or a CSV"),
        ("13.49", WrongValueCount, "instances must hold 30 comma-separated numbers"),
        ([1.0] * 29, WrongValueCount, "instances must hold 30 numbers"),
        ([*EXAMPLE_VALUES[:3], "1", *EXAMPLE_VALUES[4:]], InvalidValue, "4 of 30 (area_mean)"),
        ({"instances": []}, InvalidPayload, 'instance must hold exactly one of "data" or'),
        ({"data": row_with(4, "nan")}, InvalidValue, "value 4 of 30 (area_mean)"),
        ({"data": EXAMPLE_ROW + ",1"}, WrongValueCount, "it holds 31"),
    ],
)
def test_a_bad_batch_item_names_its_row(
    item: object, error_class: type[ApiError], message_part: str
) -> None:
    document = {"instances": [{"data": EXAMPLE_ROW}, {"data": EXAMPLE_ROW}, item]}
    with pytest.raises(error_class) as caught:
        parse_payload(as_json(document), JSON)
    assert caught.value.message.startswith("row 3: ")
    assert message_part in caught.value.message
    assert caught.value.details["row"] == 3


def test_csv_rows_without_a_header() -> None:
    body = f"{EXAMPLE_ROW}\r\n{EXAMPLE_ROW}\n".encode()
    assert parse_payload(body, "text/csv; charset=utf-8") == Payload([EXAMPLE_VALUES] * 2, False)


def test_a_csv_header_in_any_order_maps_columns_by_name() -> None:
    order = list(reversed(range(30)))
    header = ",".join(FEATURE_NAMES[index] for index in order)
    line = ",".join(repr(EXAMPLE_VALUES[index]) for index in order)
    body = f"\ufeff{header}\n{line}\n{line}".encode()
    assert parse_payload(body, CSV) == Payload([EXAMPLE_VALUES] * 2, single=False)


def test_a_bad_value_under_a_header_is_named_by_its_column() -> None:
    header = ",".join(reversed(FEATURE_NAMES))
    body = f"{header}\n{EXAMPLE_ROW}\n{row_with(1, 'nan')}".encode()
    with pytest.raises(InvalidValue) as caught:
        parse_payload(body, CSV)
    assert caught.value.message == (
        "row 2: value 1 of 30 (fractal_dimension_worst) is not a plain decimal number"
    )


@pytest.mark.parametrize(
    ("header", "message_part"),
    [
        (",".join([*FEATURE_NAMES[:29], "colour"]), "name(s) 'colour'; missing fractal_dim"),
        (",".join([*FEATURE_NAMES[:29], "radius_mean"]), "repeated radius_mean"),
        (",".join(FEATURE_NAMES[:28]), "missing symmetry_worst, fractal_dimension_worst"),
        (",".join(FEATURE_NAMES * 2), "repeated area_mean, area_se, area_worst"),
        (",".join(FEATURE_NAMES * 2 + ("x",)), "once each: 61 names"),  # refused by the count
    ],
)
def test_a_bad_header_says_what_is_wrong(header: str, message_part: str) -> None:
    with pytest.raises(InvalidHeader) as caught:
        parse_payload(f"{header}\n{EXAMPLE_ROW}".encode(), CSV)
    assert message_part in caught.value.message


def test_csv_row_and_size_limits() -> None:
    at_limit = "\n".join([EXAMPLE_ROW] * MAX_ROWS).encode()
    assert len(parse_payload(at_limit, CSV).rows) == MAX_ROWS
    with pytest.raises(TooManyRows):
        parse_payload(at_limit + b"\n" + EXAMPLE_ROW.encode(), CSV)
    for content_type in (JSON, CSV):
        with pytest.raises(PayloadTooLarge):
            parse_payload(b" " * (MAX_BODY_BYTES + 1), content_type)


def test_another_media_type_is_415() -> None:
    with pytest.raises(UnsupportedMediaType):
        parse_payload(b"<xml/>", "application/xml")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (body_for(row_with(5, SENTINEL + "x")), JSON),
        (body_for(row_with(5, SENTINEL) + ","), JSON),
        (body_for(float(SENTINEL)), JSON),
        (as_json({"data": [*EXAMPLE_VALUES[:29], SENTINEL]}), JSON),
        (as_json({"features": {**NAMED, "radius_mean": SENTINEL}}), JSON),
        (as_json({"instances": [{"data": row_with(2, SENTINEL + "e")}]}), JSON),
        (row_with(9, SENTINEL + "_1").encode(), CSV),
        (json.dumps({"data": EXAMPLE_ROW, SENTINEL: 1}).encode()[:-1], JSON),
    ],
)
def test_no_error_message_echoes_an_input_value(body: bytes, content_type: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_payload(body, content_type)
    assert SENTINEL not in caught.value.message
    assert SENTINEL not in json.dumps(dict(caught.value.details))


# What float() reads and the README does not: the fast path must leave every one to the checks.
_float_only = st.one_of(
    st.sampled_from(["nan", "NaN", "inf", "-Infinity", "+inf", "1e309"]),
    st.integers(10, 10**6).map(lambda n: f"{str(n)[0]}_{str(n)[1:]}"),  # 1_000
    st.integers(0, 9).map(lambda digit: chr(0x0660 + digit)),  # Arabic-Indic digits
    st.integers(0, 9).map(lambda digit: chr(0xFF10 + digit)),  # fullwidth digits
)


@examples(100)
@given(
    written_rows,
    st.lists(st.tuples(st.integers(0, VALUES_PER_ROW - 1), decimals), max_size=2),
    st.integers(0, VALUES_PER_ROW - 1),
    st.none() | _float_only | not_decimals,
)
def test_the_fast_path_agrees_with_value_by_value_checks(
    values: list[str], changes: list[tuple[int, str]], position: int, other: str | None
) -> None:
    """Whatever the row, the whole-row match and the per-value checks read what the README's
    grammar reads (tests/support/fuzzing.py's, not chalicelib's pattern) and refuse the rest."""
    for changed, value in changes:
        values[changed] = value
    if other is not None:
        values[position] = other
    text = ",".join(values)
    expected = expected_row(text)
    try:
        row: tuple[float, ...] | str = row_from_text(text)
    except (InvalidValue, WrongValueCount) as error:
        row = error.CODE
    if isinstance(expected, Refusal):
        event(f"refused: {expected.code}")
        assert row == expected.code
    else:
        event("read")
        assert row == expected


# --- The forms other servers' clients send --------------------------------------------------

REVERSED = list(reversed(FEATURE_NAMES))
OTHER = tuple(value * 2 for value in EXAMPLE_VALUES)


@pytest.mark.parametrize(
    "document",
    [
        {"instances": [list(EXAMPLE_VALUES), list(OTHER)]},
        {"instances": [EXAMPLE_ROW, ",".join(map(repr, OTHER))]},
        {"instances": [{"features": list(EXAMPLE_VALUES)}, {"data": list(OTHER)}]},
        {"dataframe_split": {"columns": list(FEATURE_NAMES), "data": [EXAMPLE_VALUES, OTHER]}},
        {
            "dataframe_split": {
                "index": [7, 8],
                "columns": REVERSED,
                "data": [EXAMPLE_VALUES[::-1], OTHER[::-1]],
            }
        },
        {"dataframe_records": [NAMED, dict(zip(REVERSED, OTHER[::-1], strict=True))]},
    ],
    ids=["arrays", "csv-lines", "linear-learner", "split", "split-reordered", "records"],
)
def test_every_batch_form_gives_the_same_rows(document: object) -> None:
    assert parse_payload(as_json(document), JSON) == Payload([EXAMPLE_VALUES, OTHER], single=False)


def test_linear_learner_features_array_is_one_positional_row() -> None:
    document = {"features": list(EXAMPLE_VALUES)}
    assert parse_payload(as_json(document), JSON) == Payload([EXAMPLE_VALUES], single=True)


@pytest.mark.parametrize(
    ("document", "error_class", "message_part", "details"),
    [
        (
            {"dataframe_split": {"columns": REVERSED[:29], "data": [EXAMPLE_VALUES]}},
            InvalidPayload,
            "the columns must name the 30 features once each: missing radius_mean",
            {"field": "columns"},
        ),
        (
            {"dataframe_split": {"columns": [*FEATURE_NAMES[:29], "radius_mean"], "data": [[]]}},
            InvalidPayload,
            "repeated radius_mean",
            {"field": "columns"},
        ),
        (
            {"dataframe_split": {"columns": ["area_se"] * 50_000, "data": [[]]}},
            InvalidPayload,
            "the columns must name the 30 features once each: 50000 names",
            {"field": "columns"},
        ),
        (
            {"dataframe_split": {"columns": list(FEATURE_NAMES), "data": [EXAMPLE_VALUES, [1]]}},
            WrongValueCount,
            "row 2: data must hold 30 numbers",
            {"row": 2, "field": "data", "expected": 30, "found": 1},
        ),
        (
            {"dataframe_split": {"columns": REVERSED, "data": [[None, *EXAMPLE_VALUES[1:]]]}},
            InvalidValue,
            "row 1: value 1 of 30 (radius_mean) must be a number, not null",
            {"row": 1, "field": "data", "position": 1, "feature": "radius_mean"},
        ),
        (
            {"dataframe_split": {"columns": list(FEATURE_NAMES), "data": [EXAMPLE_VALUES], "x": 1}},
            InvalidPayload,
            'may hold only "columns", "data", "index"',
            {"field": "dataframe_split"},
        ),
        (
            {"dataframe_split": {"columns": list(FEATURE_NAMES), "data": [], "index": []}},
            InvalidPayload,
            '"data" is empty',
            {"field": "data"},
        ),
        (
            {
                "dataframe_split": {
                    "columns": list(FEATURE_NAMES),
                    "data": [EXAMPLE_VALUES],
                    "index": 1,
                }
            },
            InvalidPayload,
            '"index" must be an array with one label per row',
            {"field": "index"},
        ),
        (
            {"dataframe_split": [1]},
            InvalidPayload,
            "must be an object",
            {"field": "dataframe_split"},
        ),
        (
            {"dataframe_split": {"columns": "radius_mean", "data": [EXAMPLE_VALUES]}},
            InvalidPayload,
            '"columns" must be an array of the 30 feature names',
            {"field": "columns"},
        ),
        (
            {"dataframe_split": {"columns": list(FEATURE_NAMES), "data": [NAMED]}},
            InvalidPayload,
            "row 1: a row must be an array of 30 numbers, not an object",
            {"row": 1, "field": "data"},
        ),
        (
            {"dataframe_records": [NAMED, {**NAMED, "area_worst": "1"}]},
            InvalidValue,
            "row 2: value 24 of 30 (area_worst) must be a number, not a string",
            {"row": 2, "field": "dataframe_records", "position": 24, "feature": "area_worst"},
        ),
        (
            {"dataframe_records": [NAMED, [1]]},
            InvalidPayload,
            "row 2: a record must be an object",
            {"row": 2, "field": "dataframe_records"},
        ),
        ({"dataframe_records": {}}, InvalidPayload, "must be an array of records", None),
    ],
)
def test_a_bad_dataframe_names_its_field_and_row(
    document: object, error_class: type[ApiError], message_part: str, details: object
) -> None:
    with pytest.raises(error_class) as caught:
        parse_payload(as_json(document), JSON)
    assert message_part in caught.value.message
    if details is not None:
        assert dict(caught.value.details) == details


@pytest.mark.parametrize(
    "document",
    [
        {"instances": [list(EXAMPLE_VALUES)] * (MAX_ROWS + 1)},
        {"dataframe_records": [NAMED] * (MAX_ROWS + 1)},
        {"dataframe_split": {"columns": list(FEATURE_NAMES), "data": [EXAMPLE_VALUES] * 1001}},
    ],
)
def test_every_batch_form_has_the_row_limit(document: object) -> None:
    with pytest.raises(TooManyRows):
        parse_payload(as_json(document), JSON)


# --- Strictness -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first_line",
    [
        ",".join(name.upper() for name in FEATURE_NAMES),
        "\ufeff" + ",".join(FEATURE_NAMES),
        " " + ",\t".join(REVERSED).title() + "\r",
    ],
)
def test_a_header_is_matched_case_insensitively_after_a_bom(first_line: str) -> None:
    order = list(range(30)) if "RADIUS" in first_line or "\ufeff" in first_line else None
    line = EXAMPLE_ROW if order else ",".join(map(repr, EXAMPLE_VALUES[::-1]))
    body = f"{first_line}\n{line}\n".encode()
    assert parse_payload(body, CSV) == Payload([EXAMPLE_VALUES], single=False)


def test_a_bom_before_a_data_row_is_ignored_as_before_a_header() -> None:
    body = f"\ufeff{EXAMPLE_ROW}\n{EXAMPLE_ROW}".encode()
    assert parse_payload(body, CSV) == Payload([EXAMPLE_VALUES] * 2, single=False)


def test_rows_separated_by_semicolons_are_told_to_use_commas() -> None:
    body = f"{EXAMPLE_ROW.replace(',', ';')}\n".encode()
    with pytest.raises(InvalidHeader) as refused:
        parse_payload(body, CSV)
    assert "separate values with commas" in refused.value.message


def test_a_bom_before_a_json_body_is_ignored() -> None:
    body = "\ufeff".encode() + body_for(EXAMPLE_ROW)
    assert parse_payload(body, JSON) == Payload([EXAMPLE_VALUES], single=True)


@pytest.mark.parametrize(
    "first_line",
    [
        "colour,size",
        ",".join([*FEATURE_NAMES[:29], "patient_id"]),
        "nan,inf," + ",".join(FEATURE_NAMES[2:]),
        ",".join(FEATURE_NAMES[:29]) + ",",
    ],
)
def test_a_first_line_without_numbers_is_a_header_and_a_bad_one_is_invalid_header(
    first_line: str,
) -> None:
    with pytest.raises(InvalidHeader) as caught:
        parse_payload(f"{first_line}\n{EXAMPLE_ROW}".encode(), CSV)
    assert caught.value.details == {"field": "header"}


def test_a_first_line_with_a_number_is_a_data_row() -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_payload(row_with(3, "nan").encode(), CSV)
    assert caught.value.details["row"] == 1


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=latin-1",
        'application/json; charset="utf-16"',
        "text/csv; charset=iso-8859-1",
        "text/csv;charset=ascii",
    ],
)
def test_a_charset_other_than_utf8_is_415(content_type: str) -> None:
    body = as_json({"data": EXAMPLE_ROW}) if "json" in content_type else EXAMPLE_ROW.encode()
    with pytest.raises(UnsupportedMediaType, match="UTF-8"):
        parse_payload(body, content_type)


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=UTF-8", 'text/csv; charset="utf8"', "Text/CSV"]
)
def test_utf8_in_any_spelling_is_read(content_type: str) -> None:
    body = as_json({"data": EXAMPLE_ROW}) if "json" in content_type else EXAMPLE_ROW.encode()
    assert parse_payload(body, content_type).rows == [EXAMPLE_VALUES]


@pytest.mark.parametrize("end", ["\n\n", "\r\n\r\n\r\n", "\n \n\t\n"])
def test_blank_lines_at_the_end_of_a_csv_body_are_no_rows(end: str) -> None:
    body = f"{EXAMPLE_ROW}\n{EXAMPLE_ROW}{end}".encode()
    assert parse_payload(body, CSV) == Payload([EXAMPLE_VALUES] * 2, False)


@pytest.mark.parametrize(("first_line", "found"), [("", 1), (" \t", 1), (",,", 3)])
def test_a_blank_first_line_is_a_bad_row_not_a_header(first_line: str, found: int) -> None:
    with pytest.raises((WrongValueCount, InvalidValue)) as caught:
        parse_payload(f"{first_line}\n{EXAMPLE_ROW}".encode(), CSV)
    assert caught.value.details["row"] == 1
