from __future__ import annotations

import json
import logging

import pytest

from chalicelib.errors import EndpointNotReady, ModelFailed
from chalicelib.service import ApiRequest, PredictionService
from tests.support.endpoint_twins import AnsweringEndpoint, FailingEndpoint, RawEndpoint
from tests.support.rows import (
    EXAMPLE_ROW,
    EXAMPLE_VALUES,
    FEATURE_NAMES,
    WDBC,
    body_for,
    row_with,
)

JSON = "application/json"


def test_a_valid_row_is_one_call_and_a_full_answer() -> None:
    endpoint = AnsweringEndpoint(score=0.83, label=1)
    reply = PredictionService(endpoint, WDBC).predict(
        ApiRequest(body=body_for(EXAMPLE_ROW), content_type=JSON, accept=None, request_id="rid-1")
    )
    assert endpoint.calls == [[EXAMPLE_VALUES]]
    assert reply.status == 200
    assert reply.content_type == "application/json"
    assert json.loads(reply.body) == {
        "prediction": "M",
        "diagnosis": "malignant",
        "probability_malignant": 0.83,
        "model": {"name": "wdbc-twin", "version": "variant-1"},
    }
    assert (reply.rows, reply.error_code) == (1, None)


def test_text_plain_gets_the_bare_letter() -> None:
    endpoint = AnsweringEndpoint(score=0.02, label=0)
    reply = PredictionService(endpoint, WDBC).predict(
        ApiRequest(
            body=body_for(EXAMPLE_ROW), content_type=JSON, accept="text/plain", request_id="rid"
        )
    )
    assert (reply.status, reply.body, reply.content_type) == (200, "B", "text/plain")


def test_bad_input_never_reaches_the_endpoint() -> None:
    endpoint = AnsweringEndpoint(score=0.5, label=1)
    reply = PredictionService(endpoint, WDBC).predict(
        ApiRequest(
            body=body_for(row_with(2, "nan")), content_type=JSON, accept=None, request_id="rid-2"
        )
    )
    assert endpoint.calls == []
    assert reply.status == 400
    assert json.loads(reply.body) == {
        "error": {
            "code": "invalid_value",
            "message": "value 2 of 30 (texture_mean) is not a plain decimal number",
            "request_id": "rid-2",
            "field": "data",
            "position": 2,
            "feature": "texture_mean",
        }
    }


def test_an_unacceptable_accept_is_406_before_anything_else() -> None:
    endpoint = AnsweringEndpoint(score=0.5, label=1)
    reply = PredictionService(endpoint, WDBC).predict(
        ApiRequest(body=b"garbage", content_type=JSON, accept="image/png", request_id="rid")
    )
    assert (reply.status, reply.error_code) == (406, "not_acceptable")
    assert endpoint.calls == []


@pytest.mark.parametrize(
    ("error", "status", "code", "headers"),
    [
        (ModelFailed("the model failed"), 502, "model_error", {}),
        (EndpointNotReady("starting"), 503, "endpoint_not_ready", {"Retry-After": "5"}),
    ],
)
def test_endpoint_failures_become_error_replies(
    error: Exception, status: int, code: str, headers: dict[str, str]
) -> None:
    reply = PredictionService(FailingEndpoint(error), WDBC).predict(
        ApiRequest(body=body_for(EXAMPLE_ROW), content_type=JSON, accept=None, request_id="r")
    )
    assert (reply.status, reply.error_code, dict(reply.headers)) == (status, code, headers)
    assert reply.rows == 1


def test_a_malformed_answer_is_502_not_a_pass_through() -> None:
    endpoint = RawEndpoint(b'{"predictions": [{"score": 0.5, "predicted_label": 7}]}')
    reply = PredictionService(endpoint, WDBC).predict(
        ApiRequest(body=body_for(EXAMPLE_ROW), content_type=JSON, accept=None, request_id="r")
    )
    assert (reply.status, reply.error_code) == (502, "invalid_model_answer")
    assert "7" not in json.loads(reply.body)["error"]["message"]


def test_an_unexpected_exception_is_a_generic_500_logged_without_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "could not convert string to float: '123.456'"
    logger = logging.getLogger("model_api")
    logger.addHandler(caplog.handler)
    try:
        reply = PredictionService(FailingEndpoint(ValueError(secret)), WDBC).predict(
            ApiRequest(
                body=body_for(EXAMPLE_ROW), content_type=JSON, accept=None, request_id="rid-3"
            )
        )
    finally:
        logger.removeHandler(caplog.handler)
    assert reply.status == 500
    assert json.loads(reply.body)["error"] == {
        "code": "internal_error",
        "message": "an internal error occurred",
        "request_id": "rid-3",
    }
    assert "123.456" not in caplog.text
    assert "ValueError" in caplog.text
    assert "rid-3" in caplog.text


