"""Linear Learner's inference formats, in and out, as the stand-in's container speaks them."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standin.inference import CSV, JSON, JSONLINES, ContainerError, invoke
from standin.model import LinearScorer
from tests.support.rows import FEATURE_COUNT
from tests.support.standin_harness import SENTINEL, csv_row, make_artifact

SCORER = LinearScorer(make_artifact())  # score = sigmoid(first value)
ROW = [2.0] + [1.0] * (FEATURE_COUNT - 1)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (CSV, f"{csv_row(2.0)}\r\n{csv_row(-2.0)}"),
        ("text/csv; charset=utf-8", f" {csv_row(2.0)}\n{csv_row('-2e0')}\n"),
        (JSON, json.dumps({"instances": [{"features": ROW}, {"features": [-2, *ROW[1:]]}]})),
        (JSONLINES, f'{{"features": {ROW}}}\n{{"features": {[-2.0, *ROW[1:]]}}}\n'),
    ],
)
def test_each_format_scores_every_row_in_order(content_type: str, body: str) -> None:
    answer, media_type = invoke(SCORER, body.encode(), content_type, None)
    predictions = json.loads(answer)["predictions"]
    assert media_type == JSON
    assert [p["predicted_label"] for p in predictions] == [1, 0]
    assert predictions[0]["score"] == pytest.approx(0.8807970779778823)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (f"{JSON};q=0, {JSONLINES}", JSONLINES),
        (f"{JSON};q=0, */*", JSONLINES),
        (f"*/*;q=0.5, {JSONLINES};q=0", JSON),
        (f"{JSON};q=nan, application/*", JSONLINES),
    ],
)
def test_a_type_the_accept_gives_q_0_is_never_chosen(accept: str, chosen: str) -> None:
    assert invoke(SCORER, csv_row().encode(), CSV, accept)[1] == chosen


def test_an_accept_refusing_every_type_is_406() -> None:
    with pytest.raises(ContainerError) as caught:
        invoke(SCORER, csv_row().encode(), CSV, f"*/*;q=0, {JSON};q=0.0")
    assert caught.value.status == 406


def test_json_lines_out_is_one_object_a_line() -> None:
    answer, media_type = invoke(SCORER, f"{csv_row(0)}\n{csv_row(0)}".encode(), CSV, JSONLINES)
    assert media_type == JSONLINES
    assert [json.loads(line) for line in answer.decode().splitlines()] == [
        {"score": 0.5, "predicted_label": 1}
    ] * 2


@pytest.mark.parametrize(
    ("content_type", "body", "accept", "status", "message"),
    [
        (CSV, csv_row(SENTINEL, FEATURE_COUNT - 1), None, 400, "row 1 has 29 values, expected 30"),
        (CSV, f"{csv_row()}\n{csv_row('nan')}", None, 400, "row 2, value 1 is not a finite"),
        (CSV, csv_row(f"1_{SENTINEL}"), None, 400, "row 1, value 1 is not a finite number"),
        (CSV, csv_row("1e999"), None, 400, "row 1, value 1 is not a finite number"),
        (CSV, "", None, 400, "the body is empty"),
        (CSV, "\xff", None, 400, "not UTF-8"),
        (JSON, '{"instances": []}', None, 400, '{"instances": [{"features": [...]}, ...]}'),
        (JSON, '{"instances": [{"features": [true]}]}', None, 400, "row 1 must be"),
        (JSON, "[" * 100_000, None, 400, "not valid JSON"),
        (JSONLINES, json.dumps({"features": [*ROW[:-1], SENTINEL]}), None, 400, "value 30 is not"),
        (JSONLINES, f"{json.dumps({'features': ROW})}\n[", None, 400, "not valid JSON"),
        ("application/x-recordio-protobuf", csv_row(), None, 415, "content type must be"),
        (CSV, csv_row(), "text/csv", 406, "accept must allow one of"),
    ],
)
def test_refusals_name_the_place_never_the_value(
    content_type: str, body: str, accept: str | None, status: int, message: str
) -> None:
    with pytest.raises(
        ContainerError, match=message.replace("[", r"\[").replace("{", r"\{")
    ) as raised:
        invoke(SCORER, body.encode("latin-1"), content_type, accept)
    assert raised.value.status == status
    assert SENTINEL not in str(raised.value)


@given(
    body=st.binary(max_size=400) | st.text(max_size=400).map(str.encode),
    content_type=st.sampled_from([CSV, JSON, JSONLINES, "text/plain", ""]),
    accept=st.none() | st.text(max_size=30),
)
def test_any_request_is_scored_or_refused_with_a_4xx(
    body: bytes, content_type: str, accept: str | None
) -> None:
    try:
        answer, _ = invoke(SCORER, body, content_type, accept)
        status = 200 if answer else 0
    except ContainerError as error:
        status = error.status
    assert status == 200 or 400 <= status < 500
