"""Run the SageMaker Runtime stand-in as a child process and know when it is listening."""

from __future__ import annotations

import selectors
import subprocess
import sys
from pathlib import Path

READY_PREFIX = "standin: serving"
EXPLAINED_EXIT_CODES = (1, 2)  # the stand-in has printed its one line on stderr


class StandinFailedToStart(RuntimeError):
    pass


class StandinProcess:
    def __init__(self, model: Path, endpoint_name: str, host: str, port: int) -> None:
        where = ["--endpoint-name", endpoint_name, "--host", host, "--port", str(port)]
        self._command = [sys.executable, "-m", "standin", "--model", str(model), *where]
        self._command.append("--stop-with-stdin")
        self._process: subprocess.Popen[str] | None = None
        self.ready_line = ""

    def start(self, timeout_seconds: float = 30.0) -> None:
        # The stand-in watches its stdin: if this process dies, even by SIGKILL, the pipe
        # closes and the stand-in stops with it.
        process = self._process = subprocess.Popen(
            self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        assert process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            line = process.stdout.readline() if selector.select(timeout_seconds) else ""
        if not line.startswith(READY_PREFIX):
            self.stop()
            code = process.poll()
            explained = code in EXPLAINED_EXIT_CODES
            raise StandinFailedToStart("" if explained else f"the stand-in did not start ({code})")
        self.ready_line = line.strip()

    def stop(self, timeout_seconds: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            assert process.stdin is not None
            process.stdin.close()
            process.terminate()
            try:
                process.wait(timeout_seconds)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
