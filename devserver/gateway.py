"""The Chalice app behind Chalice's own local gateway (`chalice.local.LocalGateway`), as ASGI.

The gateway routes and translates to and from the API Gateway event exactly as `chalice local`
does, so a local answer is the Lambda's. Requests run one at a time on one worker thread, as one
Lambda container runs them: the app's `current_request` is a plain attribute, not per thread.
What the gateway answers itself (a preflight of its own, a refused framing or size, a request
still running when the server stops) gets an `X-Request-Id` and an access-log line too, and its
errors the API's shape with a code. An unknown path
gets the API's 404 `not_found`, as the stages' gateway response has it (deploy/merge_template.py),
not API Gateway's own 403 "Missing Authentication Token"."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.local import ForbiddenError, LocalGateway, LocalGatewayException

from chalicelib import access_log, web
from chalicelib.errors import MAX_BODY_BYTES, ApiError, NotFound, PayloadTooLarge
from standin import serving
from standin.serving import Answer, Receive, Scope, Send

REQUEST_ID = b"x-request-id"
NO_ROUTE = "the API has no such path; GET /openapi.json lists its paths and their methods"


class ShuttingDown(ApiError):
    """The server stopped, and its grace ran out before the Lambda's answer: local only."""

    STATUS_CODE = 503
    CODE = "shutting_down"


# What the server refuses before the Lambda runs (on AWS, API Gateway's and CloudFront's own
# answers): the API's 413, and codes of the dev server's own (docs/internals/servers.md).
class RepeatedHeader(ApiError):
    """A header that takes one value (Content-Type) sent on more than one line: local only."""

    STATUS_CODE = 400
    CODE = "repeated_header"


class AmbiguousFraming(ApiError):
    """Both Content-Length and Transfer-Encoding (RFC 9112 6.1): local only."""

    STATUS_CODE = 400
    CODE = "ambiguous_framing"


class BodyTimeout(ApiError):
    """A body that stopped arriving: local only."""

    STATUS_CODE = 408
    CODE = "body_timeout"


class BadRequest(ApiError):
    """A request h11 cannot read (its request line, a header, Content-Length): local only."""

    STATUS_CODE = 400
    CODE = "bad_request"


class HeaderTooLarge(ApiError):
    """A request line and headers larger than h11 reads (16 KiB): local only."""

    STATUS_CODE = 431
    CODE = "header_too_large"


REFUSALS = {
    error.CODE: error
    for error in (
        RepeatedHeader, AmbiguousFraming, BodyTimeout, PayloadTooLarge, BadRequest, HeaderTooLarge
    )
}  # fmt: skip


