"""The demo page at `GET /`: its markup and headers, its examples, and a real headless Chromium.

The browser tests drive Chromium through Playwright (Debian's where it is installed, else
Playwright's own; `make chromium` gets one) against the run command's stack (the app behind
Chalice's local gateway, the SageMaker stand-in) on 127.0.0.1, as a person would: load an
example, press Predict, read the answer; paste a bad row and find the API's message at the field
it names. Screenshots go to test-results/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chalice.test import Client

from chalicelib.application import create_app
from chalicelib.features import FEATURE_NAMES
from chalicelib.model_card import load_model_card
from chalicelib.pages import BENIGN_EXAMPLE, MALIGNANT_EXAMPLE, STATIC_DIR, WebPage, csp_hash
from chalicelib.settings import Settings
from standin.model import BENIGN, MALIGNANT, LinearScorer
from tests.conftest import ENDPOINT_NAME
from tests.local_stack import RunningStack
from training.artifact import ModelArtifact
from training.data import load_wdbc
from training.local import LocalTrainingResult

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = PROJECT_DIR / "test-results"
# Debian's, where installed: machines like these cannot download Playwright's own build.
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PAGE_BUDGET_BYTES = 15 * 1024
TIMEOUT_MS = 10_000


# --- The page as served ---------------------------------------------------------------------


class _Markup(HTMLParser):
    """Collects what the accessibility checks need: inputs, labels, legends, live regions."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]


@pytest.fixture(scope="module")
def served() -> Any:
    app = create_app(Settings(ENDPOINT_NAME))
    with Client(app, stage_name="dev", project_dir=str(PROJECT_DIR)) as client:
        return client.http.get("/", headers={"Accept": "text/html"})


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


def test_every_field_has_a_visible_label_in_a_named_group(served: Any) -> None:
    markup = _Markup()
    markup.feed(served.body.decode("utf-8"))
    labelled = {attrs["for"] for attrs in markup.all("label")}
    inputs = [attrs for attrs in markup.all("input") if attrs.get("name") in FEATURE_NAMES]
    assert [attrs["name"] for attrs in inputs] == list(FEATURE_NAMES)
    for position, attrs in enumerate(inputs, start=1):
        assert attrs["id"] == f"f{position}"
        assert attrs["id"] in labelled
        assert "required" in attrs
    assert len(markup.all("fieldset")) == len(markup.all("legend")) == 3
    assert {"row", "key"} <= labelled
    (result,) = [attrs for tag, attrs in markup.elements if attrs.get("id") == "result"]
    assert result["aria-live"] == "polite"
    assert "not a diagnostic device" in served.body.decode("utf-8")


def test_the_page_needs_no_key_and_is_built_from_the_static_files(tmp_path: Path) -> None:
    assert not create_app(Settings(ENDPOINT_NAME)).routes["/"]["GET"].api_key_required
    for name in ("index.html", "app.js"):
        (tmp_path / name).write_text((STATIC_DIR / name).read_text(encoding="utf-8"))
    (tmp_path / "app.css").write_text("p{color:red}</style><script>")
    with pytest.raises(ValueError, match="must not close"):
        WebPage(tmp_path)


@pytest.mark.parametrize(
    ("example", "label"), [(BENIGN_EXAMPLE, BENIGN), (MALIGNANT_EXAMPLE, MALIGNANT)]
)
def test_the_examples_are_held_out_rows_the_model_gets_right(
    trained: LocalTrainingResult, local_model: ModelArtifact, example: Any, label: int
) -> None:
    values = [float(value) for value in example.row.split(",")]
    assert len(values) == len(FEATURE_NAMES)
    test_part = trained.split.test
    assert example.wdbc_index in test_part.row_indices
    assert example.wdbc_index not in trained.split.train.row_indices
    data = load_wdbc()
    assert data.features[example.wdbc_index].tolist() == values
    assert data.labels[example.wdbc_index] == label
    (prediction,) = LinearScorer(local_model).predict([values])
    assert prediction.predicted_label == label
    assert np.any(np.all(test_part.features == np.asarray(values), axis=1))


# --- In a real browser ----------------------------------------------------------------------


def _bad_row(position: int, text: str) -> str:
    fields = BENIGN_EXAMPLE.row.split(",")
    fields[position - 1] = text
    return ",".join(fields)


def chromium_executable(debian: Path, playwrights: Path) -> str | None:
    """Debian's Chromium if installed; else None, for Playwright's own build, if installed."""
    if debian.exists():
        return str(debian)
    if not playwrights.exists():
        pytest.skip("no Chromium: `make chromium` (apt-get, or python -m playwright install)")
    return None


