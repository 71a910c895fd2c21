"""SageMaker Runtime's `InvokeEndpoint` and the container contract as an ASGI app, faults built in.

As boto3 sees AWS: errors named by `x-amzn-ErrorType`, the container's 4xx wrapped in a 424
ModelError, the variant in `x-Amzn-Invoked-Production-Variant`. `Standin.script` says how each
attempt is answered: SageMaker's other errors, a slow reply or body, a reset, a bad 200.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass

from standin import serving
from standin.inference import JSON, ContainerError
from standin.model import Container
from standin.serving import Answer, Receive, Scope, Send

ACCOUNT_ID, REGION = "000000000000", "us-east-1"
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # BodyBlob's max in botocore's sagemaker-runtime model
CORAL = "http://internal.amazon.com/coral/com.amazon.sagemaker/"
# EndpointName and TargetVariant: letters, digits and inner hyphens, 63 at most.
NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
INVOCATIONS = re.compile(r"/endpoints/([^/]+)/invocations")
TARGET_VARIANT = "x-amzn-sagemaker-target-variant"
UNSUPPORTED = {  # features a single-model, single-variant endpoint lacks
    "x-amzn-sagemaker-target-model": "is not a multi-model endpoint",
    "x-amzn-sagemaker-target-container-hostname": "is not a multi-container endpoint",
    "x-amzn-sagemaker-inference-component": "has no inference components",
    "x-amzn-sagemaker-session-id": "does not support stateful sessions",
    "x-amzn-sagemaker-enable-explanations": "has no explainer configured",
}
CONTAINER_ROUTES = {"/ping": ("GET", "HEAD"), "/invocations": ("POST",)}
request_log = logging.getLogger("standin.requests")


@dataclass(frozen=True)
class Fault:
    """How one attempt is answered; the default is the model's own answer."""

    name: str
    status: int = 200
    error_type: str | None = None  # a rest-json error whose message quotes the request back
    message: str = ""
    body: bytes | None = None  # this exact body instead of the model's answer
    content_type: str = "application/json"
    predictions_dropped: int = 0  # the model's answer with this many predictions fewer, any format
    delay: float = 0.0  # seconds before the status line
    body_delay: float = 0.0  # seconds between the headers and the body
    reset: bool = False  # read the request, then close with SO_LINGER 0: the client gets an RST


def sagemaker_error(status: int, code: str, message: str) -> Fault:
    return Fault(f"{status} {code}", status=status, error_type=code, message=message)


ANSWER = Fault("the model's answer")
SERVICE_UNAVAILABLE = sagemaker_error(503, "ServiceUnavailable", "Service is unavailable.")
INTERNAL_FAILURE = sagemaker_error(500, "InternalFailure", "An internal failure occurred.")
MODEL_NOT_READY = sagemaker_error(429, "ModelNotReadyException", "Model is not ready yet.")
MODEL_ERROR = sagemaker_error(424, "ModelError", "Received client error (400) from primary.")
NO_SUCH_ENDPOINT = sagemaker_error(400, "ValidationError", "Endpoint not found.")
INTERNAL_DEPENDENCY = sagemaker_error(530, "InternalDependencyException", "A dependency failed.")
THROTTLING = sagemaker_error(400, "ThrottlingException", "Rate exceeded.")
PROXY_502 = Fault("a proxy's 502", 502, body=b"<html>Bad Gateway</html>", content_type="text/html")
BARE_429 = Fault("a bare 429", 429, body=b"")
RESET = Fault("a reset connection", reset=True)
GARBAGE = Fault("a garbage body", body=b"\x00\xff<html>garbage{")
NAN_SCORE = Fault("a NaN score", body=b'{"predictions": [{"score": NaN, "predicted_label": 0}]}')
LABEL_7 = Fault("a label of 7", body=b'{"predictions": [{"score": 0.5, "predicted_label": 7}]}')
NO_PREDICTIONS = Fault("no predictions", body=b'{"predictions": []}')
ONE_PREDICTION_SHORT = Fault("one prediction short", predictions_dropped=1)


