"""The HTTP edge, through real sockets: routes, framing, keep-alive and what gets logged."""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import BinaryIO
from unittest.mock import Mock

import pytest

from chalicelib.features import FEATURE_COUNT
from standin import RunningStandin, start_in_thread
from standin.model import LinearScorer
from standin.runtime_api import MAX_PAYLOAD_BYTES, Endpoint
from standin.server import make_server
from tests.standin_harness import ENDPOINT_NAME, SENTINEL, bad_csv_row, csv_row, make_artifact

pytestmark = pytest.mark.integration

CSV_HEADERS = {"Content-Type": "text/csv"}
INVOCATIONS = "/invocations"
ENDPOINT_PATH = f"/endpoints/{ENDPOINT_NAME}/invocations"


@pytest.fixture(scope="module")
def standin() -> Iterator[RunningStandin]:
    with start_in_thread(make_artifact(), ENDPOINT_NAME, log_requests=True) as running:
        yield running


@pytest.fixture
def connection(standin: RunningStandin) -> Iterator[http.client.HTTPConnection]:
    connection = http.client.HTTPConnection("127.0.0.1", standin.port, timeout=5)
    yield connection
    connection.close()


def exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:

    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read()


def raw_exchange(port: int, request: bytes) -> bytes:
    """Send bytes no well-behaved client would, and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(request)
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    return received


def read_answer(stream: BinaryIO) -> tuple[bytes, bytes]:
    """One answer from a keep-alive socket's file: its head and its body, by Content-Length."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = stream.readline()
        assert line, "the server closed before answering"
        head += line
    length = re.search(rb"\r\nContent-Length: ([0-9]+)\r\n", head)
    return head, stream.read(int(length[1]) if length else 0)


