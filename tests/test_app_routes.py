"""The routes through chalice.test.Client (Chalice's own local gateway), with a twin endpoint."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from chalice.test import Client

import app as app_module
from chalicelib.errors import EndpointTimeout
from chalicelib.service import Endpoint, PredictionService
from tests.endpoint_twins import AnsweringEndpoint, FailingEndpoint
from tests.rows import EXAMPLE_ROW, body_for, row_with

PROJECT_DIR = Path(__file__).resolve().parent.parent
JSON_HEADERS = {"Content-Type": "application/json"}
Install = Callable[[Endpoint], None]
AccessLines = list[dict[str, object]]


@pytest.fixture
def use_endpoint(monkeypatch: pytest.MonkeyPatch) -> Install:
    def install(endpoint: Endpoint) -> None:
        monkeypatch.setattr(app_module, "predictions", PredictionService(endpoint))

    return install


@pytest.fixture
def client() -> Iterator[Client]:
    with Client(app_module.app, stage_name="dev", project_dir=str(PROJECT_DIR)) as test_client:
        yield test_client


@pytest.fixture
def access_lines() -> Iterator[AccessLines]:
    lines: list[dict[str, object]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(record.getMessage()))

    handler = Collect()
    logging.getLogger("wdbc").addHandler(handler)
    yield lines
    logging.getLogger("wdbc").removeHandler(handler)


def test_post_answers_json_with_request_id_and_one_log_line(
    client: Client, use_endpoint: Install, access_lines: AccessLines
) -> None:
    use_endpoint(AnsweringEndpoint(score=0.12, label=0))
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


def test_accept_text_plain_gets_the_letter(client: Client, use_endpoint: Install) -> None:
    use_endpoint(AnsweringEndpoint(score=0.91, label=1))
    response = client.http.post(
        "/predictbreastcancer",
        headers={**JSON_HEADERS, "Accept": "text/plain"},
        body=body_for(EXAMPLE_ROW),
    )
    assert (response.status_code, response.body) == (200, b"M")
    assert response.headers["Content-Type"] == "text/plain"


def test_bad_input_is_400_with_the_request_id_in_body_and_header(
    client: Client, use_endpoint: Install, access_lines: AccessLines
) -> None:
    use_endpoint(AnsweringEndpoint(score=0.5, label=1))
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


def test_a_platform_failure_keeps_its_status(client: Client, use_endpoint: Install) -> None:
    use_endpoint(FailingEndpoint(EndpointTimeout("the model endpoint did not answer in time")))
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


def test_another_method_gets_our_405_shape_and_allow(client: Client) -> None:
    response = client.http.get("/predictbreastcancer")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}  # OPTIONS: CORS
    assert json.loads(response.body)["error"]["code"] == "method_not_allowed"


def test_csv_in_csv_out(client: Client, use_endpoint: Install) -> None:
    use_endpoint(AnsweringEndpoint(score=0.25, label=0))
    response = client.http.post(
        "/predictbreastcancer",
        headers={"Content-Type": "text/csv; charset=utf-8", "Accept": "text/csv"},
        body=f"{EXAMPLE_ROW}\n{EXAMPLE_ROW}\n".encode(),
    )
    assert (response.status_code, response.body) == (200, b"B,0.25\nB,0.25\n")
    assert response.headers["Content-Type"] == "text/csv"


def test_a_csv_batch_as_json_lists_predictions(client: Client, use_endpoint: Install) -> None:
    use_endpoint(AnsweringEndpoint(score=0.75, label=1))
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
    client: Client, use_endpoint: Install, headers: dict[str, str]
) -> None:
    use_endpoint(FailingEndpoint(AssertionError("called")))
    response = client.http.post("/predictbreastcancer", headers=headers, body=body_for(EXAMPLE_ROW))
    assert response.status_code == 415
    assert json.loads(response.body)["error"]["code"] == "unsupported_media_type"


def test_json_lines_through_the_app(client: Client, use_endpoint: Install) -> None:
    use_endpoint(AnsweringEndpoint(score=0.75, label=1))
    response = client.http.post(
        "/predictbreastcancer",
        headers={"Content-Type": "application/json", "Accept": "application/jsonlines"},
        body=json.dumps({"instances": [EXAMPLE_ROW, EXAMPLE_ROW]}).encode(),
    )
    assert response.headers["Content-Type"] == "application/jsonlines"
    assert [json.loads(line)["prediction"] for line in response.body.splitlines()] == ["M", "M"]
