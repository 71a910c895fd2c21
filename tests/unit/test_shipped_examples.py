"""The three examples beside WDBC (tests/unit/test_local_model.py checks WDBC itself): each
committed folder is what `make train` writes, within stated tolerances, its card and contract
are made from it, its examples are held-out rows, and `python -m devserver --model NAME` serves it.

Linear models are fitted to their optimum (Newton-Cholesky at 1e-12, or Ridge's exact Cholesky
solve), so a refit agrees with the committed parameters far below 1e-9 relative. XGBoost sums in
float32: a refit's probabilities agree to 1e-6, its labels exactly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost

from chalicelib.contract import MULTICLASS, REGRESSION, ContractError, load_contract
from chalicelib.model_card import CARDS_DIR
from standin.model import load_model
from tests.support.local_stack import PROJECT_DIR
from training.artifact import ModelArtifact, load_artifact
from training.data import load_data
from training.local import LocalTrainingResult, read_model_folder, train_local
from training.model_card import card_document
from training.procedure import predict

EXAMPLES = ("wine", "diabetes", "wdbc-xgboost")
PARAMETER_TOLERANCE = 1e-9  # relative, for every mean, scale, weight and intercept
OUTPUT_TOLERANCE = {"wine": 1e-9, "diabetes": 1e-9, "wdbc-xgboost": 1e-6}  # absolute
THRESHOLD_TOLERANCE = 1e-6  # relative: a midpoint between two out-of-fold probabilities


@pytest.fixture(scope="module", params=EXAMPLES)
def refit(request: pytest.FixtureRequest) -> LocalTrainingResult:
    return train_local(request.param)


def folder(name: str) -> Path:
    return PROJECT_DIR / "models" / name


def linear_output(artifact: ModelArtifact, task: str, features: Any) -> Any:
    """The artifact's documented formula, written out in numpy from its fields alone."""
    standardised = (features - np.array(artifact.means)) / np.array(artifact.scales)
    margins = standardised @ np.array(artifact.weights).T + np.array(artifact.intercept)
    if task == REGRESSION:
        return margins
    exponentials = np.exp(margins - margins.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def test_the_refit_agrees_with_the_committed_model(refit: LocalTrainingResult) -> None:
    contract, name = refit.contract, refit.contract.name
    rows = load_data(contract).features
    fresh = predict(refit.fitted, contract, rows)
    if isinstance(refit.artifact, ModelArtifact):
        committed = load_artifact(folder(name) / "model.json", contract.feature_names)
        for key in ("means", "scales", "weights", "intercept"):
            assert np.asarray(getattr(refit.artifact, key)) == pytest.approx(
                np.asarray(getattr(committed, key)), rel=PARAMETER_TOLERANCE
            ), key
        served = linear_output(committed, contract.task, rows)
    else:
        booster = xgboost.Booster(model_file=str(folder(name) / "xgboost-model.json"))
        served = booster.predict(xgboost.DMatrix(rows))
    assert np.abs(fresh - served).max() <= OUTPUT_TOLERANCE[name]
    if contract.task == MULTICLASS:
        assert (fresh.argmax(axis=1) == served.argmax(axis=1)).all()
    elif contract.task != REGRESSION:
        threshold = load_contract(name).threshold
        assert threshold == pytest.approx(refit.artifact.threshold, rel=THRESHOLD_TOLERANCE)
        assert ((fresh >= threshold) == (served >= threshold)).all()
        # A row whose label flips with the last bits of its score would differ between machines.
        assert np.abs(served - threshold).min() > 1e-5


def test_the_committed_contract_is_the_one_training_completes(refit: LocalTrainingResult) -> None:
    committed = json.loads((folder(refit.contract.name) / "contract.json").read_text("utf-8"))
    completed = refit.document
    if "threshold" in committed:
        threshold = committed.pop("threshold")
        assert completed.pop("threshold") == pytest.approx(threshold, rel=THRESHOLD_TOLERANCE)
    assert completed == committed  # training ranges are the data's own numbers: exactly


def test_the_examples_are_held_out_rows_one_per_class(refit: LocalTrainingResult) -> None:
    contract, test = refit.contract, refit.split.test
    data = load_data(contract)
    labels = []
    for example in contract.examples:
        row = int(example.summary.rsplit(" row ", 1)[1].rstrip(")"))
        assert row in test.row_indices.tolist()  # held out: neither trained nor chosen on
        assert list(example.values) == data.features[row].tolist()
        labels.append(data.labels[row])
    if contract.is_classifier:
        assert labels == [c.label for c in contract.classes]
        assert [e.summary.split()[1] for e in contract.examples] == [
            c.name for c in contract.classes
        ]
    else:
        assert len(labels) == 3


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_committed_card_is_made_from_the_committed_folder(name: str) -> None:
    contract, record = read_model_folder(folder(name))
    card = json.loads((CARDS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    assert card == json.loads(json.dumps(card_document(contract, record)))
    assert card["version"] == load_model(folder(name)).version
    assert [feature["name"] for feature in card["features"]] == list(contract.feature_names)


def test_training_completes_the_contract_its_engineer_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = json.loads((folder("wine") / "contract.json").read_text("utf-8"))
    written = {key: value for key, value in committed.items() if key != "examples"}
    written["features"] = [
        {key: value for key, value in feature.items() if key != "training_range"}
        for feature in committed["features"]
    ]
    (tmp_path / "wine").mkdir()
    (tmp_path / "wine" / "contract.json").write_text(json.dumps(written), encoding="utf-8")
    monkeypatch.setattr("training.data.MODELS_DIR", tmp_path)
    assert train_local("wine").document == committed
    # Examples its engineer wrote stay as they are.
    written["examples"] = [{"summary": "mine", "values": committed["examples"][0]["values"]}]
    (tmp_path / "wine" / "contract.json").write_text(json.dumps(written), encoding="utf-8")
    assert train_local("wine").document["examples"] == written["examples"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "model contract .*/wine/contract.json: JSONDecodeError"),
        (json.dumps({"name": "wine"}), "model contract contract.json: task must be one of"),
    ],
)
def test_a_contract_training_cannot_read_is_refused_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, message: str
) -> None:
    (tmp_path / "wine").mkdir()
    (tmp_path / "wine" / "contract.json").write_text(content, encoding="utf-8")
    monkeypatch.setattr("training.data.MODELS_DIR", tmp_path)
    with pytest.raises(ContractError, match=message):
        train_local("wine")
