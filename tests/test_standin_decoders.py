from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.features import FEATURE_COUNT
from standin.decoders import Row, decode, decode_csv, strict_decode_csv
from standin.errors import InvalidRequestBody, UnsupportedContentType
from tests.standin_harness import SENTINEL, bad_csv_row, csv_row

ONES = (1.0,) * (FEATURE_COUNT - 1)
CSV = "text/csv"
JSON = "application/json"


def instances(*feature_lists: object) -> bytes:
    return json.dumps({"instances": [{"features": f} for f in feature_lists]}).encode()


def csv_with(position: int, field: str) -> bytes:
    """A good CSV row whose value at 1-based `position` is replaced by `field`."""
    fields = ["1"] * FEATURE_COUNT
    fields[position - 1] = field
    return ",".join(fields).encode()


GOOD = [
    ("one row", CSV, csv_row(2.5).encode(), [(2.5, *ONES)]),
    ("final newline", CSV, f"{csv_row(2)}\n".encode(), [(2.0, *ONES)]),
    ("crlf rows", CSV, f"{csv_row(1)}\r\n{csv_row(2)}\r\n".encode(), [(1.0, *ONES), (2.0, *ONES)]),
    ("lf rows", CSV, f"{csv_row(1)}\n{csv_row(2)}".encode(), [(1.0, *ONES), (2.0, *ONES)]),
    ("charset", "text/csv; charset=utf-8", csv_row(3).encode(), [(3.0, *ONES)]),
    ("case", "Text/CSV", csv_row(3).encode(), [(3.0, *ONES)]),
    ("spaces", CSV, csv_row(" -4.5 ").encode(), [(-4.5, *ONES)]),
    ("exponent", CSV, csv_row("1.5E-3").encode(), [(0.0015, *ONES)]),
    ("leading dot", CSV, csv_row("+.5").encode(), [(0.5, *ONES)]),
    ("trailing dot", CSV, csv_row("7.").encode(), [(7.0, *ONES)]),
    ("json", JSON, instances([2, *ONES]), [(2.0, *ONES)]),
    ("json rows", JSON, instances([1.5, *ONES], [-1, *ONES]), [(1.5, *ONES), (-1.0, *ONES)]),
    ("json charset", "application/json; charset=utf-8", instances([0, *ONES]), [(0.0, *ONES)]),
    ("json extra keys", JSON, b'{"instances":[{"features":[' + b"1," * 29 + b'1],"id":7}]}',
     [(1.0,) * FEATURE_COUNT]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [case[1:] for case in GOOD],
    ids=[case[0] for case in GOOD],
)
def test_decodes_good_bodies(content_type: str, body: bytes, expected: list[Row]) -> None:
    assert decode(body, content_type) == expected


BAD = [
    ("29 values", CSV, csv_row(0, 29).encode(), "row 1 has 29 values, expected 30"),
    ("31 values", CSV, csv_row(0, 31).encode(), "row 1 has 31 values, expected 30"),
    ("second row short", CSV, f"{csv_row()}\n{csv_row(0, 29)}".encode(), "row 2 has 29 values"),
    ("sentinel row", CSV, bad_csv_row().encode(), "row 1 has 29 values, expected 30"),
    ("empty field", CSV, csv_with(5, ""), "row 1, value 5 (smoothness_mean) is empty"),
    ("blank field", CSV, csv_with(30, " "), "row 1, value 30 (fractal_dimension_worst) is empty"),
    ("nan", CSV, csv_with(2, "nan"), "row 1, value 2 (texture_mean) is not a finite number"),
    ("NaN", CSV, csv_with(2, "NaN"), "value 2 (texture_mean) is not a finite number"),
    ("inf", CSV, csv_with(3, "inf"), "value 3 (perimeter_mean) is not a finite number"),
    ("-Infinity", CSV, csv_with(3, "-Infinity"), "value 3 (perimeter_mean) is not a finite"),
    ("1e309", CSV, csv_with(4, "1e309"), "row 1, value 4 (area_mean) is not a finite number"),
    ("underscore", CSV, csv_with(1, "1_000"), "value 1 (radius_mean) is not a finite number"),
    ("hex", CSV, csv_with(1, "0x10"), "value 1 (radius_mean) is not a finite number"),
    ("arabic digit", CSV, csv_with(1, "\u0661"), "value 1 (radius_mean) is not a finite number"),
    ("quoted", CSV, csv_with(1, '"1"'), "value 1 (radius_mean) is not a finite number"),
    ("sentinel word", CSV, csv_with(6, f"{SENTINEL}x"), "row 1, value 6 (compactness_mean)"),
    ("header row", CSV, ",".join(["radius_mean"] * 30).encode(), "row 1, value 1"),
    ("empty csv", CSV, b"", "the body is empty"),
    ("only newline", CSV, b"\n", "row 1 is empty"),
    ("blank middle row", CSV, f"{csv_row()}\n\n{csv_row()}".encode(), "row 2 is empty"),
    ("not utf-8", CSV, b"\xff\xfe" + csv_row().encode(), "the body is not UTF-8 text"),
    ("empty json", JSON, b"", "the body is empty"),
    ("not json", JSON, b"{instances", "the body is not valid JSON (line 1, column 2)"),
    ("json not utf-8", JSON, b'{"instances": "\xff"}', "the body is not valid JSON"),
    ("deep json", JSON, b"[" * 100_000 + b"]" * 100_000, "the body is not valid JSON"),
    ("huge int text", JSON, b"[" + b"9" * 5000 + b"]", "the body is not valid JSON"),
    ("top-level list", JSON, b"[[1, 2]]", 'a JSON object with an "instances" list'),
    ("no instances", JSON, b'{"features": []}', 'a JSON object with an "instances" list'),
    ("instances object", JSON, b'{"instances": {}}', 'a JSON object with an "instances" list'),
    ("empty instances", JSON, b'{"instances": []}', '"instances" is empty'),
    ("instance list", JSON, b'{"instances": [[1, 2]]}', 'instance 1 must be an object with'),
    ("no features", JSON, b'{"instances": [{"data": [1]}]}', 'instance 1 must be an object'),
    ("29 features", JSON, instances([1.0] * 29), "instance 1 has 29 features, expected 30"),
    ("31 features", JSON, instances([1.0] * 31), "instance 1 has 31 features, expected 30"),
    ("second bad", JSON, instances([1] * 30, [1] * 29), "instance 2 has 29 features"),
    ("bool", JSON, instances([True, *ONES]), "instance 1, value 1 (radius_mean) is not a finite"),
    ("false", JSON, instances([1, False, *ONES[1:]]), "value 2 (texture_mean) is not a finite"),
    ("string", JSON, instances(["1", *ONES]), "value 1 (radius_mean) is not a finite number"),
    ("null", JSON, instances([None, *ONES]), "value 1 (radius_mean) is not a finite number"),
    ("nested", JSON, instances([[1], *ONES]), "value 1 (radius_mean) is not a finite number"),
    ("NaN literal", JSON, instances([float("nan"), *ONES]), "value 1 (radius_mean) is not a"),
    ("Infinity", JSON, instances([float("inf"), *ONES]), "value 1 (radius_mean) is not a"),
    ("json 1e309", JSON, b'{"instances":[{"features":[1e309' + b",1" * 29 + b"]}]}",
     "instance 1, value 1 (radius_mean) is not a finite number"),
    ("int beyond float", JSON, instances([10**400, *ONES]), "value 1 (radius_mean) is not a"),
    ("sentinel json", JSON, instances([f"{SENTINEL}", *ONES]), "value 1 (radius_mean)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [case[1:] for case in BAD],
    ids=[case[0] for case in BAD],
)
def test_refuses_bad_bodies_naming_the_place_not_the_value(
    content_type: str, body: bytes, message: str
) -> None:
    with pytest.raises(InvalidRequestBody) as raised:
        decode(body, content_type)
    assert message in str(raised.value)
    assert SENTINEL not in str(raised.value)


@pytest.mark.parametrize(
    "content_type",
    [None, "", "text/plain", "application/x-recordio-protobuf", "application/jsonlines", "csv"],
)
def test_refuses_unknown_content_types(content_type: str | None) -> None:
    with pytest.raises(UnsupportedContentType, match="text/csv, application/json"):
        decode(csv_row().encode(), content_type)


@given(body=st.binary(max_size=400), content_type=st.sampled_from([CSV, JSON]))
def test_any_bytes_decode_to_rows_or_a_body_error(body: bytes, content_type: str) -> None:
    try:
        rows = decode(body, content_type)
    except InvalidRequestBody:
        return
    assert all(len(row) == FEATURE_COUNT for row in rows)


fields = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet="0123456789.eE+-_ naif\r", max_size=8),
)


