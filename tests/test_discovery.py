"""GET /health, /model and /openapi.json: open routes that never touch the endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chalice.test import Client

from chalicelib.errors import ConfigurationError, ModelCardUnavailable
from chalicelib.features import FEATURE_NAMES
from chalicelib.model_card import load_model_card
from tests.conftest import MakeClient
from tests.endpoint_twins import FailingEndpoint

PROJECT_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def client(make_client: MakeClient) -> Client:
    # An endpoint that fails loudly proves these routes never call it.
    return make_client(FailingEndpoint(AssertionError("called")), model_card="local.json")


def test_health_answers_without_the_endpoint(client: Client) -> None:
    response = client.http.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body) == {
        "status": "ok",
        "endpoint": "wdbc-test",
        "model_version": load_model_card("local.json")["version"],
    }


def test_the_model_card_lists_features_ranges_and_metrics(client: Client) -> None:
    response = client.http.get("/model")
    card = json.loads(response.body)
    assert response.status_code == 200
    assert [feature["name"] for feature in card["features"]] == list(FEATURE_NAMES)
    assert all(low <= high for low, high in (f["training_range"] for f in card["features"]))
    assert 0.9 <= card["metrics"]["test"]["accuracy"] <= 1.0
    assert "not a diagnostic device" in card["intended_use"].lower()


def test_the_model_card_states_the_threshold_and_the_rule_that_chose_it(client: Client) -> None:
    card = json.loads(client.http.get("/model").body)
    model = json.loads((PROJECT_DIR / "models" / "wdbc-local" / "model.json").read_text())
    assert card["decision_threshold"] == model["threshold"]
    assert card["training"]["threshold_rule"] == {
        "rule": "f-beta",
        "beta": 2.0,
        "description": "the midpoint of the gap between out-of-fold scores with the best F2; "
        "among ties, the one closest to 0.5",
    }
    assert set(card["metrics"]) == {"test", "out_of_fold"}


def test_no_card_is_a_404_in_the_error_shape(make_client: MakeClient) -> None:
    response = make_client(model_card=None).http.get("/model")
    assert response.status_code == 404
    error = json.loads(response.body)["error"]
    assert error["code"] == ModelCardUnavailable.CODE
    assert error["request_id"] == response.headers["X-Request-Id"]


def test_the_spec_is_served_as_committed(client: Client) -> None:
    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    assert json.loads(response.body) == json.loads(
        (PROJECT_DIR / "chalicelib" / "openapi.json").read_text()
    )


@pytest.mark.parametrize(
    ("file_name", "message_part"),
    [
        ("missing.json", "cannot be read"),
        ("../settings.py", "must be a file name in chalicelib/model_cards/"),
    ],
)
def test_a_bad_card_setting_fails_at_start_up(file_name: str, message_part: str) -> None:
    with pytest.raises(ConfigurationError, match=message_part):
        load_model_card(file_name)


def test_a_card_of_another_shape_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("chalicelib.model_card.CARDS_DIR", tmp_path)
    (tmp_path / "odd.json").write_text(json.dumps({"format": "wdbc-model-card/1", "features": []}))
    (tmp_path / "other.json").write_text("[]")
    with pytest.raises(ConfigurationError, match="does not list the 30 WDBC features"):
        load_model_card("odd.json")
    with pytest.raises(ConfigurationError, match="is not a wdbc-model-card/1 document"):
        load_model_card("other.json")
