"""The demo page in a real headless Chromium (its markup and headers: tests/unit/test_web_page.py).

The tests drive Chromium through Playwright (Debian's where it is installed, else
Playwright's own; `make chromium` gets one) against the run command's stack (the app behind
Chalice's local gateway, the SageMaker stand-in) on 127.0.0.1, as a person would: load an
example, press Predict, read the answer; paste a bad row and find the API's message at the field
it names; type a value outside its training range and see it marked. On a phone's width (320,
360, 390 px, touch) nothing scrolls sideways and every target is at least 44 px; axe-core (npm,
`make axe-core`) finds no violation at 1280 and 360 px. A multiclass and a regression contract,
and WDBC on a stage that checks keys, are served the same way, in front of twins of their
endpoints. Screenshots go to test-results/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.application import create_app
from chalicelib.settings import Settings
from tests.support.apps import ENDPOINT_NAME
from tests.support.endpoint_twins import AnsweringEndpoint
from tests.support.local_stack import RunningStack
from tests.support.rows import FEATURE_NAMES, WDBC
from tests.support.twin_app import MULTICLASS, RECORDS, REGRESSION, serve, serve_app

PROJECT_DIR = Path(__file__).resolve().parents[2]
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
TIMEOUT_MS = 10_000
AXE_CORE = PROJECT_DIR / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 to 2.2, A and AA, and axe's best practices (`region`: all content in landmarks).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PHONE_WIDTHS = [320, 360, 390]
TARGET_PX = 44
OUTSIDE = "Outside the training range: the model would extrapolate."
# WDBC's examples: the README's row, then a benign and a malignant row held out from training.
README_ROW, BENIGN_ROW, MALIGNANT_ROW = (example.values for example in WDBC.examples)


def _csv(values: tuple[float, ...]) -> str:
    return ",".join(map(repr, values))


# --- In a real browser ----------------------------------------------------------------------


def _bad_row(position: int, text: str) -> str:
    fields = _csv(BENIGN_ROW).split(",")
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
    """One page in a fresh context, with its console and its requests to the API recorded; at
    a phone's width, as a touch screen."""

    def __init__(self, browser: Any, url: str, width: int = 1280) -> None:
        phone = width < 600
        self.context = browser.new_context(
            viewport={"width": width, "height": 844 if phone else 900},
            has_touch=phone,
            is_mobile=phone,
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.posted: list[Any] = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on(
            "request",
            lambda request: self.posted.append(request) if request.method == "POST" else None,
        )
        self.page.goto(url + "/")
        # The script has run once it has tied each field to its hint and message slot.
        self.page.wait_for_selector("#f1[aria-describedby='h1 e1']")

    def predict_by_keyboard(self) -> None:
        """Enter in a field submits the form, as it does for any form."""
        self.page.focus("#f1")
        self.page.keyboard.press("Enter")

    def axe_violations(self) -> list[tuple[str, list[Any]]]:
        """axe-core's violations of the page as it is now: (rule, the elements at fault)."""
        if not AXE_CORE.exists():
            pytest.skip("no axe-core: `make axe-core` (npm)")
        self.page.evaluate(AXE_CORE.read_text(encoding="utf-8"))  # DevTools: not the page's CSP
        found = self.page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: tags})).violations"
            ".map((v) => [v.id, v.nodes.map((n) => n.target)])",
            AXE_TAGS,
        )
        return [(rule, targets) for rule, targets in found]

    def width(self) -> int:
        """How wide the page's content is, scrolled sideways or not."""
        return int(self.page.evaluate("document.documentElement.scrollWidth"))

    def screenshot(self, name: str) -> None:
        RESULTS_DIR.mkdir(exist_ok=True)
        self.page.screenshot(path=str(RESULTS_DIR / name), full_page=True)

    def close(self) -> None:
        self.context.close()
        assert not [line for line in self.console if "Content Security Policy" in line]


@pytest.fixture
def visit(browser: Any, stack: RunningStack) -> Iterator[Visit]:
    opened = Visit(browser, stack.api_url)
    yield opened
    opened.close()


def test_the_hints_are_the_training_ranges_of_the_contract(visit: Visit) -> None:
    for position in (1, 18, 30):
        low, high = WDBC.features[position - 1].training_range
        shown = (visit.page.text_content(f"#h{position}") or "").split(" to ")
        assert [float(number) for number in shown] == [low, high]
    assert visit.page.get_by_label("concave points se", exact=True).get_attribute("id") == "f18"
    assert visit.page.get_attribute("#f18", "aria-describedby") == "h18 e18"
    for position in range(1, 31):
        assert visit.page.get_attribute(f"#f{position}", "inputmode") == "decimal"
        assert visit.page.get_attribute(f"#f{position}", "required") == ""


