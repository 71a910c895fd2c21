"""Hostile HTTP against both local servers, with raw sockets on 127.0.0.1.

The API is `python -m devserver` as `make run` starts it; the stand-in runs in this process, so
that every log record it writes can be searched. Each case gets an answer or a clean close
within a minute, and no answer or log line repeats anything the request held.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from standin import RunningStandin, start_in_thread
from standin.model import load_model
from tests.support.apps import ENDPOINT_NAME
from tests.support.local_stack import PROJECT_DIR, RunningStack, running_stack
from tests.support.log_capture import Records, all_records
from tests.support.rows import EXAMPLE_ROW, body_for

SECRET = "SECRET4242"  # must appear in no answer and no log line
HOST = "Host: 127.0.0.1\r\n"
POST_TARGET = {"api": "/predictbreastcancer", "standin": f"/endpoints/{ENDPOINT_NAME}/invocations"}
GET_TARGET = {"api": "/health", "standin": "/ping"}
IDLE_LIMIT = 10  # seconds a connection may hold without a whole request head
STATUS_LINE = re.compile(rb"HTTP/1\.1 ([0-9]{3}) ")
REQUEST_ID = re.compile(rb"(?i)x-request-id: ([0-9a-f-]+)")
CLOSE = "Connection: close\r\n"


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    with running_stack() as running:
        yield running


@pytest.fixture(scope="module")
def standin(local_model_file: Path) -> Iterator[RunningStandin]:
    with start_in_thread(load_model(local_model_file), ENDPOINT_NAME) as running:
        yield running


@pytest.fixture
def records() -> Iterator[Records]:
    with all_records() as handler:
        yield handler


@pytest.fixture(params=["api", "standin"])
def server(request: pytest.FixtureRequest) -> str:
    if request.param == "standin":
        request.getfixturevalue("records")  # listening before the request is sent
    return str(request.param)


def address(server: str, request: pytest.FixtureRequest) -> tuple[str, int]:
    if server == "api":
        api: tuple[str, int] = request.getfixturevalue("stack").api
        return api
    running: RunningStandin = request.getfixturevalue("standin")
    return "127.0.0.1", running.port


def exchange(
    where: tuple[str, int], raw: str, seconds: float = 60.0, *, half_close: bool = False
) -> tuple[bytes, float]:
    """Send `raw` (then, half-closing, end the sending side), read until the server closes (or
    `seconds` pass): the bytes and the time."""
    started = time.monotonic()
    with socket.create_connection(where, timeout=seconds) as connection:
        connection.sendall(raw.encode("latin-1"))
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received, time.monotonic() - started


def statuses(received: bytes) -> list[int]:
    return [int(code) for code in STATUS_LINE.findall(received)]


def request_id(received: bytes) -> str | None:
    found = REQUEST_ID.search(received)
    return found[1].decode() if found else None


def read_log_so_far(stack: RunningStack, received: bytes) -> list[str]:
    """The API's output up to the request's own access-log line, proven read: the line with the
    answer's request id; for a close without an answer, a later request's."""
    rid = request_id(received)
    if rid is None:
        rid = request_id(exchange(stack.api, f"GET /health HTTP/1.1\r\n{HOST}{CLOSE}\r\n")[0])
    assert rid is not None
    stack.log.holding(rid)
    return list(stack.output)


def standin_records_so_far(request: pytest.FixtureRequest) -> list[str]:
    """The stand-in's log records up to a later request's line: it logs each request after its
    answer, in order, so once that line is here the request's own is too."""
    records: Records = request.getfixturevalue("records")
    exchange(address("standin", request), f"GET /ping HTTP/1.1\r\n{HOST}{CLOSE}\r\n")
    deadline = time.monotonic() + 10
    while not records.holding("GET /ping 200") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert records.holding("standin.requests INFO GET /ping 200")
    return list(records.texts)


def assert_nothing_echoed(received: bytes, request: pytest.FixtureRequest, server: str) -> None:
    assert SECRET.encode() not in received.upper()
    if server == "api":
        lines = read_log_so_far(request.getfixturevalue("stack"), received)
    else:
        lines = standin_records_so_far(request)
    assert not [line for line in lines if SECRET in line.upper()]


