"""The demo page at `GET /`: one HTML document, its style and script inline, built once.

`static/index.html` is the template, `static/app.css` and `static/app.js` its style and script.
Inlining them makes the page one request that works wherever the stage is mounted (`/api/` on
API Gateway, `/` locally) and keeps API Gateway to one text route. The Content-Security-Policy
still allows no inline code but these two, named by their SHA-256 hashes, and lets the page
talk to its own origin only.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import re
from pathlib import Path
from typing import NamedTuple

from chalicelib.features import FEATURE_NAMES, STATISTICS
from chalicelib.replies import Reply

STATIC_DIR = Path(__file__).resolve().parent / "static"
HTML = "text/html; charset=utf-8"


class Example(NamedTuple):
    wdbc_index: int  # the row's position in scikit-learn's copy of WDBC, from 0
    row: str


# Held-out rows of the seed-42 split (training.data), one of each class; tests/test_web_page.py
# checks that they are test rows and that the local model calls them B and M.
BENIGN_EXAMPLE = Example(
    20,
    "13.08,15.71,85.63,520.0,0.1075,0.127,0.04568,0.0311,0.1967,0.06811,0.1852,0.7477,1.383,"
    "14.67,0.004097,0.01898,0.01698,0.00649,0.01678,0.002425,14.5,20.49,96.09,630.5,0.1312,"
    "0.2776,0.189,0.07283,0.3184,0.08183",
)
MALIGNANT_EXAMPLE = Example(
    22,
    "15.34,14.26,102.5,704.4,0.1073,0.2135,0.2077,0.09756,0.2521,0.07032,0.4388,0.7096,3.384,"
    "44.91,0.006789,0.05328,0.06446,0.02252,0.03672,0.004394,18.07,19.08,125.1,980.9,0.139,"
    "0.5954,0.6305,0.2393,0.4667,0.09946",
)

LEGENDS = {
    "mean": "Mean",
    "se": "Standard error",
    "worst": "Worst (mean of the three largest)",
}
SPOKEN = {"mean": "mean", "se": "standard error", "worst": "worst"}
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(style: str, script: str) -> str:
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {csp_hash(script)}",
            f"style-src {csp_hash(style)}",
            "connect-src 'self'",
            "img-src data:",  # the empty favicon, which spares a request
            "base-uri 'none'",
            # The form is sent by the script; without it, nothing may be submitted at all.
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def fieldsets() -> str:
    """One fieldset per statistic, one labelled field per measurement; ids follow WDBC positions."""
    groups = []
    for statistic in STATISTICS:
        suffix = f"_{statistic}"
        fields = "".join(
            _field(position, name, statistic)
            for position, name in enumerate(FEATURE_NAMES, start=1)
            if name.endswith(suffix)
        )
        legend = html.escape(LEGENDS[statistic])
        groups.append(f"<fieldset><legend>{legend}</legend>{fields}</fieldset>")
    return "\n".join(groups)


def _field(n: int, name: str, statistic: str) -> str:
    label = name.removesuffix(f"_{statistic}").replace("_", " ").capitalize()
    # The hidden word tells a screen reader which of the three "Radius" fields it is on.
    # The script adds each field's hint and error slots; both are empty without it.
    return (
        f'<div><label for="f{n}">{label}<span class="vh"> {SPOKEN[statistic]}</span></label>'
        f'<input id="f{n}" name="{name}" inputmode="decimal" required></div>'
    )


class WebPage:
    """The page and its headers, rendered once: each request costs a tuple lookup."""

    def __init__(self, static_dir: Path = STATIC_DIR) -> None:
        style = (static_dir / "app.css").read_text(encoding="utf-8")
        script = (static_dir / "app.js").read_text(encoding="utf-8")
        if "</" in style or "</script" in script:
            raise ValueError("app.css and app.js must not close their own element")
        values = {
            "style": style,
            "script": script,
            "fieldsets": fieldsets(),
            "benign_row": html.escape(BENIGN_EXAMPLE.row),
            "benign_index": str(BENIGN_EXAMPLE.wdbc_index),
            "malignant_row": html.escape(MALIGNANT_EXAMPLE.row),
            "malignant_index": str(MALIGNANT_EXAMPLE.wdbc_index),
        }
        template = (static_dir / "index.html").read_text(encoding="utf-8")
        # One pass: text put in is never searched for placeholders again.
        self.body = _PLACEHOLDER.sub(lambda match: values[match[1]], template)
        self.headers = {
            "Content-Security-Policy": content_security_policy(style, script),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        }

    def reply(self) -> Reply:
        return Reply(200, self.body, HTML, self.headers)


@functools.cache
def demo_page() -> WebPage:
    """The page from `static/`, rendered on the first request for it and kept."""
    return WebPage()
