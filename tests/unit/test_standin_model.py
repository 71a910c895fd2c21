from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit

from standin.inference import ContainerError
from standin.model import (
    FORMAT,
    MULTICLASS,
    REGRESSOR,
    LinearLearner,
    LinearScorer,
    ModelFile,
    ModelFileError,
    Prediction,
    load_model,
    read_linear_model,
    sigmoid,
)
from tests.support.rows import FEATURE_COUNT
from tests.support.standin_harness import linear_document, make_artifact
from training.artifact import ModelArtifact, load_artifact, save_artifact, write_json

REST = (0.0,) * (FEATURE_COUNT - 2)


def unfolded_margin(artifact: ModelArtifact, row: tuple[float, ...]) -> float:
    """The formula as the artifact states it, before folding."""
    return artifact.intercept + math.fsum(
        weight * (value - mean) / scale
        for weight, value, mean, scale in zip(
            artifact.weights, row, artifact.means, artifact.scales, strict=True
        )
    )


def test_score_matches_a_hand_computation() -> None:
    artifact = make_artifact(
        weights=(2.0, -4.0, *REST),
        means=(1.0,) * FEATURE_COUNT,
        scales=(2.0,) * FEATURE_COUNT,
        intercept=0.5,
    )
    # margin = 0.5 + 2 * (3 - 1) / 2 - 4 * (5 - 1) / 2 = 0.5 + 2 - 8 = -5.5
    [prediction] = LinearScorer(artifact).predict([(3.0, 5.0, *REST)])
    assert prediction.score == pytest.approx(1.0 / (1.0 + math.exp(5.5)), rel=1e-12)
    assert prediction.predicted_label == 0


def test_predicts_one_answer_per_row_in_order() -> None:
    scorer = LinearScorer(make_artifact())
    rows = [(0.0, 0.0, *REST), (2.0, 0.0, *REST), (-2.0, 0.0, *REST)]
    assert [p.predicted_label for p in scorer.predict(rows)] == [1, 1, 0]
    assert scorer.predict(rows)[0] == Prediction(0.5, 1)


@pytest.mark.parametrize(("threshold", "expected_label"), [(0.5, 1), (math.nextafter(0.5, 1.0), 0)])
def test_a_score_equal_to_the_threshold_is_malignant(threshold: float, expected_label: int) -> None:
    scorer = LinearScorer(make_artifact(threshold=threshold))
    assert scorer.predict([(0.0,) * FEATURE_COUNT])[0].predicted_label == expected_label


@pytest.mark.parametrize(
    ("first_value", "expected_score"),
    [
        (1000.0, 1.0),
        (-1000.0, 0.0),
        (1e308, 1.0),
        (-1e308, 0.0),
        (-745.0, pytest.approx(math.exp(-745.0))),
    ],
)
def test_large_margins_do_not_overflow(first_value: float, expected_score: object) -> None:
    scorer = LinearScorer(make_artifact(weights=(10.0, *(0.0,) * (FEATURE_COUNT - 1))))
    [prediction] = scorer.predict([(first_value / 10.0, *(0.0,) * (FEATURE_COUNT - 1))])
    assert prediction.score == expected_score


def test_terms_that_overflow_to_infinity_still_give_a_label() -> None:
    scorer = LinearScorer(make_artifact(weights=(10.0, *(0.0,) * (FEATURE_COUNT - 1))))
    [prediction] = scorer.predict([(1e308, *(0.0,) * (FEATURE_COUNT - 1))])
    assert prediction == Prediction(1.0, 1)


def test_opposite_infinite_terms_are_refused_without_the_values() -> None:
    scorer = LinearScorer(make_artifact(weights=(10.0, -10.0, *REST)))
    with pytest.raises(ContainerError, match="row 2 cannot be scored") as raised:
        scorer.predict([(0.0,) * FEATURE_COUNT, (1e308, 1e308, *REST)])
    assert "1e+308" not in str(raised.value)


def test_a_row_of_the_wrong_length_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="row 1 has 29 values, not 30"):
        LinearScorer(make_artifact()).predict([(0.0,) * (FEATURE_COUNT - 1)])


def test_scales_too_small_to_fold_fail_at_start_up() -> None:
    with pytest.raises(ModelFileError, match="too small"):
        LinearScorer(make_artifact(scales=(5e-324,) * FEATURE_COUNT, weights=(1.0,) * 30))


def small_model(predictor_type: str, weights: Any, intercept: Any) -> ModelFile:
    """Two features, each standardised as (x - 1) / 2."""
    return ModelFile(
        predictor_type, ("a", "b"), (1.0, 1.0), (2.0, 2.0), weights, intercept, None, ""
    )


