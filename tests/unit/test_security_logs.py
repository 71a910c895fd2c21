"""No input value and no model answer reaches a log record, at any level, from any logger.

A sentinel number goes in every place a client can put one (a valid row, an invalid row, an
unknown key, a key's value, an exception a failing endpoint raises); every record the process
logs at DEBUG (root, `wdbc`, botocore, chalice) and every answer is then searched for it. The
model's probability may be in the answer it belongs to, and nowhere in the logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import NamedTuple

import pytest

from chalicelib.access_log import log_request
from chalicelib.errors import quote_names
from chalicelib.service import Endpoint
from tests.support.apps import MakeClient
from tests.support.endpoint_twins import AnsweringEndpoint, FailingEndpoint
from tests.support.log_capture import Records, all_records
from tests.support.rows import EXAMPLE_ROW, EXAMPLE_VALUES, FEATURE_NAMES, row_with

SENTINEL = "987.654321"
PROBABILITY = 0.123456789  # what the twin endpoint says; must not be logged
SENTINEL_ROW = row_with(4, SENTINEL)  # a valid row holding the sentinel (as its area_mean)
NAMED = dict(zip(FEATURE_NAMES, EXAMPLE_VALUES, strict=True))


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: str

    @property
    def text(self) -> str:
        return json.dumps(self.headers) + self.body


Send = Callable[..., Answer]


@pytest.fixture
def records() -> Iterator[Records]:
    with all_records() as handler:
        yield handler


@pytest.fixture
def send(make_client: MakeClient) -> Send:
    """POST through Chalice's local gateway to the given endpoint."""

    def install_and_send(
        endpoint: Endpoint,
        body: bytes,
        content_type: str = "application/json",
        path: str = "/predictbreastcancer",
    ) -> Answer:
        client = make_client(endpoint)
        response = client.http.post(path, headers={"Content-Type": content_type}, body=body)
        headers = {key: str(value) for key, value in response.headers.items()}
        return Answer(response.status_code, headers, response.body.decode("utf-8", "replace"))

    return install_and_send


def _json(document: object) -> bytes:
    return json.dumps(document).encode()


def _sentinel_number() -> float:
    return float(SENTINEL)


BODIES = {
    "valid row": (_json({"data": SENTINEL_ROW}), "application/json"),
    "valid numbers": (
        _json({"data": [_sentinel_number(), *EXAMPLE_VALUES[1:]]}),
        "application/json",
    ),
    "valid csv": (f"{SENTINEL_ROW}\n".encode(), "text/csv"),
    "invalid value": (_json({"data": row_with(3, SENTINEL + "x")}), "application/json"),
    "wrong count": (_json({"data": ",".join([SENTINEL] * 31)}), "application/json"),
    "invalid csv": (f"{row_with(2, SENTINEL + '_')}\n".encode(), "text/csv"),
    "csv header": (f"{SENTINEL},{EXAMPLE_ROW}\n{EXAMPLE_ROW}\n".encode(), "text/csv"),
    "unknown key": (_json({"data": EXAMPLE_ROW, SENTINEL: 1}), "application/json"),
    "unknown key's value": (
        _json({"data": EXAMPLE_ROW, "comment": _sentinel_number()}),
        "application/json",
    ),
    "unknown feature name": (
        _json({"features": {**NAMED, SENTINEL: 1.0}}),
        "application/json",
    ),
    "unknown key in an instance": (
        _json({"instances": [{"data": EXAMPLE_ROW}, {"data": EXAMPLE_ROW, SENTINEL: 0}]}),
        "application/json",
    ),
    "key beside instances": (
        _json({"instances": [{"data": EXAMPLE_ROW}], SENTINEL: 0}),
        "application/json",
    ),
    "not json": (f"{{{SENTINEL}".encode(), "application/json"),
    "a string": (_json(SENTINEL), "application/json"),
    "a key of an underscore and digits": (
        _json({"instances": [EXAMPLE_ROW], "_" + SENTINEL.replace(".", ""): 0}),
        "application/json",
    ),
    "valid instance arrays": (
        _json({"instances": [[_sentinel_number(), *EXAMPLE_VALUES[1:]]]}),
        "application/json",
    ),
    "invalid instance line": (
        _json({"instances": [row_with(3, SENTINEL + "x")]}),
        "application/json",
    ),
    "features array": (
        _json({"features": [_sentinel_number(), *EXAMPLE_VALUES[2:]]}),
        "application/json",
    ),
    "dataframe_split column": (
        _json(
            {
                "dataframe_split": {
                    "columns": [SENTINEL, *FEATURE_NAMES[1:]],
                    "data": [EXAMPLE_VALUES],
                }
            }
        ),
        "application/json",
    ),
    "dataframe_split index": (
        _json(
            {
                "dataframe_split": {
                    "columns": list(FEATURE_NAMES),
                    "data": [EXAMPLE_VALUES],
                    "index": [SENTINEL, SENTINEL],
                }
            }
        ),
        "application/json",
    ),
    "dataframe_records key": (
        _json({"dataframe_records": [{**NAMED, SENTINEL: 1}]}),
        "application/json",
    ),
    "csv header with a value": (
        f"{','.join(FEATURE_NAMES[:29])},x{SENTINEL}\n{EXAMPLE_ROW}\n".encode(),
        "text/csv",
    ),
}