@given(
    rows=st.lists(st.lists(fields, min_size=28, max_size=32), min_size=1, max_size=3),
    line_end=st.sampled_from(["\n", "\r\n"]),
)
def test_near_miss_csv_decodes_to_finite_rows_or_a_body_error(
    rows: list[list[str]], line_end: str
) -> None:
    body = line_end.join(",".join(row) for row in rows).encode()
    try:
        decoded = decode(body, CSV)
    except InvalidRequestBody:
        return
    assert len(decoded) == len(rows)
    assert all(len(row) == FEATURE_COUNT for row in decoded)
    assert all(abs(value) < float("inf") for row in decoded for value in row)


def csv_outcome(decoder: Callable[[bytes], list[Row]], body: bytes) -> list[Row] | str:
    try:
        return decoder(body)
    except InvalidRequestBody as error:
        return str(error)


# Numbers as the strict path takes them, written in several styles, and almost-numbers.
number_styles: list[Callable[[float], str]] = [
    repr,
    "{:e}".format,
    "{:+.3f}".format,
    " {:.2E}\t".format,
    "{:.0f}.".format,
    lambda value: f"{value:f}".replace("0.", ".", 1),
    lambda value: f"\t{value:g} ",
]
near_numbers = st.one_of(
    st.text(alphabet="0123456789+-.eE \t\r\n_,inafxX\u0661\u00a0\x0b\x0c", max_size=8),
    st.sampled_from(["1e309", "-1e400", "1e308", "", " ", "1\r", "\r1", "1\n", "0x1", "1_0"]),
)