def test_a_batch_is_one_invocation_answered_in_order() -> None:
    endpoint = AnsweringEndpoint(score=0.7, label=1)
    rows = [{"data": EXAMPLE_ROW}, {"data": list(EXAMPLE_VALUES)}, {"data": EXAMPLE_ROW}]
    body = json.dumps({"instances": rows}).encode()
    reply = PredictionService(endpoint, WDBC).predict(
        ApiRequest(body=body, content_type=JSON, accept=None, request_id="r")
    )
    assert endpoint.calls == [[EXAMPLE_VALUES] * 3]
    document = json.loads(reply.body)
    assert [item["prediction"] for item in document["predictions"]] == ["M", "M", "M"]
    assert document["model"] == {"name": "wdbc-twin", "version": "variant-1"}
    assert reply.rows == 3


@pytest.mark.parametrize("rows", [1, 2, 1000])
def test_any_csv_batch_is_exactly_one_invocation(rows: int) -> None:
    endpoint = AnsweringEndpoint(score=0.2, label=0)
    body = "\n".join([EXAMPLE_ROW] * rows).encode()
    reply = PredictionService(endpoint, WDBC).predict(
        ApiRequest(body=body, content_type="text/csv", accept="text/csv", request_id="r")
    )
    assert len(endpoint.calls) == 1
    assert len(endpoint.calls[0]) == rows
    assert reply.body == "B,0.2\n" * rows
    assert reply.content_type == "text/csv"


def test_text_plain_is_for_single_rows_only() -> None:
    body = json.dumps({"instances": [{"data": EXAMPLE_ROW}]}).encode()
    reply = PredictionService(AnsweringEndpoint(0.2, 0), WDBC).predict(
        ApiRequest(body=body, content_type=JSON, accept="text/plain", request_id="r")
    )
    assert (reply.status, reply.error_code) == (406, "not_acceptable")


def test_a_short_answer_to_a_batch_is_502() -> None:
    endpoint = RawEndpoint(b'{"predictions": [{"score": 0.5, "predicted_label": 1}]}')
    body = "\n".join([EXAMPLE_ROW] * 2).encode()
    reply = PredictionService(endpoint, WDBC).predict(
        ApiRequest(body=body, content_type="text/csv", accept=None, request_id="r")
    )
    assert (reply.status, reply.error_code, reply.rows) == (502, "invalid_model_answer", 2)


@pytest.mark.parametrize(
    "document",
    [
        {"instances": [list(EXAMPLE_VALUES)] * 3},
        {"instances": [EXAMPLE_ROW] * 3},
        {"dataframe_records": [dict(zip(FEATURE_NAMES, EXAMPLE_VALUES, strict=True))] * 3},
        {"dataframe_split": {"columns": list(FEATURE_NAMES), "data": [EXAMPLE_VALUES] * 3}},
    ],
)
def test_every_batch_form_is_one_invocation(document: object) -> None:
    endpoint = AnsweringEndpoint(score=0.7, label=1)
    reply = PredictionService(endpoint, WDBC).predict(
        ApiRequest(
            body=json.dumps(document).encode(), content_type=JSON, accept=None, request_id="r"
        )
    )
    assert endpoint.calls == [[EXAMPLE_VALUES] * 3]
    assert len(json.loads(reply.body)["predictions"]) == 3


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(body_for(EXAMPLE_ROW), JSON), (f"{EXAMPLE_ROW}\n{EXAMPLE_ROW}".encode(), "text/csv")],
)
def test_json_lines_answer_one_object_per_row(body: bytes, content_type: str) -> None:
    endpoint = AnsweringEndpoint(score=0.25, label=0)
    reply = PredictionService(endpoint, WDBC).predict(
        ApiRequest(
            body=body, content_type=content_type, accept="application/jsonlines", request_id="r"
        )
    )
    assert (reply.status, reply.content_type) == (200, "application/jsonlines")
    assert reply.body.endswith("\n")
    lines = [json.loads(line) for line in reply.body.splitlines()]
    assert lines == [
        {"prediction": "B", "diagnosis": "benign", "probability_malignant": 0.25}
    ] * len(endpoint.calls[0])


def encoded_example(encoding: str | None) -> ApiRequest:
    """The example row as JSON, sent with this Content-Encoding."""
    return ApiRequest(body=body_for(EXAMPLE_ROW), content_type=JSON, content_encoding=encoding)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "gzip, identity"])
def test_a_compressed_body_is_415_before_it_is_read(encoding: str) -> None:
    endpoint = AnsweringEndpoint(score=0.25, label=0)
    reply = PredictionService(endpoint, WDBC).predict(encoded_example(encoding))
    assert (reply.status, reply.error_code) == (415, "unsupported_media_type")
    assert "uncompressed" in json.loads(reply.body)["error"]["message"]
    assert endpoint.calls == []


@pytest.mark.parametrize("encoding", [None, "identity", " Identity "])
def test_an_identity_encoding_is_read(encoding: str | None) -> None:
    endpoint = AnsweringEndpoint(score=0.25, label=0)
    reply = PredictionService(endpoint, WDBC).predict(encoded_example(encoding))
    assert reply.status == 200
