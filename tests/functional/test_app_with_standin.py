"""The Chalice app (chalice.test.Client) -> real boto3 -> the stand-in on 127.0.0.1 -> the model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from chalicelib.endpoint import ModelEndpoint, OnceClient, create_runtime_client
from standin import RunningStandin
from tests.support.apps import MakeClient
from tests.support.rows import EXAMPLE_ROW, EXAMPLE_VALUES, FEATURE_NAMES, body_for
from training.artifact import ModelArtifact
from training.local import LocalTrainingResult

PROJECT_DIR = Path(__file__).resolve().parents[2]
JSON_HEADERS = {"Content-Type": "application/json"}
PostRow = Callable[..., tuple[int, dict[str, object] | str]]


def _endpoint(endpoint_name: str, url: str) -> ModelEndpoint:
    # The production client configuration; only the address differs, as the environment
    # variable AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME would make it differ.
    return ModelEndpoint(endpoint_name, OnceClient(lambda: create_runtime_client(endpoint_url=url)))


@pytest.fixture
def post_row(local_standin: RunningStandin, make_client: MakeClient) -> PostRow:
    client = make_client(_endpoint(local_standin.endpoint_name, local_standin.url))

    def post(row: str, accept: str = "application/json") -> tuple[int, object]:
        response = client.http.post(
            "/predictbreastcancer",
            headers={**JSON_HEADERS, "Accept": accept},
            body=body_for(row),
        )
        if response.headers["Content-Type"] == "application/json":
            return response.status_code, json.loads(response.body)
        return response.status_code, response.body.decode()

    return post


def test_the_readme_row_is_benign_with_the_models_own_probability(
    post_row: PostRow, trained: LocalTrainingResult, local_model: ModelArtifact
) -> None:
    status, document = post_row(EXAMPLE_ROW)
    expected = float(trained.fitted.predict_proba(np.array([EXAMPLE_VALUES]))[0, 1])
    assert status == 200
    assert document == {
        "prediction": "B",
        "diagnosis": "benign",
        # scikit-learn's own answer for a refit: the committed model agrees within 1e-9.
        "probability_malignant": pytest.approx(expected, abs=1e-9),
        "model": {"name": "wdbc-test", "version": local_model.version},
    }


def test_text_plain_clients_get_the_letter(post_row: PostRow) -> None:
    assert post_row(EXAMPLE_ROW, accept="text/plain") == (200, "B")


def test_every_held_out_row_gets_the_models_label(
    post_row: PostRow, trained: LocalTrainingResult
) -> None:
    test_part = trained.split.test
    threshold = trained.artifact.threshold
    probabilities = trained.fitted.predict_proba(test_part.features)[:, 1]
    served = []
    for features, probability in zip(test_part.features, probabilities, strict=True):
        status, document = post_row(",".join(repr(float(v)) for v in features))
        assert status == 200
        assert isinstance(document, dict)
        served.append(document["prediction"])
        assert document["prediction"] == ("M" if probability >= threshold else "B")
    correct = sum(
        (letter == "M") == bool(label)
        for letter, label in zip(served, test_part.labels, strict=True)
    )
    assert correct / len(served) == pytest.approx(trained.test_metrics["accuracy"])
    assert {"B", "M"} <= set(served)


def test_a_wrong_endpoint_name_is_503_endpoint_not_found(
    local_standin: RunningStandin, make_client: MakeClient
) -> None:
    endpoint = _endpoint("wdbc-elsewhere", local_standin.url)
    client = make_client(endpoint)
    response = client.http.post(
        "/predictbreastcancer", headers=JSON_HEADERS, body=body_for(EXAMPLE_ROW)
    )
    assert response.status_code == 503
    assert json.loads(response.body)["error"]["code"] == "endpoint_not_found"


def test_a_stopped_endpoint_is_503_unreachable(
    local_standin: RunningStandin, make_client: MakeClient
) -> None:
    endpoint = _endpoint(local_standin.endpoint_name, local_standin.url)
    local_standin.stop()
    client = make_client(endpoint)
    response = client.http.post(
        "/predictbreastcancer", headers=JSON_HEADERS, body=body_for(EXAMPLE_ROW)
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert json.loads(response.body)["error"]["code"] == "endpoint_unreachable"


def test_all_held_out_rows_in_one_csv_request_match_the_model(
    local_standin: RunningStandin, make_client: MakeClient, trained: LocalTrainingResult
) -> None:
    endpoint = _endpoint(local_standin.endpoint_name, local_standin.url)
    test_part = trained.split.test
    header = ",".join(reversed(FEATURE_NAMES))
    lines = [",".join(repr(float(v)) for v in reversed(row)) for row in test_part.features]
    body = "\n".join([header, *lines]).encode()
    client = make_client(endpoint)
    response = client.http.post(
        "/predictbreastcancer",
        headers={"Content-Type": "text/csv", "Accept": "text/csv"},
        body=body,
    )
    assert response.status_code == 200
    answered = [line.split(",") for line in response.body.decode().splitlines()]
    probabilities = trained.fitted.predict_proba(test_part.features)[:, 1]
    assert len(answered) == len(test_part.features)
    for (letter, probability), expected in zip(answered, probabilities, strict=True):
        assert float(probability) == pytest.approx(float(expected), abs=1e-12)
        assert letter == ("M" if expected >= trained.artifact.threshold else "B")