OIP_TENSOR = {"name": "input-0", "shape": [1, 30], "datatype": "FP64"}
OIP_BODIES = {
    "valid tensor": _json(
        {"inputs": [{**OIP_TENSOR, "data": [_sentinel_number(), *EXAMPLE_VALUES[1:]]}]}
    ),
    "invalid value": _json({"inputs": [{**OIP_TENSOR, "data": [SENTINEL, *EXAMPLE_VALUES[1:]]}]}),
    "an id like a value": _json(
        {"id": SENTINEL, "inputs": [{**OIP_TENSOR, "data": list(EXAMPLE_VALUES)}]}
    ),
    "unknown key": _json({"inputs": [{**OIP_TENSOR, "data": list(EXAMPLE_VALUES), SENTINEL: 1}]}),
    "wrong count": _json({"inputs": [{**OIP_TENSOR, "data": [_sentinel_number()] * 29}]}),
}


@pytest.mark.parametrize("case", list(OIP_BODIES))
def test_no_input_value_reaches_logs_or_oip_answers(
    case: str, records: Records, send: Send
) -> None:
    endpoint = AnsweringEndpoint(score=PROBABILITY, label=0)
    answer = send(endpoint, OIP_BODIES[case], path="/v2/models/wdbc/infer")
    assert answer.status in (200, 400), answer
    assert SENTINEL not in answer.text
    assert records.holding(SENTINEL) == []
    assert records.holding(repr(PROBABILITY)) == []


@pytest.mark.parametrize("case", list(BODIES))
def test_no_input_value_reaches_logs_or_answers(case: str, records: Records, send: Send) -> None:
    body, content_type = BODIES[case]
    answer = send(AnsweringEndpoint(score=PROBABILITY, label=0), body, content_type)
    assert answer.status in (200, 400), answer
    assert SENTINEL not in answer.text
    assert records.holding(SENTINEL) == []
    assert records.holding(repr(PROBABILITY)) == []
    assert records.holding("request"), "the access line is logged, just without values"


def test_a_crash_holding_the_value_is_a_500_without_it(records: Records, send: Send) -> None:
    crash = RuntimeError(f"could not score {SENTINEL_ROW}")
    answer = send(FailingEndpoint(crash), _json({"data": SENTINEL_ROW}))
    assert answer.status == 500
    assert SENTINEL not in answer.text
    assert records.holding(SENTINEL) == []
    assert records.holding("RuntimeError"), "the crash is logged by class and place"


@pytest.mark.parametrize(
    ("names", "quoted"),
    [
        (["colour"], "'colour'"),
        ([SENTINEL], "1 other name"),
        ([SENTINEL, "13.49"], "2 other names"),
        (["colour", SENTINEL], "'colour' and 1 more"),
        (["a", "b", "c", "d"], "'a', 'b', 'c' and 1 more"),
        (["x" * 41], "1 other name"),
        (["radius mean"], "1 other name"),
        (["_134977777"], "1 other name"),
        (["patient7"], "1 other name"),
    ],
)
def test_only_names_that_look_like_names_are_repeated(names: list[str], quoted: str) -> None:
    assert quote_names(names) == quoted


@pytest.mark.parametrize(("method", "logged"), [("POST", "POST"), (f"BREW{SENTINEL}", "other")])
def test_a_method_the_caller_made_up_is_logged_as_a_fixed_word(
    records: Records, method: str, logged: str
) -> None:
    log_request(
        request_id="r", method=method, route="/health", status=405, error_code=None, rows=0,
        latency_ms=1.0,
    )  # fmt: skip
    assert json.loads(records.texts[-1].split(" ", 2)[2])["method"] == logged
    assert records.holding(SENTINEL) == []
