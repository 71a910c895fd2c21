"""Rows outside their features' training ranges: predicted all the same, with a warning naming
the row and the features (never the value), in every answer type; a row inside answers as before.

The oracle is written here from the contract's ranges, one value at a time.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.contract import Contract
from chalicelib.extrapolation import HEADER, HEADER_BYTES
from tests.support.apps import MakeClient
from tests.support.endpoint_twins import AnsweringEndpoint
from tests.support.rows import EXAMPLE_VALUES, FEATURE_NAMES, WDBC, WDBC_PAYLOADS
from tests.support.twin_app import MULTICLASS, REGRESSION, twin_app

# 271.828 for radius_mean (6.981 to 28.11): a value no answer may repeat.
FAR = 271.828
OUT_OF_RANGE = (FAR, *EXAMPLE_VALUES[1:])
TWO_OUT = (*EXAMPLE_VALUES[:3], 0.5, *EXAMPLE_VALUES[4:29], 9.25)  # area_mean, fractal_dim_worst


def expected(contract: Contract, rows: list[tuple[float, ...]]) -> list[tuple[int, list[str]]]:
    """(row from 1, its features outside their ranges), for the rows with any."""
    found = []
    for number, row in enumerate(rows, start=1):
        names = [
            feature.name
            for feature, value in zip(contract.features, row, strict=True)
            if value < feature.training_range[0] or value > feature.training_range[1]
        ]
        if names:
            found.append((number, names))
    return found


def header_value(found: list[tuple[int, list[str]]]) -> str:
    return "; ".join(f"{number}: {' '.join(names)}" for number, names in found)


@pytest.fixture
def client(make_client: MakeClient) -> Client:
    return make_client(AnsweringEndpoint(0.25, 0))


def post(
    client: Client, body: Any, content_type: str = "application/json", accept: str = ""
) -> Any:
    text = body if isinstance(body, str) else json.dumps(body)
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
    answer = client.http.post("/predictbreastcancer", headers=headers, body=text)
    assert answer.status_code == 200, answer.body
    assert str(FAR) not in answer.body.decode() + json.dumps(dict(answer.headers))
    return answer


def test_a_row_inside_every_range_is_answered_as_before(client: Client) -> None:
    answer = post(client, {"data": list(EXAMPLE_VALUES)})
    assert HEADER not in answer.headers
    assert answer.body == (
        b'{"prediction": "B", "diagnosis": "benign", "probability_malignant": 0.25, '
        b'"model": {"name": "wdbc-twin", "version": "variant-1"}}'
    )


def test_a_row_outside_is_predicted_with_a_warning_naming_the_feature(client: Client) -> None:
    answer = post(client, {"data": ",".join(map(repr, OUT_OF_RANGE))})
    document = json.loads(answer.body)
    assert (document["prediction"], document["probability_malignant"]) == ("B", 0.25)
    assert document["warnings"] == [
        {
            "code": "outside_training_range",
            "row": 1,
            "features": ["radius_mean"],
            "message": "row 1: radius_mean (6.981 to 28.11) is outside its training range; "
            "the prediction is an extrapolation",
        }
    ]
    assert answer.headers[HEADER] == "1: radius_mean"
    assert list(document) == [
        "prediction",
        "diagnosis",
        "probability_malignant",
        "model",
        "warnings",
    ]


def test_several_features_are_named_in_one_warning(client: Client) -> None:
    (warning,) = json.loads(post(client, {"data": list(TWO_OUT)}).body)["warnings"]
    assert warning["features"] == ["area_mean", "fractal_dimension_worst"]
    assert warning["message"] == (
        "row 1: area_mean (143.5 to 2501) and fractal_dimension_worst (0.05504 to 0.2075) are "
        "outside their training ranges; the prediction is an extrapolation"
    )
    every = json.loads(post(client, {"data": [1e6] * 30}).body)["warnings"][0]
    assert every["features"] == list(FEATURE_NAMES)
    assert every["message"].startswith("row 1: radius_mean (6.981 to 28.11), texture_mean")
    assert ", perimeter_mean (43.79 to 188.5) and 27 more are outside" in every["message"]


def _forms(rows: list[tuple[float, ...]]) -> list[tuple[Any, str]]:
    named = [dict(zip(FEATURE_NAMES, row, strict=True)) for row in rows]
    lines = [",".join(map(repr, row)) for row in rows]
    reversed_header = ",".join(reversed(FEATURE_NAMES))
    reversed_lines = [",".join(map(repr, reversed(row))) for row in rows]
    return [
        ({"instances": [list(row) for row in rows]}, "application/json"),
        ({"instances": lines}, "application/json"),
        ({"instances": [{"features": item} for item in named]}, "application/json"),
        ({"dataframe_records": named}, "application/json"),
        (
            {"dataframe_split": {"columns": list(FEATURE_NAMES), "data": [list(r) for r in rows]}},
            "application/json",
        ),
        ("\n".join(lines) + "\n", "text/csv"),
        (f"{reversed_header}\n" + "\n".join(reversed_lines) + "\n", "text/csv"),
        (" \n".join(f" {line}" for line in lines), "text/csv"),  # read line by line
    ]


@pytest.mark.parametrize("form", range(8))
def test_each_batch_form_names_the_rows_outside(form: int, client: Client) -> None:
    rows = [EXAMPLE_VALUES, OUT_OF_RANGE, EXAMPLE_VALUES, TWO_OUT]
    body, content_type = _forms(rows)[form]
    answer = post(client, body, content_type)
    found = expected(WDBC, rows)
    warnings = json.loads(answer.body)["warnings"]
    assert [(w["row"], w["features"]) for w in warnings] == found
    assert (
        answer.headers[HEADER]
        == header_value(found)
        == ("2: radius_mean; 4: area_mean fractal_dimension_worst")
    )
    inside = post(client, _forms([EXAMPLE_VALUES] * 3)[form][0], content_type)
    assert "warnings" not in json.loads(inside.body)
    assert HEADER not in inside.headers


@pytest.mark.parametrize(
    ("accept", "body"),
    [
        ("text/csv", {"instances": [list(EXAMPLE_VALUES), list(OUT_OF_RANGE)]}),
        ("application/jsonlines", {"instances": [list(EXAMPLE_VALUES), list(OUT_OF_RANGE)]}),
        ("text/plain", {"features": list(OUT_OF_RANGE)}),
    ],
)
def test_other_answer_types_carry_the_warning_in_the_header(
    accept: str, body: Any, client: Client
) -> None:
    answer = post(client, body, accept=accept)
    row = 2 if "instances" in body else 1
    assert answer.headers[HEADER] == f"{row}: radius_mean"
    assert "warning" not in answer.body.decode()  # the body is the type's, unchanged


def test_oip_carries_the_warning_in_the_header(client: Client) -> None:
    tensor = {"name": "x", "shape": [2, 30], "datatype": "FP64", "data": [EXAMPLE_VALUES, TWO_OUT]}
    answer = client.http.post(
        "/v2/models/wdbc/infer",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"inputs": [tensor]}),
    )
    assert answer.status_code == 200
    assert answer.headers[HEADER] == "2: area_mean fractal_dimension_worst"
    assert "warnings" not in json.loads(answer.body)


def test_the_header_stays_small_and_says_it_was_cut(client: Client) -> None:
    answer = post(client, {"instances": [[1e6] * 30] * 1000})
    assert len(json.loads(answer.body)["warnings"]) == 1000
    value = answer.headers[HEADER]
    assert len(value.encode()) <= HEADER_BYTES
    assert value.startswith(f"1: {' '.join(FEATURE_NAMES)}; 2: ")
    assert value.endswith("; ...")


@pytest.mark.parametrize("contract", [MULTICLASS, REGRESSION], ids=["multiclass", "regression"])
def test_every_task_warns(contract: Contract) -> None:
    row = [contract.features[0].training_range[1] + 1, *contract.examples[0].values[1:]]
    with Client(twin_app(contract)) as client:
        answer = client.http.post(
            contract.route,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"data": row}),
        )
    document = json.loads(answer.body)
    assert "prediction" in document
    assert [w["features"] for w in document["warnings"]] == [[contract.feature_names[0]]]
    assert answer.headers[HEADER] == f"1: {contract.feature_names[0]}"


@pytest.mark.parametrize("position", range(30))
def test_a_batch_with_one_value_outside_names_its_feature(position: int) -> None:
    ranges = WDBC_PAYLOADS.rows.ranges
    row = list(EXAMPLE_VALUES)
    row[position] = WDBC.features[position].training_range[1] * 1.001
    csv = f"{','.join(map(repr, EXAMPLE_VALUES))}\n{','.join(map(repr, row))}\n"
    for rows in (WDBC_PAYLOADS.parse_csv(csv.encode()).rows, [EXAMPLE_VALUES, tuple(row)]):
        (warning,) = ranges.outside(rows)
        assert (warning.row, warning.features) == (2, (position,))


# The example row with a few values changed: to a range's end, just beyond it, or far off.
_CHANGES = st.dictionaries(
    st.integers(0, 29),
    st.sampled_from(["low", "high", "below", "above", "far"]),
    max_size=3,
)


def _changed(changes: dict[int, str]) -> tuple[float, ...]:
    row = list(EXAMPLE_VALUES)
    for position, change in changes.items():
        low, high = WDBC.features[position].training_range
        row[position] = {
            "low": low, "high": high, "below": low - 0.001, "above": high * 1.001, "far": 1e6
        }[change]  # fmt: skip
    return tuple(row)


@given(st.lists(_CHANGES.map(_changed), min_size=1, max_size=5))
def test_the_readers_find_exactly_the_values_outside(rows: list[tuple[float, ...]]) -> None:
    """Both CSV readers (a column at a time, a line at a time) and the JSON rows."""
    ranges = WDBC_PAYLOADS.rows.ranges
    csv = "\n".join(",".join(map(repr, row)) for row in rows)
    by_line = " \n".join(f" {line}" for line in csv.split("\n"))  # blanks: read line by line
    arrays = json.dumps({"instances": [list(row) for row in rows]}).encode()
    split = {"columns": FEATURE_NAMES[::-1], "data": [list(row)[::-1] for row in rows]}
    records = [dict(zip(FEATURE_NAMES, row, strict=True)) for row in rows]
    for parsed in (
        WDBC_PAYLOADS.parse_csv(csv.encode()).rows,
        WDBC_PAYLOADS.parse_csv(by_line.encode()).rows,
        WDBC_PAYLOADS.parse_json(arrays).rows,  # arrays at once, a column at a time
        WDBC_PAYLOADS.parse_json(json.dumps({"dataframe_split": split}).encode()).rows,
        WDBC_PAYLOADS.parse_json(json.dumps({"dataframe_records": records}).encode()).rows,
        [tuple(row) for row in rows],
    ):
        found = [(w.row, [FEATURE_NAMES[p] for p in w.features]) for w in ranges.outside(parsed)]
        assert found == expected(WDBC, rows)
