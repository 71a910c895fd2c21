from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standin.container import invoke
from standin.model import LinearScorer
from tests.standin_harness import SENTINEL, bad_csv_row, csv_row, make_artifact

pytestmark = pytest.mark.integration

SCORER = LinearScorer(make_artifact())


def test_answers_predictions_as_json() -> None:
    reply = invoke(SCORER, f"{csv_row(0)}\n{csv_row(-50)}\n".encode(), "text/csv", None)
    assert reply.status == HTTPStatus.OK
    assert reply.header("Content-Type") == "application/json"
    assert json.loads(reply.body) == {
        "predictions": [
            {"score": 0.5, "predicted_label": 1},
            {"score": pytest.approx(0.0, abs=1e-20), "predicted_label": 0},
        ]
    }


@pytest.mark.parametrize(
    ("body", "content_type", "accept", "status"),
    [
        (bad_csv_row().encode(), "text/csv", None, HTTPStatus.BAD_REQUEST),
        (csv_row().encode(), "text/plain", None, HTTPStatus.UNSUPPORTED_MEDIA_TYPE),
        (csv_row().encode(), None, None, HTTPStatus.UNSUPPORTED_MEDIA_TYPE),
        (csv_row().encode(), "text/csv", "text/csv", HTTPStatus.NOT_ACCEPTABLE),
        # The content type is judged before the body, and the accept header before the body.
        (b"", "text/plain", "text/csv", HTTPStatus.UNSUPPORTED_MEDIA_TYPE),
        (b"", "text/csv", "text/csv", HTTPStatus.NOT_ACCEPTABLE),
    ],
)
def test_errors_are_a_json_message_with_the_containers_status(
    body: bytes, content_type: str | None, accept: str | None, status: HTTPStatus
) -> None:
    reply = invoke(SCORER, body, content_type, accept)
    assert reply.status == status
    assert reply.header("content-type") == "application/json"
    assert set(json.loads(reply.body)) == {"message"}
    assert SENTINEL.encode() not in reply.body


@given(
    body=st.binary(max_size=300)
    | st.text(alphabet='0123456789.,-e\n\r{}[]":instancefeatur ').map(str.encode),
    content_type=st.sampled_from(["text/csv", "application/json", "text/plain", None]),
    accept=st.sampled_from([None, "*/*", "application/json", "text/csv"]),
)
def test_any_request_gets_200_or_a_4xx_never_a_crash(
    body: bytes, content_type: str | None, accept: str | None
) -> None:
    reply = invoke(SCORER, body, content_type, accept)
    assert reply.status == HTTPStatus.OK or 400 <= reply.status < 500
