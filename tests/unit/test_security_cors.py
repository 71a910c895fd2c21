"""CORS: a per-stage allow-list, the request's own origin echoed only if listed, preflights."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from chalice.app import Response
from chalice.test import Client

from chalicelib.cors import (
    CORS_ALLOWED_ORIGINS,
    MAX_AGE_SECONDS,
    CorsMiddleware,
    CorsPolicy,
    options_reply,
)
from chalicelib.errors import ConfigurationError
from deploy.stages import load_config, stage_names
from tests.support.apps import MakeClient
from tests.support.endpoint_twins import AnsweringEndpoint
from tests.support.rows import EXAMPLE_ROW, body_for

ALLOWED = "https://app.example.org"
OTHER = "https://evil.example.net"
PREDICT = "/predictbreastcancer"


# --- The setting ------------------------------------------------------------------------


def test_origins_are_a_comma_separated_list() -> None:
    environ = {CORS_ALLOWED_ORIGINS: f" {ALLOWED}, http://localhost:3000 ,https://a.example:8443"}
    policy = CorsPolicy.from_environ(environ)
    assert policy.allowed_origins == {ALLOWED, "http://localhost:3000", "https://a.example:8443"}


@pytest.mark.parametrize("value", [None, "", " , "])
def test_no_setting_allows_no_origin(value: str | None) -> None:
    environ = {} if value is None else {CORS_ALLOWED_ORIGINS: value}
    assert CorsPolicy.from_environ(environ).allowed_origins == frozenset()


@pytest.mark.parametrize(
    ("origin", "reason"),
    [
        ("*", "is not allowed"),
        ("null", "is not allowed"),
        (f"{ALLOWED}/", "is not an origin"),
        (f"{ALLOWED}/app", "is not an origin"),
        ("https://App.example.org", "is not an origin"),
        ("app.example.org", "is not an origin"),
        ("ftp://app.example.org", "is not an origin"),
        ("http://app.example.org", "is plain http"),
        ("https://app.example.org:0", "no valid port"),
        ("https://app.example.org:70000", "no valid port"),
        ("https://app.example.org:443", "default port"),
        ("http://localhost:80", "default port"),
    ],
)
def test_a_bad_origin_names_the_key_and_the_entry(origin: str, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason) as raised:
        CorsPolicy.from_environ({CORS_ALLOWED_ORIGINS: f"{ALLOWED},{origin}"})
    assert str(raised.value).startswith(f"{CORS_ALLOWED_ORIGINS}: {origin!r}")


@pytest.mark.parametrize("stage", stage_names(load_config()))
def test_every_stage_setting_is_valid(stage: str) -> None:
    environment = load_config()["stages"][stage]["environment_variables"]
    assert CORS_ALLOWED_ORIGINS in environment, "each stage says which origins it allows"
    policy = CorsPolicy.from_environ(environment)
    assert "*" not in policy.allowed_origins


def test_options_reply_lists_the_paths_methods() -> None:
    reply = options_reply(["POST"])
    assert (reply.status, reply.body, dict(reply.headers)) == (204, "", {"Allow": "OPTIONS, POST"})


# --- Through Chalice's local gateway ----------------------------------------------------


@pytest.fixture
def client(make_client: MakeClient) -> Client:
    return make_client(AnsweringEndpoint(score=0.2, label=0), cors=CorsPolicy(frozenset({ALLOWED})))


def _post(
    client: Client, origin: str | None, content_type: str = "application/json"
) -> dict[str, str]:
    headers = {"Content-Type": content_type, **({"Origin": origin} if origin else {})}
    response = client.http.post(PREDICT, headers=headers, body=body_for(EXAMPLE_ROW))
    return {key.lower(): str(value) for key, value in response.headers.items()}


def test_a_listed_origin_is_echoed_with_vary(client: Client) -> None:
    headers = _post(client, ALLOWED)
    assert headers["access-control-allow-origin"] == ALLOWED
    assert headers["vary"] == "Origin"
    assert "x-request-id" in headers["access-control-expose-headers"]
    assert "access-control-allow-credentials" not in headers


@pytest.mark.parametrize("origin", [OTHER, "null", "https://app.example.org.evil.net", None])
def test_any_other_origin_gets_no_allow_origin(client: Client, origin: str | None) -> None:
    headers = _post(client, origin)
    assert "access-control-allow-origin" not in headers
    assert headers["vary"] == "Origin"


def test_error_answers_carry_the_same_headers(client: Client) -> None:
    headers = _post(client, ALLOWED, content_type="text/html")
    assert headers["access-control-allow-origin"] == ALLOWED
    assert headers["x-request-id"]


def test_open_routes_answer_listed_origins_too(client: Client) -> None:
    response = client.http.get("/health", headers={"Origin": ALLOWED})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def _preflight(client: Client, origin: str | None) -> tuple[int, dict[str, str]]:
    headers = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-api-key",
        **({"Origin": origin} if origin else {}),
    }
    response = client.http.request("OPTIONS", PREDICT, headers=headers)
    return response.status_code, {key.lower(): str(v) for key, v in response.headers.items()}


def test_a_preflight_from_a_listed_origin_allows_the_key_header(client: Client) -> None:
    status, headers = _preflight(client, ALLOWED)
    assert status == 204
    assert headers["access-control-allow-origin"] == ALLOWED
    assert headers["access-control-allow-methods"] == "OPTIONS, POST"
    allowed_headers = headers["access-control-allow-headers"].split(", ")
    assert {"x-api-key", "content-type"} <= set(allowed_headers)
    assert headers["access-control-max-age"] == str(MAX_AGE_SECONDS)
    assert headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in headers


@pytest.mark.parametrize("origin", [OTHER, None])
def test_a_preflight_from_elsewhere_allows_nothing(client: Client, origin: str | None) -> None:
    status, headers = _preflight(client, origin)
    assert status == 204
    assert not [name for name in headers if name.startswith("access-control-")]
    assert headers["allow"] == "OPTIONS, POST"


def test_a_failed_preflight_allows_no_methods() -> None:
    answer = Response(body="", status_code=405, headers={"Vary": "origin"})
    preflight = SimpleNamespace(
        headers={"origin": ALLOWED, "access-control-request-method": "POST"}, method="OPTIONS"
    )
    middleware = CorsMiddleware(CorsPolicy(frozenset({ALLOWED})))
    response = middleware(preflight, lambda _event: answer)  # type: ignore[arg-type]
    assert response.headers == {"Vary": "origin", "Access-Control-Allow-Origin": ALLOWED}


def test_vary_is_extended_not_replaced() -> None:
    answer = Response(body="", headers={"vary": "Accept"})
    request = SimpleNamespace(headers={}, method="GET")
    response = CorsMiddleware(CorsPolicy())(request, lambda _event: answer)  # type: ignore[arg-type]
    assert response.headers == {"vary": "Accept, Origin"}


# --- On the run command's server, where a browser meets it --------------------------------
