"""`python -m standin`: serve a model folder (models/NAME) as a local SageMaker Runtime endpoint."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path

from standin import start_in_thread
from standin.model import ModelFileError, load_model
from standin.serving import port_number, stop_on_signals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m standin", description=__doc__)
    parser.add_argument(
        "--model", type=Path, default=Path("models/wdbc"),
        help="a model folder holding model.json (linear) or xgboost-model.json (XGBoost)",
    )  # fmt: skip
    parser.add_argument("--endpoint-name", default="wdbc-local")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port_number, default=8080, help="0 picks a free port")
    parser.add_argument("--variant", help="production variant name (default: the model version)")
    parser.add_argument("--log-requests", action="store_true", help="a line each, to stderr")
    parser.add_argument("--stop-with-stdin", action="store_true", help="stop at its EOF")
    arguments = parser.parse_args(argv)
    if arguments.log_requests:
        logging.basicConfig(format="%(asctime)s standin %(message)s", stream=sys.stderr)
        logging.getLogger("standin.requests").setLevel(logging.INFO)
    try:
        model = load_model(arguments.model)
        where = (arguments.endpoint_name, arguments.host, arguments.port)
        running = start_in_thread(model, *where, variant=arguments.variant)
    except ModelFileError as error:
        return _fail(2, f"cannot load the model: {error}")
    except ValueError as error:  # a bad endpoint name or variant
        return _fail(2, str(error))
    except OSError as error:
        return _fail(1, f"cannot listen on {arguments.host}:{arguments.port}: {error.strerror}")
    stopped = stop_on_signals()
    if arguments.stop_with_stdin:

        def watch_stdin() -> None:
            sys.stdin.read()
            stopped.set()

        threading.Thread(target=watch_stdin, daemon=True).start()
    line = f"standin: serving endpoint {arguments.endpoint_name} (model {model.version})"
    print(f"{line} on {running.url}", flush=True)  # noqa: T201 - the launcher waits for this line
    while not stopped.wait(0.5):
        pass
    running.stop()
    return 0


def _fail(exit_code: int, message: str) -> int:
    print(f"standin: {message}", file=sys.stderr)  # noqa: T201 - the one line a user reads
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
