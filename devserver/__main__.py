"""`python -m devserver`: the stand-in on the committed model, the API in front of it.
Ctrl-C (or SIGTERM) stops both processes; nothing is left running."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from chalicelib.contract import load_contract
from chalicelib.errors import ConfigurationError
from chalicelib.model_card import load_model_card
from chalicelib.settings import DEFAULT_MODEL
from devserver.gateway import build_app, local_credentials, stage_environment
from standin.model import ModelFileError, load_model
from standin.serving import Server, stop_on_signals

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_ARTIFACT = PROJECT_DIR / "models" / "wdbc" / "model.json"
ENDPOINT_URL_VARIABLE = "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"
EXAMPLE_ROW = (
    "13.49,22.3,86.91,561.0,0.08752,0.07698,0.04751,0.03384,0.1809,0.05718,0.2338,1.353,1.735,"
    "20.2,0.004455,0.01382,0.02095,0.01184,0.01641,0.001956,15.15,31.82,99.0,698.8,0.1162,"
    "0.1711,0.2282,0.1282,0.2871,0.06917"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address of the API (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port of the API; 0 picks one")
    parser.add_argument("--stage", default="local", help="Chalice stage whose settings to use")
    parser.add_argument("--model", type=Path, default=DEFAULT_ARTIFACT, help="model artifact")
    parser.add_argument("--standin-port", type=int, help=f"(the stage's {ENDPOINT_URL_VARIABLE})")
    options = parser.parse_args(argv)
    environment = stage_environment(PROJECT_DIR, options.stage)
    try:
        check_card_matches_model(
            options.model, environment.get("MODEL_CARD"), environment.get("MODEL", DEFAULT_MODEL)
        )
    except (ModelFileError, ConfigurationError) as error:
        return _fail(str(error))
    standin_url = urlsplit(environment.get(ENDPOINT_URL_VARIABLE, "http://127.0.0.1:8080"))
    port = standin_url.port or 8080 if options.standin_port is None else options.standin_port
    where = ["--host", standin_url.hostname or "127.0.0.1", "--port", str(port)]
    stopped = stop_on_signals()  # before the stand-in starts: a Ctrl-C from here on stops both
    # The stand-in stops when its stdin closes: if this process dies, even by SIGKILL, it goes too.
    standin = subprocess.Popen(
        [sys.executable, "-m", "standin", "--model", str(options.model), "--stop-with-stdin",
         "--endpoint-name", environment["ENDPOINT_NAME"], *where],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip
    try:
        ready = standin.stdout.readline()  # type: ignore[union-attr]  # it binds, then prints
        if not ready.startswith("standin: serving"):  # exit 1 or 2: it has said why, in a line
            return 1 if standin.wait() in (1, 2) else _fail("the stand-in did not start")
        print(f"devserver: {ready}", end="", flush=True)
        # The stand-in may have been given port 0: the app calls the port it really has.
        overrides = {**local_credentials(), ENDPOINT_URL_VARIABLE: ready.split(" on ")[-1].strip()}
        with Server(
            build_app(PROJECT_DIR, options.stage, overrides), options.host, options.port
        ) as api:
            api.start()
            body = json.dumps({"data": EXAMPLE_ROW})
            print(f"devserver: API on {api.url}  (Ctrl-C stops it and the stand-in)", flush=True)
            print(f"  curl -s -X POST {api.url}/predictbreastcancer -H 'Content-Type: "
                  f"application/json' -d '{body}'", flush=True)  # fmt: skip
            while not stopped.wait(0.5):
                pass
            print("devserver: stopping", flush=True)
    except OSError as error:
        return _fail(f"cannot listen on {options.host}:{options.port}: {error.strerror}")
    finally:
        for pipe in (standin.stdin, standin.stdout):
            pipe.close()  # type: ignore[union-attr]  # both are pipes
        standin.terminate()
        standin.wait()
    return 0


def check_card_matches_model(
    model: Path, card_file: str | None, model_name: str = DEFAULT_MODEL
) -> None:
    """`/health`, `/model` and the page name the card's version: it must be the served model's."""
    artifact = load_model(model)
    if not card_file:
        return
    contract = load_contract(model_name)
    card_version = load_model_card(card_file, contract.feature_names).get("version")
    if card_version != artifact.version:
        raise ConfigurationError(
            f"the model card {card_file} describes version {card_version}, but {model} is "
            f"version {artifact.version}; run `make train` (it writes both) or restore both files"
        )


def _fail(message: str) -> int:
    print(f"devserver: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
