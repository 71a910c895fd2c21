"""Every kind of model the examples ship, through boto3 against a real stand-in: each Linear
Learner predictor type and XGBoost objective in each answer format, the faults in each, and the
API's own reader on each answer (what the dev server's start-up check does)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost

from chalicelib.endpoint import ModelEndpoint
from chalicelib.errors import InvalidModelAnswer
from chalicelib.model_answer import AnswerReader
from standin import RunningStandin, start_in_thread
from standin.app import Fault
from standin.model import MULTICLASS, REGRESSOR, load_model
from tests.support.apps import ENDPOINT_NAME
from tests.support.contracts import (
    BINARY_DOCUMENT,
    MULTICLASS_DOCUMENT,
    REGRESSION_DOCUMENT,
    contract,
)
from tests.support.standin_harness import (
    linear_document,
    runtime_client,
    xgboost_model,
)
from training.artifact import write_json

ROWS = [[13.0, 2.3, 0.96], [12.2, 1.1, 1.3], [14.1, 4.0, 0.6]]
BODY = "".join(",".join(map(str, row)) + "\n" for row in ROWS)
MEANS, SCALES = [13.0, 2.0, 1.0], [1.0, 1.0, 0.25]
LINEAR = {
    "binary_classifier": {"weights": [1.0, -1.0, 2.0], "intercept": -0.5, "threshold": 0.3},
    "multiclass_classifier": {
        "predictor_type": MULTICLASS,
        "weights": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        "intercept": [0.0, 0.5, -0.5],
        "threshold": None,
    },
    "regressor": {
        "predictor_type": REGRESSOR,
        "weights": [1.0, 2.0, 3.0],
        "intercept": 150.0,
        "threshold": None,
    },
}
OBJECTIVES = ("binary:logistic", "multi:softprob", "reg:squarederror")


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folders = {}
    for kind, changes in LINEAR.items():
        folders[kind] = tmp_path_factory.mktemp(kind)
        document = linear_document(means=MEANS, scales=SCALES, **changes)
        write_json(document, folders[kind] / "model.json")
    for objective in OBJECTIVES:
        folders[objective] = xgboost_model(tmp_path_factory.mktemp("xgboost"), objective)
    return folders


@pytest.fixture(scope="module")
def standins(folders: dict[str, Path]) -> Iterator[dict[str, RunningStandin]]:
    with ExitStack() as stack:
        yield {
            kind: stack.enter_context(start_in_thread(load_model(folder), ENDPOINT_NAME))
            for kind, folder in folders.items()
        }


def linear_expected(kind: str) -> list[dict[str, Any]]:
    """Linear Learner's documented records for ROWS, by the artifact's formula as it states it."""
    changes = LINEAR[kind]
    outputs = changes["weights"] if kind == "multiclass_classifier" else [changes["weights"]]
    intercepts = changes["intercept"] if kind == "multiclass_classifier" else [changes["intercept"]]
    records = []
    for row in ROWS:
        standardised = [(x - m) / s for x, m, s in zip(row, MEANS, SCALES, strict=True)]
        margins = [
            b + sum(w * z for w, z in zip(weights, standardised, strict=True))
            for weights, b in zip(outputs, intercepts, strict=True)
        ]
        if kind == "regressor":
            records.append({"score": margins[0]})
        elif kind == "binary_classifier":
            probability = 1 / (1 + math.exp(-margins[0]))
            records.append({"score": probability, "predicted_label": int(probability >= 0.3)})
        else:
            exponentials = [math.exp(m) for m in margins]
            scores = [e / sum(exponentials) for e in exponentials]
            records.append({"score": scores, "predicted_label": scores.index(max(scores))})
    return records


@pytest.mark.parametrize("kind", list(LINEAR))
@pytest.mark.parametrize("accept", ["application/json", "application/jsonlines"])
def test_each_linear_learner_predictor_type_in_each_format(
    standins: dict[str, RunningStandin], kind: str, accept: str
) -> None:
    answer = runtime_client(standins[kind].url).invoke_endpoint(
        EndpointName=ENDPOINT_NAME, Body=BODY, ContentType="text/csv", Accept=accept
    )
    assert answer["ContentType"] == accept
    text = answer["Body"].read().decode()
    if accept == "application/json":
        records = json.loads(text)["predictions"]
    else:
        assert text.endswith("\n")
        records = [json.loads(line) for line in text.splitlines()]
    expected = linear_expected(kind)
    assert [set(record) for record in records] == [set(record) for record in expected]
    for record, wanted in zip(records, expected, strict=True):
        assert record["score"] == pytest.approx(wanted["score"], rel=1e-9)
        assert record.get("predicted_label") == wanted.get("predicted_label")
    assert {record.get("predicted_label") for record in expected} != {0}  # not a constant answer


def xgboost_expected(folder: Path) -> list[list[float]]:
    booster = xgboost.Booster(model_file=folder / "xgboost-model.json")
    return [list(np.atleast_1d(row)) for row in booster.predict(xgboost.DMatrix(np.array(ROWS)))]


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("accept", [None, "text/csv", "application/json"])
def test_each_xgboost_objective_in_each_format(
    standins: dict[str, RunningStandin],
    folders: dict[str, Path],
    objective: str,
    accept: str | None,
) -> None:
    extra = {} if accept is None else {"Accept": accept}
    answer = runtime_client(standins[objective].url).invoke_endpoint(
        EndpointName=ENDPOINT_NAME, Body=BODY, ContentType="text/csv", **extra
    )
    text = answer["Body"].read().decode()
    if accept == "application/json":
        assert answer["ContentType"] == "application/json"
        scores = [p["score"] for p in json.loads(text)["predictions"]]
        rows = [score if isinstance(score, list) else [score] for score in scores]
    else:
        assert answer["ContentType"] == "text/csv; charset=utf-8"
        rows = [list(map(float, line.split(","))) for line in text.splitlines()]
    assert [len(row) for row in rows] == [3 if objective == "multi:softprob" else 1] * len(ROWS)
    for row, wanted in zip(rows, xgboost_expected(folders[objective]), strict=True):
        assert row == pytest.approx(wanted, rel=1e-6)


def test_xgboost_answers_json_lines_with_the_containers_500(
    standins: dict[str, RunningStandin],
) -> None:
    client = runtime_client(standins["binary:logistic"].url)
    with pytest.raises(client.exceptions.ModelError) as raised:
        client.invoke_endpoint(
            EndpointName=ENDPOINT_NAME, Body=BODY, ContentType="text/csv",
            Accept="application/jsonlines",
        )  # fmt: skip
    assert raised.value.response["OriginalStatusCode"] == 500
    assert "Received server error (500)" in raised.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("kind", "accept"),
    [
        ("binary_classifier", "application/json"),
        ("multiclass_classifier", "application/jsonlines"),
        ("binary:logistic", "text/csv"),
        ("multi:softprob", "application/json"),
    ],
)
def test_one_prediction_short_in_each_format(
    standins: dict[str, RunningStandin], kind: str, accept: str
) -> None:
    standin = standins[kind]
    client = runtime_client(standin.url)
    standin.script(Fault("one prediction short", predictions_dropped=1))
    try:
        short = client.invoke_endpoint(
            EndpointName=ENDPOINT_NAME, Body=BODY, ContentType="text/csv", Accept=accept
        )
    finally:
        standin.script()
    whole = client.invoke_endpoint(
        EndpointName=ENDPOINT_NAME, Body=BODY, ContentType="text/csv", Accept=accept
    )
    short_body, whole_body = short["Body"].read(), whole["Body"].read()
    if accept == "application/json":
        short_records, whole_records = (
            json.loads(b)["predictions"] for b in (short_body, whole_body)
        )
    else:
        short_records, whole_records = short_body.splitlines(), whole_body.splitlines()
    assert short_records == whole_records[:-1]
    assert len(whole_records) == len(ROWS)


TASKS = {  # the contract of each task, the stand-in that serves it, in each of its formats
    "binary": (BINARY_DOCUMENT, "binary_classifier", "binary:logistic"),
    "multiclass": (MULTICLASS_DOCUMENT, "multiclass_classifier", "multi:softprob"),
    "regression": (REGRESSION_DOCUMENT, "regressor", "reg:squarederror"),
}
ANSWERS = [
    ({"format": "linear-learner"}, 1),
    ({"format": "linear-learner", "accept": "application/jsonlines"}, 1),
    ({"format": "xgboost"}, 2),
    ({"format": "xgboost", "accept": "application/json"}, 2),
]


@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize(("answer", "served_by"), ANSWERS)
def test_the_apis_reader_reads_the_standins_answers(
    standins: dict[str, RunningStandin], task: str, answer: dict[str, str], served_by: int
) -> None:
    document, *kinds = TASKS[task]
    model_contract = contract(document, answer=answer)
    standin = standins[kinds[served_by - 1]]
    client = runtime_client(standin.url)
    endpoint = ModelEndpoint(ENDPOINT_NAME, lambda: client, model_contract.answer.accept)
    predictions = AnswerReader(model_contract).read(endpoint.invoke(ROWS), expected_rows=len(ROWS))
    assert len(predictions) == len(ROWS)
    if task == "regression":
        assert all(p.probability is None for p in predictions)
    elif task == "multiclass":
        assert all(p.outcome == int(np.argmax(p.probability)) for p in predictions)
    else:  # the contract's threshold 0.3 makes XGBoost's label; Linear Learner names its own
        assert all(p.outcome == int(p.probability >= 0.3) for p in predictions)


@pytest.mark.parametrize(
    ("task", "kind", "answer", "refusal"),
    [
        ("multiclass", "binary_classifier", {"format": "linear-learner"}, InvalidModelAnswer),
        ("multiclass", "binary:logistic", {"format": "xgboost"}, InvalidModelAnswer),
        ("regression", "multiclass_classifier", {"format": "linear-learner"}, InvalidModelAnswer),
        # A softprob model's lines of K probabilities, behind a binary or regression contract.
        ("binary", "multi:softprob", {"format": "xgboost"}, InvalidModelAnswer),
        ("regression", "multi:softprob", {"format": "xgboost"}, InvalidModelAnswer),
    ],
)
def test_the_apis_reader_refuses_an_endpoint_the_contract_does_not_describe(
    standins: dict[str, RunningStandin],
    task: str,
    kind: str,
    answer: dict[str, str],
    refusal: type[Exception],
) -> None:
    model_contract = contract(TASKS[task][0], answer=answer)
    client = runtime_client(standins[kind].url)
    endpoint = ModelEndpoint(ENDPOINT_NAME, lambda: client, model_contract.answer.accept)
    with pytest.raises(refusal):
        AnswerReader(model_contract).read(endpoint.invoke(ROWS), expected_rows=len(ROWS))
