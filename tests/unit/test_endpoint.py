"""Endpoint invocation: error codes only AWS produces, via botocore's Stubber (the transport
failures, against real sockets: tests/functional/test_endpoint.py)."""

from __future__ import annotations

import io

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from chalicelib.endpoint import (
    CLIENT_CONFIG,
    ModelEndpoint,
    create_runtime_client,
    encode_csv,
)
from chalicelib.errors import (
    ApiError,
    EndpointNotFound,
    EndpointNotReady,
    EndpointRejectedRequest,
    EndpointUnavailable,
    InternalError,
    ModelFailed,
    Throttled,
)
from chalicelib.rows import Rows
from tests.support.endpoint_twins import offline_client
from tests.support.rows import EXAMPLE_VALUES


def test_the_client_is_bounded_as_designed() -> None:
    assert CLIENT_CONFIG.retries == {"mode": "standard", "total_max_attempts": 3}
    assert CLIENT_CONFIG.connect_timeout == 1
    assert CLIENT_CONFIG.read_timeout == 3
    client = create_runtime_client(endpoint_url="http://127.0.0.1:9")
    assert client.meta.config.retries["mode"] == "standard"
    assert client.meta.config.read_timeout == 3


def test_rows_travel_as_csv_that_reads_back_to_the_same_floats() -> None:
    rows = [EXAMPLE_VALUES, tuple(value * 1e-7 for value in EXAMPLE_VALUES)]
    lines = encode_csv(rows).decode().split("\n")
    assert [tuple(float(v) for v in line.split(",")) for line in lines] == rows


def test_a_successful_call_sends_csv_and_keeps_the_variant() -> None:
    client = offline_client()
    body = b'{"predictions": [{"score": 0.1, "predicted_label": 0}]}'
    with Stubber(client) as stubber:
        stubber.add_response(
            "invoke_endpoint",
            {
                "Body": StreamingBody(io.BytesIO(body), len(body)),
                "ContentType": "application/json",
                "InvokedProductionVariant": "model-abc",
            },
            {
                "EndpointName": "wdbc-test",
                "ContentType": "text/csv",
                "Accept": "application/json",
                "Body": encode_csv([EXAMPLE_VALUES]),
            },
        )
        answer = ModelEndpoint("wdbc-test", lambda: client).invoke([EXAMPLE_VALUES])
    assert answer.body == body
    assert answer.variant == "model-abc"


@pytest.mark.parametrize(
    ("code", "status", "message", "expected", "retry_after"),
    [
        (
            "ValidationError",
            400,
            "Endpoint wdbc-test of account 1 not found.",
            EndpointNotFound,
            None,
        ),
        ("ValidationError", 400, "Payload is malformed", EndpointRejectedRequest, None),
        ("ModelError", 424, "Received client error (400) from primary", ModelFailed, None),
        ("ModelNotReadyException", 429, "not ready", EndpointNotReady, "5"),
        ("ServiceUnavailable", 503, "SageMaker says no", EndpointUnavailable, "1"),
        ("InternalFailure", 500, "SageMaker broke", EndpointUnavailable, "1"),
        ("InternalDependencyException", 530, "dependency", EndpointUnavailable, "1"),
        ("ThrottlingException", 400, "Rate exceeded", Throttled, "1"),
        ("AccessDeniedException", 400, "not authorized", InternalError, None),
    ],
)
def test_sagemaker_errors_map_to_documented_statuses(
    code: str, status: int, message: str, expected: type[ApiError], retry_after: str | None
) -> None:
    client = offline_client()
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "invoke_endpoint",
            service_error_code=code,
            service_message=message,
            http_status_code=status,
        )
        with pytest.raises(expected) as caught:
            ModelEndpoint("wdbc-test", lambda: client).invoke([EXAMPLE_VALUES])
    assert caught.value.headers.get("Retry-After") == retry_after
    assert message not in caught.value.message  # SageMaker's words stay in our logs, if anywhere


def test_rows_read_from_plain_csv_are_sent_as_written() -> None:
    written = Rows([EXAMPLE_VALUES], csv="13.490,22.3")  # the text is taken as it is
    assert encode_csv(written) == b"13.490,22.3"
    assert encode_csv(Rows([EXAMPLE_VALUES])) == encode_csv([EXAMPLE_VALUES])