def test_multiclass_is_the_softmax_of_the_margins() -> None:
    model = small_model(MULTICLASS, ((2.0, 0.0), (0.0, 2.0), (0.0, 0.0)), (0.0, 1.0, 0.0))
    # (3, 1) standardises to (1, 0): margins 2, 1, 0.
    [prediction] = LinearScorer(model).predict([(3.0, 1.0)])
    total = math.e**2 + math.e + 1.0
    assert prediction.score == pytest.approx((math.e**2 / total, math.e / total, 1 / total))
    assert prediction.predicted_label == 0
    [prediction] = LinearScorer(model).predict([(1.0, 2.0)])  # margins 0, 2, 0
    assert prediction.predicted_label == 1


def test_a_regressor_answers_the_margin_and_no_label() -> None:
    model = small_model(REGRESSOR, (3.0, -1.0), 10.0)
    # (3, 5) standardises to (1, 2): 10 + 3 * 1 - 1 * 2 = 11.
    assert LinearScorer(model).predict([(3.0, 5.0)]) == [Prediction(pytest.approx(11.0))]


@pytest.mark.parametrize(
    "model",
    [
        small_model(REGRESSOR, (10.0, 10.0), 0.0),
        small_model(MULTICLASS, ((10.0, 0.0), (0.0, 0.0), (0.0, 0.0)), (0.0, 0.0, 0.0)),
    ],
)
def test_an_infinite_margin_is_refused_but_by_a_sigmoid(model: ModelFile) -> None:
    with pytest.raises(ContainerError, match="row 1 cannot be scored"):
        LinearScorer(model).predict([(1e308, 1e308)])


@pytest.mark.parametrize("margin", [-1e308, -800.0, -1.0, 0.0, 1.0, 800.0, 1e308, math.inf])
def test_sigmoid_is_symmetric_and_bounded(margin: float) -> None:
    assert 0.0 <= sigmoid(margin) <= 1.0
    assert sigmoid(margin) + sigmoid(-margin) == pytest.approx(1.0)


finite = st.floats(min_value=-1e3, max_value=1e3)


@given(
    weights=st.tuples(*[finite] * FEATURE_COUNT),
    means=st.tuples(*[finite] * FEATURE_COUNT),
    scales=st.tuples(*[st.floats(min_value=1e-3, max_value=1e3)] * FEATURE_COUNT),
    intercept=finite,
    row=st.tuples(*[finite] * FEATURE_COUNT),
)
def test_folding_keeps_the_artifacts_formula(
    weights: tuple[float, ...],
    means: tuple[float, ...],
    scales: tuple[float, ...],
    intercept: float,
    row: tuple[float, ...],
) -> None:
    artifact = make_artifact(weights=weights, means=means, scales=scales, intercept=intercept)
    [prediction] = LinearScorer(artifact).predict([row])
    # scipy's logistic function, not the stand-in's sigmoid: the oracle shares no code with it.
    assert prediction.score == pytest.approx(float(expit(unfolded_margin(artifact, row))), abs=1e-6)


# The artifact file: training writes it, the stand-in's reader is the one check of its format.


BASE = make_artifact(weights=(0.5,) * FEATURE_COUNT, intercept=0.1)


def valid_document() -> dict[str, Any]:
    return BASE.to_json()


def test_a_saved_artifact_loads_back_equal(tmp_path: Path) -> None:
    save_artifact(BASE, tmp_path / "deep" / "model.json")
    assert load_artifact(tmp_path / "deep" / "model.json") == BASE
    assert load_model(tmp_path / "deep" / "model.json").version == BASE.version


def _with(key: str, value: Any) -> dict[str, Any]:
    return {**valid_document(), key: value}


def _without(key: str) -> dict[str, Any]:
    document = valid_document()
    del document[key]
    return document


def test_the_writer_writes_each_predictor_type_the_standin_reads(tmp_path: Path) -> None:
    regressor = replace(BASE, predictor_type=REGRESSOR)
    save_artifact(regressor, tmp_path / "model.json")
    assert "threshold" not in json.loads((tmp_path / "model.json").read_text())
    model = read_linear_model(tmp_path / "model.json")
    assert (model.predictor_type, model.threshold, model.version) == (
        REGRESSOR, None, regressor.version
    )  # fmt: skip
    assert regressor.version != BASE.version  # the predictor type is a parameter


PARAMETERS_WRONG = "do not describe a linear model"
DESCRIPTION_WRONG = "needs a name, and the contract's feature_names in order"


