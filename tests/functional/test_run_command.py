"""The run command (docs/local.md), as a user runs it: real processes, real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devserver.__main__ import main as devserver_main
from tests.support.local_stack import (
    LOCAL_MODEL,
    PROJECT_DIR,
    LineReader,
    RunningStack,
    running_stack,
)
from tests.support.rows import EXAMPLE_ROW, body_for

# The stall this guards against is 40 ms on every request (Nagle + delayed ACK); a correct server
# takes about 1 ms. The median of ten keeps a loaded machine's odd slow request from failing it.
STALL_MS = 40.0


@pytest.fixture
def stack() -> Iterator[RunningStack]:
    """`python -m devserver` as `make run` starts it: the committed model, no training."""
    with running_stack() as running:
        yield running


def _post(connection: http.client.HTTPConnection, accept: str) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    connection.request(
        "POST",
        "/predictbreastcancer",
        body=body_for(EXAMPLE_ROW),
        headers={"Content-Type": "application/json", "Accept": accept},
    )
    response = connection.getresponse()
    body = response.read()
    return response.status, body, (time.perf_counter() - started) * 1000.0


def test_the_run_command_serves_one_version_and_stops_cleanly(stack: RunningStack) -> None:
    assert not any("train" in line for line in stack.output)
    assert any("curl -s -X POST" in line for line in stack.output)
    served_version = local_model_version()
    assert any(f"(model {served_version})" in line for line in stack.output)

    connection = http.client.HTTPConnection(*stack.api, timeout=10)
    status, body, _ = _post(connection, "application/json")
    assert status == 200
    document = json.loads(body)
    assert (document["prediction"], document["diagnosis"]) == ("B", "benign")
    assert document["model"] == {"name": "wdbc-local", "version": served_version}
    connection.request("GET", "/health")
    assert json.loads(connection.getresponse().read())["model_version"] == served_version
    connection.request("GET", "/model")
    assert json.loads(connection.getresponse().read())["version"] == served_version
    assert _post(connection, "text/plain")[:2] == (200, b"B")
    connection.close()

    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=15) == 0
    for address in (stack.api, stack.standin):
        with pytest.raises(ConnectionRefusedError), socket.create_connection(address, 1):
            pass


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_answers_the_request_in_flight_and_exits_cleanly(
    stack: RunningStack, stop: signal.Signals
) -> None:
    """A request whose body is still coming when the signal arrives gets the API's 503."""
    with socket.create_connection(stack.api, timeout=60) as connection:
        connection.sendall(
            b"POST /predictbreastcancer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            b"\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"
        )
        assert connection.recv(100).startswith(b"HTTP/1.1 100 ")  # the app is reading the body
        stack.process.send_signal(stop)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 503 ")
    error = json.loads(body)["error"]
    assert error["code"] == "shutting_down"
    assert f"x-request-id: {error['request_id']}".encode() in head.lower()
    assert stack.process.wait(timeout=30) == 0
    logged = json.loads(stack.log.holding(error["request_id"]))
    assert (logged["status"], logged["error_code"]) == (503, "shutting_down")
    assert not [line for line in stack.output if "Traceback" in line or "ERROR" in line]
    for address in (stack.api, stack.standin):
        with pytest.raises(ConnectionRefusedError), socket.create_connection(address, 1):
            pass


def test_a_killed_run_command_leaves_no_stand_in_behind(stack: RunningStack) -> None:
    stack.process.kill()
    stack.process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(stack.standin, 1).close()
        except ConnectionRefusedError:
            return
        time.sleep(0.1)
    raise AssertionError("the stand-in outlived the run command")


def test_keep_alive_requests_do_not_stall(stack: RunningStack) -> None:
    connection = http.client.HTTPConnection(*stack.api, timeout=10)
    _post(connection, "application/json")  # first request: the app builds its boto3 client
    timings = [_post(connection, "application/json")[2] for _ in range(10)]
    assert statistics.median(timings) < STALL_MS, timings
    sock = connection.sock
    _post(connection, "application/json")
    assert connection.sock is sock  # one connection throughout: keep-alive, not reconnects
    connection.close()


def test_make_run_takes_the_ports_and_the_model() -> None:
    """`make run PORT=... STANDIN_PORT=... MODEL=...`, as docs/local.md has it."""
    api_port, standin_port = _free_port(), _free_port()
    environment = {k: v for k, v in os.environ.items() if k not in ("ENDPOINT_NAME", "MAKEFLAGS")}
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={api_port}",
         f"STANDIN_PORT={standin_port}", "MODEL=wdbc"],
        cwd=PROJECT_DIR, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    reader = LineReader(process)
    try:
        standin = reader.until("devserver: standin: serving endpoint wdbc-local")
        assert standin.rstrip().endswith(f" on http://127.0.0.1:{standin_port}")
        assert reader.until("devserver: API on ").split()[3] == f"http://127.0.0.1:{api_port}"
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal: make and the server
        reader.until("devserver: stopping")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert process.stdout is not None
        process.stdout.close()


def test_a_model_without_a_card_is_served_without_one(tmp_path: Path) -> None:
    """`make run MODEL=NAME` for a model of one's own, which has no card yet (docs/own-model.md):
    the stage's card (WDBC's) is not the model's, so the API serves none."""
    for part in ("app.py", ".chalice", "chalicelib", "devserver", "standin", "models/wine"):
        source, copy = PROJECT_DIR / part, tmp_path / part
        if source.is_dir():
            shutil.copytree(source, copy, symlinks=True, ignore=shutil.ignore_patterns("__py*"))
        else:
            shutil.copy(source, copy)
    (tmp_path / "chalicelib" / "model_cards" / "wine.json").unlink()
    with running_stack("wine", project_dir=tmp_path) as stack:
        connection = http.client.HTTPConnection(*stack.api, timeout=30)
        connection.request("GET", "/health")
        health = json.loads(connection.getresponse().read())
        connection.request("GET", "/model")
        model = json.loads(connection.getresponse().read())
        connection.close()
    assert (health["endpoint"], health["model_version"]) == ("wine-local", None)
    assert (model["name"], model["card"]) == ("wine", None)


@pytest.mark.parametrize("flag", ["--port", "--standin-port"])
def test_a_port_out_of_range_is_a_usage_error(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        devserver_main([flag, "65536"])
    assert raised.value.code == 2
    assert f"{flag}: must be an integer from 0 to 65535" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def local_model_version() -> str:
    version: str = json.loads(LOCAL_MODEL.read_text(encoding="utf-8"))["version"]
    return version