class Standin:
    """The one endpoint a stand-in serves, as an ASGI app."""

    def __init__(self, model: Container, endpoint_name: str, variant: str | None = None) -> None:
        self.endpoint_name = endpoint_name
        self.variant = model.version if variant is None else variant
        for setting, value in (("endpoint name", endpoint_name), ("variant", self.variant)):
            if not NAME.fullmatch(value):
                raise ValueError(f"{setting} {value!r}: 1-63 letters, digits and inner hyphens")
        self.model = model
        self._lock = threading.Lock()
        self._script: tuple[Fault, ...] = ()
        self._bodies: list[bytes] = []

    def script(self, *faults: Fault) -> None:
        """Attempt n on the endpoint is answered by faults[n], the last one repeating; the
        attempts' bodies are kept until the next script. No faults: the model answers."""
        with self._lock:
            self._script, self._bodies = faults, []

    @property
    def bodies(self) -> list[bytes]:
        with self._lock:
            return list(self._bodies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]
        endpoint = INVOCATIONS.fullmatch(path)
        methods = ("POST",) if endpoint else CONTAINER_ROUTES.get(path)
        fault = ANSWER
        try:
            if methods is None:
                answer = _error(404, "UnknownOperationException", "Not Found")
            elif method not in methods:
                answer = _error(405, "UnknownOperationException", "Method Not Allowed")
            elif path == "/ping":
                answer = (200, b"", [])
            else:
                answer, fault = await self._invoke(scope, receive, endpoint and endpoint[1])
            await self._send(send, answer, fault)
        except serving.ClientGone:
            return
        except serving.RequestRefused as refusal:
            answer = serving.refusal_answer(refusal)
            await serving.respond(send, *answer)
        except asyncio.CancelledError:  # the server stopped, and its grace ran out first
            answer = _error(503, "ServiceUnavailable", "Service is unavailable.", close=True)
            await serving.respond(send, *answer)
        if request_log.isEnabledFor(logging.INFO):
            # Only names this server defines: an unknown path or method is the caller's text.
            route = "/endpoints/{name}/invocations" if endpoint else (methods and path) or "other"
            known = method if methods and method in methods else "other"
            took = (time.perf_counter() - started) * 1000
            request_log.info("%s %s %d %.2f ms", known, route, answer[0], took)

    async def _invoke(
        self, scope: Scope, receive: Receive, name: str | None
    ) -> tuple[Answer, Fault]:
        request_id = str(uuid.uuid4())
        headers = serving.header_fields(scope)
        try:
            body = await serving.read_body(scope, receive, MAX_PAYLOAD_BYTES)
        except serving.BodyTooLarge:
            message = f"Request {request_id} has oversize body."
            return _error(400, "ValidationError", message, request_id, close=True), ANSWER
        if name is None:
            return self._container(body, headers), ANSWER
        if name != self.endpoint_name:
            message = f"Endpoint {name[:63]} of account {ACCOUNT_ID} not found."
            return _error(400, "ValidationError", message, request_id), ANSWER
        if refusal := self._refusal(headers):
            return _error(400, "ValidationError", refusal, request_id), ANSWER
        fault = ANSWER
        with self._lock:
            if self._script:
                fault = self._script[min(len(self._bodies), len(self._script) - 1)]
                self._bodies.append(body)
        identity = [(b"x-amzn-RequestId", request_id.encode())]
        if fault.error_type is not None:
            quoted = f"{fault.message} Input: {body.decode('utf-8', 'replace')}"
            return _error(fault.status, fault.error_type, quoted, request_id), fault
        if fault.body is not None:
            media_type = (b"content-type", fault.content_type.encode())
            return (fault.status, fault.body, [media_type, *identity]), fault
        status, answer, head = self._container(body, headers)
        if status != 200:
            return self._model_error(status, answer, request_id), fault
        if fault.predictions_dropped:
            answer = _dropped(answer, dict(head)[b"content-type"], fault.predictions_dropped)
        variant = (b"x-Amzn-Invoked-Production-Variant", self.variant.encode())
        return (200, answer, [*head, variant, *identity]), fault

    def _container(self, body: bytes, headers: dict[str, str]) -> Answer:
        try:
            answer, media_type = self.model.invoke(
                body, headers.get("content-type"), headers.get("accept")
            )
        except ContainerError as error:
            return error.status, json.dumps({"message": str(error)}).encode(), [serving.JSON]
        return 200, answer, [(b"content-type", media_type.encode())]

    @staticmethod
    async def _send(send: Send, answer: Answer, fault: Fault) -> None:
        if fault.reset:
            _reset(send)
            return
        if fault.delay:
            await asyncio.sleep(fault.delay)
        await serving.respond(send, *answer, body_delay=fault.body_delay)

    def _refusal(self, headers: dict[str, str]) -> str | None:
        for header, complaint in UNSUPPORTED.items():
            if header in headers:
                return f"Endpoint {self.endpoint_name} {complaint}."
        target = headers.get(TARGET_VARIANT)
        if target is not None and target != self.variant:
            name = self.endpoint_name
            return f"Variant {target[:63]} is not a production variant of endpoint {name}."
        return None

    def _model_error(self, status: int, original: bytes, request_id: str) -> Answer:
        side, message = "client" if status < 500 else "server", original.decode()
        log_group = f"/aws/sagemaker/Endpoints/{self.endpoint_name}"
        document = {
            "ErrorCode": f"{side.upper()}_ERROR_FROM_MODEL",
            "LogStreamArn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{log_group}",
            "Message": f'Received {side} error ({status}) from primary with message "{message}". '
            f"See the log group {log_group} in account {ACCOUNT_ID} for more information.",
            "OriginalMessage": message,
            "OriginalStatusCode": status,
        }
        return _error(424, "ModelError", document, request_id)


def _dropped(answer: bytes, media_type: bytes, count: int) -> bytes:
    """The answer less its last `count` predictions: list items in JSON, else lines."""
    if media_type == JSON.encode():
        return json.dumps({"predictions": json.loads(answer)["predictions"][:-count]}).encode()
    return b"".join(answer.splitlines(keepends=True)[:-count])


def _error(status: int, error_type: str, message: str | dict[str, object],
           request_id: str | None = None, *, close: bool = False) -> Answer:  # fmt: skip
    document = {"message": message} if isinstance(message, str) else message
    headers = [serving.JSON, (b"x-amzn-ErrorType", f"{error_type}:{CORAL}".encode())]
    headers.append((b"x-amzn-RequestId", (request_id or str(uuid.uuid4())).encode()))
    if close:
        headers.append((b"connection", b"close"))
    return status, json.dumps(document).encode(), headers


def _reset(send: Send) -> None:
    """Close with an RST. ASGI has no abort message; uvicorn's send is bound to the request's
    cycle, whose transport is the connection."""
    transport = send.__self__.transport  # type: ignore[attr-defined]
    connection: socket.socket = transport.get_extra_info("socket")
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
