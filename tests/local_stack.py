"""The run command as a user runs it: `python -m devserver` on free ports of 127.0.0.1.

Shared by the tests of the run command itself and by those that need the whole stack (the
Chalice app behind Chalice's local gateway, in front of the SageMaker stand-in) over real HTTP.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
LOCAL_MODEL = PROJECT_DIR / "models" / "wdbc" / "model.json"


class RunningStack(NamedTuple):
    process: subprocess.Popen[str]
    api: tuple[str, int]
    standin: tuple[str, int]
    output: list[str]

    @property
    def api_url(self) -> str:
        return f"http://{self.api[0]}:{self.api[1]}"


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


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


@contextmanager
def running_stack(model: str = "wdbc") -> Iterator[RunningStack]:
    """`python -m devserver --model NAME`, by default the shipped default."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for variable in ("ENDPOINT_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        environment.pop(variable, None)  # the stage config and the run command provide them
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
            model,
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
            address(api_line.split()[3]),
            address(standin_line.rsplit(" on ", 1)[-1].strip()),
            output,
        )
    finally:
        if process.poll() is None:
            process.kill()  # the harshest stop: the stand-in must still go (stdin watch)
        process.wait()
        assert process.stdout is not None
        process.stdout.close()
