"""The demo page at `GET /`: one HTML document, its style and script inline, built once.

`static/index.html` is the template, `static/app.css` and `static/app.js` its style and script.
Inlining them makes the page one request that works wherever the stage is mounted (`/api/` on
API Gateway, `/` locally) and keeps API Gateway to one text route. The Content-Security-Policy
still allows no inline code but these two, named by their SHA-256 hashes, and lets the page
talk to its own origin only. Everything about the model comes from its contract: the fields,
their training ranges, the examples, and (in a JSON data block, which no browser runs) the
route, task and classes the script shows an answer by.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any

from chalicelib.contract import BINARY, Contract, Feature
from chalicelib.replies import Reply

STATIC_DIR = Path(__file__).resolve().parent / "static"
HTML = "text/html; charset=utf-8"
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


def fields(contract: Contract) -> str:
    """A labelled field per feature, in the contract's order, with its training range (and
    unit), which the script reads, and to which it adds a slot for a message about the field
    (both tied to it by `aria-describedby`), a decimal keyboard and `required`; ids follow the
    positions."""
    return "\n".join(
        f'<div><label for="f{n}">{html.escape(feature.name.replace("_", " "))}</label>'
        f'<input id="f{n}" name="{feature.name}">'
        f'<small id="h{n}">{_range(feature)}</small></div>'
        for n, feature in enumerate(contract.features, start=1)
    )


def _range(feature: Feature) -> str:
    low, high = (repr(bound).removesuffix(".0") for bound in feature.training_range)
    return html.escape(f"{low} to {high} {feature.unit or ''}".rstrip())


def example_buttons(contract: Contract) -> str:
    return "\n".join(
        f'<button type="button" data-row="{",".join(map(repr, example.values))}">'
        f"Load example: {html.escape(example.summary)}</button>"
        for example in contract.examples
    )


# Where a key is checked (a deployed stage), the page asks for it; where none is, it does not.
KEY_FIELD = (
    '<label for="key">API key <small>(this stage checks it; sent as x-api-key only)</small>'
    '</label><input id="key" type="password" autocomplete="off">'
)


def script_model(contract: Contract) -> str:
    """What the script needs to send a row and show the answer, as JSON that cannot close the
    script element it is in."""
    model: dict[str, Any] = {
        "route": contract.route.lstrip("/"),
        "task": contract.task,
        "target": contract.target,
        "classes": {model_class.code: model_class.name for model_class in contract.classes},
    }
    if contract.task == BINARY:
        model |= {
            "positive": contract.positive_class,
            "probability": contract.probability_field,
            "threshold": contract.threshold,
        }
    return json.dumps(model).replace("<", "\\u003c")


class WebPage:
    """The page and its headers, rendered once: each request costs a tuple lookup."""

    def __init__(
        self, contract: Contract, keys_checked: bool = True, static_dir: Path = STATIC_DIR
    ) -> None:
        style = (static_dir / "app.css").read_text(encoding="utf-8")
        script = (static_dir / "app.js").read_text(encoding="utf-8")
        if "</" in style or "</script" in script:
            raise ValueError("app.css and app.js must not close their own element")
        values = {
            "style": style,
            "script": script,
            "name": html.escape(contract.name),
            "description": f"<p>{html.escape(contract.description)}</p>"
            if contract.description
            else "",
            "count": str(contract.feature_count),
            "first": html.escape(contract.feature_names[0]),
            "last": html.escape(contract.feature_names[-1]),
            "fields": fields(contract),
            "examples": example_buttons(contract),
            "model": script_model(contract),
            "key": KEY_FIELD if keys_checked else "",
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
