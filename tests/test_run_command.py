"""The README's run command, as a user runs it: real processes, real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest

from tests.rows import EXAMPLE_ROW, body_for

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The stall this guards against is 40 ms (Nagle + delayed ACK); a correct server takes ~1 ms.
STALL_MS = 30.0


class RunningStack(NamedTuple):
    process: subprocess.Popen[str]
    api: tuple[str, int]
    standin: tuple[str, int]
    output: list[str]


class LineReader:
    """Reads a child's stdout on a thread; a selector on a buffered text pipe can miss lines."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._thread = threading.Thread(
            target=lambda: [self.lines.put(line) for line in process.stdout or ()], daemon=True
        )
        self._thread.start()

    def until(self, prefix: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting {prefix!r}; output so far: {self.seen}")


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[RunningStack]:
    """`python -m devserver` with no model yet: it must train one, then serve."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for variable in ("ENDPOINT_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        environment.pop(variable)  # the stage config and the run command provide them
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devserver",
            "--port",
            "0",
            "--standin-port",
            "0",
            "--model",
            str(tmp_path / "fresh" / "model.json"),
        ],
        cwd=PROJECT_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    reader = LineReader(process)
    output = reader.seen
    try:
        standin_line = reader.until("devserver: standin: serving")
        api_line = reader.until("devserver: API on")
        reader.until("  curl")
        yield RunningStack(
            process,
            _address(api_line.split()[3]),
            _address(standin_line.rsplit(" on ", 1)[-1].strip()),
            output,
        )
    finally:
        if process.poll() is None:
            process.kill()  # the harshest stop: the stand-in must still go (stdin watch)
        process.wait()
        assert process.stdout is not None
        process.stdout.close()


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


def test_the_run_command_trains_serves_and_stops_cleanly(stack: RunningStack) -> None:
    assert any("training one" in line for line in stack.output)
    assert any("curl -s -X POST" in line for line in stack.output)

    connection = http.client.HTTPConnection(*stack.api, timeout=10)
    status, body, _ = _post(connection, "application/json")
    assert status == 200
    document = json.loads(body)
    assert (document["prediction"], document["diagnosis"]) == ("B", "benign")
    assert document["model"]["name"] == "wdbc-local"
    assert _post(connection, "text/plain")[:2] == (200, b"B")
    connection.close()

    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=15) == 0
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
    timings = [_post(connection, "application/json")[2] for _ in range(5)]
    assert all(took < STALL_MS for took in timings), timings
    sock = connection.sock
    _post(connection, "application/json")
    assert connection.sock is sock  # one connection throughout: keep-alive, not reconnects
    connection.close()