FRAMING_CASES = {
    "Content-Length not a number": (f"Content-Length: 12{SECRET}\r\n\r\n", {400}),
    "two different Content-Lengths": ("Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", {400}),
    "a Content-Length of 5000 digits": (f"Content-Length: {'9' * 5000}\r\n\r\n", {400, 413}),
    "Transfer-Encoding and a short Content-Length": (
        "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
        {400},
    ),
    "an unknown transfer coding": ("Transfer-Encoding: gzip\r\n\r\n", {400, 501}),
    "NUL in a header value": (f"X-Note: a\x00{SECRET}\r\n\r\n", {400}),
    "a bare CR in a header value": (f"X-Note: a\r{SECRET}\r\n\r\n", {400}),
    "a header name that is not a token": (f"X(Note{SECRET}: b\r\n\r\n", {400}),
    "a header block of 300 kB": (f"X-Note: {SECRET * 30000}\r\n\r\n", {400, 431}),
}


@pytest.mark.parametrize("case", list(FRAMING_CASES))
def test_malformed_framing_is_refused_and_closed(
    case: str, server: str, request: pytest.FixtureRequest
) -> None:
    headers, expected = FRAMING_CASES[case]
    raw = f"POST {POST_TARGET[server]} HTTP/1.1\r\n{HOST}{headers}"
    received, seconds = exchange(address(server, request), raw)
    assert len(statuses(received)) == 1, received[:200]  # the rest is never read as a request
    assert statuses(received)[0] in expected
    assert seconds < 60
    assert_nothing_echoed(received, request, server)


def test_a_request_hidden_in_a_chunked_body_never_runs(
    server: str, request: pytest.FixtureRequest
) -> None:
    hidden = f"GET /{SECRET} HTTP/1.1\r\n{HOST}\r\n"
    raw = (
        f"POST {POST_TARGET[server]} HTTP/1.1\r\n{HOST}Content-Type: text/csv\r\n"
        f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        f"{len(hidden):x}\r\n{hidden}\r\n0\r\n\r\n"
    )
    received, _ = exchange(address(server, request), raw)
    # The hidden text is the body, judged as one bad row: one 4xx answer, nothing else.
    assert len(statuses(received)) == 1
    assert 400 <= statuses(received)[0] < 500
    assert_nothing_echoed(received, request, server)


def test_head_answers_carry_no_body(server: str, request: pytest.FixtureRequest) -> None:
    target = "/health" if server == "api" else "/ping"
    raw = f"HEAD {target} HTTP/1.1\r\n{HOST}\r\n"
    raw += f"GET {target} HTTP/1.1\r\n{HOST}Connection: close\r\n\r\n"
    received, _ = exchange(address(server, request), raw)
    get_answer = received.partition(b"\r\n\r\n")[2]
    assert len(statuses(received)) == 2
    assert get_answer.startswith(b"HTTP/1.1 200 "), "the HEAD answer's body came first"


def test_an_unknown_method_is_answered_in_json(server: str, request: pytest.FixtureRequest) -> None:
    raw = f"BREW{SECRET} {POST_TARGET[server]} HTTP/1.1\r\n{HOST}Connection: close\r\n\r\n"
    received, _ = exchange(address(server, request), raw)
    assert statuses(received) == [405]
    document = json.loads(received.partition(b"\r\n\r\n")[2])
    if server == "api":
        assert document["error"]["code"] == "method_not_allowed"
    else:
        assert b"x-amzn-ErrorType: UnknownOperationException:" in received
    assert_nothing_echoed(received, request, server)


def test_a_body_shorter_than_its_length_is_closed_within_a_minute(
    server: str, request: pytest.FixtureRequest
) -> None:
    raw = f"POST {POST_TARGET[server]} HTTP/1.1\r\n{HOST}Content-Length: 100\r\n\r\n{SECRET}"
    received, seconds = exchange(address(server, request), raw)
    assert statuses(received) in ([], [408])
    assert seconds < 60
    if server == "api":
        assert_api_refusal(received, request.getfixturevalue("stack"), 408, "body_timeout")
    assert_nothing_echoed(received, request, server)


def assert_api_refusal(received: bytes, stack: RunningStack, status: int, code: str) -> None:
    """One answer in the API's error shape with its code and request id, logged with the code."""
    assert statuses(received) == [status], received[:200]
    head, _, body = received.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower()
    error = json.loads(body)["error"]
    rid = request_id(received)
    assert (error["code"], error["request_id"]) == (code, rid)
    assert error["message"]
    logged = json.loads(stack.log.holding(str(rid)))
    assert (logged["status"], logged["error_code"]) == (status, code)


