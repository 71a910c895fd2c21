"""`python -m devserver`: start the stand-in on the committed local model, serve the API.

Ctrl-C (or SIGTERM) stops both processes; nothing is left running.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

from chalicelib.model_card import load_model_card
from chalicelib.settings import ConfigurationError
from devserver.gateway import build_app, local_credentials_defaults, stage_environment
from devserver.standin_process import StandinFailedToStart, StandinProcess
from standin.serving import Server, stop_on_signals
from training.artifact import ArtifactError, load_artifact

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = PROJECT_DIR / "models" / "wdbc-local" / "model.json"
ENDPOINT_URL_VARIABLE = "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"
EXAMPLE_ROW = (
    "13.49,22.3,86.91,561.0,0.08752,0.07698,0.04751,0.03384,0.1809,0.05718,0.2338,1.353,1.735,"
    "20.2,0.004455,0.01382,0.02095,0.01184,0.01641,0.001956,15.15,31.82,99.0,698.8,0.1162,"
    "0.1711,0.2282,0.1282,0.2871,0.06917"
)


def main(argv: list[str] | None = None) -> int:
    options = _parse(argv)
    environment = stage_environment(PROJECT_DIR, options.stage)
    try:
        check_card_matches_model(options.model, environment.get("MODEL_CARD"))
    except (ArtifactError, ConfigurationError) as error:
        print(f"devserver: {error}", file=sys.stderr)
        return 1
    standin_url = urlsplit(environment.get(ENDPOINT_URL_VARIABLE, "http://127.0.0.1:8080"))
    standin_port = options.standin_port
    if standin_port is None:
        standin_port = standin_url.port or 8080
    standin = StandinProcess(
        options.model,
        environment["ENDPOINT_NAME"],
        standin_url.hostname or "127.0.0.1",
        standin_port,
    )
    stopped = stop_on_signals()  # before the stand-in starts: a Ctrl-C from here on stops both
    try:
        standin.start()
        print(f"devserver: {standin.ready_line}", flush=True)
        # The stand-in may have been given port 0; the app must call the port it really has.
        standin_address = standin.ready_line.rsplit(" on ", 1)[-1]
        overrides = {**local_credentials_defaults(), ENDPOINT_URL_VARIABLE: standin_address}
        api = Server(build_app(PROJECT_DIR, options.stage, overrides), options.host, options.port)
        api.start()
        _print_banner(api.url)
        while not stopped.wait(0.5):
            pass
        print("devserver: stopping", flush=True)
        api.stop()
    except OSError as error:
        print(
            f"devserver: cannot listen on {options.host}:{options.port}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    except StandinFailedToStart as error:
        if str(error):
            print(f"devserver: {error}", file=sys.stderr)
        return 1
    finally:
        standin.stop()
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address of the API (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port of the API; 0 picks one")
    parser.add_argument("--stage", default="local", help="Chalice stage whose settings to use")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model artifact")
    parser.add_argument(
        "--standin-port",
        type=int,
        default=None,
        help=f"port of the stand-in (default: the one in the stage's {ENDPOINT_URL_VARIABLE})",
    )
    return parser.parse_args(argv)


def check_card_matches_model(model: Path, card_file: str | None) -> None:
    """`/health`, `/model` and the page name the card's version: it must be the served model's."""
    artifact = load_artifact(model)
    if not card_file:
        return
    card_version = load_model_card(card_file).get("version")
    if card_version != artifact.version:
        raise ConfigurationError(
            f"the model card {card_file} describes version {card_version}, but {model} is "
            f"version {artifact.version}; run `make train` (it writes both) or restore both files"
        )


def _print_banner(url: str) -> None:
    body = json.dumps({"data": EXAMPLE_ROW})
    print(f"devserver: API on {url}  (Ctrl-C stops it and the stand-in)", flush=True)
    print(
        f"  curl -s -X POST {url}/predictbreastcancer -H 'Content-Type: application/json' "
        f"-d '{body}'",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
