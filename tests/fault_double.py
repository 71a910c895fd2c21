"""A SageMaker Runtime double for tests: a real HTTP server on 127.0.0.1 that fails as told.

Each test scripts how the attempts it causes are answered (`double.script(first, second, ...)`,
the last one repeating): one of SageMaker's rest-json errors, a reply slower than the client's
read timeout, a reset connection, or a 200 whose body the API must not trust. The double counts
the attempts it receives and keeps their bodies. A refused connection needs no server at all:
`refused_url()` is a port that is bound but never listens.

Error shapes are SageMaker's, as `standin/runtime_api.py` writes them: the status, an
`x-amzn-ErrorType: <Code>:http://internal.amazon.com/coral/com.amazon.sagemaker/` header (which is
how botocore names the exception) and a JSON `{"message": ...}` body; a ModelError carries the
container's own message too. Every error message quotes the request body back, as a model
container complaining about its input may: whatever the API does with SageMaker's words, they must
not reach its logs or its answers.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CORAL_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.sagemaker/"
VARIANT = "variant-double"
ENDPOINT_PREFIX, ENDPOINT_SUFFIX = "/endpoints/", "/invocations"


@dataclass(frozen=True)
class Fault:
    """How one attempt is answered; the default is a valid answer, one prediction per row."""

    name: str
    status: int = 200
    error_type: str | None = None  # a rest-json error: the code in x-amzn-ErrorType
    message: str = ""
    body: bytes | None = None  # this exact body, instead of one prediction per row
    content_type: str = "application/json"
    extra_predictions: int = 0  # a 200 with this many predictions more (or fewer) than rows
    delay: float = 0.0  # seconds before the status line
    body_delay: float = 0.0  # seconds between the headers and the body
    reset: bool = False  # read the request, then close with SO_LINGER 0: the client gets an RST


ANSWER = Fault("a valid answer")


def sagemaker_error(status: int, code: str, message: str) -> Fault:
    return Fault(f"{status} {code}", status=status, error_type=code, message=message)


SERVICE_UNAVAILABLE = sagemaker_error(503, "ServiceUnavailable", "Service is unavailable.")
INTERNAL_FAILURE = sagemaker_error(500, "InternalFailure", "An internal failure occurred.")
MODEL_NOT_READY = sagemaker_error(429, "ModelNotReadyException", "Model is not ready yet.")
MODEL_ERROR = sagemaker_error(424, "ModelError", "Received client error (400) from primary.")
NO_SUCH_ENDPOINT = sagemaker_error(
    400, "ValidationError", "Endpoint wdbc-test of account 000000000000 not found."
)
INTERNAL_DEPENDENCY = sagemaker_error(
    530, "InternalDependencyException", "An internal dependency failed."
)
THROTTLING = sagemaker_error(400, "ThrottlingException", "Rate exceeded.")
RESET = Fault("a reset connection", reset=True)
GARBAGE = Fault("a garbage body", body=b"\x00\xff<html>garbage{")
NAN_SCORE = Fault("a NaN score", body=b'{"predictions": [{"score": NaN, "predicted_label": 0}]}')
LABEL_7 = Fault("a label of 7", body=b'{"predictions": [{"score": 0.5, "predicted_label": 7}]}')
NO_PREDICTIONS = Fault("an empty prediction list", body=b'{"predictions": []}')
ONE_PREDICTION_SHORT = Fault("one prediction fewer than rows", extra_predictions=-1)
# What a proxy in front of the service may send: a status without SageMaker's error type.
PROXY_502 = Fault(
    "a 502 page from a proxy",
    status=502,
    body=b"<html>Bad Gateway</html>",
    content_type="text/html",
)
BARE_429 = Fault("a bare 429", status=429, body=b"")


def slow(seconds: float) -> Fault:
    return Fault(f"a reply after {seconds} s", delay=seconds)


def slow_body(seconds: float) -> Fault:
    return Fault(f"headers at once, the body after {seconds} s", body_delay=seconds)


class FaultDouble(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, endpoint_name: str) -> None:
        self.endpoint_name = endpoint_name
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._script: tuple[Fault, ...] = (ANSWER,)
        self._bodies: list[bytes] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def attempts(self) -> int:
        with self._lock:
            return len(self._bodies)

    @property
    def bodies(self) -> list[bytes]:
        with self._lock:
            return list(self._bodies)

    def script(self, *faults: Fault) -> None:
        """Attempt n is answered by faults[n], the last fault answering every later attempt."""
        with self._lock:
            self._script = faults or (ANSWER,)
            self._bodies = []

    def next_fault(self, body: bytes) -> Fault:
        with self._lock:
            fault = self._script[min(len(self._bodies), len(self._script) - 1)]
            self._bodies.append(body)
            return fault

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up on a slow reply is the point, not a failure


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as SageMaker's front end
    disable_nagle_algorithm = True
    server: FaultDouble

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        name = self.path.removeprefix(ENDPOINT_PREFIX).removesuffix(ENDPOINT_SUFFIX)
        if not self.path.startswith(ENDPOINT_PREFIX) or name != self.server.endpoint_name:
            fault = NO_SUCH_ENDPOINT
        else:
            fault = self.server.next_fault(body)
        if fault.reset:
            self._reset()
            return
        if fault.delay and self.server.stopping.wait(fault.delay):
            return
        status, headers, payload = _answer(fault, body)
        head = f"HTTP/1.1 {status} {self.responses.get(status, ('Error',))[0]}\r\n"
        head += "".join(f"{key}: {value}\r\n" for key, value in headers.items())
        head += f"Content-Length: {len(payload)}\r\n\r\n"
        try:
            if fault.body_delay:
                self.wfile.write(head.encode("latin-1"))
                self.wfile.flush()
                if self.server.stopping.wait(fault.body_delay):
                    return
                self.wfile.write(payload)
            else:
                self.wfile.write(head.encode("latin-1") + payload)
        except OSError:
            self.close_connection = True  # the client stopped waiting

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        # The buffered files hold references to the socket: the close is only real without them.
        self.rfile.close()
        self.wfile.close()
        self.connection.close()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _answer(fault: Fault, body: bytes) -> tuple[int, dict[str, str], bytes]:
    echoed = body.decode("utf-8", "replace")
    if fault.error_type is not None:
        document: dict[str, object] = {"message": f"{fault.message} Input: {echoed}"}
        if fault.error_type == "ModelError":
            document.update(OriginalStatusCode=400, OriginalMessage=f"cannot score {echoed}")
        headers = {
            "Content-Type": "application/json",
            "x-amzn-ErrorType": f"{fault.error_type}:{CORAL_NAMESPACE}",
        }
        return fault.status, headers, json.dumps(document).encode()
    headers = {"Content-Type": fault.content_type}
    if fault.status == 200:
        headers["x-Amzn-Invoked-Production-Variant"] = VARIANT
    if fault.body is not None:
        return fault.status, headers, fault.body
    rows = len(body.decode("ascii").splitlines()) + fault.extra_predictions
    item = {"score": 0.25, "predicted_label": 0}
    return fault.status, headers, json.dumps({"predictions": [item] * rows}).encode()


@contextmanager
def running_double(endpoint_name: str) -> Iterator[FaultDouble]:
    double = FaultDouble(endpoint_name)
    thread = threading.Thread(target=double.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield double
    finally:
        double.stopping.set()
        double.shutdown()
        thread.join()
        double.server_close()


@contextmanager
def refused_url() -> Iterator[str]:
    """A port of 127.0.0.1, bound while the test runs, never listening: connecting is refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}"