@st.composite
def csv_rows(draw: st.DrawFn) -> list[str]:
    """30 numbers, of which one may be replaced by an almost-number."""
    values = st.floats(min_value=-1e12, max_value=1e12)
    row = [draw(st.sampled_from(number_styles))(draw(values)) for _ in range(FEATURE_COUNT)]
    if draw(st.integers(0, 2)) == 0:
        row[draw(st.integers(0, FEATURE_COUNT - 1))] = draw(near_numbers)
    return row


@given(
    rows=st.lists(csv_rows(), min_size=1, max_size=3),
    line_end=st.sampled_from(["\n", "\r\n"]) | st.sampled_from(["\r", "\n\n", "\r\r\n"]),
    final=st.sampled_from(["", "\n", "\r\n"]) | st.just("\r"),
)
def test_the_quick_csv_path_answers_as_the_strict_one_on_near_numbers(
    rows: list[list[str]], line_end: str, final: str
) -> None:
    body = (line_end.join(",".join(row) for row in rows) + final).encode()
    assert csv_outcome(decode_csv, body) == csv_outcome(strict_decode_csv, body)


@given(text=st.text())
def test_the_quick_csv_path_answers_as_the_strict_one_on_any_text(text: str) -> None:
    body = text.encode()
    assert csv_outcome(decode_csv, body) == csv_outcome(strict_decode_csv, body)


@given(body=st.binary(max_size=300))
def test_the_quick_csv_path_answers_as_the_strict_one_on_any_bytes(body: bytes) -> None:
    assert csv_outcome(decode_csv, body) == csv_outcome(strict_decode_csv, body)
