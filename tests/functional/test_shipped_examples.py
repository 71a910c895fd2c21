"""The three examples beside WDBC served: the stand-in answers each as training scored it, and
`python -m devserver --model NAME` serves it (tests/unit/test_shipped_examples.py: the folders)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.contract import load_contract
from chalicelib.endpoint import ModelEndpoint, create_runtime_client
from chalicelib.service import PredictionService
from standin import RunningStandin, start_in_thread
from standin.model import load_model
from tests.support.local_stack import PROJECT_DIR, running_stack
from training.local import evaluate_endpoint, read_model_folder, train_local

EXAMPLES = ("wine", "diabetes", "wdbc-xgboost")


def folder(name: str) -> Path:
    return PROJECT_DIR / "models" / name


@pytest.fixture(scope="module")
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, RunningStandin]]:
    name = request.param
    with start_in_thread(load_model(folder(name)), f"{name}-test") as running:
        yield name, running


@pytest.mark.parametrize("served", EXAMPLES, indirect=True)
def test_the_stand_in_answers_the_examples_and_the_test_rows_as_training_scored_them(
    served: tuple[str, RunningStandin],
) -> None:
    name, running = served
    contract, record = read_model_folder(folder(name))
    client = create_runtime_client(running.url)
    endpoint = ModelEndpoint(f"{name}-test", lambda: client, contract.answer.accept)
    PredictionService(endpoint, contract).check_examples()  # what the dev server checks
    test = train_local(name).split.test
    remote = evaluate_endpoint(endpoint, contract, test, batch_rows=50).metrics
    expected = record["metrics"]["test"]
    assert remote.pop("confusion_matrix", None) == expected.pop("confusion_matrix", None)
    assert remote == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_run_command_serves_each_example(name: str, request: pytest.FixtureRequest) -> None:
    contract = load_contract(name)
    with running_stack(name) as stack:
        assert any(f"serving endpoint {name}-local" in line for line in stack.output)
        connection = http.client.HTTPConnection(*stack.api, timeout=10)
        request.addfinalizer(connection.close)
        body = json.dumps({"data": ",".join(map(repr, contract.examples[-1].values))})
        connection.request("POST", contract.route, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read())
        assert response.status == 200, answer
        assert answer["model"]["name"] == f"{name}-local"
        if contract.is_classifier:
            assert answer["prediction"] in [c.code for c in contract.classes]
        connection.request("GET", "/model")
        described = json.loads(connection.getresponse().read())
        assert [f["name"] for f in described["features"]] == list(contract.feature_names)
        assert described["version"] == load_model(folder(name)).version
