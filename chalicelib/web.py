"""The thin shell between Chalice and the plain-data core: requests in, Replies out, one log line.

Chalice answers some requests itself (415 for a media type a route does not take, 405 for a
method it does not serve) in its own `{"Code", "Message"}` shape; they are rewritten here so
that every error a client sees has the route's shape: ours, or OIP's under /v2/.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from chalice.app import Request, Response

from chalicelib import access_log, oip
from chalicelib.errors import (
    ApiError,
    InternalError,
    InvalidPayload,
    MethodNotAllowed,
    UnsupportedMediaType,
)
from chalicelib.replies import Reply, error_reply

REQUEST_ID_HEADER = "X-Request-Id"


class ReplyResponse(Response):
    """A Chalice Response that remembers the Reply it came from, for the access log."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(
            body=reply.body,
            status_code=reply.status,
            headers={"Content-Type": reply.content_type, **reply.headers},
        )
        self.reply = reply


def request_id(request: Request | None) -> str:
    """API Gateway's request id; under `chalice local` the Lambda context's; else a fresh one."""
    if request is None:
        return str(uuid.uuid4())
    context_id = (request.context or {}).get("requestId")
    if context_id:
        return str(context_id)
    lambda_context = getattr(request, "lambda_context", None)
    lambda_id = getattr(lambda_context, "aws_request_id", None)
    return str(lambda_id) if lambda_id else str(uuid.uuid4())


_FRAMEWORK_ERRORS: dict[str, Callable[[], ApiError]] = {
    "UnsupportedMediaType": lambda: UnsupportedMediaType(
        "that media type is not accepted here; POST /predictbreastcancer takes "
        "application/json or text/csv, POST /v2/models/wdbc/infer application/json"
    ),
    "MethodNotAllowedError": lambda: MethodNotAllowed("this route does not take that method"),
    "BadRequestError": lambda: InvalidPayload("the request is malformed", "body"),
}


def _framework_error(response: Response) -> ApiError | None:
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return None
    make_error = _FRAMEWORK_ERRORS.get(body["Code"])
    return make_error() if make_error else InternalError("an internal error occurred")


def answer_and_log(
    event: Request,
    get_response: Callable[[Request], Response],
    clock: Callable[[], float] = time.perf_counter,
) -> Response:
    """Chalice `http` middleware: the route's error shape, a request id header, one log line."""
    started = clock()
    rid = request_id(event)
    response = get_response(event)
    reply: Reply | None = getattr(response, "reply", None)
    route = _route(event)
    framework_error = None if reply else _framework_error(response)
    if framework_error is not None:
        reply = route_error_reply(route, framework_error, rid)
        kept = {k: str(v) for k, v in response.headers.items() if k.lower() == "allow"}
        response = ReplyResponse(reply._replace(headers={**reply.headers, **kept}))
    response.headers[REQUEST_ID_HEADER] = rid
    access_log.log_request(
        request_id=rid,
        method=event.method,
        route=route,
        status=response.status_code,
        error_code=reply.error_code if reply else None,
        rows=reply.rows if reply else 0,
        latency_ms=(clock() - started) * 1000.0,
    )
    return response


def route_error_reply(route: str, error: ApiError, rid: str) -> Reply:
    """The error in its route's shape: OIP's under /v2/, ours elsewhere."""
    if route.startswith(oip.PREFIX + "/"):
        return oip.error_reply(error)
    return error_reply(error, rid)


class BodyHandler(Protocol):
    def __call__(
        self,
        body: bytes,
        content_type: str | None,
        accept: str | None,
        request_id: str,
        content_encoding: str | None = None,
    ) -> Reply: ...


def respond(request: Request | None, handle: BodyHandler) -> ReplyResponse:
    """What a body-taking route does: hand body, its headers and the request id over."""
    if request is None:
        raise RuntimeError("Chalice called a route outside a request")
    raw_body = request.raw_body
    body = raw_body if isinstance(raw_body, bytes) else raw_body.encode("utf-8")
    headers = _fields(request)
    reply = handle(
        body,
        headers.get("content-type"),
        headers.get("accept"),
        request_id(request),
        headers.get("content-encoding"),
    )
    return ReplyResponse(reply)


def _fields(request: Request) -> Mapping[str, str]:
    """Each header once, its lines joined as one list (RFC 9110 5.3): API Gateway's `headers`
    holds only a field's last line, `multiValueHeaders` all of them (Chalice reads the first)."""
    lines: dict[str, list[str]] = {}
    for name, values in (request.to_original_event().get("multiValueHeaders") or {}).items():
        lines.setdefault(name.lower(), []).extend(values)
    return {name: ", ".join(values) for name, values in lines.items()} or request.headers


def _route(event: Request) -> str:
    context: dict[str, Any] = event.context or {}
    return str(context.get("resourcePath", "?"))
