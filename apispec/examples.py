"""Request examples: the README's row, in each form the API takes."""

from __future__ import annotations

from typing import Any

from chalicelib import oip, payload
from chalicelib.contract import load_contract

_WDBC = load_contract("wdbc")  # until this module reads the stage's contract
FEATURE_NAMES, FEATURE_COUNT = _WDBC.feature_names, _WDBC.feature_count

# The README's example: a benign row of the WDBC data set, in WDBC order.
EXAMPLE_ROW = (
    "13.49,22.3,86.91,561.0,0.08752,0.07698,0.04751,0.03384,0.1809,0.05718,0.2338,1.353,1.735,"
    "20.2,0.004455,0.01382,0.02095,0.01184,0.01641,0.001956,15.15,31.82,99.0,698.8,0.1162,"
    "0.1711,0.2282,0.1282,0.2871,0.06917"
)
EXAMPLE_VALUES = [float(value) for value in EXAMPLE_ROW.split(",")]


def json_requests() -> dict[str, Any]:
    named = dict(zip(FEATURE_NAMES, EXAMPLE_VALUES, strict=True))
    return {
        "text": {
            "summary": "One row as a CSV line (the walk-through's form)",
            "value": {payload.DATA: EXAMPLE_ROW},
        },
        "numbers": {
            "summary": "One row as numbers",
            "value": {payload.DATA: EXAMPLE_VALUES},
        },
        "features": {
            "summary": "One row by feature name",
            "value": {payload.FEATURES: named},
        },
        "linear_learner": {
            "summary": "One row as Linear Learner's JSON: features by position",
            "value": {payload.FEATURES: EXAMPLE_VALUES},
        },
        "batch": {
            "summary": "A batch mixing the forms",
            "value": {
                payload.INSTANCES: [
                    {payload.DATA: EXAMPLE_ROW},
                    {payload.DATA: EXAMPLE_VALUES},
                    {payload.FEATURES: named},
                    {payload.FEATURES: EXAMPLE_VALUES},
                    EXAMPLE_VALUES,
                    EXAMPLE_ROW,
                ]
            },
        },
        "instances": {
            "summary": "A batch as TF Serving and KServe v1 send it: arrays of numbers",
            "value": {payload.INSTANCES: [EXAMPLE_VALUES, EXAMPLE_VALUES]},
        },
        "dataframe_split": {
            "summary": "MLflow: a DataFrame split into columns and rows",
            "value": {
                payload.DATAFRAME_SPLIT: {
                    payload.COLUMNS: list(FEATURE_NAMES),
                    payload.DATA: [EXAMPLE_VALUES],
                }
            },
        },
        "dataframe_records": {
            "summary": "MLflow: a DataFrame as records",
            "value": {payload.DATAFRAME_RECORDS: [named]},
        },
    }


def oip_requests() -> dict[str, Any]:
    tensor = {
        "name": oip.INPUT_NAME,
        "shape": [2, len(EXAMPLE_VALUES)],
        "datatype": "FP64",
        "data": EXAMPLE_VALUES * 2,
    }
    return {
        "flat": {"summary": "Two rows, row-major", "value": {"id": "req-1", "inputs": [tensor]}},
        "nested": {
            "summary": "One row, nested, FP32, one output",
            "value": {
                "inputs": [
                    {**tensor, "shape": [1, 30], "datatype": "FP32", "data": [EXAMPLE_VALUES]}
                ],
                "outputs": [{"name": _WDBC.probability_field}],
            },
        },
    }


def csv_requests() -> dict[str, Any]:
    return {
        "rows": {"summary": "Rows in WDBC order", "value": f"{EXAMPLE_ROW}\n{EXAMPLE_ROW}\n"},
        "header": {
            "summary": "A header, then rows in its order",
            "value": f"{','.join(FEATURE_NAMES)}\n{EXAMPLE_ROW}\n",
        },
    }