POST_API = f"POST /predictbreastcancer HTTP/1.1\r\n{HOST}Content-Type: application/json\r\n"
API_REFUSALS = {  # a request, the status and code the dev server answers it with itself
    "two Content-Type lines": (
        f"{POST_API}Content-Type: text/csv\r\nContent-Length: 2\r\n\r\n{{}}",
        400, "repeated_header",
    ),
    "Content-Length with Transfer-Encoding": (
        f"{POST_API}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400, "ambiguous_framing",
    ),
    "a Content-Length over 1 MiB and no body": (
        f"{POST_API}Content-Length: 99999999999\r\n\r\n", 413, "payload_too_large",
    ),
    "a Content-Length over 1 MiB awaiting 100 Continue": (
        f"{POST_API}Expect: 100-continue\r\nContent-Length: 2000000\r\n\r\n",
        413, "payload_too_large",
    ),
    # Refused by h11, which the API's gateway app is asked to answer (HardenedH11Protocol)
    "two different Content-Lengths": (
        f"{POST_API}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{{}}", 400, "bad_request",
    ),
    "a Content-Length not a number": (
        f"{POST_API}Content-Length: 2{SECRET}\r\n\r\n{{}}", 400, "bad_request",
    ),
    "a request line that is not one": (f"{SECRET} / HTTP/1.1 x\r\n{HOST}\r\n", 400, "bad_request"),
    "a header name that is not a token": (
        f"GET /health HTTP/1.1\r\n{HOST}X(Note{SECRET}: b\r\n\r\n", 400, "bad_request",
    ),
    "a header block of 200 kB": (
        f"GET /health HTTP/1.1\r\n{HOST}X-Note: {SECRET * 20000}\r\n\r\n",
        431, "header_too_large",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(API_REFUSALS))
def test_the_dev_servers_own_refusals_are_in_the_apis_shape(case: str, stack: RunningStack) -> None:
    """Answered before the body is read (no 100 Continue, no wait), with a code, then closed."""
    raw, status, code = API_REFUSALS[case]
    received, _ = exchange(stack.api, raw)
    assert_api_refusal(received, stack, status, code)
    assert SECRET.encode() not in received.upper()


def seconds_until_closed(
    where: tuple[str, int], sent: str, then: str, trickle: bool
) -> tuple[bytes, float]:
    """Send `sent`, and `then` once an answer has come (trickling: a byte every half second):
    what comes back until the server closes, and after how many seconds."""
    started, received = time.monotonic(), b""
    with socket.create_connection(where, timeout=0.5) as connection:
        connection.sendall(sent.encode())
        while time.monotonic() - started < 60:
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                if trickle:
                    with contextlib.suppress(OSError):  # closed meanwhile: the next recv says so
                        connection.sendall(b"a")
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            if not received:
                connection.sendall(then.encode())
            received += chunk
    return received, time.monotonic() - started


GET = "GET {target} HTTP/1.1\r\nHost: x\r\n"
IDLE_CASES = {  # sent, sent once answered, a byte every half second, the answers due
    "nothing": ("", "", False, []),
    "half a request line": ("GET /pi", "", False, []),
    "a head without its end": (GET + "X-Note: a", "", False, []),
    "a head a byte every half second": (GET + "X-Note: ", "", True, []),
    "an answered request, then half a head": (GET + "\r\n", "GET /pi", False, [200]),
}


@pytest.mark.parametrize("case", list(IDLE_CASES))
def test_a_connection_without_a_whole_head_is_closed_within_10_seconds(
    case: str, server: str, request: pytest.FixtureRequest
) -> None:
    sent, then, trickle, answers = IDLE_CASES[case]
    sent = sent.format(target=GET_TARGET[server])
    received, seconds = seconds_until_closed(address(server, request), sent, then, trickle)
    assert seconds < IDLE_LIMIT
    assert statuses(received) == answers


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_request_then_a_half_close_is_answered(
    method: str, server: str, request: pytest.FixtureRequest
) -> None:
    """As `nc -N` and some proxies send: the request, then the end of the sending side."""
    raw = f"GET {GET_TARGET[server]} HTTP/1.1\r\n{HOST}\r\n"
    if method == "POST":
        body, content_type = valid_body(server)
        raw = (
            f"POST {POST_TARGET[server]} HTTP/1.1\r\n{HOST}Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}"
        )
    received, _ = exchange(address(server, request), raw, half_close=True)
    assert statuses(received) == [200]


def test_two_content_type_lines_are_refused(server: str, request: pytest.FixtureRequest) -> None:
    """Content-Type takes one value: sent twice, it is a bad request, not the last line's."""
    body, content_type = valid_body(server)
    raw = (
        f"POST {POST_TARGET[server]} HTTP/1.1\r\n{HOST}Content-Type: {content_type}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n{body}"
    )
    received, _ = exchange(address(server, request), raw)
    assert statuses(received) == [400]
    assert b"Content-Type header was sent more than once" in received


@pytest.mark.parametrize(
    "encoding",
    [
        "Content-Encoding: gzip, identity\r\n",
        "Content-Encoding: gzip\r\nContent-Encoding: identity\r\n",
    ],
)
def test_lines_of_one_field_are_one_list(encoding: str, stack: RunningStack) -> None:
    body = body_for(EXAMPLE_ROW).decode()
    raw = (
        f"POST /predictbreastcancer HTTP/1.1\r\n{HOST}{CLOSE}Content-Type: application/json\r\n"
        f"{encoding}Content-Length: {len(body)}\r\n\r\n{body}"
    )
    received, _ = exchange(stack.api, raw)
    assert statuses(received) == [415]


@pytest.mark.parametrize(
    ("method", "target", "route"),
    [
        ("GET", "/health", "/health"),  # the app's own answer, for the count
        ("OPTIONS", "/health", "/health"),  # Chalice's local gateway answers these itself
        ("OPTIONS", "/model", "/model"),
        ("OPTIONS", "/", "/"),
        ("GET", f"/{SECRET}", "other"),  # 404, the API's not_found
    ],
)
def test_every_api_answer_has_a_request_id_and_one_log_line(
    method: str, target: str, route: str, stack: RunningStack
) -> None:
    received, _ = exchange(stack.api, f"{method} {target} HTTP/1.1\r\n{HOST}{CLOSE}\r\n")
    rid = request_id(received)
    assert rid is not None
    [line] = [line for line in read_log_so_far(stack, received) if rid in line]
    logged = json.loads(line)
    assert (logged["method"], logged["route"]) == (method, route)
    assert logged["status"] == statuses(received)[0]
    assert SECRET not in line.upper()


@pytest.mark.parametrize(
    "target", [f"/{SECRET}", f"/v2/models/{SECRET}/infer", f"/predictbreastcancer/{SECRET}"]
)
def test_an_unknown_path_gets_the_apis_404_in_its_own_shape(
    target: str, stack: RunningStack
) -> None:
    received, _ = exchange(stack.api, f"POST {target} HTTP/1.1\r\n{HOST}{CLOSE}\r\n")
    assert statuses(received) == [404]
    error = json.loads(received.partition(b"\r\n\r\n")[2])["error"]
    assert error == {
        "code": "not_found",
        "message": "the API has no such path; GET /openapi.json lists its paths and their methods",
        "request_id": request_id(received),
    }
    logged = json.loads(stack.log.holding(error["request_id"]))
    assert (logged["status"], logged["error_code"], logged["route"]) == (404, "not_found", "other")
    assert SECRET.encode() not in received.upper()


def valid_body(server: str) -> tuple[str, str]:
    if server == "api":
        return body_for(EXAMPLE_ROW).decode(), "application/json"
    return EXAMPLE_ROW, "text/csv"


def test_a_crowd_of_256_clients_at_once_gets_every_answer(
    server: str, request: pytest.FixtureRequest
) -> None:
    where = address(server, request)
    body, content_type = valid_body(server)
    one = (
        f"POST {POST_TARGET[server]} HTTP/1.1\r\n{HOST}Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    )
    start = threading.Barrier(256)
    answers: list[list[int]] = []

    def client() -> None:
        start.wait()
        try:
            received, _ = exchange(
                where, one + one.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1)
            )
            answers.append(statuses(received))
        except OSError as error:
            answers.append([type(error).__name__])  # type: ignore[list-item]

    threads = [threading.Thread(target=client) for _ in range(256)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert answers.count([200, 200]) == 256, [a for a in answers if a != [200, 200]][:5]


@pytest.mark.parametrize("which", ["API", "stand-in"])
def test_a_port_in_use_is_named_with_the_flag_to_change_and_exit_1(which: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = ["--port", str(port), "--standin-port", "0"]
        if which == "stand-in":
            ports = ["--port", "0", "--standin-port", str(port)]
        finished = subprocess.run(
            [sys.executable, "-m", "devserver", *ports],
            cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert finished.returncode == 1
    if which == "API":
        [line] = finished.stderr.splitlines()
        assert line == (
            f"devserver: cannot listen on 127.0.0.1:{port}: Address already in use; choose "
            "another port: --port N (make run PORT=N; 0 picks a free one)"
        )
    else:  # the stand-in says what failed, the dev server which of its flags to change
        assert finished.stderr.splitlines() == [
            f"standin: cannot listen on 127.0.0.1:{port}: Address already in use",
            "devserver: choose the stand-in's port: --standin-port N (make run STANDIN_PORT=N; "
            "0 picks a free one)",
        ]
