"""The contract loader: every shipped contract loads, and every bad one is refused by its key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.contract import (
    BINARY,
    CONTRACTS_DIR,
    ContractError,
    load_contract,
    parse_contract,
    read_contract,
)
from tests.support.contracts import (
    BINARY_DOCUMENT,
    MULTICLASS_DOCUMENT,
    REGRESSION_DOCUMENT,
    class_list,
    contract,
    document,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
MODELS_DIR = PROJECT_DIR / "models"


def test_every_model_folder_has_its_contract_shipped() -> None:
    contracts = {path.parent.name for path in MODELS_DIR.glob("*/contract.json")}
    shipped = {path.stem for path in CONTRACTS_DIR.glob("*.json")}
    assert contracts == shipped
    for name in shipped:
        shipped_path = CONTRACTS_DIR / f"{name}.json"
        # One file, described once: the shipped one is the model folder's, through a link.
        assert shipped_path.resolve() == (MODELS_DIR / name / "contract.json").resolve()
        assert load_contract(name).name == name


def test_the_shipped_default_is_wdbc_as_the_walk_through_has_it() -> None:
    wdbc = load_contract("wdbc")
    assert (wdbc.task, wdbc.route, wdbc.feature_count) == (BINARY, "/predictbreastcancer", 30)
    assert [(c.code, c.name, c.label) for c in wdbc.classes] == [
        ("B", "benign", 0),
        ("M", "malignant", 1),
    ]
    assert wdbc.probability_field == "probability_malignant"


def test_defaults_and_derived_facts() -> None:
    toy = contract(BINARY_DOCUMENT)
    assert toy.route == "/predict"
    assert toy.feature_names == ("alcohol", "Malic_Acid", "hue")
    assert toy.features[0].limits == (0.0, 100.0)
    assert toy.features[1].limits == (None, None)
    assert toy.positive_index == 1
    assert toy.answer.accept == "application/json"
    assert toy.answer.label_attribute == "predicted_label"
    regression = contract(REGRESSION_DOCUMENT)
    assert (regression.route, regression.classes, regression.threshold) == ("/score", (), None)
    assert regression.answer.label_attribute == "score"


def test_xgboost_and_custom_answers_locate_the_outcome() -> None:
    xgboost = contract(MULTICLASS_DOCUMENT, answer={"format": "xgboost"})
    assert (xgboost.answer.accept, xgboost.answer.probability_index) == ("text/csv", 0)
    assert xgboost.answer.label_index is None
    as_json = contract(BINARY_DOCUMENT, answer={"format": "xgboost", "accept": "application/json"})
    assert (as_json.answer.records, as_json.answer.probability_attribute) == (
        "predictions",
        "score",
    )
    custom = contract(
        BINARY_DOCUMENT,
        answer={
            "format": "custom",
            "accept": "application/json",
            "records": "outputs",
            "probability_attribute": "p",
            "label_attribute": "verdict",
        },
    )
    assert (custom.answer.records, custom.answer.probability_attribute) == ("outputs", "p")


BAD_CONTRACTS: list[tuple[dict[str, Any], str]] = [
    (document(BINARY_DOCUMENT, colour="red"), "the contract has unknown key(s) colour"),
    (document(BINARY_DOCUMENT, name="WDBC"), "name is not valid"),
    (document(BINARY_DOCUMENT, name=None), "name must be a non-empty string"),
    (document(BINARY_DOCUMENT, task="clustering"), "task must be one of"),
    (document(BINARY_DOCUMENT, route="/health"), "route is one of the API's own paths"),
    (document(BINARY_DOCUMENT, route="/v2/models/x"), "route is one of the API's own paths"),
    (document(BINARY_DOCUMENT, route="predict"), "route is not valid"),
    (document(BINARY_DOCUMENT, target="the verdict"), "target is not valid"),
    (document(BINARY_DOCUMENT, features=[]), "features must be an array of at least 1"),
    (
        document(BINARY_DOCUMENT, features=[{"name": "1st", "training_range": [0, 1]}]),
        "features[0].name is not valid",
    ),
    (
        document(
            BINARY_DOCUMENT,
            features=[
                {"name": "hue", "training_range": [0, 1]},
                {"name": "HUE", "training_range": [0, 1]},
            ],
        ),
        "features[1].name repeats an earlier name",
    ),
    (
        document(BINARY_DOCUMENT, features=[{"name": "hue", "training_range": [2, 1]}]),
        "features[0].training_range must be [low, high], low <= high",
    ),
    (
        document(BINARY_DOCUMENT, features=[{"name": "hue"}]),
        "features[0].training_range must be an array of two numbers",
    ),
    (
        document(
            BINARY_DOCUMENT, features=[{"name": "hue", "training_range": [0, 1], "limits": [5, 1]}]
        ),
        "features[0].limits must be [low, high] with low <= high",
    ),
    (
        document(BINARY_DOCUMENT, features=[{"name": "hue", "training_range": [0, 1], "size": 3}]),
        "features[0] has unknown key(s) size",
    ),
    (
        document(BINARY_DOCUMENT, positive_class="a", classes=BINARY_DOCUMENT["classes"][:1]),
        "classes must be an array of at least 2",
    ),
    (
        document(MULTICLASS_DOCUMENT, classes=MULTICLASS_DOCUMENT["classes"][:2]),
        "classes must be an array of at least 3",
    ),
    (
        document(
            BINARY_DOCUMENT,
            classes=[*BINARY_DOCUMENT["classes"], {"code": "x", "name": "x", "label": 2}],
        ),
        "classes must hold exactly two classes",
    ),
    (
        document(BINARY_DOCUMENT, classes=class_list(("a b", "a", 0), ("c", "c", 1))),
        "classes[0].code is not valid",
    ),
    (
        document(BINARY_DOCUMENT, classes=class_list(("a", "a", 0), ("a", "b", 1))),
        "classes repeat a code",
    ),
    (
        document(BINARY_DOCUMENT, classes=class_list(("a", "a", None), ("b", "b", 1))),
        "classes[0].label must be the endpoint's label",
    ),
    (
        document(
            BINARY_DOCUMENT, positive_class="a", classes=class_list(("a", "a", 1), ("b", "b", 0))
        ),
        "classes must have the labels 0, 1, ... in order for linear-learner",
    ),
    (document(BINARY_DOCUMENT, positive_class="maybe"), "positive_class must be one of no, yes"),
    (document(BINARY_DOCUMENT, threshold=1.0), "threshold must be a probability strictly between"),
    (document(BINARY_DOCUMENT, threshold="0.5"), "threshold must be a finite number"),
    (document(MULTICLASS_DOCUMENT, threshold=0.5), "threshold is for binary_classification only"),
    (
        document(REGRESSION_DOCUMENT, classes=BINARY_DOCUMENT["classes"]),
        "classes is for classifiers",
    ),
    (document(BINARY_DOCUMENT, answer="linear-learner"), "answer must be an object"),
    (document(BINARY_DOCUMENT, answer={"format": "onnx"}), "format must be one of"),
    (
        document(BINARY_DOCUMENT, answer={"format": "linear-learner", "accept": "text/csv"}),
        "answer.accept must be one of application/json, application/jsonlines for linear-learner",
    ),
    (
        document(BINARY_DOCUMENT, answer={"format": "xgboost", "accept": "application/jsonlines"}),
        "answer.accept must be one of text/csv, application/json for xgboost",
    ),
    (
        document(BINARY_DOCUMENT, answer={"format": "xgboost", "records": "x"}),
        "answer.records is set by the xgboost format itself",
    ),
    (
        document(BINARY_DOCUMENT, answer={"format": "custom", "accept": "text/csv"}),
        "answer must locate the probability",
    ),
    (
        document(
            REGRESSION_DOCUMENT,
            answer={"format": "custom", "accept": "application/json", "probability_attribute": "p"},
        ),
        "answer must locate the predicted value",
    ),
    (
        document(
            BINARY_DOCUMENT,
            answer={"format": "custom", "accept": "text/csv", "probability_attribute": "p"},
        ),
        "answer.probability_attribute does not apply to text/csv answers",
    ),
    (
        document(
            BINARY_DOCUMENT,
            answer={"format": "custom", "accept": "text/csv", "probability_index": -1},
        ),
        "answer.probability_index must be a column number from 0",
    ),
    (document(BINARY_DOCUMENT, examples=[]), "examples must be an array of at least 1"),
    (
        document(BINARY_DOCUMENT, examples=[{"summary": "short", "values": [1.0, 2.0]}]),
        "examples[0].values must be 3 numbers, one per feature",
    ),
    (
        document(BINARY_DOCUMENT, examples=[{"summary": "nan", "values": [1.0, 2.0, "x"]}]),
        "examples[0].values must be a finite number",
    ),
]


@pytest.mark.parametrize(("bad", "message"), BAD_CONTRACTS)
def test_a_bad_contract_is_refused_naming_its_key(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ContractError) as refused:
        parse_contract(bad, "bad.json")
    assert str(refused.value).startswith("model contract bad.json: ")
    assert message in str(refused.value)


def test_a_contract_file_that_is_not_json_or_missing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="no model contract at"):
        read_contract(tmp_path / "missing.json")
    (tmp_path / "nan.json").write_text(json.dumps(BINARY_DOCUMENT).replace("0.3", "NaN"))
    with pytest.raises(ContractError, match="cannot be read as JSON"):
        read_contract(tmp_path / "nan.json")


@pytest.mark.parametrize("name", ["../settings", "WDBC", "", "a/b"])
def test_the_model_setting_names_a_shipped_contract_only(name: str) -> None:
    with pytest.raises(ContractError, match="is not a model name"):
        load_contract(name)
