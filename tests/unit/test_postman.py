"""The Postman collection: written by `python -m postman` from WDBC's contract, the committed
file the written one, v2.1 with its variables (run by newman: tests/integration/test_postman.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from postman.__main__ import main
from postman.collection import COLLECTION_FILE, ENVIRONMENT_FILE, render, render_environment
from tests.support.collection import COLLECTION, load, requests_in

SCHEMA_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"


def test_the_committed_collection_is_the_one_the_contract_writes() -> None:
    assert COLLECTION_FILE.read_text(encoding="utf-8") == render(), (
        "postman/wdbc.postman_collection.json is out of date: run `python -m postman`"
    )
    assert ENVIRONMENT_FILE.read_text(encoding="utf-8") == render_environment(), (
        "postman/local.postman_environment.json is out of date: run `python -m postman`"
    )


def test_the_environment_sets_the_collections_variables_for_make_run() -> None:
    values = {value["key"]: value for value in load(ENVIRONMENT_FILE)["values"]}
    collection_variables = {variable["key"] for variable in COLLECTION["variable"]}
    assert set(values) == collection_variables
    assert values["baseUrl"]["value"] == "http://127.0.0.1:8000"
    assert (values["apiKey"]["value"], values["apiKey"]["type"]) == ("", "secret")


def test_python_m_postman_writes_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output, environment = tmp_path / "collection.json", tmp_path / "environment.json"
    arguments = ["--output", str(output), "--environment", str(environment)]
    assert main(arguments) == 0
    assert main(arguments) == 0
    assert output.read_text(encoding="utf-8") == render()
    assert environment.read_text(encoding="utf-8") == render_environment()
    assert capsys.readouterr().out.splitlines() == [
        f"postman: {output} written",
        f"postman: {environment} written",
        f"postman: {output} unchanged",
        f"postman: {environment} unchanged",
    ]


def test_the_collection_is_v21_with_base_url_and_api_key_variables() -> None:
    assert COLLECTION["info"]["schema"] == SCHEMA_V21
    variables = {variable["key"]: variable["value"] for variable in COLLECTION["variable"]}
    assert variables == {"baseUrl": "http://127.0.0.1:8000", "apiKey": ""}
    assert COLLECTION["auth"]["type"] == "apikey"
    for item in requests_in(COLLECTION["item"]):
        assert item["request"]["url"]["raw"].startswith("{{baseUrl}}/")