def test_debians_chromium_is_preferred_to_playwrights(tmp_path: Path) -> None:
    debian, playwrights = tmp_path / "chromium", tmp_path / "chrome"
    playwrights.touch()
    assert chromium_executable(debian, playwrights) is None
    debian.touch()
    assert chromium_executable(debian, playwrights) == str(debian)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = chromium_executable(DEBIAN_CHROMIUM, Path(playwright.chromium.executable_path))
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Visit:
    """One page in a fresh context, with its console and its requests to the API recorded."""

    def __init__(self, browser: Any, stack: RunningStack) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.posted: list[Any] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on(
            "request",
            lambda request: self.posted.append(request) if request.method == "POST" else None,
        )
        self.page.goto(stack.api_url + "/")
        # The training ranges come from GET /model once the page has loaded.
        self.page.wait_for_selector("#h30:not(:empty)")

    def predict_by_keyboard(self) -> None:
        """Enter in a field submits the form, as it does for any form."""
        self.page.focus("#f30")
        self.page.keyboard.press("Enter")

    def screenshot(self, name: str) -> None:
        RESULTS_DIR.mkdir(exist_ok=True)
        self.page.screenshot(path=str(RESULTS_DIR / name), full_page=True)


@pytest.fixture
def visit(browser: Any, stack: RunningStack) -> Iterator[Visit]:
    opened = Visit(browser, stack)
    yield opened
    opened.context.close()
    assert not [line for line in opened.console if "Content Security Policy" in line]


def test_the_hints_are_the_training_ranges_of_the_model_card(visit: Visit) -> None:
    card = load_model_card("local.json")
    for position in (1, 18, 30):
        low, high = card["features"][position - 1]["training_range"]
        shown = (visit.page.text_content(f"#h{position}") or "").split(" to ")
        assert [float(number) for number in shown] == [low, high]
    assert (
        visit.page.get_by_label("Concave points standard error", exact=True).get_attribute("id")
        == "f18"
    )


def test_a_benign_example_by_keyboard_is_benign(visit: Visit, stack: RunningStack) -> None:
    page = visit.page
    page.get_by_role("button", name=re.compile("benign example")).focus()
    page.keyboard.press("Enter")
    assert page.input_value("#f1") == BENIGN_EXAMPLE.row.split(",")[0]
    assert page.input_value("#f30") == BENIGN_EXAMPLE.row.split(",")[-1]
    visit.predict_by_keyboard()
    page.wait_for_selector("#result .verdict")
    assert page.text_content("#result .verdict") == "The model says: benign (B)"
    probability = float(page.get_attribute("#probability", "value") or "nan")
    threshold = load_model_card("local.json")["decision_threshold"]
    assert 0.0 <= probability < threshold
    # The label is the probability against the threshold, and the page says which threshold.
    shown = f"(malignant from {100 * threshold:.1f} %, the model's threshold)"
    assert shown in (page.text_content("#result label") or "")
    assert "Model wdbc-local, version " in (page.text_content("#result") or "")
    (request,) = visit.posted
    body = json.loads(request.post_data or "")
    assert list(body) == ["features"]
    assert list(body["features"]) == list(FEATURE_NAMES)
    assert "x-api-key" not in request.headers
    visit.screenshot("web-page-benign.png")


def test_a_malignant_example_is_malignant_and_the_key_is_sent(visit: Visit) -> None:
    page = visit.page
    page.get_by_role("button", name=re.compile("malignant example")).click()
    page.fill("#key", "demo-key")
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#result .verdict")
    assert page.text_content("#result .verdict") == "The model says: malignant (M)"
    (request,) = visit.posted
    assert request.headers["x-api-key"] == "demo-key"
    visit.screenshot("web-page-malignant.png")


def test_a_bad_value_gets_the_apis_message_at_its_field(visit: Visit) -> None:
    page = visit.page
    page.fill("#row", _bad_row(3, "85.6x"))
    page.get_by_role("button", name="Fill the fields").click()
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#e3:not(:empty)")
    message = page.text_content("#e3") or ""
    assert "value 3 of 30 (perimeter_mean)" in message
    assert page.get_attribute("#f3", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "f3"
    assert "invalid_value" in (page.text_content("#result") or "")
    assert all(page.text_content(f"#e{n}") == "" for n in range(1, 31) if n != 3)
    visit.screenshot("web-page-bad-value.png")
    # Corrected, the same row is scored and the message goes.
    page.fill("#f3", BENIGN_EXAMPLE.row.split(",")[2])
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#result .verdict")
    assert page.text_content("#e3") == ""
    assert page.get_attribute("#f3", "aria-invalid") is None


def test_a_value_too_large_is_named_by_the_api(visit: Visit) -> None:
    page = visit.page
    page.fill("#row", _bad_row(30, "1e999"))
    page.get_by_role("button", name="Fill the fields").click()
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#e30:not(:empty)")
    assert "too large" in (page.text_content("#e30") or "")


def test_a_row_of_the_wrong_length_is_refused_before_any_request(visit: Visit) -> None:
    page = visit.page
    page.fill("#row", ",".join(BENIGN_EXAMPLE.row.split(",")[:29]))
    page.get_by_role("button", name="Fill the fields").click()
    assert page.text_content("#row-error") == "Expected 30 comma-separated values, found 29."
    assert page.get_attribute("#row", "aria-invalid") == "true"
    assert page.input_value("#f1") == ""
    assert visit.posted == []
