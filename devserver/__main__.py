"""`python -m devserver`: the stand-in serving a committed model, the API in front of it.

`--model NAME` serves `models/NAME/` (its contract, artifact and card); by default the stage's
MODEL. Before the API starts, the contract's example rows go through the stand-in and must read
as the contract says. Ctrl-C (or SIGTERM) stops both processes; nothing is left running."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from chalicelib.contract import Contract, load_contract
from chalicelib.endpoint import ModelEndpoint, create_runtime_client
from chalicelib.errors import ApiError, ConfigurationError
from chalicelib.model_card import CARDS_DIR, load_model_card
from chalicelib.service import PredictionService
from chalicelib.settings import API_KEYS_CHECKED
from devserver.gateway import build_app, local_credentials, stage_environment
from standin.model import ModelFileError, load_model
from standin.serving import Server, port_number, stop_on_signals

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_DIR / "models"
ENDPOINT_URL_VARIABLE = "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devserver", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address of the API (127.0.0.1)")
    parser.add_argument(
        "--port", type=port_number, default=8000, help="port of the API (8000); 0 picks one"
    )
    parser.add_argument("--stage", default="local", help="Chalice stage whose settings to use")
    parser.add_argument(
        "--model", help="the model to serve, a folder of models/ (the stage's MODEL)"
    )
    parser.add_argument(
        "--standin-port", type=port_number, help="port of the stand-in (the stage's "
        f"{ENDPOINT_URL_VARIABLE}, 8080); 0 picks one",
    )  # fmt: skip
    options = parser.parse_args(argv)
    environment = stage_environment(PROJECT_DIR, options.stage)
    settings = model_settings(environment, options.model)
    try:
        contract = load_contract(settings["MODEL"])
        check_card_matches_model(MODELS_DIR / contract.name, settings.get("MODEL_CARD"), contract)
    except (ModelFileError, ConfigurationError) as error:
        return _fail(str(error))
    os.environ.update(local_credentials())  # boto3 signs even the stand-in's requests
    standin_url = urlsplit(environment.get(ENDPOINT_URL_VARIABLE, "http://127.0.0.1:8080"))
    port = standin_url.port or 8080 if options.standin_port is None else options.standin_port
    where = ["--host", standin_url.hostname or "127.0.0.1", "--port", str(port)]
    stopped = stop_on_signals()  # before the stand-in starts: a Ctrl-C from here on stops both
    # The stand-in stops when its stdin closes: if this process dies, even by SIGKILL, it goes too.
    standin = subprocess.Popen(
        [sys.executable, "-m", "standin", "--model", str(MODELS_DIR / contract.name),
         "--stop-with-stdin", "--endpoint-name", settings["ENDPOINT_NAME"], *where],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
    )  # fmt: skip
    try:
        ready = standin.stdout.readline()  # type: ignore[union-attr]  # it binds, then prints
        if not ready.startswith("standin: serving"):  # exit 1 or 2: it has said why, in a line
            status = standin.wait()
            if status == 1:  # it cannot listen there
                return _fail(f"choose the stand-in's port: {_port_hint('--standin-port')}")
            return 1 if status == 2 else _fail("the stand-in did not start")
        print(f"devserver: {ready}", end="", flush=True)
        # The stand-in may have been given port 0: the app calls the port it really has.
        settings[ENDPOINT_URL_VARIABLE] = ready.split(" on ")[-1].strip()
        problem = contract_problem(contract, settings)
        if problem:
            return _fail(problem)
        with Server(
            build_app(PROJECT_DIR, options.stage, settings), options.host, options.port
        ) as api:
            api.start()
            body = json.dumps({"data": ",".join(map(repr, contract.examples[0].values))})
            print(f"devserver: API on {api.url}  (Ctrl-C stops it and the stand-in)", flush=True)
            print(f"  curl -s -X POST {api.url}{contract.route} -H 'Content-Type: "
                  f"application/json' -d '{body}'", flush=True)  # fmt: skip
            while not stopped.wait(0.5):
                pass
            print("devserver: stopping", flush=True)
    except OSError as error:
        return _fail(
            f"cannot listen on {options.host}:{options.port}: {error.strerror}; "
            f"choose another port: {_port_hint('--port')}"
        )
    finally:
        for pipe in (standin.stdin, standin.stdout):
            pipe.close()  # type: ignore[union-attr]  # both are pipes
        standin.terminate()
        standin.wait()
    return 0


def model_settings(environment: dict[str, str], model: str | None) -> dict[str, str]:
    """The stage's settings, for another of the committed models where `model` names one: its
    contract, a local endpoint named after it, and its card where one is committed. No API key
    is checked here, whatever the stage."""
    settings = {**environment, API_KEYS_CHECKED: "false"}  # Chalice's local gateway checks none
    if model is None or model == environment.get("MODEL"):
        return settings
    settings |= {"MODEL": model, "ENDPOINT_NAME": f"{model}-local"}
    settings.pop("MODEL_CARD", None)
    if (CARDS_DIR / f"{model}.json").is_file():
        settings["MODEL_CARD"] = f"{model}.json"
    return settings


def check_card_matches_model(folder: Path, card_file: str | None, contract: Contract) -> None:
    """`/health`, `/model` and the page name the card's version: it must be the served model's."""
    artifact = load_model(folder)
    if not card_file:
        return
    card_version = load_model_card(card_file, contract.feature_names).get("version")
    if card_version != artifact.version:
        raise ConfigurationError(
            f"the model card {card_file} describes version {card_version}, but {folder} is "
            f"version {artifact.version}; run `make train` (it writes both) or restore both files"
        )


def contract_problem(contract: Contract, settings: dict[str, str]) -> str | None:
    """Why the stand-in's answers to the contract's examples do not read as it says, or None."""
    client = create_runtime_client(settings[ENDPOINT_URL_VARIABLE])
    endpoint = ModelEndpoint(settings["ENDPOINT_NAME"], lambda: client, contract.answer.accept)
    try:
        PredictionService(endpoint, contract).check_examples()
    except ApiError as error:
        return (
            f"the endpoint's answers to the examples of contract {contract.name} do not read "
            f"as it says: {error.message}"
        )
    return None


def _port_hint(flag: str) -> str:
    """`--port N (make run PORT=N; ...)`: the flag, and the variable `make run` passes it from."""
    variable = flag.removeprefix("--").replace("-", "_").upper()
    return f"{flag} N (make run {variable}=N; 0 picks a free one)"


def _fail(message: str) -> int:
    print(f"devserver: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