def wait_for(condition: Callable[[], bool], seconds: float = 2.0) -> bool:
    """The request log is written after the answer, so a test may read the answer first."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_ping_answers_200_with_an_empty_body(connection: http.client.HTTPConnection) -> None:
    response, body = exchange(connection, "GET", "/ping")
    assert (response.status, body) == (200, b"")
    assert response.getheader("Content-Length") == "0"


def test_invocations_answers_linear_learner_json(connection: http.client.HTTPConnection) -> None:
    response, body = exchange(connection, "POST", INVOCATIONS, csv_row(0), CSV_HEADERS)
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("Content-Length") == str(len(body))
    assert json.loads(body) == {"predictions": [{"score": 0.5, "predicted_label": 1}]}


def test_invocations_takes_linear_learners_json_request(
    connection: http.client.HTTPConnection,
) -> None:
    request = json.dumps({"instances": [{"features": [-3.0] + [0.0] * (FEATURE_COUNT - 1)}]})
    response, body = exchange(
        connection, "POST", INVOCATIONS, request, {"Content-Type": "application/json"}
    )
    assert response.status == 200
    assert json.loads(body)["predictions"][0]["predicted_label"] == 0


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (bad_csv_row(), CSV_HEADERS, 400),
        (csv_row(), {"Content-Type": "application/xml"}, 415),
        (csv_row(), {}, 415),
        (csv_row(), {**CSV_HEADERS, "Accept": "text/csv"}, 406),
    ],
)
def test_invocations_errors_as_a_container_would(
    connection: http.client.HTTPConnection, body: str, headers: dict[str, str], status: int
) -> None:
    response, answer = exchange(connection, "POST", INVOCATIONS, body, headers)
    assert response.status == status
    assert response.getheader("Content-Type") == "application/json"
    assert set(json.loads(answer)) == {"message"}
    assert SENTINEL.encode() not in answer
    assert not response.will_close  # a refused body was read in full; the connection lives on


def test_endpoint_route_answers_with_the_variant_and_a_request_id(
    standin: RunningStandin, connection: http.client.HTTPConnection
) -> None:
    response, body = exchange(connection, "POST", ENDPOINT_PATH, csv_row(), CSV_HEADERS)
    assert response.status == 200
    assert response.getheader("x-Amzn-Invoked-Production-Variant") == make_artifact().version
    assert standin.variant == make_artifact().version
    assert response.getheader("x-amzn-RequestId")
    assert len(json.loads(body)["predictions"]) == 1


@pytest.mark.parametrize(
    ("method", "path", "status", "allow", "error_type"),
    [
        ("POST", "/ping", 405, "GET", None),
        ("DELETE", "/ping", 405, "GET", None),
        ("GET", INVOCATIONS, 405, "POST", None),
        ("GET", ENDPOINT_PATH, 405, "POST", "UnknownOperationException"),
        ("PUT", ENDPOINT_PATH, 405, "POST", "UnknownOperationException"),
        ("GET", "/", 404, None, "UnknownOperationException"),
        ("POST", "/endpoints/a/b/invocations", 404, None, "UnknownOperationException"),
        ("POST", "/endpoints//invocations", 404, None, "UnknownOperationException"),
        ("POST", f"/endpoints/{ENDPOINT_NAME}/invoke", 404, None, "UnknownOperationException"),
    ],
)
def test_other_paths_and_methods_answer_404_or_405_in_json(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    status: int,
    allow: str | None,
    error_type: str | None,
) -> None:
    response, body = exchange(connection, method, path)
    assert response.status == status
    assert response.getheader("Allow") == allow
    assert (response.getheader("x-amzn-ErrorType") or "").partition(":")[0] == (error_type or "")
    assert set(json.loads(body)) == {"message"}


def test_head_gets_headers_without_a_body(connection: http.client.HTTPConnection) -> None:
    response, body = exchange(connection, "HEAD", "/ping")
    assert response.status == 405
    assert body == b""
    assert int(response.getheader("Content-Length") or 0) > 0
    assert exchange(connection, "GET", "/ping")[0].status == 200  # the framing held


def test_five_keep_alive_posts_each_answer_without_a_delayed_ack_stall(
    connection: http.client.HTTPConnection,
) -> None:
    connection.connect()
    first_socket = connection.sock
    for path in [INVOCATIONS, ENDPOINT_PATH, INVOCATIONS, ENDPOINT_PATH, INVOCATIONS]:
        started = time.perf_counter()
        response, _ = exchange(connection, "POST", path, csv_row(), CSV_HEADERS)
        elapsed = time.perf_counter() - started
        assert response.status == 200
        assert elapsed < 0.030, f"{elapsed * 1000:.1f} ms: a Nagle/delayed-ACK stall is 40 ms"
        assert not response.will_close
        assert connection.sock is first_socket


def test_connection_close_is_honoured(connection: http.client.HTTPConnection) -> None:
    response, _ = exchange(connection, "GET", "/ping", headers={"Connection": "close"})
    assert response.getheader("Connection") == "close"
    assert response.will_close


def test_a_body_at_the_limit_is_read_and_judged(connection: http.client.HTTPConnection) -> None:
    body = csv_row().encode() + b"\n" + b" " * (MAX_PAYLOAD_BYTES - len(csv_row()) - 1)
    response, answer = exchange(connection, "POST", INVOCATIONS, body, CSV_HEADERS)
    assert response.status == 400
    assert json.loads(answer) == {"message": "row 2 is empty"}


def test_a_body_over_the_limit_is_refused_unread(connection: http.client.HTTPConnection) -> None:
    body = b"1" * (MAX_PAYLOAD_BYTES + 1)
    response, answer = exchange(connection, "POST", INVOCATIONS, body, CSV_HEADERS)
    assert response.status == 413
    assert response.will_close
    assert str(MAX_PAYLOAD_BYTES) in json.loads(answer)["message"]


def test_a_chunked_body_is_refused(connection: http.client.HTTPConnection) -> None:
    connection.request(
        "POST", INVOCATIONS, body=iter([csv_row().encode()]), headers=CSV_HEADERS,
        encode_chunked=True,
    )  # fmt: skip
    response = connection.getresponse()
    assert response.status == 411
    assert response.will_close
    assert "Content-Length" in json.loads(response.read())["message"]


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1, 2", b"+5"])
def test_a_malformed_content_length_is_refused(standin: RunningStandin, length: bytes) -> None:
    request = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\n" % length
    answer = raw_exchange(standin.port, request)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in head
    assert "Content-Length" in json.loads(body)["message"]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /ping HTTP/9.9\r\n\r\n", 505),
        (b"BREW /ping HTTP/1.1\r\nHost: x\r\n\r\n", 501),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    ],
)
def test_requests_the_stdlib_rejects_still_get_a_json_answer(
    standin: RunningStandin, request_bytes: bytes, status: int
) -> None:
    answer = raw_exchange(standin.port, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert f"Content-Length: {len(body)}".encode() in head
    assert set(json.loads(body)) == {"message"}


def test_the_request_log_has_one_line_per_request_and_no_input(
    standin: RunningStandin,
    connection: http.client.HTTPConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="standin")
    sentinel_json = json.dumps({"instances": [{"features": [float(SENTINEL)] * 29}]})
    exchange(connection, "POST", INVOCATIONS, bad_csv_row(), CSV_HEADERS)
    exchange(connection, "POST", ENDPOINT_PATH, bad_csv_row(), CSV_HEADERS)
    exchange(connection, "POST", INVOCATIONS, sentinel_json, {"Content-Type": "application/json"})
    exchange(connection, "GET", f"/score/{SENTINEL}?value={SENTINEL}")
    raw_exchange(standin.port, f"GARBAGE {SENTINEL}\r\n\r\n".encode())

    assert wait_for(lambda: len(caplog.records) >= 5)
    lines = [record.getMessage() for record in caplog.records]
    assert SENTINEL not in caplog.text
    assert any(line.startswith("POST /invocations 400 ") for line in lines)
    assert any(line.startswith(f"POST {ENDPOINT_PATH} 424 ") for line in lines)
    assert any(line.startswith("GET (other path) 404 ") for line in lines)
    assert all(line.endswith("ms") for line in lines if " 4" in line)


def test_requests_are_not_logged_unless_asked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="standin")
    with start_in_thread(make_artifact(), ENDPOINT_NAME) as quiet:
        connection = http.client.HTTPConnection("127.0.0.1", quiet.port, timeout=5)
        assert exchange(connection, "GET", "/ping")[0].status == 200
        connection.close()
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]


def test_stop_closes_the_listening_socket() -> None:
    running = start_in_thread(make_artifact(), ENDPOINT_NAME)
    port = running.port
    assert running.url == f"http://127.0.0.1:{port}"
    assert (running.host, running.endpoint_name) == ("127.0.0.1", ENDPOINT_NAME)
    running.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_serves_on_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        running = start_in_thread(make_artifact(), ENDPOINT_NAME, host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with running:
        assert running.url == f"http://[::1]:{running.port}"
        connection = http.client.HTTPConnection("::1", running.port, timeout=5)
        assert exchange(connection, "GET", "/ping")[0].status == 200
        connection.close()


def test_a_bug_answers_500_and_logs_neither_input_nor_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="standin")
    scorer = Mock(spec=LinearScorer)
    scorer.predict.side_effect = RuntimeError(f"cannot score {SENTINEL}")
    endpoint = Endpoint(ENDPOINT_NAME, "v1", scorer)
    with RunningStandin(make_server(endpoint, log_requests=True)) as running:
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=5)
        for path in (INVOCATIONS, ENDPOINT_PATH):
            response, body = exchange(connection, "POST", path, csv_row(SENTINEL), CSV_HEADERS)
            assert response.status == 500
            assert response.getheader("x-amzn-ErrorType", "").startswith("InternalFailure:")
            assert SENTINEL.encode() not in body
        connection.close()
    assert "RuntimeError while answering POST" in caplog.text
    assert SENTINEL not in caplog.text


PING_1_0 = b"GET /ping HTTP/1.0\r\n\r\n"
MANY_FIELDS = b"".join(b"X-Field-%d: %d\r\n" % (number, number) for number in range(100))
SENTINEL_BYTES = SENTINEL.encode()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /ping HTTP/1.1\r\nX: " + b"v" * 65536 + b"\r\n\r\n", 431),
        (b"GET /ping HTTP/1.1\r\n" + MANY_FIELDS + b"X-One-Too-Many: 1\r\n\r\n", 431),
        (b"GET /ping HTTP/1.1\r\nHost " + SENTINEL_BYTES + b"\r\n\r\n", 400),
        (b"GET /ping HTTP/1.1\r\nHost : " + SENTINEL_BYTES + b"\r\n\r\n", 400),
        (b"GET /ping HTTP/1.1\r\nHost: x\r\n " + SENTINEL_BYTES + b"\r\n\r\n", 400),
        (b"GET /ping\r\n\r\n", 400),  # HTTP/0.9
        (b"GET /ping HTTP/0.9\r\n\r\n", 505),
        (b"GET /ping HTTP/2.0\r\n\r\n", 505),
        (b"POST /invocations HTTP/1.1\r\nExpect: " + SENTINEL_BYTES + b"\r\n\r\n", 417),
        (
            b"POST /invocations HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n12",
            400,
        ),
    ],
)
def test_a_request_that_cannot_be_framed_gets_json_without_its_text_and_a_close(
    standin: RunningStandin, request_bytes: bytes, status: int
) -> None:
    answer = raw_exchange(standin.port, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"\r\nConnection: close" in head
    assert set(json.loads(body)) == {"message"}
    assert SENTINEL_BYTES not in answer


def test_a_head_cut_short_by_the_client_gets_400(standin: RunningStandin) -> None:
    with socket.create_connection(("127.0.0.1", standin.port), timeout=5) as raw:
        raw.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
        raw.shutdown(socket.SHUT_WR)
        head, body = read_answer(raw.makefile("rb"))
    assert head.startswith(b"HTTP/1.1 400 ")
    assert set(json.loads(body)) == {"message"}


def test_100_header_fields_are_read(standin: RunningStandin) -> None:
    with socket.create_connection(("127.0.0.1", standin.port), timeout=5) as raw:
        raw.sendall(b"GET /ping HTTP/1.1\r\n" + MANY_FIELDS + b"\r\n")
        head, _ = read_answer(raw.makefile("rb"))
    assert head.startswith(b"HTTP/1.1 200 ")


def test_http_1_0_closes_after_the_answer(standin: RunningStandin) -> None:
    answer = raw_exchange(standin.port, PING_1_0)  # returns once the server closes
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nConnection: close\r\n" in answer


def test_http_1_0_keep_alive_is_honoured_and_announced(standin: RunningStandin) -> None:
    with socket.create_connection(("127.0.0.1", standin.port), timeout=5) as raw:
        stream = raw.makefile("rb")
        for _ in range(2):
            raw.sendall(b"GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            head, _ = read_answer(stream)
            assert head.startswith(b"HTTP/1.1 200 ")
            assert b"\r\nConnection: keep-alive\r\n" in head
        raw.sendall(PING_1_0)
        assert read_answer(stream)[0].startswith(b"HTTP/1.1 200 ")
        assert stream.read() == b""  # and then the server closed


def test_expect_100_continue_is_answered_before_the_body_is_sent(standin: RunningStandin) -> None:
    body = csv_row().encode()
    with socket.create_connection(("127.0.0.1", standin.port), timeout=5) as raw:
        stream = raw.makefile("rb")
        raw.sendall(
            b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\n"
            b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        assert stream.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert stream.readline() == b"\r\n"
        raw.sendall(body)
        head, answer = read_answer(stream)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert json.loads(answer)["predictions"][0]["predicted_label"] == 1
        raw.sendall(b"GET /ping HTTP/1.1\r\nExpect: 100-continue\r\n\r\n")  # no body, no 100
        assert read_answer(stream)[0].startswith(b"HTTP/1.1 200 ")


def test_expect_100_continue_with_an_oversize_body_gets_413_at_once(
    standin: RunningStandin,
) -> None:
    with socket.create_connection(("127.0.0.1", standin.port), timeout=5) as raw:
        raw.sendall(
            b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % (MAX_PAYLOAD_BYTES + 1)
        )
        head, _ = read_answer(raw.makefile("rb"))
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"\r\nConnection: close\r\n" in head


def test_an_empty_line_after_a_body_does_not_break_keep_alive(standin: RunningStandin) -> None:
    body = csv_row().encode()
    post = b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n"
    with socket.create_connection(("127.0.0.1", standin.port), timeout=5) as raw:
        stream = raw.makefile("rb")
        raw.sendall(post % len(body) + body + b"\r\n")  # as some old clients do
        assert read_answer(stream)[0].startswith(b"HTTP/1.1 200 ")
        raw.sendall(b"GET /ping HTTP/1.1\r\n\r\n")
        assert read_answer(stream)[0].startswith(b"HTTP/1.1 200 ")


def test_each_answer_has_a_fresh_version_4_request_id_and_a_current_date(
    connection: http.client.HTTPConnection,
) -> None:
    request_ids = set()
    for _ in range(3):
        response, _ = exchange(connection, "POST", ENDPOINT_PATH, csv_row(), CSV_HEADERS)
        request_id = response.getheader("x-amzn-RequestId") or ""
        assert str(uuid.UUID(request_id)) == request_id
        assert uuid.UUID(request_id).version == 4
        assert uuid.UUID(request_id).variant == uuid.RFC_4122
        request_ids.add(request_id)
        sent = email.utils.parsedate_to_datetime(response.getheader("Date") or "")
        assert abs((datetime.now(UTC) - sent).total_seconds()) < 5
    assert len(request_ids) == 3
