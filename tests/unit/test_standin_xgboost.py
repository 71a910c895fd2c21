"""The XGBoost container as the stand-in plays it: a real booster per objective, its formats."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import xgboost
from hypothesis import given
from hypothesis import strategies as st

from standin.inference import CSV, JSON, ContainerError
from standin.model import Container, ModelFileError, load_model
from standin.xgboost_model import XGBoostContainer
from tests.support.standin_harness import SENTINEL, xgboost_model

OBJECTIVES = ("binary:logistic", "multi:softprob", "reg:squarederror")
ROWS = [[13.0, 2.3, 0.96], [12.2, 1.1, 1.3], [14.1, 4.0, 0.6]]
BODY = "".join(",".join(map(str, row)) + "\n" for row in ROWS).encode()
CSV_ANSWER = "text/csv; charset=utf-8"


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        objective: xgboost_model(tmp_path_factory.mktemp(objective.replace(":", "-")), objective)
        for objective in OBJECTIVES
    }


@pytest.fixture(scope="module")
def softprob(folders: dict[str, Path]) -> Container:
    return load_model(folders["multi:softprob"])


def expected(folder: Path) -> list[list[float]]:
    """xgboost's own prediction for ROWS, a list of values a row."""
    booster = xgboost.Booster(model_file=folder / "xgboost-model.json")
    predictions = booster.predict(xgboost.DMatrix(np.array(ROWS)))
    return [list(np.atleast_1d(row)) for row in predictions]


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("accept", [None, "*/*", CSV, "text/csv; q=0.5"])
def test_csv_is_the_default_answer_one_line_a_row(
    folders: dict[str, Path], objective: str, accept: str | None
) -> None:
    answer, media_type = load_model(folders[objective]).invoke(BODY, CSV, accept)
    assert media_type == CSV_ANSWER
    assert answer.endswith(b"\n")
    lines = [list(map(float, line.split(","))) for line in answer.decode().splitlines()]
    assert [len(line) for line in lines] == [3 if objective == "multi:softprob" else 1] * 3
    for line, values in zip(lines, expected(folders[objective]), strict=True):
        assert line == pytest.approx(values, rel=1e-6)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_json_holds_a_score_a_row(folders: dict[str, Path], objective: str) -> None:
    answer, media_type = load_model(folders[objective]).invoke(BODY, "text/csv", "application/json")
    assert media_type == JSON
    predictions = json.loads(answer)["predictions"]
    assert [set(p) for p in predictions] == [{"score"}] * 3
    for prediction, values in zip(predictions, expected(folders[objective]), strict=True):
        score = prediction["score"]
        assert (score if objective == "multi:softprob" else [score]) == pytest.approx(values)


def test_the_answers_are_what_each_objective_means(folders: dict[str, Path]) -> None:
    binary, softprob, regression = (expected(folders[objective]) for objective in OBJECTIVES)
    assert all(0.0 < p < 1.0 for [p] in binary)
    assert all(sum(row) == pytest.approx(1.0, abs=1e-6) for row in softprob)
    assert len({value for [value] in regression}) > 1


def test_the_version_is_the_files_hash(folders: dict[str, Path]) -> None:
    content = (folders["binary:logistic"] / "xgboost-model.json").read_bytes()
    model = load_model(folders["binary:logistic"] / "xgboost-model.json")
    assert model.version == hashlib.sha256(content).hexdigest()[:12]


@pytest.mark.parametrize(
    ("content_type", "body", "accept", "status", "message"),
    [
        ("application/json", BODY, None, 415, "content type must be text/csv"),
        (None, BODY, None, 415, "content type must be text/csv"),
        ("text/libsvm", b"1:13.0 2:2.3 3:0.96", None, 415, "content type must be text/csv"),
        (CSV, b"13.0,2.3", None, 400, "row 1 has 2 values, expected 3"),
        (CSV, f"13.0,{SENTINEL}x,1".encode(), None, 400, "row 1, value 2 is not a finite"),
        (CSV, b"13.0,,1", None, 400, "row 1, value 2 is not a finite"),
        (CSV, b"", None, 400, "the body is empty"),
        (CSV, BODY, "text/plain", 406, "accept must be one of"),
        (CSV, BODY, "text/csv, application/json", 406, "accept must be one of"),
        (CSV, BODY, "application/jsonlines", 500, "no encoder for application/jsonlines"),
        (CSV, BODY, "application/x-recordio-protobuf", 500, "no encoder"),
    ],
)
def test_refusals_are_the_containers_and_name_no_value(
    folders: dict[str, Path],
    content_type: str | None,
    body: bytes,
    accept: str | None,
    status: int,
    message: str,
) -> None:
    with pytest.raises(ContainerError, match=message) as raised:
        load_model(folders["binary:logistic"]).invoke(body, content_type, accept)
    assert raised.value.status == status
    assert SENTINEL not in str(raised.value)


@pytest.mark.parametrize("content", [b"{}", b"\x00garbage", b'{"learner": 1}'])
def test_a_file_xgboost_cannot_load_is_refused(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "xgboost-model.json").write_bytes(content)
    with pytest.raises(ModelFileError, match="as an XGBoost model: XGBoostError"):
        load_model(tmp_path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no model artifact at"):
        XGBoostContainer(tmp_path / "xgboost-model.json")


@given(
    body=st.binary(max_size=200) | st.text("0123456789.,-e\n \t", max_size=200).map(str.encode),
    accept=st.none() | st.sampled_from([CSV, JSON, "*/*", "application/jsonlines", "a/b"]),
)
def test_any_body_is_scored_or_refused_as_the_container_would(
    softprob: Container, body: bytes, accept: str | None
) -> None:
    try:
        softprob.invoke(body, CSV, accept)
        status = 200
    except ContainerError as error:
        status = error.status
    assert status in (200, 406, 400) or (status, accept) == (500, "application/jsonlines")
