"""The OpenAPI document is not built when the app starts: a fresh process never imports it."""

from __future__ import annotations

import subprocess
import sys

from tests.support.local_stack import PROJECT_DIR


def test_the_document_is_not_built_at_start_up() -> None:
    start_up = (
        "from chalicelib.application import create_app; from chalicelib.settings import Settings;"
        "import sys; create_app(Settings('x', 'wdbc')); print('chalicelib.openapi' in sys.modules)"
    )
    loaded = subprocess.check_output([sys.executable, "-c", start_up], cwd=PROJECT_DIR, text=True)
    assert loaded.strip() == "False"
