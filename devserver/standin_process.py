"""Run the SageMaker Runtime stand-in as a child process and know when it is listening."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import IO

READY_PREFIX = "standin: serving"


class StandinFailedToStart(RuntimeError):
    pass


class StandinProcess:
    def __init__(self, model: Path, endpoint_name: str, host: str, port: int) -> None:
        self._command = [
            sys.executable,
            "-m",
            "standin",
            "--model",
            str(model),
            "--endpoint-name",
            endpoint_name,
            "--host",
            host,
            "--port",
            str(port),
            "--stop-with-stdin",
        ]
        self._process: subprocess.Popen[str] | None = None
        self.ready_line = ""

    def start(self, timeout_seconds: float = 30.0) -> None:
        # The stand-in watches its stdin: if this process dies, even by SIGKILL, the pipe
        # closes and the stand-in stops with it.
        self._process = subprocess.Popen(
            self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        line = _first_line(self._process.stdout, timeout_seconds)
        if not line.startswith(READY_PREFIX):
            code = self._process.poll()
            self.stop()
            raise StandinFailedToStart(f"the stand-in did not start (exit code {code})")
        self.ready_line = line.strip()

    def stop(self, timeout_seconds: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        if process.stdin is not None:
            process.stdin.close()
        process.terminate()
        try:
            process.wait(timeout_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _first_line(stream: IO[str] | None, timeout_seconds: float) -> str:
    if stream is None:
        return ""
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout_seconds):
            return ""
    return stream.readline()
