"""The thin shell between Chalice and the plain-data core: requests in, Replies out, one log line.

Chalice answers some requests itself (415 for a media type a route does not take, 405 for a
method it does not serve) in its own `{"Code", "Message"}` shape; they are rewritten here so
that every error a client sees has the route's shape: ours, or OIP's under /v2/.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Request, Response

from chalicelib import access_log, content_types, oip
from chalicelib.errors import (
    ApiError,
    InternalError,
    InvalidPayload,
    MethodNotAllowed,
)
from chalicelib.replies import Reply, error_reply
from chalicelib.service import ApiRequest

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


Routes = Mapping[str, Mapping[str, Any]]  # Chalice's app.routes: path -> method -> RouteEntry


def _framework_error(response: Response, event: Request, routes: Routes) -> ApiError | None:
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or "Code" not in body:
        return None
    code = body["Code"]
    if code == "UnsupportedMediaType":
        entry = routes.get(_route(event), {}).get(event.method)
        taken = getattr(entry, "content_types", None) or [content_types.JSON]
        return content_types.unsupported(event.headers.get("content-type"), taken)
    if code == "MethodNotAllowedError":
        methods = list(routes.get(_route(event), {}))
        taken = " or ".join(method for method in methods if method != "OPTIONS")
        preflight = " (and OPTIONS, a CORS preflight)" if "OPTIONS" in methods else ""
        return MethodNotAllowed(f"this path does not take that method; it takes {taken}{preflight}")
    if code == "BadRequestError":
        return InvalidPayload("the request is malformed", "body")
    return InternalError("an internal error occurred")


def answer_and_log(
    event: Request,
    get_response: Callable[[Request], Response],
    clock: Callable[[], float] = time.perf_counter,
    *,
    routes: Routes | None = None,
) -> Response:
    """Chalice `http` middleware: the route's error shape, a request id header, one log line."""
    started = clock()
    rid = request_id(event)
    response = get_response(event)
    reply: Reply | None = getattr(response, "reply", None)
    route = _route(event)
    framework_error = None if reply else _framework_error(response, event, routes or {})
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


def respond(request: Request | None, handle: Callable[[ApiRequest], Reply]) -> ReplyResponse:
    """What a body-taking route does: hand the body, its headers and the request id over."""
    if request is None:
        raise RuntimeError("Chalice called a route outside a request")
    raw_body = request.raw_body
    headers = _fields(request)
    incoming = ApiRequest(
        body=raw_body if isinstance(raw_body, bytes) else raw_body.encode("utf-8"),
        content_type=headers.get("content-type"),
        accept=headers.get("accept"),
        content_encoding=headers.get("content-encoding"),
        request_id=request_id(request),
    )
    return ReplyResponse(handle(incoming))


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