class LambdaWorker:
    """One thread running one request at a time. A daemon: a request still running when the
    server stops is answered without it, and never holds the process."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = queue.SimpleQueue()
        threading.Thread(target=self._work, name="lambda", daemon=True).start()

    def run(self, call: Callable[[], Answer]) -> asyncio.Future[Answer]:
        job: Future[Answer] = Future()
        self.jobs.put((job, call))
        return asyncio.wrap_future(job)

    def _work(self) -> None:
        while True:
            job, call = self.jobs.get()
            if not job.set_running_or_notify_cancel():
                continue  # cancelled while it waited: the server is stopping
            try:
                job.set_result(call())
            except Exception as error:  # noqa: BLE001 - raised in the awaiting request
                job.set_exception(error)


class GatewayApp:
    def __init__(self, gateway: LocalGateway, routes: frozenset[str]) -> None:
        self.gateway, self.routes = gateway, routes
        self.worker = LambdaWorker()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started, own_id = time.perf_counter(), str(uuid.uuid4())
        route = scope["path"] if scope["path"] in self.routes else "other"
        error: ApiError | None = None
        closing: list[tuple[bytes, bytes]] = []
        try:
            headers = serving.header_fields(scope)
            body = await serving.read_body(scope, receive, MAX_BODY_BYTES)
            target = scope["raw_path"].decode("latin-1")
            if scope["query_string"]:
                target += "?" + scope["query_string"].decode("latin-1")
            method = scope["method"]
            answer = await self.worker.run(
                lambda: self.handle(method, target, headers, body or None)
            )
        except serving.ClientGone:
            return
        except serving.RequestRefused as refusal:  # its body, or the rest of it, is never read
            error, closing = REFUSALS[refusal.code](refusal.message), [serving.CLOSE]
        except NotFound as unknown:
            error = unknown
        except asyncio.CancelledError:  # the server stopped, and its grace ran out first
            error = ShuttingDown("the server is shutting down; send the request again later")
        if error is not None:
            reply = web.route_error_reply(route, error, own_id)
            answer = reply.status, reply.body.encode(), [serving.JSON, *closing]
        status, answer_body, fields = answer
        if not any(name == REQUEST_ID for name, _ in fields):  # the app never saw the request
            fields.append((REQUEST_ID, own_id.encode()))
            access_log.log_request(
                request_id=own_id, method=scope["method"], route=route, status=status,
                error_code=error.CODE if error else None, rows=0,
                latency_ms=(time.perf_counter() - started) * 1000,
            )  # fmt: skip
        await serving.respond(send, status, answer_body, fields)

    def refused(self, refusal: serving.RequestRefused) -> Answer:
        """A request h11 could not read (HardenedH11Protocol asks): its method and path unknown."""
        own_id, error = str(uuid.uuid4()), REFUSALS[refusal.code](refusal.message)
        reply = web.route_error_reply("other", error, own_id)
        access_log.log_request(
            request_id=own_id, method="other", route="other", status=reply.status,
            error_code=error.CODE, rows=0, latency_ms=0.0,
        )  # fmt: skip
        return reply.status, reply.body.encode(), [serving.JSON, (REQUEST_ID, own_id.encode())]

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None
    ) -> Answer:
        try:
            response = self.gateway.handle_request(method, target, headers, body)
        except ForbiddenError:  # no route: API Gateway's 403, which the stages answer as 404
            raise NotFound(NO_ROUTE) from None
        except LocalGatewayException as error:
            # API Gateway's own words, never Chalice's local echo of a header.
            return error.CODE, json.dumps({"message": "Error"}).encode(), [serving.JSON]
        answer = response["body"] or b""
        if response.get("isBase64Encoded"):
            answer = base64.b64decode(answer)
        elif isinstance(answer, str):
            answer = answer.encode("utf-8")
        fields: list[tuple[bytes, bytes]] = []
        for name, value in {**response["headers"], **response["multiValueHeaders"]}.items():
            for one in value if isinstance(value, list) else [value]:
                fields.append((name.lower().encode("latin-1"), str(one).encode("latin-1")))
        if not any(name == b"content-type" for name, _ in fields):
            fields.append(serving.JSON)
        return response["statusCode"], answer, fields


def build_app(project_dir: Path, stage: str, environment: Mapping[str, str]) -> GatewayApp:
    """The stage's app with `environment` (the stage's, with what devserver changed in it: a
    setting taken out stays out), as `chalice local` sets it."""
    factory = CLIFactory(str(project_dir), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = factory.load_chalice_app(dict(environment))
    return GatewayApp(LocalGateway(app, config), frozenset(app.routes))


def stage_environment(project_dir: Path, stage: str) -> dict[str, str]:
    factory = CLIFactory(str(project_dir))
    return dict(factory.create_config_obj(chalice_stage_name=stage).environment_variables)


def local_credentials() -> dict[str, str]:
    """boto3 signs every request, even to the stand-in: harmless values where none are set."""
    given = {"AWS_ACCESS_KEY_ID", "AWS_PROFILE"} & set(os.environ)
    defaults = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    if not given:
        defaults |= dict.fromkeys(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "local-stand-in")
    return {key: value for key, value in defaults.items() if key not in os.environ}
