"""The stand-in over plain HTTP: the container contract, the front door's other answers, its log."""

from __future__ import annotations

import http.client
import json
import logging
import statistics
import threading
import time
from collections.abc import Iterator

import pytest

from standin import RunningStandin, start_in_thread
from standin.app import Fault
from standin.model import LinearLearner
from tests.support.apps import ENDPOINT_NAME
from tests.support.log_capture import all_records
from tests.support.standin_harness import (
    SENTINEL,
    bad_csv_row,
    csv_row,
    make_artifact,
)

# Nagle's algorithm against a delayed ACK stalls every request 40 ms; a correct server takes about
# 1 ms. The median of ten keeps a loaded machine's odd slow request from failing it.
STALL_MS = 40.0


@pytest.fixture(scope="module")
def standin() -> Iterator[RunningStandin]:
    with start_in_thread(LinearLearner(make_artifact()), ENDPOINT_NAME) as running:
        yield running


@pytest.fixture
def connection(standin: RunningStandin) -> Iterator[http.client.HTTPConnection]:
    connection = http.client.HTTPConnection("127.0.0.1", standin.port, timeout=10)
    yield connection
    connection.close()


def ask(
    connection: http.client.HTTPConnection, method: str, path: str, body: str = "", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    connection.request(method, path, body=body.encode(), headers=headers)
    response = connection.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def test_ping_answers_200_with_an_empty_body(connection: http.client.HTTPConnection) -> None:
    assert ask(connection, "GET", "/ping")[::2] == (200, b"")


def test_the_container_route_answers_and_refuses_as_a_container(
    connection: http.client.HTTPConnection,
) -> None:
    status, headers, body = ask(
        connection, "POST", "/invocations", f"{csv_row(0)}\n", **{"Content-Type": "text/csv"}
    )
    assert (status, headers["content-type"]) == (200, "application/json")
    assert json.loads(body) == {"predictions": [{"score": 0.5, "predicted_label": 1}]}
    status, _, body = ask(
        connection, "POST", "/invocations", bad_csv_row(), **{"Content-Type": "text/csv"}
    )
    assert (status, json.loads(body)) == (400, {"message": "row 1 has 29 values, expected 30"})
    assert SENTINEL.encode() not in body


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/elsewhere", 404), ("GET", "/invocations", 405), ("DELETE", "/ping", 405)],
)
def test_other_paths_and_methods_are_unknown_operations(
    connection: http.client.HTTPConnection, method: str, path: str, status: int
) -> None:
    answer_status, headers, body = ask(connection, method, path)
    assert answer_status == status
    assert headers["x-amzn-errortype"].startswith("UnknownOperationException:")
    assert set(json.loads(body)) == {"message"}


def test_ten_keep_alive_requests_never_stall(connection: http.client.HTTPConnection) -> None:
    timings = []
    for _ in range(10):
        started = time.perf_counter()
        ask(connection, "POST", f"/endpoints/{ENDPOINT_NAME}/invocations", csv_row(),
            **{"Content-Type": "text/csv"})  # fmt: skip
        timings.append((time.perf_counter() - started) * 1000)
    sock = connection.sock
    ask(connection, "GET", "/ping")
    assert connection.sock is sock  # one connection throughout
    assert statistics.median(timings) < STALL_MS, timings


def test_the_request_log_names_the_route_and_status_never_the_input(
    connection: http.client.HTTPConnection, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="standin.requests"):
        ask(connection, "POST", f"/endpoints/{ENDPOINT_NAME}/invocations", bad_csv_row(),
            **{"Content-Type": "text/csv"})  # fmt: skip
        deadline = time.monotonic() + 5  # a line is written after its answer has gone
        while not posts(caplog) and time.monotonic() < deadline:
            time.sleep(0.01)
    [line] = posts(caplog)
    assert line.startswith("POST /endpoints/{name}/invocations 424 ")
    assert SENTINEL not in caplog.text


def test_the_request_log_never_repeats_an_unknown_path_or_method(
    connection: http.client.HTTPConnection, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="standin.requests"):
        ask(connection, "GET", f"/{SENTINEL}")
        ask(connection, "BREW", "/ping")
        deadline = time.monotonic() + 5
        while len(caplog.records) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = [r.getMessage() for r in caplog.records if r.name == "standin.requests"]
    assert [line.split()[:3] for line in lines[-2:]] == [
        ["other", "other", "404"],
        ["other", "/ping", "405"],
    ]
    assert SENTINEL not in caplog.text
    assert "BREW" not in caplog.text


def posts(caplog: pytest.LogCaptureFixture) -> list[str]:
    lines = [r.getMessage() for r in caplog.records if r.name == "standin.requests"]
    return [line for line in lines if line.startswith("POST")]


def test_serves_on_ipv6_loopback() -> None:
    with start_in_thread(LinearLearner(make_artifact()), ENDPOINT_NAME, host="::1") as running:
        assert running.url.startswith("http://[::1]:")
        connection = http.client.HTTPConnection("::1", running.port, timeout=10)
        assert ask(connection, "GET", "/ping")[0] == 200
        connection.close()


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (Fault("a slow reply", delay=60), 503),  # answered as SageMaker's ServiceUnavailable
        (Fault("a slow body", body_delay=60), 200),  # the headers went: the body follows at once
    ],
)
def test_a_stop_answers_the_request_in_flight(fault: Fault, status: int) -> None:
    running = start_in_thread(LinearLearner(make_artifact()), ENDPOINT_NAME)
    running.script(fault)
    answers: list[tuple[int, dict[str, str], bytes]] = []

    def invoke() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=60)
        path = f"/endpoints/{ENDPOINT_NAME}/invocations"
        answers.append(ask(connection, "POST", path, csv_row(), **{"Content-Type": "text/csv"}))
        connection.close()

    client = threading.Thread(target=invoke)
    with all_records() as records:
        client.start()
        while not running.app.bodies:
            time.sleep(0.01)
        running.stop()
        client.join(30)
    [(answered, headers, body)] = answers
    assert answered == status
    if status == 503:
        assert headers["x-amzn-errortype"].startswith("ServiceUnavailable:")
    else:
        assert json.loads(body)["predictions"]
    assert records.holding("Exception in ASGI") == records.holding("Traceback") == []
