from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standin.encoders import encode_json, encoder_for
from standin.errors import NotAcceptable
from standin.media_types import accepts, media_type
from standin.model import Prediction


def test_encodes_linear_learners_binary_classifier_shape() -> None:
    body = encode_json([Prediction(0.12, 0), Prediction(0.97, 1)])
    assert json.loads(body) == {
        "predictions": [
            {"score": 0.12, "predicted_label": 0},
            {"score": 0.97, "predicted_label": 1},
        ]
    }


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "*/*",
        "application/json",
        "Application/JSON; charset=utf-8",
        "application/json;q=0.5",
        "application/*",
        "text/csv, application/json;q=0.1",
        "text/html, */*;q=0.01",
        "application/json;q=1, */*;q=0",
    ],
)
def test_json_is_chosen_when_the_caller_allows_it(accept: str | None) -> None:
    response_type, encoder = encoder_for(accept)
    assert response_type == "application/json"
    assert encoder is encode_json


@pytest.mark.parametrize(
    "accept",
    [
        "text/csv",
        "application/jsonlines",
        "application/x-recordio-protobuf",
        "application/json;q=0",
        "application/json;q=0, */*",  # the most specific range decides
        "*/*;q=0",
        "application/json;q=nonsense",
    ],
)
def test_anything_else_is_not_acceptable(accept: str) -> None:
    with pytest.raises(NotAcceptable, match="application/json"):
        encoder_for(accept)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        (" ; charset=utf-8", None),
        ("text/csv", "text/csv"),
        ("TEXT/CSV ; charset=UTF-8", "text/csv"),
    ],
)
def test_media_type_drops_parameters(header: str | None, expected: str | None) -> None:
    assert media_type(header) == expected


def test_accepts_matches_wildcards_by_main_type() -> None:
    assert accepts("text/*", "text/csv")
    assert not accepts("text/*", "application/json")


@given(
    predictions=st.lists(
        st.builds(
            Prediction,
            st.floats(allow_nan=False, allow_infinity=False) | st.integers(),
            st.integers(),
        ),
        max_size=4,
    )
)
def test_json_is_byte_for_byte_what_json_dumps_writes(predictions: list[Prediction]) -> None:
    document = {
        "predictions": [
            {"score": prediction.score, "predicted_label": prediction.predicted_label}
            for prediction in predictions
        ]
    }
    expected = json.dumps(document, allow_nan=False, separators=(",", ":")).encode()
    assert encode_json(predictions) == expected


@pytest.mark.parametrize("score", [float("nan"), float("inf"), -float("inf")])
def test_a_score_that_is_not_finite_is_refused(score: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        encode_json([Prediction(0.5, 1), Prediction(score, 1)])


def test_the_same_accept_value_gets_the_same_answer_each_time() -> None:
    assert encoder_for("application/json, text/csv;q=0.5") == encoder_for(
        "application/json, text/csv;q=0.5"
    )
    for _ in range(2):
        with pytest.raises(NotAcceptable):
            encoder_for("text/csv")  # a refusal is not remembered as an answer
