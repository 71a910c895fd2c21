"""The Postman collection: written by `python -m postman` from WDBC's contract, the committed
file the written one, v2.1 with its variables (run by newman: tests/integration/test_postman.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from postman.__main__ import main
from postman.collection import COLLECTION_FILE, render
from tests.support.collection import COLLECTION, requests_in

SCHEMA_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"


def test_the_committed_collection_is_the_one_the_contract_writes() -> None:
    assert COLLECTION_FILE.read_text(encoding="utf-8") == render(), (
        "postman/wdbc.postman_collection.json is out of date: run `python -m postman`"
    )


def test_python_m_postman_writes_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "collection.json"
    assert main(["--output", str(output)]) == 0
    assert main(["--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == render()
    assert capsys.readouterr().out.splitlines() == [
        f"postman: {output} written",
        f"postman: {output} unchanged",
    ]


def test_the_collection_is_v21_with_base_url_and_api_key_variables() -> None:
    assert COLLECTION["info"]["schema"] == SCHEMA_V21
    variables = {variable["key"]: variable["value"] for variable in COLLECTION["variable"]}
    assert variables == {"baseUrl": "http://127.0.0.1:8000", "apiKey": ""}
    assert COLLECTION["auth"]["type"] == "apikey"
    for item in requests_in(COLLECTION["item"]):
        assert item["request"]["url"]["raw"].startswith("{{baseUrl}}/")