def test_a_benign_example_by_keyboard_is_benign(visit: Visit, stack: RunningStack) -> None:
    page = visit.page
    page.get_by_role("button", name=re.compile("benign row held out")).focus()
    page.keyboard.press("Enter")
    assert page.input_value("#f1") == repr(BENIGN_ROW[0])
    assert page.input_value("#f30") == repr(BENIGN_ROW[-1])
    visit.predict_by_keyboard()
    page.wait_for_selector("#result .verdict")
    assert page.text_content("#result .verdict") == "The model says: benign (B)"
    probability = float(page.get_attribute("#p1", "value") or "nan")
    assert 0.0 <= probability < (WDBC.threshold or 0.5)  # the label is the probability against it
    assert float(page.get_attribute("#p1", "high") or "nan") == WDBC.threshold
    label = page.text_content("label[for=p1]") or ""
    assert label == f"Probability of malignant (M): {100 * probability:.1f}\u00a0%"
    # The threshold is marked on the bar, and said: where the label flips.
    threshold = 100 * (WDBC.threshold or 0)
    bar, mark = (page.locator(selector).bounding_box() for selector in ("#p1", ".scale .mark"))
    assert bar is not None
    assert mark is not None
    assert mark["x"] - bar["x"] == pytest.approx(bar["width"] * threshold / 100, abs=2)
    assert page.get_by_text("The mark is the threshold").text_content() == (
        f"The mark is the threshold, {threshold:.1f}\u00a0%: from it up the model says "
        "malignant (M), below it benign (B)."
    )
    assert "Model wdbc-local, version " in (page.text_content("#result") or "")
    assert page.evaluate("document.activeElement.id") == "result"  # the answer is focused
    (request,) = visit.posted
    assert request.url == f"{stack.api_url}{WDBC.route}"
    body = json.loads(request.post_data or "")
    assert list(body) == ["features"]
    assert list(body["features"]) == list(FEATURE_NAMES)
    assert "x-api-key" not in request.headers
    visit.screenshot("web-page-benign.png")


def test_a_malignant_example_is_malignant_and_no_key_is_asked_for(visit: Visit) -> None:
    page = visit.page
    assert page.locator("#key").count() == 0  # the run command checks no key
    page.get_by_role("button", name=re.compile("malignant row held out")).click()
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#result .verdict")
    assert page.text_content("#result .verdict") == "The model says: malignant (M)"
    visit.screenshot("web-page-malignant.png")


def test_where_a_key_is_checked_it_is_asked_for_and_sent(browser: Any) -> None:
    app = create_app(Settings(ENDPOINT_NAME, "wdbc"), AnsweringEndpoint(0.9, 1))
    with serve_app(app) as url:
        visit = Visit(browser, url)
        page = visit.page
        page.get_by_role("button", name=re.compile("malignant row held out")).click()
        page.get_by_label("API key").fill("demo-key")
        page.get_by_role("button", name="Predict").click()
        page.wait_for_selector("#result .verdict")
        (request,) = visit.posted
        assert request.headers["x-api-key"] == "demo-key"
        assert visit.axe_violations() == []
        visit.close()


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_on_a_phone_nothing_scrolls_sideways_and_every_target_is_large(
    width: int, browser: Any, stack: RunningStack
) -> None:
    visit = Visit(browser, stack.api_url, width)
    page = visit.page
    assert visit.width() <= width
    page.get_by_role("button", name=re.compile("benign row held out")).tap()
    page.get_by_role("button", name="Predict").tap()  # a touch lands on the button, nothing else
    page.wait_for_selector("#result .verdict")
    assert len(visit.posted) == 1
    assert visit.width() <= width
    for target in page.locator("button, input, textarea").all():
        box = target.bounding_box()
        assert box is not None
        assert min(box["width"], box["height"]) >= TARGET_PX, target.evaluate("e => e.outerHTML")
    # The answer, below the fold on a phone, is scrolled to and focused.
    assert page.evaluate("document.activeElement.id") == "result"
    result = page.locator("#result").bounding_box()
    assert result is not None
    assert 0 <= result["y"] < 844
    visit.screenshot(f"web-page-{width}px.png")
    visit.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_axe_core_finds_no_violation(width: int, browser: Any, stack: RunningStack) -> None:
    visit = Visit(browser, stack.api_url, width)
    page = visit.page
    assert visit.axe_violations() == [], "as loaded"
    page.get_by_role("button", name=re.compile("benign row held out")).click()
    page.fill("#f1", "270")
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#answer .warn")
    assert visit.axe_violations() == [], "with an answer and a warning"
    page.fill("#f3", "85.6x")
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#e3:not(:empty):not(.warn)")
    assert visit.axe_violations() == [], "with a refusal"
    visit.close()


