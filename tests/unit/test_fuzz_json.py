"""Property-based: any JSON value, documents shaped almost like the API's, any bytes with any
content type and Accept. The answer is 200 or a documented 4xx in the one error shape, never a
5xx; an accepted body reached the endpoint as rows of 30 finite floats (tests/support/fuzzing.py
checks both on every answer).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from tests.support.fuzzing import (
    FLOAT32_MAX,
    VALUES_PER_ROW,
    WDBC_FEATURES,
    FuzzedApp,
    fuzz_settings,
    fuzzed_app,
)
from tests.support.rows import EXAMPLE_ROW, EXAMPLE_VALUES


@pytest.fixture(scope="module")
def api() -> Iterator[FuzzedApp]:
    with fuzzed_app() as running:
        yield running


def _record(status: int, code: str | None) -> None:
    event(f"answer: {status} {code or ''}".strip())


# Floats with NaN and infinities: json.dumps writes them as the bare literals strict JSON refuses.
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10))
any_json = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6), st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=15,
)


@fuzz_settings(0.15)
@given(document=any_json)
@example(document=[[[[[[[[[[[]]]]]]]]]]])
@example(document={"data": EXAMPLE_ROW, "data ": 1})
def test_any_json_value(api: FuzzedApp, document: object) -> None:
    answer = api.post(json.dumps(document).encode(), {"Content-Type": "application/json"})
    _record(answer.status, answer.code)


# Near the API's own forms, to get past the first checks: the keys it knows, a row, a batch.
_finite = st.floats(min_value=-FLOAT32_MAX, max_value=FLOAT32_MAX)
_row_values = st.one_of(
    st.just(EXAMPLE_ROW),
    st.just(list(EXAMPLE_VALUES)),
    st.just(dict(zip(WDBC_FEATURES, EXAMPLE_VALUES, strict=True))),
    st.lists(_finite, min_size=VALUES_PER_ROW, max_size=VALUES_PER_ROW),
    st.dictionaries(st.sampled_from(WDBC_FEATURES), _finite, min_size=28, max_size=30),
    any_json,
)
_row_keys = st.sampled_from(["data", "features"])
_items = st.one_of(
    st.dictionaries(_row_keys, _row_values, min_size=1, max_size=1),
    st.dictionaries(
        st.sampled_from(["data", "features", "instances", "Data", "comment"]),
        _row_values,
        min_size=1,
        max_size=3,
    ),
)
shaped = st.one_of(
    _items,
    st.builds(lambda items: {"instances": items}, st.lists(_items, max_size=5)),
    st.builds(
        lambda items, extra: {"instances": items, **extra},
        st.lists(st.one_of(_items, any_json), max_size=4),
        st.dictionaries(st.sampled_from(["instances", "data", "x"]), any_json, max_size=2),
    ),
)


@fuzz_settings(0.15)
@given(document=shaped)
def test_documents_shaped_like_the_apis(api: FuzzedApp, document: object) -> None:
    answer = api.post(json.dumps(document).encode(), {"Content-Type": "application/json"})
    _record(answer.status, answer.code)


# Header values as API Gateway can deliver them: printable Latin-1, no line breaks.
header_text = st.text(
    alphabet=st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=60
)
content_types = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "text/csv",
            "text/csv; charset=latin-1",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json, text/csv",
            "application/json;",
            ";",
            "*/*",
        ]
    ),
    header_text,
)
accepts = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "*/*",
            "text/plain",
            "text/csv",
            "application/json;q=0",
            "text/*;q=0.5, application/json;q=nan",
            "image/png",
            "text/plain;q=1e400",
        ]
    ),
    header_text,
)
bodies = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(str.encode),
    st.just(json.dumps({"data": EXAMPLE_ROW}).encode()),
    st.just(f"{EXAMPLE_ROW}\n{EXAMPLE_ROW}\n".encode()),
    st.just(("\ufeff" + ",".join(WDBC_FEATURES) + "\n" + EXAMPLE_ROW).encode()),
)


@fuzz_settings(0.20)
@given(body=bodies, content_type=content_types, accept=accepts)
@example(body=b'{"data": [' + b"1" * 5000 + b"]}", content_type="application/json", accept=None)
def test_any_bytes_with_any_content_type(
    api: FuzzedApp, body: bytes, content_type: str | None, accept: str | None
) -> None:
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    answer = api.post(body, headers)
    _record(answer.status, answer.code)


def test_an_integer_longer_than_python_reads_is_invalid_json(api: FuzzedApp) -> None:
    """json.loads raises a bare ValueError past 4,300 digits: this was a 500 (fixed)."""
    answer = api.post(b'{"data": [' + b"1" * 4301 + b"]}", {"Content-Type": "application/json"})
    assert (answer.status, answer.code) == (400, "invalid_json")
