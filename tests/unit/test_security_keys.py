"""API keys: patient data only with the stage's key on AWS; preflights, health and spec open.

API Gateway checks the key before the function runs, so the app itself only declares which
routes want one (`api_key_required`); `chalice local`, `make run` and chalice.test do not check.
"""

from __future__ import annotations

import json

from chalicelib.application import create_app
from chalicelib.settings import Settings
from tests.support.apps import ENDPOINT_NAME, MakeClient
from tests.support.endpoint_twins import AnsweringEndpoint
from tests.support.rows import EXAMPLE_ROW, body_for

BODY_METHODS = {"POST", "PUT", "PATCH"}
OPEN_PATHS = ("/health", "/openapi.json", "/")
ROUTES = create_app(Settings(ENDPOINT_NAME, "wdbc")).routes


def test_every_route_that_takes_a_body_wants_the_key() -> None:
    routes = ROUTES
    assert routes["/predictbreastcancer"]["POST"].api_key_required is True
    for path, methods in routes.items():
        for method, entry in methods.items():
            if method in BODY_METHODS:
                assert entry.api_key_required, (path, method)


def test_health_the_spec_and_preflights_want_no_key() -> None:
    routes = ROUTES
    for path in OPEN_PATHS:
        for entry in routes.get(path, {}).values():
            assert not entry.api_key_required, path
    for path, methods in routes.items():
        if "OPTIONS" in methods:
            assert not methods["OPTIONS"].api_key_required, path


def test_every_keyed_path_has_a_keyless_preflight_route() -> None:
    """Browsers preflight `x-api-key`; API Gateway routes OPTIONS to the function only if asked."""
    for path, methods in ROUTES.items():
        if any(entry.api_key_required for entry in methods.values()):
            assert "OPTIONS" in methods, path


def test_the_local_gateway_does_not_check_keys(make_client: MakeClient) -> None:
    """What `chalice local` and `make run` do: docs/security.md says so, this pins it."""
    client = make_client(AnsweringEndpoint(score=0.2, label=0))
    response = client.http.post(
        "/predictbreastcancer",
        headers={"Content-Type": "application/json"},  # and no x-api-key
        body=body_for(EXAMPLE_ROW),
    )
    assert response.status_code == 200
    assert json.loads(response.body)["prediction"] == "B"
