"""The run command as a user runs it: `python -m devserver` on free ports of 127.0.0.1.

Shared by the tests of the run command itself and by those that need the whole stack (the
Chalice app behind Chalice's local gateway, in front of the SageMaker stand-in) over real HTTP.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parents[2]
LOCAL_MODEL = PROJECT_DIR / "models" / "wdbc" / "model.json"


class LineReader:
    """Reads a child's output on a thread, every line into `seen` as it comes (a selector on a
    buffered text pipe can miss lines)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.seen: list[str] = []
        self._arrived = threading.Condition()
        self._next = 0  # where `until` looks next
        threading.Thread(target=self._read, args=(process.stdout,), daemon=True).start()

    def _read(self, lines: Iterable[str]) -> None:
        for line in lines:
            with self._arrived:
                self.seen.append(line)
                self._arrived.notify_all()

    def until(self, prefix: str, timeout: float = 60.0) -> str:
        """The next line, after the last one this returned, that starts with `prefix`."""
        index = self._wait(lambda line: line.startswith(prefix), self._next, timeout, prefix)
        self._next = index + 1
        return self.seen[index]

    def holding(self, text: str, timeout: float = 60.0) -> str:
        """The line holding `text` (a request's access-log line, by its request id): once it is
        here, so is every line the server wrote before it."""
        return self.seen[self._wait(lambda line: text in line, 0, timeout, text)]

    def _wait(self, wanted: Callable[[str], bool], start: int, timeout: float, what: str) -> int:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = next(
                    (i for i in range(start, len(self.seen)) if wanted(self.seen[i])), None
                )
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or not self._arrived.wait(left):
                    raise AssertionError(f"no line with {what!r}; output so far: {self.seen}")


class RunningStack(NamedTuple):
    process: subprocess.Popen[str]
    api: tuple[str, int]
    standin: tuple[str, int]
    log: LineReader  # stdout and stderr, every line

    @property
    def api_url(self) -> str:
        return f"http://{self.api[0]}:{self.api[1]}"

    @property
    def output(self) -> list[str]:
        return self.log.seen


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


@contextmanager
def running_stack(model: str = "wdbc", project_dir: Path = PROJECT_DIR) -> Iterator[RunningStack]:
    """`python -m devserver --model NAME`, by default the shipped default, in the project."""
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
        cwd=project_dir,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # a traceback or a warning is read as any other line
        text=True,
    )
    reader = LineReader(process)
    try:
        standin_line = reader.until("devserver: standin: serving")
        api_line = reader.until("devserver: API on")
        reader.until("  curl")
        yield RunningStack(
            process,
            address(api_line.split()[3]),
            address(standin_line.rsplit(" on ", 1)[-1].strip()),
            reader,
        )
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # Ctrl-C, as a user stops it: it exits cleanly
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()  # the harshest stop: the stand-in must still go (stdin watch)
        process.wait()
        assert process.stdout is not None
        process.stdout.close()
