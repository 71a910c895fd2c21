"""`import app` in a fresh process: it refuses to start without ENDPOINT_NAME, and builds the
stage's app from its environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from chalicelib.application import create_app
from chalicelib.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_the_app_refuses_to_start_without_an_endpoint_name() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "ENDPOINT_NAME"}
    result = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ConfigurationError: ENDPOINT_NAME is not set" in result.stderr


def test_app_py_builds_the_stages_app_from_its_environment() -> None:
    """What Chalice deploys is `create_app` of the stage's settings: the same routes, one app."""
    environment = {
        **os.environ,
        "ENDPOINT_NAME": "wdbc-prod",
        "MODEL": "wdbc",
        "MODEL_CARD": "wdbc.json",
    }
    script = "import app, json; print(json.dumps([sorted(app.app.routes), app.app.app_name]))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    routes, name = json.loads(result.stdout.splitlines()[-1])
    expected = create_app(Settings("wdbc-prod", "wdbc", model_card="wdbc.json"))
    assert (routes, name) == (sorted(expected.routes), expected.app_name)
