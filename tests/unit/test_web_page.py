"""The demo page at `GET /`: its markup and headers from each contract, and WDBC's examples
(in a real browser: tests/integration/test_web_page.py)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chalice.test import Client

from chalicelib.application import create_app
from chalicelib.contract import Contract, parse_contract
from chalicelib.pages import STATIC_DIR, WebPage, csp_hash
from chalicelib.settings import Settings
from standin.model import LinearScorer
from tests.support.apps import ENDPOINT_NAME
from tests.support.endpoint_twins import AnsweringEndpoint
from tests.support.rows import WDBC
from tests.support.twin_app import (
    BINARY,
    MULTICLASS,
    REGRESSION,
    twin_app,
)
from training.artifact import ModelArtifact
from training.data import load_wdbc
from training.local import LocalTrainingResult

PROJECT_DIR = Path(__file__).resolve().parents[2]
PAGE_BUDGET_BYTES = 15 * 1024
CONTRACTS = [WDBC, BINARY, MULTICLASS, REGRESSION]


def _csv(values: tuple[float, ...]) -> str:
    return ",".join(map(repr, values))


# --- The page as served ---------------------------------------------------------------------


class _Markup(HTMLParser):
    """Collects what the accessibility checks need: elements, their attributes and text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}  # by the id of the element it is in
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._open = dict(attrs).get("id")

    def handle_data(self, data: str) -> None:
        if self._open:
            self.text[self._open] = self.text.get(self._open, "") + data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]


def _get_page(contract: Contract, keys_checked: bool = True) -> Any:
    wdbc = contract is WDBC
    app = (
        create_app(Settings(ENDPOINT_NAME, "wdbc", api_keys_checked=keys_checked),
                   AnsweringEndpoint(0.1, 0))
        if wdbc
        else twin_app(contract)
    )  # fmt: skip
    with Client(app, stage_name="dev", project_dir=str(PROJECT_DIR)) as client:
        return client.http.get("/", headers={"Accept": "text/html"})


@pytest.fixture(scope="module")
def served() -> Any:
    return _get_page(WDBC)


def _inline(body: str, tag: str) -> str:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", body, re.S)
    assert match is not None
    return match[1]


def test_the_page_is_html_with_a_strict_content_security_policy(served: Any) -> None:
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = dict(
        part.strip().split(" ", 1) for part in served.headers["Content-Security-Policy"].split(";")
    )
    body = served.body.decode("utf-8")
    assert policy["default-src"] == "'none'"
    # The only code the page may run or apply is its own, named by hash: no 'unsafe-inline'.
    assert policy["script-src"] == csp_hash(_inline(body, "script"))
    assert policy["style-src"] == csp_hash(_inline(body, "style"))
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == policy["base-uri"] == policy["form-action"] == "'none'"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Referrer-Policy"] == "no-referrer"
    assert "X-Request-Id" in served.headers


def test_the_page_is_small_and_loads_nothing_from_elsewhere(served: Any) -> None:
    assert len(served.body) < PAGE_BUDGET_BYTES
    body = served.body.decode("utf-8")
    assert not re.search(r"(src|href)=\"(https?:)?//", body)
    assert "<script src" not in body
    assert '<link rel="stylesheet"' not in body


def test_no_text_reaches_the_page_as_markup() -> None:
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script
    assert "textContent" in script


