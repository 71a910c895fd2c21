from __future__ import annotations

import json

import pytest

from chalicelib.errors import InvalidModelAnswer
from chalicelib.model_answer import EndpointAnswer, Prediction
from tests.support.rows import read_predictions


def answer(body: object, content_type: str = "application/json") -> EndpointAnswer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return EndpointAnswer(body=raw, content_type=content_type, variant="v1")


def test_linear_learner_answers_are_read_in_order() -> None:
    document = {
        "predictions": [
            {"score": 0.97, "predicted_label": 1},
            {"score": 0.02, "predicted_label": 0.0},
        ]
    }
    assert read_predictions(answer(document), expected_rows=2) == [
        Prediction(outcome=1, probability=0.97),
        Prediction(outcome=0, probability=0.02),
    ]


def test_the_label_is_the_endpoints_not_the_score_truncated() -> None:
    # The walk-through's bug was int(score): 0.97 -> 0 -> "B". A threshold below 0.5 can
    # also make a low score malignant; either way the label is what the model said.
    document = {"predictions": [{"score": 0.4, "predicted_label": 1}]}
    (prediction,) = read_predictions(answer(document), expected_rows=1)
    assert prediction.outcome == 1


@pytest.mark.parametrize(
    ("body", "content_type", "message_part"),
    [
        ({"predictions": [{"score": 0.5, "predicted_label": 0}]}, "text/csv", "media type"),
        (b"not json", "application/json", "not valid JSON"),
        (
            b'{"predictions": [{"score": NaN, "predicted_label": 0}]}',
            "application/json",
            "not valid JSON",
        ),
        (b"[" * 50_000, "application/json", "not valid JSON"),
        ([], "application/json", "no list of predictions"),
        ({"predictions": "0.5"}, "application/json", "no list of predictions"),
        ({"predictions": []}, "application/json", "answered 0 predictions for 1 rows"),
        (
            {"predictions": [{"score": 0.1, "predicted_label": 0}] * 2},
            "application/json",
            "answered 2 predictions for 1 rows",
        ),
        ({"predictions": [0.5]}, "application/json", "is not an object"),
        ({"predictions": [{"predicted_label": 0}]}, "application/json", "no probability"),
        (
            {"predictions": [{"score": 1.5, "predicted_label": 1}]},
            "application/json",
            "no probability",
        ),
        (
            {"predictions": [{"score": -0.1, "predicted_label": 0}]},
            "application/json",
            "no probability",
        ),
        (
            {"predictions": [{"score": "0.5", "predicted_label": 0}]},
            "application/json",
            "no probability",
        ),
        (
            {"predictions": [{"score": True, "predicted_label": 0}]},
            "application/json",
            "no probability",
        ),
        (
            {"predictions": [{"score": 0.5, "predicted_label": 7}]},
            "application/json",
            "no label the contract declares",
        ),
        (
            {"predictions": [{"score": 0.5, "predicted_label": 0.5}]},
            "application/json",
            "no label the contract declares",
        ),
        (
            {"predictions": [{"score": 0.5, "predicted_label": True}]},
            "application/json",
            "no label the contract declares",
        ),
        ({"predictions": [{"score": 0.5}]}, "application/json", "no label the contract declares"),
    ],
)
def test_untrusted_answers_are_refused(body: object, content_type: str, message_part: str) -> None:
    with pytest.raises(InvalidModelAnswer) as caught:
        read_predictions(answer(body, content_type), expected_rows=1)
    assert message_part in caught.value.message
    assert caught.value.STATUS_CODE == 502


def test_json_with_a_charset_parameter_is_accepted() -> None:
    document = {"predictions": [{"score": 0.5, "predicted_label": 1}]}
    (prediction,) = read_predictions(answer(document, "application/json; charset=utf-8"), 1)
    assert prediction == Prediction(1, 0.5)
