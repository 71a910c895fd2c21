"""CORS at start-up and in a real browser's place: a bad origin stops `import app`; the local
server answers preflights from its listed origins only."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.cors import (
    CORS_ALLOWED_ORIGINS,
)
from deploy.stages import load_config
from tests.support.rows import EXAMPLE_ROW, body_for

PROJECT_DIR = Path(__file__).resolve().parents[2]
OTHER = "https://evil.example.net"
PREDICT = "/predictbreastcancer"
JSON_HEADERS = {"Content-Type": "application/json"}


# --- The setting ------------------------------------------------------------------------


def test_the_app_refuses_to_start_with_a_bad_origin() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=PROJECT_DIR,
        env={
            **os.environ,
            "ENDPOINT_NAME": "wdbc-test",
            "MODEL": "wdbc",
            CORS_ALLOWED_ORIGINS: "*",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert f"ConfigurationError: {CORS_ALLOWED_ORIGINS}: '*'" in result.stderr


@pytest.fixture
def local_api() -> Iterator[tuple[str, int]]:
    """`python -m devserver` with the local stage's settings, as `make run` starts it."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    environment.pop("ENDPOINT_NAME", None)  # the stage config provides it, and the origins
    command = [sys.executable, "-m", "devserver", "--port", "0", "--standin-port", "0"]
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=environment, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("devserver: API on"):
                address = line.split()[3].removeprefix("http://")
                host, port = address.rsplit(":", 1)
                yield host, int(port)
                break
        else:
            pytest.fail("the run command did not start")
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stdout is not None:
            process.stdout.close()


def test_the_local_server_answers_browsers_from_its_listed_origins(
    local_api: tuple[str, int],
) -> None:
    local_origin = load_config()["stages"]["local"]["environment_variables"][
        CORS_ALLOWED_ORIGINS
    ].split(",")[0]
    connection = http.client.HTTPConnection(*local_api, timeout=10)
    for origin, echoed in ((local_origin, True), (OTHER, False)):
        connection.request(
            "OPTIONS",
            PREDICT,
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        preflight = connection.getresponse()
        preflight.read()
        assert preflight.status == 204
        assert (preflight.getheader("Access-Control-Allow-Origin") == origin) is echoed
    # No x-api-key: the local gateway, like `chalice local`, does not enforce API keys.
    connection.request(
        "POST",
        PREDICT,
        body=body_for(EXAMPLE_ROW),
        headers={**JSON_HEADERS, "Origin": local_origin},
    )
    answer = connection.getresponse()
    assert answer.status == 200
    assert json.loads(answer.read())["prediction"] == "B"
    assert answer.getheader("Access-Control-Allow-Origin") == local_origin
    connection.close()
