"""Cross-origin requests: an allow-list of origins per stage, answered per request origin.

Chalice's own CORSConfig holds one static origin. Here the request's `Origin` is echoed back
only if the stage lists it, every answer says `Vary: Origin` so that caches keep the answers
apart, and an OPTIONS route per browser-facing path (which API Gateway serves without a key)
answers preflights. No `Access-Control-Allow-Credentials` is ever sent and `*` is refused in
the list: the API key travels in the `x-api-key` header, which the preflight allows, not in a
cookie.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import NamedTuple

from chalice.app import Request, Response

from chalicelib import content_types, extrapolation
from chalicelib.errors import ConfigurationError
from chalicelib.replies import Reply

CORS_ALLOWED_ORIGINS = "CORS_ALLOWED_ORIGINS"

ALLOWED_HEADERS = ("accept", "content-type", "x-api-key")
EXPOSED_HEADERS = ("retry-after", "x-request-id", extrapolation.HEADER.lower())
# Long enough to spare a preflight per request, short enough that an origin taken off the list
# loses access within minutes (browsers cap it anyway: Chromium at 2 hours).
MAX_AGE_SECONDS = 600

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# Compiled (and cached by `re`) on first use: a stage that lists no origin never needs it.
_ORIGIN = rf"(?P<scheme>https?)://(?P<host>{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>[0-9]{{1,5}}))?"
# Plain http only where no network sits between the browser and the page.
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1"})

Headers = MutableMapping[str, str | list[str]]  # chalice.app.Response.headers


class CorsPolicy(NamedTuple):
    allowed_origins: frozenset[str] = frozenset()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> CorsPolicy:
        """Comma-separated origins as browsers send them (`https://app.example.org:8443`).

        Absent or empty: no origin is allowed, and browsers keep other sites' pages out.
        """
        listed = [part.strip() for part in environ.get(CORS_ALLOWED_ORIGINS, "").split(",")]
        origins = [origin for origin in listed if origin]
        for origin in origins:
            problem = _origin_problem(origin)
            if problem:
                raise ConfigurationError(f"{CORS_ALLOWED_ORIGINS}: {origin!r} {problem}")
        return cls(frozenset(origins))

    def allows(self, origin: str) -> bool:
        return origin in self.allowed_origins


def _origin_problem(origin: str) -> str | None:
    if origin in ("*", "null"):
        return "is not allowed: list each origin that may call the API"
    match = re.fullmatch(_ORIGIN, origin)
    if match is None:
        return (
            "is not an origin: write scheme://host[:port] in lower case, with no path "
            "or trailing slash"
        )
    if match["scheme"] == "http" and match["host"] not in _LOOPBACK_HOSTS:
        return "is plain http: only localhost and 127.0.0.1 may be, every other origin https"
    port = match["port"]
    if port is not None and not 0 < int(port) < 65536:
        return "has no valid port"
    if port is not None and int(port) == {"http": 80, "https": 443}[match["scheme"]]:
        return "names its scheme's default port, which browsers leave out of Origin"
    return None


def options_reply(methods: Iterable[str]) -> Reply:
    """What an OPTIONS route answers: no body, the path's methods in `Allow`."""
    allow = ", ".join(sorted({*methods, "OPTIONS"}))
    return Reply(
        status=204, body="", content_type=content_types.PLAIN_TEXT, headers={"Allow": allow}
    )


class CorsMiddleware:
    """Chalice `http` middleware; registered first, so it also sees the error answers."""

    def __init__(self, policy: CorsPolicy) -> None:
        self.policy = policy

    def __call__(self, event: Request, get_response: Callable[[Request], Response]) -> Response:
        response = get_response(event)
        headers = response.headers
        _add_vary(headers, "Origin")
        origin = event.headers.get("origin")
        if origin is None or not self.policy.allows(origin):
            return response
        headers["Access-Control-Allow-Origin"] = origin
        if _is_preflight(event):
            allow = _header(headers, "Allow")
            if response.status_code == 204 and allow:
                headers["Access-Control-Allow-Methods"] = allow
                headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_HEADERS)
                headers["Access-Control-Max-Age"] = str(MAX_AGE_SECONDS)
        else:
            headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
        return response


def _is_preflight(event: Request) -> bool:
    return event.method == "OPTIONS" and "access-control-request-method" in event.headers


def _header(headers: Headers, name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return _flat(value)
    return None


def _add_vary(headers: Headers, name: str) -> None:
    for key, value in headers.items():
        if key.lower() == "vary":
            listed = [part.strip().lower() for part in _flat(value).split(",")]
            if name.lower() not in listed:
                headers[key] = f"{_flat(value)}, {name}"
            return
    headers["Vary"] = name


def _flat(value: str | list[str]) -> str:
    return value if isinstance(value, str) else ", ".join(value)