def test_a_value_outside_its_range_is_marked_before_and_after_sending(visit: Visit) -> None:
    page = visit.page
    page.get_by_role("button", name=re.compile("benign row held out")).click()
    assert page.text_content("#e1") == ""
    page.fill("#f1", "270")  # radius_mean, trained on 6.981 to 28.11
    assert page.text_content("#e1") == OUTSIDE
    assert page.get_attribute("#e1", "class") == "warn"
    assert "out" in (page.get_attribute("#f1", "class") or "")
    assert page.get_attribute("#f1", "aria-invalid") is None  # a warning, not an error
    assert visit.posted == []
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#answer .warn")
    assert page.text_content("#result .verdict") is not None  # predicted all the same
    assert page.text_content("#answer .warn") == (
        "row 1: radius_mean (6.981 to 28.11) is outside its training range; the prediction is "
        "an extrapolation"
    )
    assert page.text_content("#e1") == OUTSIDE
    assert all(page.text_content(f"#e{n}") == "" for n in range(2, 31))
    visit.screenshot("web-page-outside-range.png")
    page.fill("#f1", repr(BENIGN_ROW[0]))  # back inside: the mark goes as it is typed
    assert page.text_content("#e1") == ""
    assert "out" not in (page.get_attribute("#f1", "class") or "")


def test_a_bad_value_gets_the_apis_message_at_its_field(visit: Visit) -> None:
    page = visit.page
    page.fill("#row", _bad_row(3, "85.6x"))
    page.get_by_role("button", name="Copy the row into the fields").click()
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
    page.fill("#f3", repr(BENIGN_ROW[2]))
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#result .verdict")
    assert page.text_content("#e3") == ""
    assert page.get_attribute("#f3", "aria-invalid") is None


def test_a_value_too_large_is_named_by_the_api(visit: Visit) -> None:
    page = visit.page
    page.fill("#row", _bad_row(30, "1e999"))
    page.get_by_role("button", name="Copy the row into the fields").click()
    assert page.text_content("#e30") == ""  # not a number the page can place in a range
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#e30:not(:empty)")
    assert "too large" in (page.text_content("#e30") or "")


def test_a_row_of_the_wrong_length_is_refused_before_any_request(visit: Visit) -> None:
    page = visit.page
    page.fill("#row", ",".join(_csv(BENIGN_ROW).split(",")[:29]))
    page.get_by_role("button", name="Copy the row into the fields").click()
    assert page.text_content("#row-error") == "Expected 30 comma-separated values, found 29."
    assert page.get_attribute("#row", "aria-invalid") == "true"
    assert page.input_value("#f1") == ""
    assert visit.posted == []


# --- Other tasks, in front of twins ---------------------------------------------------------


@pytest.fixture
def visit_other(browser: Any, request: pytest.FixtureRequest) -> Iterator[Visit]:
    with serve(request.param) as url:
        opened = Visit(browser, url)
        yield opened
        opened.close()


@pytest.mark.parametrize("visit_other", [MULTICLASS], indirect=True)
def test_a_multiclass_answer_shows_the_class_and_each_probability(visit_other: Visit) -> None:
    page = visit_other.page
    page.get_by_role("button", name="Load example: a typical row").click()
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#result .verdict")
    assert page.text_content("#result .verdict") == "The model says: Barbera (c2)"
    for position, (model_class, probability) in enumerate(
        zip(MULTICLASS.classes, RECORDS[MULTICLASS.name]["score"], strict=True), 1
    ):
        name = f"{model_class.name} ({model_class.code})"
        label = f"Probability of {name}: {100 * probability:.1f}\u00a0%"
        assert page.text_content(f"label[for=p{position}]") == label
        assert float(page.get_attribute(f"#p{position}", "value") or "nan") == probability
        assert page.get_attribute(f"#p{position}", "high") is None
    (request,) = visit_other.posted
    assert request.url.endswith("/predict")
    assert json.loads(request.post_data or "")["features"] == dict(
        zip(MULTICLASS.feature_names, MULTICLASS.examples[0].values, strict=True)
    )
    assert visit_other.axe_violations() == []
    visit_other.screenshot("web-page-multiclass.png")


@pytest.mark.parametrize("visit_other", [REGRESSION], indirect=True)
def test_a_regression_answer_shows_the_value_and_a_limit_is_named(visit_other: Visit) -> None:
    page = visit_other.page
    assert page.text_content("#h1") == "11 to 14.8 %"
    page.get_by_role("button", name="Load example: a typical row").click()
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#result .verdict")
    value = RECORDS[REGRESSION.name]["score"]
    assert page.text_content("#result .verdict") == f"The model says: progression {value}"
    assert page.locator("#result meter").count() == 0
    page.fill("#f1", "-1")
    page.get_by_role("button", name="Predict").click()
    page.wait_for_selector("#e1:not(:empty)")
    assert "below its lower limit 0" in (page.text_content("#e1") or "")
    (first, _) = visit_other.posted
    assert first.url.endswith("/score")
    assert visit_other.axe_violations() == []
    visit_other.screenshot("web-page-regression.png")
