"""`python -m standin`: serve a model artifact as a local SageMaker Runtime endpoint."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

from standin.errors import ConfigError
from standin.running import serve
from training.artifact import ArtifactError, load_artifact

EXIT_OK, EXIT_FAILURE, EXIT_BAD_CONFIG = 0, 1, 2


class _StopRequested(BaseException):
    """Raised by the SIGINT/SIGTERM handler to unwind serve_forever in the main thread.

    Not an Exception, as KeyboardInterrupt is not: the signal can land while the main thread
    starts a connection's thread, inside socketserver's `except Exception`, which would log it
    and serve on.
    """


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        artifact = load_artifact(arguments.model)
    except ArtifactError as error:
        return _fail(EXIT_BAD_CONFIG, f"cannot load the model: {error}")
    if arguments.log_requests:
        _send_request_log_to_stderr()

    def announce(url: str) -> None:
        line = f"standin: serving endpoint {arguments.endpoint_name} (model {artifact.version})"
        print(f"{line} on {url}", flush=True)  # noqa: T201 - the launcher waits for this line

    try:
        with _stop_on_signals():
            if arguments.stop_with_stdin:
                _stop_when_stdin_closes()
            serve(
                artifact,
                arguments.endpoint_name,
                arguments.host,
                arguments.port,
                variant=arguments.variant,
                log_requests=arguments.log_requests,
                on_listening=announce,
            )
    except _StopRequested:
        return EXIT_OK
    except ConfigError as error:
        return _fail(EXIT_BAD_CONFIG, str(error))
    except OSError as error:
        return _fail(EXIT_FAILURE, f"cannot listen on {arguments.host}:{arguments.port}: {error}")
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m standin", description="A local stand-in for SageMaker Runtime."
    )
    parser.add_argument("--model", type=Path, default=Path("models/wdbc-local/model.json"))
    parser.add_argument("--endpoint-name", default="wdbc-local")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=_port, default=8080, help="0 picks a free port")
    parser.add_argument("--variant", help="production variant name (default: the model version)")
    parser.add_argument(
        "--log-requests",
        action="store_true",
        help="log method, path, status and latency per request to stderr (never bodies)",
    )
    parser.add_argument(
        "--stop-with-stdin",
        action="store_true",
        help="stop when standard input closes: a launcher that dies, even by SIGKILL, "
        "takes the stand-in with it",
    )
    return parser


def _stop_when_stdin_closes() -> None:
    def watch() -> None:
        for _ in sys.stdin:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) <= 65535):
        raise argparse.ArgumentTypeError("must be an integer from 0 to 65535")
    return int(text)


def _send_request_log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s standin %(message)s"))
    request_log = logging.getLogger("standin.requests")
    request_log.addHandler(handler)
    request_log.setLevel(logging.INFO)


def _fail(exit_code: int, message: str) -> int:
    print(f"standin: {message}", file=sys.stderr)  # noqa: T201 - the one line a user reads
    return exit_code


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM end serving with exit code 0; the previous handlers come back after."""
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, _request_stop) for number in stop_signals}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _request_stop(signal_number: int, frame: FrameType | None) -> None:
    raise _StopRequested
