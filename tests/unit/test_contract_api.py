"""Any contract behind the same API: every request form, every Accept, field-named errors.

Small contracts of each task (tests/support/contracts.py) through the app Chalice runs, in process.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.application import create_app
from chalicelib.settings import Settings
from tests.support.contracts import (
    BINARY_DOCUMENT,
    MULTICLASS_DOCUMENT,
    REGRESSION_DOCUMENT,
    contract,
)
from tests.support.endpoint_twins import LinearLearnerTwin

ROW = [13.0, 2.3, 0.96]
NAMED = {"alcohol": 13.0, "Malic_Acid": 2.3, "hue": 0.96}
TWINS = {
    "binary": (BINARY_DOCUMENT, {"score": 0.25, "predicted_label": 0}),
    "multiclass": (MULTICLASS_DOCUMENT, {"score": [0.1, 0.7, 0.2], "predicted_label": 1}),
    "regression": (REGRESSION_DOCUMENT, {"score": 151.5}),
}
ANSWERS = {
    "binary": {"prediction": "no", "verdict": "not spoiled", "probability_spoiled": 0.25},
    "multiclass": {
        "prediction": "c1",
        "cultivar": "Grignolino",
        "probabilities": {"c0": 0.1, "c1": 0.7, "c2": 0.2},
    },
    "regression": {"prediction": 151.5},
}
CSV_LINES = {"binary": "no,0.25\n", "multiclass": "c1,0.1,0.7,0.2\n", "regression": "151.5\n"}
PLAIN = {"binary": "no", "multiclass": "c1", "regression": "151.5"}
FORMS: dict[str, tuple[str, object, bool]] = {
    "data text": ("application/json", {"data": "13.0, 2.3,0.96"}, True),
    "data numbers": ("application/json", {"data": ROW}, True),
    "named": ("application/json", {"features": NAMED}, True),
    "positional": ("application/json", {"features": ROW}, True),
    "instances": (
        "application/json",
        {"instances": [ROW, "13,2.3,0.96", {"features": NAMED}]},
        False,
    ),
    "split": (
        "application/json",
        {
            "dataframe_split": {
                "columns": ["hue", "alcohol", "Malic_Acid"],
                "data": [[0.96, 13.0, 2.3]],
            }
        },
        False,
    ),
    "records": ("application/json", {"dataframe_records": [NAMED]}, False),
    "csv": ("text/csv", "13.0,2.3,0.96\n", False),
    "csv with a header in any order and case": (
        "text/csv",
        "HUE,malic_acid,Alcohol\n0.96,2.3,13\n",
        False,
    ),
}


def app_for(task: str) -> tuple[Client, LinearLearnerTwin]:
    document, record = TWINS[task]
    twin = LinearLearnerTwin(record)
    app = create_app(Settings("toy-twin", "unused"), twin, contract(document))
    return Client(app), twin


def post(
    client: Client, path: str, content_type: str, body: object, accept: str | None = None
) -> Any:
    text = body if isinstance(body, str) else json.dumps(body)
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
    return client.http.post(path, headers=headers, body=text)


ROUTE = {"binary": "/predict", "multiclass": "/predict", "regression": "/score"}


@pytest.mark.parametrize("task", list(TWINS))
@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_reaches_the_endpoint_in_the_contracts_order(task: str, form: str) -> None:
    client, twin = app_for(task)
    content_type, body, single = FORMS[form]
    response = post(client, ROUTE[task], content_type, body)
    assert response.status_code == 200, response.body
    rows = twin.calls[0]
    assert all(row == tuple(ROW) for row in rows)
    answer = json.loads(response.body)
    if single:
        assert answer == {**ANSWERS[task], "model": {"name": "toy-twin", "version": "variant-1"}}
    else:
        assert answer["predictions"] == [ANSWERS[task]] * len(rows)


@pytest.mark.parametrize("task", list(TWINS))
def test_every_accept_for_every_task(task: str) -> None:
    client, _ = app_for(task)
    one = {"data": ROW}
    csv = post(client, ROUTE[task], "application/json", one, "text/csv")
    assert (csv.status_code, csv.body.decode()) == (200, CSV_LINES[task])
    plain = post(client, ROUTE[task], "application/json", one, "text/plain")
    assert (plain.status_code, plain.body.decode()) == (200, PLAIN[task])
    lines = post(
        client, ROUTE[task], "text/csv", "13,2.3,0.96\n13,2.3,0.96\n", "application/jsonlines"
    )
    assert lines.status_code == 200
    assert [json.loads(line) for line in lines.body.decode().splitlines()] == [ANSWERS[task]] * 2
    batch_plain = post(client, ROUTE[task], "text/csv", "13,2.3,0.96\n", "text/plain")
    assert batch_plain.status_code == 406


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {"data": [13.0, 2.3]},
            "wrong_value_count",
            "data must hold 3 numbers (alcohol ... hue); it holds 2",
        ),
        ({"data": [13.0, "x", 0.9]}, "invalid_value", "value 2 of 3 (Malic_Acid) must be a number"),
        (
            {"data": [130.0, 2.3, 0.9]},
            "invalid_value",
            "value 1 of 3 (alcohol) is above its upper limit 100",
        ),
        (
            {"data": "-1,2.3,0.9"},
            "invalid_value",
            "value 1 of 3 (alcohol) is below its lower limit 0",
        ),
        (
            {"features": {"alcohol": 1, "hue": 1}},
            "invalid_payload",
            "features is missing 'Malic_Acid'",
        ),
        ({"features": {**NAMED, "colour": 1}}, "invalid_payload", "unknown name(s) 'colour'"),
    ],
)
def test_errors_name_the_contracts_fields(body: object, code: str, message: str) -> None:
    client, twin = app_for("multiclass")
    response = post(client, "/predict", "application/json", body)
    error = json.loads(response.body)["error"]
    assert (response.status_code, error["code"]) == (400, code)
    assert message in error["message"]
    assert twin.calls == []


def test_a_limit_in_a_csv_header_order_names_the_column_sent() -> None:
    client, _ = app_for("binary")
    response = post(client, "/predict", "text/csv", "hue,Malic_Acid,alcohol\n0.9,2.3,101\n")
    error = json.loads(response.body)["error"]
    assert error["message"] == "row 1: value 3 of 3 (alcohol) is above its upper limit 100"
    many = "\n".join(["13,2.3,0.96"] * 5 + ["13,2.3,-0.5", "100.5,1,1"]) + "\n"
    response = post(client, "/predict", "text/csv", many)
    assert json.loads(response.body)["error"]["message"].startswith("row 7: value 1 of 3 (alcohol)")


@pytest.mark.parametrize("task", list(TWINS))
def test_the_open_inference_protocol_speaks_every_task(task: str) -> None:
    client, _ = app_for(task)
    name = TWINS[task][0]["name"]
    tensor = {"name": "x", "shape": [2, 3], "datatype": "FP64", "data": ROW * 2}
    response = post(client, f"/v2/models/{name}/infer", "application/json", {"inputs": [tensor]})
    assert response.status_code == 200, response.body
    outputs = {output["name"]: output for output in json.loads(response.body)["outputs"]}
    metadata = json.loads(client.http.get(f"/v2/models/{name}").body)
    assert [output["name"] for output in metadata["outputs"]] == list(outputs)
    if task == "binary":
        assert outputs["predicted_label"]["data"] == ["no", "no"]
        assert outputs["probability_spoiled"]["data"] == [0.25, 0.25]
    elif task == "multiclass":
        assert outputs["predicted_label"]["data"] == ["c1", "c1"]
        assert outputs["probabilities"]["shape"] == [2, 3]
        assert outputs["probabilities"]["data"] == [0.1, 0.7, 0.2] * 2
    else:
        assert outputs["prediction"] == {
            "name": "prediction",
            "shape": [2],
            "datatype": "FP64",
            "data": [151.5, 151.5],
        }
    assert metadata["inputs"] == [{"name": "features", "datatype": "FP64", "shape": [-1, 3]}]


def test_the_model_route_is_the_contracts_own() -> None:
    client, _ = app_for("regression")
    assert post(client, "/predict", "application/json", {"data": ROW}).status_code in (403, 404)
    model = json.loads(client.http.get("/model").body)
    assert (model["name"], model["route"], model["card"]) == ("toy-regression", "/score", None)


def test_a_model_of_one_feature_reads_every_form() -> None:
    one = contract(
        REGRESSION_DOCUMENT,
        features=[{"name": "hue", "training_range": [0.5, 1.7]}],
        examples=[{"summary": "one", "values": [1.0]}],
    )
    twin = LinearLearnerTwin({"score": 2.0})
    client = Client(create_app(Settings("toy-twin", "unused"), twin, one))
    for content_type, body in [
        ("application/json", {"features": {"hue": 1.0}}),
        ("application/json", {"dataframe_split": {"columns": ["hue"], "data": [[1.0]]}}),
        ("text/csv", "Hue\n1.0\n"),
        ("application/json", {"data": "1.0"}),
    ]:
        assert post(client, "/score", content_type, body).status_code == 200
    assert twin.calls == [[(1.0,)]] * 4