@pytest.mark.parametrize("contract", CONTRACTS, ids=[contract.name for contract in CONTRACTS])
def test_each_feature_has_a_labelled_field_with_its_training_range(contract: Contract) -> None:
    page = _get_page(contract)
    markup = _Markup()
    markup.feed(page.body.decode("utf-8"))
    labelled = {attrs["for"] for attrs in markup.all("label")}
    inputs = [attrs for attrs in markup.all("input") if attrs.get("name") in contract.feature_names]
    assert [attrs["name"] for attrs in inputs] == list(contract.feature_names)
    for position, (attrs, feature) in enumerate(zip(inputs, contract.features, strict=True), 1):
        assert attrs["id"] == f"f{position}"
        assert attrs["id"] in labelled
        low, high = markup.text[f"h{position}"].split(" ")[0:3:2]
        assert (float(low), float(high)) == feature.training_range
    assert len(markup.all("fieldset")) == len(markup.all("legend")) == 1
    assert {"row", "key"} <= labelled
    (result,) = [attrs for tag, attrs in markup.elements if attrs.get("id") == "result"]
    assert result["tabindex"] == "-1"  # focused when the answer comes
    (answer,) = [attrs for tag, attrs in markup.elements if attrs.get("id") == "answer"]
    assert answer["aria-live"] == "polite"
    buttons = [markup.text.get(attrs.get("id") or "") for attrs in markup.all("button")]
    rows = [attrs["data-row"] for attrs in markup.all("button") if "data-row" in attrs]
    assert rows == [_csv(example.values) for example in contract.examples], buttons
    assert "not a diagnostic device" in page.body.decode("utf-8")


def test_the_page_asks_for_a_key_only_where_one_is_checked() -> None:
    asked = _Markup()
    asked.feed(_get_page(WDBC, keys_checked=True).body.decode("utf-8"))
    assert [attrs["type"] for attrs in asked.all("input") if attrs["id"] == "key"] == ["password"]
    not_asked = _Markup()
    not_asked.feed(_get_page(WDBC, keys_checked=False).body.decode("utf-8"))
    assert "key" not in {attrs.get("id") for _, attrs in not_asked.elements}
    assert not [attrs for attrs in not_asked.all("label") if attrs["for"] == "key"]


def test_the_script_is_told_the_route_task_and_classes() -> None:
    markup = _Markup()
    markup.feed(_get_page(MULTICLASS).body.decode("utf-8"))
    told = json.loads(markup.text["model"])
    assert told == {
        "route": "predict",
        "task": "multiclass_classification",
        "target": "cultivar",
        "classes": {c.code: c.name for c in MULTICLASS.classes},
    }
    markup = _Markup()
    markup.feed(_get_page(BINARY).body.decode("utf-8"))
    told = json.loads(markup.text["model"])
    assert (told["positive"], told["probability"], told["threshold"]) == (
        "yes",
        "probability_spoiled",
        0.3,
    )


def test_no_contract_text_can_close_the_data_block() -> None:
    classes = MULTICLASS.document["classes"]
    document = {
        **MULTICLASS.document,
        "classes": [{**classes[0], "name": "</script>"}, *classes[1:]],
    }
    page = WebPage(parse_contract(document, "odd.json")).body
    assert page.count("</script>") == 2  # the data block's and the script's own


def test_the_page_needs_no_key_and_is_built_from_the_static_files(tmp_path: Path) -> None:
    assert not create_app(Settings(ENDPOINT_NAME, "wdbc")).routes["/"]["GET"].api_key_required
    for name in ("index.html", "app.js"):
        (tmp_path / name).write_text((STATIC_DIR / name).read_text(encoding="utf-8"))
    (tmp_path / "app.css").write_text("p{color:red}</style><script>")
    with pytest.raises(ValueError, match="must not close"):
        WebPage(WDBC, static_dir=tmp_path)


@pytest.mark.parametrize("example", WDBC.examples, ids=["readme", "benign", "malignant"])
def test_wdbcs_examples_are_what_their_summaries_say_and_the_model_gets_right(
    trained: LocalTrainingResult, local_model: ModelArtifact, example: Any
) -> None:
    data = load_wdbc()
    (index,) = np.flatnonzero(np.all(data.features == np.asarray(example.values), axis=1))
    label = int(data.labels[index])
    assert WDBC.classes[label].name in example.summary
    assert f"row {index}" in example.summary
    if "held out" in example.summary:
        assert index in trained.split.test.row_indices
        assert index not in trained.split.train.row_indices
    (prediction,) = LinearScorer(local_model).predict([list(example.values)])
    assert prediction.predicted_label == label
