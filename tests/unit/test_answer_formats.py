"""Each endpoint's answer format, read as a contract declares it, and refused when it lies.

The formats are the documented ones: Linear Learner's JSON and JSON Lines
(docs.aws.amazon.com/sagemaker/latest/dg/LL-in-formats.html) and the XGBoost container's CSV and
JSON (aws/sagemaker-xgboost-container, algorithm_mode/serve.py, serve_utils.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.errors import InvalidModelAnswer
from chalicelib.model_answer import AnswerReader, EndpointAnswer, Prediction
from tests.support.contracts import (
    BINARY_DOCUMENT,
    MULTICLASS_DOCUMENT,
    REGRESSION_DOCUMENT,
    contract,
)

JSON, JSON_LINES, CSV = "application/json", "application/jsonlines", "text/csv"


def read(
    base: dict[str, Any], answer: dict[str, Any], body: object, content_type: str, rows: int
) -> list[Prediction]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    reader = AnswerReader(contract(base, answer=answer))
    return reader.read(EndpointAnswer(raw, content_type, "v1"), rows)


LINEAR_LEARNER = {"format": "linear-learner"}
LINEAR_LEARNER_LINES = {"format": "linear-learner", "accept": JSON_LINES}
XGBOOST = {"format": "xgboost"}
XGBOOST_JSON = {"format": "xgboost", "accept": JSON}


@pytest.mark.parametrize(
    ("base", "answer", "body", "content_type", "expected"),
    [
        # Linear Learner, binary: its own label, whatever the score (the threshold is its own).
        (
            BINARY_DOCUMENT,
            LINEAR_LEARNER,
            {
                "predictions": [
                    {"score": 0.4, "predicted_label": 1},
                    {"score": 0.1, "predicted_label": 0.0},
                ]
            },
            JSON,
            [Prediction(1, 0.4), Prediction(0, 0.1)],
        ),
        (
            BINARY_DOCUMENT,
            LINEAR_LEARNER_LINES,
            b'{"score": 0.4, "predicted_label": 1}\n{"score": 0.1, "predicted_label": 0}\n',
            JSON_LINES,
            [Prediction(1, 0.4), Prediction(0, 0.1)],
        ),
        # Linear Learner, multiclass: the classes' probabilities and its label.
        (
            MULTICLASS_DOCUMENT,
            LINEAR_LEARNER,
            {"predictions": [{"score": [0.1, 0.2, 0.7], "predicted_label": 2}]},
            JSON,
            [Prediction(2, (0.1, 0.2, 0.7))],
        ),
        (
            MULTICLASS_DOCUMENT,
            LINEAR_LEARNER_LINES,
            b'{"score": [0.5, 0.3, 0.2], "predicted_label": 0.0}',
            JSON_LINES,
            [Prediction(0, (0.5, 0.3, 0.2))],
        ),
        # Linear Learner, regressor: the score is the value.
        (
            REGRESSION_DOCUMENT,
            LINEAR_LEARNER,
            {"predictions": [{"score": 151.5}, {"score": -3}]},
            JSON,
            [Prediction(151.5), Prediction(-3.0)],
        ),
        (
            REGRESSION_DOCUMENT,
            LINEAR_LEARNER_LINES,
            b'{"score": 2.5}\n',
            JSON_LINES,
            [Prediction(2.5)],
        ),
        # XGBoost, CSV: the probability of class 1 a line; the threshold (0.3) makes the label.
        (
            BINARY_DOCUMENT,
            XGBOOST,
            b"0.31\n0.29\n",
            CSV,
            [Prediction(1, 0.31), Prediction(0, 0.29)],
        ),
        (BINARY_DOCUMENT, XGBOOST, b"0.3", CSV, [Prediction(1, 0.3)]),
        # multi:softprob: a row of the classes' probabilities; the most probable is the label.
        (
            MULTICLASS_DOCUMENT,
            XGBOOST,
            b"0.1,0.6,0.3\n0.8,0.1,0.1\n",
            CSV,
            [Prediction(1, (0.1, 0.6, 0.3)), Prediction(0, (0.8, 0.1, 0.1))],
        ),
        (
            REGRESSION_DOCUMENT,
            XGBOOST,
            b"151.25\n-2e-3\n",
            CSV,
            [Prediction(151.25), Prediction(-0.002)],
        ),
        # XGBoost, JSON: {"predictions": [{"score": ...}]}.
        (
            BINARY_DOCUMENT,
            XGBOOST_JSON,
            {"predictions": [{"score": 0.9}]},
            JSON,
            [Prediction(1, 0.9)],
        ),
        (
            MULTICLASS_DOCUMENT,
            XGBOOST_JSON,
            {"predictions": [{"score": [0.2, 0.2, 0.6]}]},
            JSON,
            [Prediction(2, (0.2, 0.2, 0.6))],
        ),
        (
            REGRESSION_DOCUMENT,
            XGBOOST_JSON,
            {"predictions": [{"score": 7}]},
            JSON,
            [Prediction(7.0)],
        ),
        # A custom container, declared in Clarify's words: a bare list of records, text labels.
        (
            BINARY_DOCUMENT
            | {
                "classes": [
                    {"code": "no", "name": "fresh", "label": "fresh"},
                    {"code": "yes", "name": "spoiled", "label": "spoiled"},
                ]
            },
            {
                "format": "custom",
                "accept": JSON,
                "probability_attribute": "p",
                "label_attribute": "l",
            },
            [{"p": 0.2, "l": "spoiled"}],
            JSON,
            [Prediction(1, 0.2)],
        ),
        (
            BINARY_DOCUMENT,
            {"format": "custom", "accept": CSV, "probability_index": 1, "label_index": 0},
            b"1,0.75\n0,0.05\n",
            CSV,
            [Prediction(1, 0.75), Prediction(0, 0.05)],
        ),
        (
            MULTICLASS_DOCUMENT,
            {"format": "custom", "accept": CSV, "probability_index": 1},
            b"x,0.25,0.25,0.5\n",
            CSV,
            [Prediction(2, (0.25, 0.25, 0.5))],
        ),
    ],
)
def test_each_documented_format_reads_as_declared(
    base: dict[str, Any],
    answer: dict[str, Any],
    body: object,
    content_type: str,
    expected: list[Prediction],
) -> None:
    assert read(base, answer, body, content_type, len(expected)) == expected


@pytest.mark.parametrize(
    ("base", "answer", "body", "content_type", "message"),
    [
        (BINARY_DOCUMENT, XGBOOST, b"0.5\n", JSON, "unexpected media type"),
        (
            BINARY_DOCUMENT,
            XGBOOST,
            b"0.5,0.3,0.2\n",
            CSV,
            "prediction 1 of the model endpoint has 3 values, not 1",
        ),
        (REGRESSION_DOCUMENT, XGBOOST, b"1.5,2\n", CSV, "has 2 values, not 1"),
        (MULTICLASS_DOCUMENT, XGBOOST, b"0.5,0.5\n", CSV, "has 2 values, not 3"),
        (BINARY_DOCUMENT, XGBOOST, b"0.5\n0.5\n", CSV, "answered 2 predictions for 1 rows"),
        (BINARY_DOCUMENT, XGBOOST, b"nan\n", CSV, "no probability in [0, 1]"),
        (BINARY_DOCUMENT, XGBOOST, b"inf\n", CSV, "no probability in [0, 1]"),
        (BINARY_DOCUMENT, XGBOOST, b"1.5\n", CSV, "no probability in [0, 1]"),
        (BINARY_DOCUMENT, XGBOOST, b"\xff\n", CSV, "not UTF-8"),
        (BINARY_DOCUMENT, XGBOOST, b"\n", CSV, "no probability in [0, 1]"),
        (MULTICLASS_DOCUMENT, XGBOOST, b"0.5,0.5,0.5\n", CSV, "summing to 1"),
        (MULTICLASS_DOCUMENT, XGBOOST, b"0.5,0.5,x\n", CSV, "no 3 class probabilities"),
        (
            MULTICLASS_DOCUMENT,
            LINEAR_LEARNER,
            {"predictions": [{"score": [0.1, 0.2, 0.7], "predicted_label": 3}]},
            JSON,
            "no label the contract declares",
        ),
        (
            MULTICLASS_DOCUMENT,
            LINEAR_LEARNER,
            {"predictions": [{"score": 0.7, "predicted_label": 2}]},
            JSON,
            "no 3 class probabilities",
        ),
        (
            MULTICLASS_DOCUMENT,
            LINEAR_LEARNER,
            {"predictions": [{"score": [0.1, 0.2, -0.3, 1.0], "predicted_label": 2}]},
            JSON,
            "no 3 class probabilities",
        ),
        (
            REGRESSION_DOCUMENT,
            LINEAR_LEARNER,
            {"predictions": [{"score": "1"}]},
            JSON,
            "no finite value",
        ),
        (
            REGRESSION_DOCUMENT,
            LINEAR_LEARNER,
            {"predictions": [{"value": 1}]},
            JSON,
            "no finite value",
        ),
        (REGRESSION_DOCUMENT, LINEAR_LEARNER, {"predictions": [1]}, JSON, "is not an object"),
        (REGRESSION_DOCUMENT, XGBOOST, b"1e999\n", CSV, "no finite value"),
        (
            REGRESSION_DOCUMENT,
            LINEAR_LEARNER_LINES,
            b"{\n",
            JSON_LINES,
            "line 1 of the model endpoint's answer is not valid JSON",
        ),
        (BINARY_DOCUMENT, XGBOOST_JSON, [{"score": 0.5}], JSON, "no list of predictions"),
    ],
)
def test_an_answer_that_does_not_read_as_declared_is_refused(
    base: dict[str, Any], answer: dict[str, Any], body: object, content_type: str, message: str
) -> None:
    with pytest.raises(InvalidModelAnswer) as refused:
        read(base, answer, body, content_type, 1)
    assert message in refused.value.message
    assert refused.value.STATUS_CODE == 502
