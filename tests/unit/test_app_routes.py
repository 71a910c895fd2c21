"""The routes through chalice.test.Client (Chalice's own local gateway), with a twin endpoint."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from chalice.test import Client

from benchmarks.overall import lambda_context, proxy_event
from chalicelib.application import create_app
from chalicelib.errors import EndpointTimeout
from chalicelib.settings import Settings
from tests.support.apps import ENDPOINT_NAME, MakeClient
from tests.support.endpoint_twins import AnsweringEndpoint, FailingEndpoint
from tests.support.rows import EXAMPLE_ROW, body_for, row_with

JSON_HEADERS = {"Content-Type": "application/json"}
AccessLines = list[dict[str, object]]


@pytest.fixture
def client(make_client: MakeClient) -> Client:
    return make_client()


@pytest.fixture
def access_lines() -> Iterator[AccessLines]:
    lines: list[dict[str, object]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(record.getMessage()))

    handler = Collect()
    logging.getLogger("model_api").addHandler(handler)
    yield lines
    logging.getLogger("model_api").removeHandler(handler)


def test_post_answers_json_with_request_id_and_one_log_line(
    make_client: MakeClient, access_lines: AccessLines
) -> None:
    client = make_client(AnsweringEndpoint(score=0.12, label=0))
    response = client.http.post(
        "/predictbreastcancer", headers=JSON_HEADERS, body=body_for(EXAMPLE_ROW)
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body)["prediction"] == "B"
    request_id = response.headers["X-Request-Id"]
    assert access_lines == [
        {
            "event": "request",
            "request_id": request_id,
            "method": "POST",
            "route": "/predictbreastcancer",
            "status": 200,
            "error_code": None,
            "rows": 1,
            "latency_ms": access_lines[0]["latency_ms"],
        }
    ]


def test_accept_text_plain_gets_the_letter(make_client: MakeClient) -> None:
    client = make_client(AnsweringEndpoint(score=0.91, label=1))
    response = client.http.post(
        "/predictbreastcancer",
        headers={**JSON_HEADERS, "Accept": "text/plain"},
        body=body_for(EXAMPLE_ROW),
    )
    assert (response.status_code, response.body) == (200, b"M")
    assert response.headers["Content-Type"] == "text/plain"


def test_bad_input_is_400_with_the_request_id_in_body_and_header(
    make_client: MakeClient, access_lines: AccessLines
) -> None:
    client = make_client(AnsweringEndpoint(score=0.5, label=1))
    response = client.http.post(
        "/predictbreastcancer", headers=JSON_HEADERS, body=body_for(row_with(30, "1e309"))
    )
    error = json.loads(response.body)["error"]
    assert response.status_code == 400
    assert error["code"] == "invalid_value"
    assert error["feature"] == "fractal_dimension_worst"
    assert error["request_id"] == response.headers["X-Request-Id"]
    assert access_lines[0]["error_code"] == "invalid_value"
    assert "1e309" not in json.dumps(access_lines)


def test_a_platform_failure_keeps_its_status(make_client: MakeClient) -> None:
    client = make_client(
        FailingEndpoint(EndpointTimeout("the model endpoint did not answer in time"))
    )
    response = client.http.post(
        "/predictbreastcancer", headers=JSON_HEADERS, body=body_for(EXAMPLE_ROW)
    )
    assert response.status_code == 504
    assert json.loads(response.body)["error"]["code"] == "endpoint_timeout"


def test_another_media_type_gets_our_415_shape(client: Client, access_lines: AccessLines) -> None:
    response = client.http.post(
        "/predictbreastcancer", headers={"Content-Type": "text/html"}, body=b"<p>"
    )
    assert response.status_code == 415
    error = json.loads(response.body)["error"]
    assert error["code"] == "unsupported_media_type"
    assert error["request_id"] == response.headers["X-Request-Id"]
    assert access_lines[0]["status"] == 415


@pytest.mark.parametrize(
    ("path", "content_type", "said"),
    [
        (
            "/predictbreastcancer",
            "application/x-www-form-urlencoded",  # curl -d's
            "this route does not take a body of type application/x-www-form-urlencoded (curl -d "
            "sends it unless told otherwise); send the header 'Content-Type: application/json' or "
            "'Content-Type: text/csv'",
        ),
        (
            "/predictbreastcancer",
            "Multipart/Form-Data; boundary=x",
            "this route does not take a body of type multipart/form-data; send the header "
            "'Content-Type: application/json' or 'Content-Type: text/csv'",
        ),
        # A type that could carry a value, or any other text, is never repeated.
        (
            "/predictbreastcancer",
            "text/x-13.49",
            "this route does not take a body of that type; send the header "
            "'Content-Type: application/json' or 'Content-Type: text/csv'",
        ),
        (
            "/predictbreastcancer",
            "radius 13.49",
            "this route does not take a body of that type; send the header "
            "'Content-Type: application/json' or 'Content-Type: text/csv'",
        ),
        (
            "/v2/models/wdbc/infer",
            "text/csv",
            "this route does not take a body of type text/csv; send the header "
            "'Content-Type: application/json'",
        ),
    ],
)
def test_a_415_names_the_type_sent_and_the_header_to_send(
    path: str, content_type: str, said: str, client: Client
) -> None:
    response = client.http.post(path, headers={"Content-Type": content_type}, body=b"x=1")
    assert response.status_code == 415
    document = json.loads(response.body)
    assert (document["error"] if path.startswith("/v2/") else document["error"]["message"]) == said


@pytest.mark.parametrize(
    ("method", "path", "taken", "allow"),
    [
        (
            "GET",
            "/predictbreastcancer",
            "POST (and OPTIONS, a CORS preflight)",
            {"POST", "OPTIONS"},
        ),
        (
            "DELETE",
            "/predictbreastcancer",
            "POST (and OPTIONS, a CORS preflight)",
            {"POST", "OPTIONS"},
        ),
        ("POST", "/health", "GET", {"GET"}),
    ],
)
def test_another_method_gets_our_405_shape_naming_the_methods_and_allow(
    method: str, path: str, taken: str, allow: set[str], client: Client
) -> None:
    response = getattr(client.http, method.lower())(path)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == allow  # OPTIONS: CORS
    error = json.loads(response.body)["error"]
    assert error["code"] == "method_not_allowed"
    assert error["message"] == f"this path does not take that method; it takes {taken}"


def test_csv_in_csv_out(make_client: MakeClient) -> None:
    client = make_client(AnsweringEndpoint(score=0.25, label=0))
    response = client.http.post(
        "/predictbreastcancer",
        headers={"Content-Type": "text/csv; charset=utf-8", "Accept": "text/csv"},
        body=f"{EXAMPLE_ROW}\n{EXAMPLE_ROW}\n".encode(),
    )
    assert (response.status_code, response.body) == (200, b"B,0.25\nB,0.25\n")
    assert response.headers["Content-Type"] == "text/csv"


def test_a_csv_batch_as_json_lists_predictions(make_client: MakeClient) -> None:
    client = make_client(AnsweringEndpoint(score=0.75, label=1))
    response = client.http.post(
        "/predictbreastcancer", headers={"Content-Type": "text/csv"}, body=EXAMPLE_ROW.encode()
    )
    document = json.loads(response.body)
    assert document["predictions"] == [
        {"prediction": "M", "diagnosis": "malignant", "probability_malignant": 0.75}
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json; charset=iso-8859-1"},
        {"Content-Type": "application/json", "Content-Encoding": "gzip"},
    ],
)
def test_another_charset_or_a_compressed_body_is_415(
    make_client: MakeClient, headers: dict[str, str]
) -> None:
    client = make_client(FailingEndpoint(AssertionError("called")))
    response = client.http.post("/predictbreastcancer", headers=headers, body=body_for(EXAMPLE_ROW))
    assert response.status_code == 415
    assert json.loads(response.body)["error"]["code"] == "unsupported_media_type"


def test_json_lines_through_the_app(make_client: MakeClient) -> None:
    client = make_client(AnsweringEndpoint(score=0.75, label=1))
    response = client.http.post(
        "/predictbreastcancer",
        headers={"Content-Type": "application/json", "Accept": "application/jsonlines"},
        body=json.dumps({"instances": [EXAMPLE_ROW, EXAMPLE_ROW]}).encode(),
    )
    assert response.headers["Content-Type"] == "application/jsonlines"
    assert [json.loads(line)["prediction"] for line in response.body.splitlines()] == ["M", "M"]


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        ({"Content-Type": ["application/json"]}, 200),
        ({"Content-Type": ["application/json"], "Content-Encoding": ["identity", "IDENTITY"]}, 200),
        ({"Content-Type": ["application/json"], "Content-Encoding": ["gzip", "identity"]}, 415),
        ({"Content-Type": ["text/csv", "application/json"]}, 415),
    ],
)
def test_the_lambda_reads_every_line_of_a_header_as_api_gateway_sends_them(
    lines: dict[str, list[str]], status: int
) -> None:
    """API Gateway keeps a field's last line in `headers`, every line in `multiValueHeaders`."""
    app = create_app(Settings(ENDPOINT_NAME, "wdbc"), AnsweringEndpoint(score=0.12, label=0))
    event = proxy_event(body_for(EXAMPLE_ROW).decode(), "application/json")
    event["headers"] |= {name.lower(): values[-1] for name, values in lines.items()}
    event["multiValueHeaders"] = lines
    assert app(event, lambda_context())["statusCode"] == status