@pytest.mark.parametrize(
    ("document", "message_part"),
    [
        (_with("format", "other/1"), f"is not a {FORMAT} artifact"),
        ([], f"is not a {FORMAT} artifact"),
        (_without("weights"), PARAMETERS_WRONG),
        (_with("intercept", True), PARAMETERS_WRONG),
        (_with("means", [0.0] * 29), PARAMETERS_WRONG),
        (_with("weights", [0.5] * 29 + ["0.5"]), PARAMETERS_WRONG),
        (_with("scales", [1.0] * 29 + [0.0]), PARAMETERS_WRONG),
        (_with("intercept", float("inf")), PARAMETERS_WRONG),
        (_with("threshold", 1.0), PARAMETERS_WRONG),
        (_with("version", "000000000000"), "its version is not the hash of its parameters"),
        (_with("name", 7), DESCRIPTION_WRONG),
    ],
)
def test_a_bad_artifact_says_what_is_wrong(
    tmp_path: Path, document: Any, message_part: str
) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ModelFileError, match=message_part):
        load_artifact(path)


def test_other_feature_names_are_refused_even_with_a_matching_version(tmp_path: Path) -> None:
    save_artifact(replace(BASE, feature_names=("x",) * FEATURE_COUNT), tmp_path / "model.json")
    load_model(tmp_path / "model.json")  # a linear model the stand-in could serve, but not WDBC's
    load_artifact(tmp_path / "model.json")  # of any features, where none are asked for
    with pytest.raises(ModelFileError, match=DESCRIPTION_WRONG):
        load_artifact(tmp_path / "model.json", BASE.feature_names)


@pytest.mark.parametrize(
    ("content", "message_part"),
    [(None, "no model artifact at"), (b"{", "cannot read"), (b"\xff\xfe", "cannot read")],
)
def test_a_bad_file_says_what_is_wrong(
    tmp_path: Path, content: bytes | None, message_part: str
) -> None:
    path = tmp_path / "model.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message_part):
        load_artifact(path)


@pytest.mark.parametrize(
    "changes",
    [
        {"predictor_type": "classifier"},
        {"predictor_type": REGRESSOR},  # and a threshold
        {"threshold": None},
        {"threshold": 1.0},
        {"predictor_type": MULTICLASS, "threshold": None},  # one output
        {"predictor_type": MULTICLASS, "threshold": None, "weights": [[1, 2, 3]] * 2,
         "intercept": [0, 0]},
        {"predictor_type": MULTICLASS, "threshold": None, "weights": [[1, 2]] * 3,
         "intercept": [0, 0, 0]},
        {"predictor_type": MULTICLASS, "threshold": None, "weights": [[1, 2, 3]] * 3},
        {"predictor_type": REGRESSOR, "threshold": None, "intercept": [1.0]},
        {"feature_names": [], "means": [], "scales": [], "weights": []},
        {"weights": [1.0, math.nan, 1.0]},
    ],
)  # fmt: skip
def test_parameters_of_no_linear_model_are_refused(tmp_path: Path, changes: dict[str, Any]) -> None:
    write_json(linear_document(**changes), tmp_path / "model.json")
    with pytest.raises(ModelFileError, match=PARAMETERS_WRONG):
        load_model(tmp_path)


@pytest.mark.parametrize(
    "changes",
    [
        {"predictor_type": MULTICLASS, "threshold": None, "weights": [[1, 2, 3]] * 3,
         "intercept": [0, 0, 0]},
        {"predictor_type": REGRESSOR, "threshold": None},
    ],
)  # fmt: skip
def test_each_predictor_type_loads(tmp_path: Path, changes: dict[str, Any]) -> None:
    write_json(linear_document(**changes), tmp_path / "model.json")
    assert read_linear_model(tmp_path / "model.json").predictor_type == changes["predictor_type"]


def test_a_folder_is_served_by_the_container_of_the_one_model_it_holds(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"must hold one model: model\.json or xgboost-model"):
        load_model(tmp_path)
    write_json(linear_document(), tmp_path / "model.json")
    assert isinstance(load_model(tmp_path), LinearLearner)
    (tmp_path / "xgboost-model.json").write_text("{}")
    with pytest.raises(ModelFileError, match="must hold one model"):
        load_model(tmp_path)


def test_the_version_is_a_content_hash_of_the_parameters_alone() -> None:
    assert replace(BASE, intercept=0.2).version != BASE.version
    assert replace(BASE, name="other").version == BASE.version
    document = valid_document()
    assert json.loads(json.dumps(document)) == document
