"""Property-based: rows of text, in `{"data": ...}` and as text/csv, and arrays of numbers.

Each accepted row reaches the endpoint as exactly the 30 floats its text spells (and survives the
CSV encoding the endpoint is sent); each refused one gets the documented code, row, position and
feature; any count other than 30 is refused as `wrong_value_count`. The expected outcome comes
from tests/support/fuzzing.py's oracle, written from the README's rules, not from chalicelib.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from chalicelib.endpoint import encode_csv
from tests.support.fuzzing import (
    FINITE_VALUE_POOL,
    FLOAT32_MAX,
    ROW_POOL,
    VALUES_PER_ROW,
    WDBC_FEATURES,
    Answer,
    FuzzedApp,
    Refusal,
    Row,
    acceptable_number,
    decimals,
    expected_csv,
    expected_row,
    fuzz_settings,
    fuzzed_app,
    not_decimals,
)

JSON_HEADERS = {"Content-Type": "application/json"}
CSV_TYPES = ("text/csv", "text/csv; charset=utf-8", "Text/CSV", "text/csv ; header=absent")


@pytest.fixture(scope="module")
def api() -> Iterator[FuzzedApp]:
    with fuzzed_app() as running:
        yield running


def assert_refused(answer: Answer, refusal: Refusal) -> None:
    """The answer is the refusal: its code, and the row, position and feature it names."""
    assert (answer.status, answer.code) == (400, refusal.code), answer
    assert answer.error.get("row") == refusal.row, answer
    if refusal.position is not None:
        assert answer.error["position"] == refusal.position, answer
        assert answer.error["feature"] == WDBC_FEATURES[refusal.position - 1], answer


def assert_answered(api: FuzzedApp, answer: Answer, expected: list[Row] | Refusal) -> None:
    """The answer is the expected refusal, or a 200 for which the endpoint was sent exactly the
    expected rows, in a CSV that reads back as them."""
    event(f"answer: {answer.status} {answer.code or ''}".strip())
    if isinstance(expected, Refusal):
        assert_refused(answer, expected)
        return
    assert answer.status == 200, answer
    assert api.rows == expected
    sent = encode_csv(api.rows).decode("ascii").split("\n")
    assert [tuple(float(value) for value in line.split(",")) for line in sent] == expected


line_ends = st.sampled_from(["", "", "", "\r", "\n", "\r\n", " ", "\t\r\n"])
free_text = st.one_of(
    st.text(max_size=200), st.text(alphabet="0123456789.,eE+- \t\r\n", max_size=400)
)


# Built once: a strategy made inside a draw is labelled anew, hashing its whole pool.
_row_kinds = st.sampled_from(["valid", "valid", "one bad value", "another count", "free text"])
_pooled_rows = st.integers(0, len(ROW_POOL) - 1).map(ROW_POOL.__getitem__)
_redraws = st.integers(0, 3)
_positions = st.integers(0, VALUES_PER_ROW - 1)
_other_counts = st.integers(0, 2 * VALUES_PER_ROW).filter(lambda n: n != VALUES_PER_ROW)


@st.composite
def row_texts(draw: st.DrawFn) -> str:
    """Mostly 30 values (a pooled row, a few values redrawn); some with one bad value, some
    with another count, some free text."""
    kind = draw(_row_kinds)
    if kind == "free text":
        return draw(free_text)
    values = list(draw(_pooled_rows))
    for _ in range(draw(_redraws)):
        values[draw(_positions)] = draw(decimals)
    if kind == "one bad value":
        values[draw(_positions)] = draw(not_decimals)
    elif kind == "another count":
        values = (values * 3)[: draw(_other_counts)]
    return draw(line_ends) + ",".join(values) + draw(line_ends)


@fuzz_settings(0.20)
@given(text=row_texts())
def test_a_row_in_data_round_trips_or_gets_its_code(api: FuzzedApp, text: str) -> None:
    answer = api.post(json.dumps({"data": text}).encode(), JSON_HEADERS)
    expected = expected_row(text)
    assert_answered(api, answer, expected if isinstance(expected, Refusal) else [expected])


@fuzz_settings(0.15)
@given(
    lines=st.lists(row_texts().map(lambda text: text.replace("\n", "")), min_size=1, max_size=4),
    ending=st.sampled_from(["", "\n", "\r\n"]),
    content_type=st.sampled_from(CSV_TYPES),
)
def test_csv_rows_round_trip_or_get_their_code(
    api: FuzzedApp, lines: list[str], ending: str, content_type: str
) -> None:
    text = "\n".join(lines) + ending
    expected = expected_csv(text)
    assume(expected is not None)
    answer = api.post(text.encode(), {"Content-Type": content_type})
    assert_answered(api, answer, expected)


json_numbers = st.one_of(
    st.floats(),  # NaN and infinities too: json.dumps writes them as bare NaN/Infinity
    st.integers(),
    st.integers(min_value=10**308, max_value=10**330),  # beyond the float range
    st.integers(min_value=int(FLOAT32_MAX) - 2**104, max_value=int(FLOAT32_MAX) + 2**104),
    st.sampled_from([FLOAT32_MAX, -FLOAT32_MAX, 3.4028235e38, math.nextafter(FLOAT32_MAX, 0)]),
)
json_non_numbers = st.one_of(st.none(), st.booleans(), st.text(max_size=5), st.just([1.0]))


_finite_numbers = st.one_of(
    st.floats(min_value=-FLOAT32_MAX, max_value=FLOAT32_MAX),
    st.integers(min_value=-(2**64), max_value=2**64),
)


@st.composite
def number_lists(draw: st.DrawFn) -> list[object]:
    """Mostly 30 finite numbers; some with one value replaced, some of another length."""
    values: list[object] = list(
        draw(st.lists(_finite_numbers, min_size=VALUES_PER_ROW, max_size=VALUES_PER_ROW))
    )
    kind = draw(st.sampled_from(["valid", "valid", "one replaced", "another length"]))
    if kind == "one replaced":
        values[draw(_positions)] = draw(st.one_of(json_numbers, json_non_numbers))
    elif kind == "another length":
        values = (values * 2)[: draw(st.integers(VALUES_PER_ROW - 3, VALUES_PER_ROW + 3))]
    return values


@fuzz_settings(0.10)
@given(values=number_lists(), named=st.booleans())
def test_numbers_round_trip_or_get_their_code(
    api: FuzzedApp, values: list[object], named: bool
) -> None:
    """`{"data": [30 numbers]}` and `{"features": {name: number}}`."""
    if named:
        document: object = {"features": dict(zip(WDBC_FEATURES, values, strict=False))}
    else:
        document = {"data": values}
    answer = api.post(json.dumps(document).encode(), JSON_HEADERS)
    used = values[:VALUES_PER_ROW] if named else values  # zip() drops names past the 30th
    refused = [position for position, value in enumerate(used, 1) if not acceptable_number(value)]
    expected: list[Row] | Refusal
    if any(isinstance(value, float) and not math.isfinite(value) for value in used):
        expected = Refusal("invalid_json")  # json.dumps writes NaN and Infinity: not JSON
    elif named and len(used) < VALUES_PER_ROW:
        expected = Refusal("invalid_payload")  # a feature is missing
    elif len(used) != VALUES_PER_ROW:
        expected = Refusal("wrong_value_count")
    elif refused:
        expected = Refusal("invalid_value", position=refused[0])
    else:
        expected = [tuple(float(value) for value in used)]  # type: ignore[arg-type]
    assert_answered(api, answer, expected)


@fuzz_settings(0.05)
@given(
    count=st.integers(min_value=0, max_value=200).filter(lambda n: n != VALUES_PER_ROW),
    start=st.integers(min_value=0, max_value=10_000),
    form=st.sampled_from(["text", "array", "csv"]),
)
def test_any_count_other_than_30_is_refused(
    api: FuzzedApp, count: int, start: int, form: str
) -> None:
    values = (FINITE_VALUE_POOL * 2)[start : start + count]
    if form == "array":
        body, headers = json.dumps({"data": [float(value) for value in values]}), JSON_HEADERS
    elif form == "text":
        body, headers = json.dumps({"data": ",".join(values)}), JSON_HEADERS
    else:
        body, headers = ",".join(values) + "\n", {"Content-Type": "text/csv"}
    answer = api.post(body.encode(), headers)
    if count == 0 and form == "csv":
        assert (answer.status, answer.code) == (400, "invalid_payload")  # no rows at all
        return
    assert (answer.status, answer.code) == (400, "wrong_value_count")
    # An empty string holds one (empty) value.
    found = 1 if count == 0 and form == "text" else count
    assert (answer.error["expected"], answer.error["found"]) == (VALUES_PER_ROW, found)
