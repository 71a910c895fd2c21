"""GET /health and /model: open routes that never touch the endpoint (/openapi.json:
tests/{unit,functional}/test_openapi.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chalice.test import Client

from chalicelib.errors import ConfigurationError
from chalicelib.model_card import load_model_card
from tests.support.apps import MakeClient
from tests.support.endpoint_twins import FailingEndpoint
from tests.support.rows import FEATURE_NAMES

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(make_client: MakeClient) -> Client:
    # An endpoint that fails loudly proves these routes never call it.
    return make_client(FailingEndpoint(AssertionError("called")), model_card="wdbc.json")


def test_health_answers_without_the_endpoint(client: Client) -> None:
    response = client.http.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body) == {
        "status": "ok",
        "endpoint": "wdbc-test",
        "model_version": load_model_card("wdbc.json", FEATURE_NAMES)["version"],
    }


def test_the_model_is_its_contract_and_card(client: Client) -> None:
    response = client.http.get("/model")
    model = json.loads(response.body)
    assert response.status_code == 200
    assert [feature["name"] for feature in model["features"]] == list(FEATURE_NAMES)
    assert all(low <= high for low, high in (f["training_range"] for f in model["features"]))
    assert model["route"] == "/predictbreastcancer"
    assert model["version"] == model["card"]["version"]
    assert 0.9 <= model["card"]["metrics"]["test"]["accuracy"] <= 1.0
    assert "not a diagnostic device" in model["card"]["intended_use"].lower()


def test_the_model_states_the_threshold_and_the_rule_that_chose_it(client: Client) -> None:
    model = json.loads(client.http.get("/model").body)
    artifact = json.loads((PROJECT_DIR / "models" / "wdbc" / "model.json").read_text())
    assert model["threshold"] == model["card"]["decision_threshold"] == artifact["threshold"]
    assert model["card"]["training"]["threshold_rule"] == {
        "rule": "f-beta",
        "beta": 2.0,
        "description": "the midpoint of the gap between out-of-fold scores with the best F2; "
        "among ties, the one closest to 0.5",
    }
    assert set(model["card"]["metrics"]) == {"test", "out_of_fold"}


def test_without_a_card_the_model_is_its_contract(make_client: MakeClient) -> None:
    response = make_client(model_card=None).http.get("/model")
    assert response.status_code == 200
    model = json.loads(response.body)
    assert (model["name"], model["version"], model["card"]) == ("wdbc", None, None)


@pytest.mark.parametrize(
    ("file_name", "message_part"),
    [
        ("missing.json", "cannot be read"),
        ("../settings.py", "must be a file name in chalicelib/model_cards/"),
    ],
)
def test_a_bad_card_setting_fails_at_start_up(file_name: str, message_part: str) -> None:
    with pytest.raises(ConfigurationError, match=message_part):
        load_model_card(file_name, FEATURE_NAMES)


def test_a_card_of_another_shape_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chalicelib.model_card.CARDS_DIR", tmp_path)
    (tmp_path / "odd.json").write_text(json.dumps({"format": "model-card/1", "features": []}))
    (tmp_path / "other.json").write_text("[]")
    with pytest.raises(ConfigurationError, match="does not list the model contract's 30 features"):
        load_model_card("odd.json", FEATURE_NAMES)
    with pytest.raises(ConfigurationError, match="is not a model-card/1 document"):
        load_model_card("other.json", FEATURE_NAMES)
