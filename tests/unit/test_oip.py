"""The Open Inference Protocol v2 routes: the request reader, the answers, and the routes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import oip
from chalicelib.application import create_app
from chalicelib.discovery import Discovery
from chalicelib.errors import (
    ApiError,
    EndpointNotReady,
    InvalidJson,
    InvalidPayload,
    InvalidValue,
    TooManyRows,
    UnsupportedMediaType,
)
from chalicelib.model_card import load_model_card
from chalicelib.service import ApiRequest, PredictionService
from chalicelib.settings import Settings
from tests.support.apps import ENDPOINT_NAME, MakeClient
from tests.support.endpoint_twins import AnsweringEndpoint, FailingEndpoint
from tests.support.rows import EXAMPLE_VALUES, WDBC, WDBC_OIP

INFER = "/v2/models/wdbc/infer"
JSON = "application/json"
SENTINEL = 987.654321
OTHER = tuple(value * 2 for value in EXAMPLE_VALUES)


def tensor(rows: list[tuple[float, ...]], **changes: Any) -> dict[str, Any]:
    flat = [value for row in rows for value in row]
    return {
        "name": "input-0",
        "shape": [len(rows), 30],
        "datatype": "FP64",
        "data": flat,
        **changes,
    }


def request(*tensors: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({"inputs": list(tensors), **extra}).encode()


def test_a_flat_row_major_tensor_is_its_rows_in_order() -> None:
    parsed = WDBC_OIP.parse_infer_request(
        request(tensor([EXAMPLE_VALUES, OTHER]), id="req-seven"), JSON
    )
    assert parsed == oip.InferRequest(
        [EXAMPLE_VALUES, OTHER], "req-seven", ("predicted_label", "probability_malignant")
    )


def test_a_nested_fp32_tensor_reads_the_same() -> None:
    nested = tensor([EXAMPLE_VALUES], datatype="FP32", data=[list(EXAMPLE_VALUES)])
    assert WDBC_OIP.parse_infer_request(request(nested), None).rows == [EXAMPLE_VALUES]


@pytest.mark.parametrize(
    ("request_id", "echoed"),
    [
        ("req-seven", "req-seven"),
        ("c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"),
        ("req-7", None),  # a digit outside a UUID: it could be part of a number
        ("mrn-0012345", None),  # a medical record number
        ("c6af9ac6-7b61-11e6-9a41-93e8deadbeef1", None),  # not a UUID
        (str(SENTINEL), None),  # a dot: it could be a measurement
        ("12345", None),  # only digits
        ("-1349", None),  # a negative number
        ("13e49", None),  # a number with an exponent
        ("123-45-6789", None),  # digits in groups: a record or social security number
        ("e-1_E", None),  # no letter but e: could be read as part of a number
        ("1" * 100_000 + "x", None),  # long: refused in one pass, echoed never
        ("a b", None),
        ("x" * 65, None),
    ],
)
def test_the_id_is_echoed_only_if_it_is_a_plain_identifier(
    request_id: object, echoed: str | None
) -> None:
    parsed = WDBC_OIP.parse_infer_request(request(tensor([EXAMPLE_VALUES]), id=request_id), JSON)
    assert parsed.request_id == echoed


@pytest.mark.parametrize(
    ("body", "error_class", "message_part", "details"),
    [
        (b"[]", InvalidPayload, "must be a JSON object", {"field": "body"}),
        (b"{", InvalidJson, "not valid JSON", {}),
        (request(), InvalidPayload, "exactly one tensor", {"field": "inputs"}),
        (
            request(tensor([EXAMPLE_VALUES]), tensor([EXAMPLE_VALUES])),
            InvalidPayload,
            "exactly one tensor",
            {"field": "inputs"},
        ),
        (
            request(tensor([EXAMPLE_VALUES], datatype="INT64")),
            InvalidPayload,
            '"datatype" must be FP32 or FP64',
            {"field": "datatype"},
        ),
        (
            request(tensor([EXAMPLE_VALUES], shape=[1, 29])),
            InvalidPayload,
            '"shape" must be [N, 30]',
            {"field": "shape"},
        ),
        (
            request(tensor([EXAMPLE_VALUES], shape=[30])),
            InvalidPayload,
            '"shape" must be [N, 30]',
            {"field": "shape"},
        ),
        (
            request(tensor([EXAMPLE_VALUES], shape=[2, 30])),
            InvalidPayload,
            "must hold 2 x 30 numbers, flat or as 2 arrays of 30, for its shape; it holds 30",
            {"field": "data"},
        ),
        (
            request(tensor([EXAMPLE_VALUES, (*OTHER[:4], SENTINEL, *OTHER[5:])], datatype="FP32")),
            None,
            None,
            None,
        ),
        (
            request(tensor([EXAMPLE_VALUES, (*OTHER[:4], True, *OTHER[5:])])),
            InvalidValue,
            "row 2: value 5 of 30 (smoothness_mean) must be a number, not a boolean",
            {"row": 2, "field": "data", "position": 5, "feature": "smoothness_mean"},
        ),
        (
            request(tensor([EXAMPLE_VALUES], colour=1, _134977777=2)),
            InvalidPayload,
            "the input tensor holds unknown key(s) 'colour' and 1 more",
            {"field": "inputs"},
        ),
        (
            request(tensor([EXAMPLE_VALUES]), outputs=[{"name": "score"}]),
            InvalidPayload,
            '"outputs" must list objects naming predicted_label or probability_malignant',
            {"field": "outputs"},
        ),
        (request(tensor([EXAMPLE_VALUES]), id=7), InvalidPayload, '"id" must be', {"field": "id"}),
        (
            request(tensor([EXAMPLE_VALUES]), parameters=[]),
            InvalidPayload,
            '"parameters" of the request must be an object',
            {"field": "parameters"},
        ),
        (
            request(tensor([EXAMPLE_VALUES]), outputs=None),  # null is no list; absent is all
            InvalidPayload,
            '"outputs" must list objects',
            {"field": "outputs"},
        ),
        (
            request(tensor([EXAMPLE_VALUES]), outputs=[{"name": ["x"]}]),
            InvalidPayload,
            '"outputs" must list objects',
            {"field": "outputs"},
        ),
        (
            request(tensor([EXAMPLE_VALUES]), outputs=[{"name": "predicted_label", "x": 1}]),
            InvalidPayload,
            "an output holds unknown key(s) 'x'",
            {"field": "inputs"},
        ),
        (
            request(tensor([EXAMPLE_VALUES] * 1001)),
            TooManyRows,
            "asks for more than 1000 rows",
            {},
        ),
        (
            request({**tensor([EXAMPLE_VALUES]), "shape": [10**12, 30]}),
            TooManyRows,
            "asks for more than 1000 rows",
            {},
        ),
        (
            request(tensor([EXAMPLE_VALUES], name=None)),
            InvalidPayload,
            '"name" string',
            {"field": "inputs"},
        ),
        (
            request(tensor([EXAMPLE_VALUES], data={"radius_mean": 1})),
            InvalidPayload,
            '"data" must be an array, not an object',
            {"field": "data"},
        ),
    ],
)
def test_a_bad_request_names_its_field_and_never_its_values(
    body: bytes,
    error_class: type[ApiError] | None,
    message_part: str | None,
    details: dict[str, object] | None,
) -> None:
    if error_class is None:  # the sentinel is a good value: read, not refused
        assert WDBC_OIP.parse_infer_request(body, JSON).rows[1][4] == SENTINEL
        return
    assert message_part is not None
    with pytest.raises(error_class) as caught:
        WDBC_OIP.parse_infer_request(body, JSON)
    assert message_part in caught.value.message
    assert dict(caught.value.details) == details
    assert str(SENTINEL) not in caught.value.message


@pytest.mark.parametrize("content_type", ["text/csv", "application/json; charset=latin-1"])
def test_only_utf8_json_is_read(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType):
        WDBC_OIP.parse_infer_request(request(tensor([EXAMPLE_VALUES])), content_type)


def test_the_service_answers_both_outputs_in_one_call() -> None:
    endpoint = AnsweringEndpoint(score=0.83, label=1)
    body = request(tensor([EXAMPLE_VALUES, OTHER]), id="req-seven")
    reply = PredictionService(endpoint, WDBC).infer(
        ApiRequest(body=body, content_type=JSON, accept=None, request_id="rid")
    )
    assert endpoint.calls == [[EXAMPLE_VALUES, OTHER]]
    assert (reply.status, reply.content_type, reply.rows) == (200, JSON, 2)
    assert json.loads(reply.body) == {
        "model_name": "wdbc",
        "model_version": "variant-1",
        "id": "req-seven",
        "outputs": [
            {"name": "predicted_label", "shape": [2], "datatype": "BYTES", "data": ["M", "M"]},
            {"name": "probability_malignant", "shape": [2], "datatype": "FP64", "data": [0.83] * 2},
        ],
    }


def test_outputs_asked_for_are_the_ones_answered() -> None:
    body = request(tensor([EXAMPLE_VALUES]), outputs=[{"name": "probability_malignant"}])
    reply = PredictionService(AnsweringEndpoint(score=0.2, label=0), WDBC).infer(
        ApiRequest(body=body, content_type=JSON, accept=None, request_id="r")
    )
    document = json.loads(reply.body)
    assert "id" not in document
    assert [output["name"] for output in document["outputs"]] == ["probability_malignant"]


@pytest.mark.parametrize(
    ("body", "accept", "encoding", "status"),
    [
        (b"{", None, None, 400),
        (request(tensor([EXAMPLE_VALUES])), "text/csv", None, 406),
        (request(tensor([EXAMPLE_VALUES])), None, "gzip", 415),
    ],
)
def test_errors_have_oips_shape_and_never_reach_the_endpoint(
    body: bytes, accept: str | None, encoding: str | None, status: int
) -> None:
    endpoint = AnsweringEndpoint(score=0.2, label=0)
    reply = PredictionService(endpoint, WDBC).infer(
        ApiRequest(
            body=body, content_type=JSON, accept=accept, request_id="rid", content_encoding=encoding
        )
    )
    assert reply.status == status
    assert list(json.loads(reply.body)) == ["error"]
    assert endpoint.calls == []


def test_a_platform_failure_keeps_its_status_and_retry_after() -> None:
    failing = FailingEndpoint(EndpointNotReady("the model endpoint is still starting"))
    reply = PredictionService(failing, WDBC).infer(
        ApiRequest(
            body=request(tensor([EXAMPLE_VALUES])), content_type=JSON, accept=None, request_id="r"
        )
    )
    assert (reply.status, reply.headers, reply.error_code) == (
        503,
        {"Retry-After": "5"},
        "endpoint_not_ready",
    )
    assert json.loads(reply.body) == {"error": "the model endpoint is still starting"}


def test_an_unexpected_exception_is_a_generic_oip_500() -> None:
    reply = PredictionService(FailingEndpoint(KeyError("secret")), WDBC).infer(
        ApiRequest(
            body=request(tensor([EXAMPLE_VALUES])), content_type=JSON, accept=None, request_id="r"
        )
    )
    assert (reply.status, json.loads(reply.body)) == (500, {"error": "an internal error occurred"})


# --- Through the app ------------------------------------------------------------------------


@pytest.fixture
def client(make_client: MakeClient) -> Client:
    return make_client(AnsweringEndpoint(score=0.1, label=0), model_card="wdbc.json")


def test_infer_through_the_app(client: Client) -> None:
    response = client.http.post(
        INFER, headers={"Content-Type": JSON}, body=request(tensor([EXAMPLE_VALUES]))
    )
    assert response.status_code == 200
    assert response.headers["X-Request-Id"]
    assert json.loads(response.body)["outputs"][0]["data"] == ["B"]


def test_the_infer_route_wants_the_api_key_and_the_others_not() -> None:
    routes = create_app(Settings(ENDPOINT_NAME, "wdbc")).routes
    assert routes[INFER]["POST"].api_key_required
    assert not routes[INFER]["OPTIONS"].api_key_required
    assert not routes["/v2/health/ready"]["GET"].api_key_required
    assert not routes["/v2/models/wdbc"]["GET"].api_key_required


def test_ready_and_metadata(client: Client) -> None:
    ready = client.http.get("/v2/health/ready")
    assert (ready.status_code, json.loads(ready.body)) == (200, {"ready": True})
    metadata = json.loads(client.http.get("/v2/models/wdbc").body)
    card = load_model_card("wdbc.json", WDBC.feature_names)
    assert metadata["name"] == "wdbc"
    assert metadata["versions"] == [card["version"]]
    assert metadata["inputs"] == [{"name": "features", "datatype": "FP64", "shape": [-1, 30]}]
    assert [output["name"] for output in metadata["outputs"]] == [
        "predicted_label",
        "probability_malignant",
    ]


def test_without_a_model_card_there_is_no_version(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (
        json.loads(
            Discovery(Settings("wdbc-test", "wdbc"), WDBC, WDBC_OIP, None, {})
            .oip_model_metadata()
            .body
        )["versions"]
        == []
    )


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("POST", INFER, {"Content-Type": "text/csv"}, 415),
        ("GET", INFER, {}, 405),
        ("DELETE", "/v2/models/wdbc", {}, 405),
    ],
)
def test_the_frameworks_own_refusals_have_oips_shape_too(
    client: Client, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    response = client.http.request(method, path, headers=headers, body=b"x")
    assert response.status_code == status
    assert list(json.loads(response.body)) == ["error"]
    assert response.headers["X-Request-Id"]
