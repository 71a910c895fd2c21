"""The HTTP shell: framing, routing and one socket write per answer; the work happens elsewhere.

Routes: `GET /ping` and `POST /invocations` (the model container's contract) and
`POST /endpoints/{EndpointName}/invocations` (SageMaker Runtime's InvokeEndpoint).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from standin import container, runtime_api
from standin.errors import FramingError, PayloadTooLarge, StandinError
from standin.http_framing import (
    READ_LIMIT,
    ClientLeft,
    Headers,
    declared_body_length,
    read_request_head,
)
from standin.replies import Reply, http_date, message_reply, render
from standin.runtime_api import MAX_PAYLOAD_BYTES, Endpoint, EndpointRequest

_log = logging.getLogger("standin.requests")

# An unread body is drained before closing: closing with unread bytes makes the kernel reset the
# connection, and the client loses the answer. The drain is bounded in bytes and time.
_DRAIN_LIMIT_BYTES = 64 * 1024 * 1024
_DRAIN_TIMEOUT_SECONDS = 2.0
_DRAIN_CHUNK_BYTES = 64 * 1024
_ENDPOINT_PREFIX, _ENDPOINT_SUFFIX = "/endpoints/", "/invocations"
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, endpoint: Endpoint, *, log_requests: bool) -> None:
        self.endpoint = endpoint
        self.log_requests = log_requests
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), StandinRequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind also resolves the host's FQDN, which can stall on DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def handle_error(self, request: object, client_address: object) -> None:
        # The default prints a traceback to stderr; a dropped connection is not worth one.
        _log.debug("a connection ended with an error")


class StandinRequestHandler(BaseHTTPRequestHandler):
    """One connection; `handle_one_request` reads, routes and answers one request on it.

    The stdlib's request parsing is replaced by `http_framing` (see there why); the rest of
    BaseHTTPRequestHandler (the keep-alive loop, setup and teardown) is kept.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    # No socket timeout: with one, every read is a poll() plus a recv(), two GIL releases per
    # request instead of one. Idle keep-alive connections cost a daemon thread each until the
    # client closes them, which is fine for a server on 127.0.0.1.
    timeout = None
    server: StandinServer

    _started = 0.0
    _unread_body_bytes: int | None = 0  # None: the length is unknown, so the connection must close
    _expects_continue = False
    _request_headers = Headers()
    _keep_alive_header = False  # an HTTP/1.0 client asked to keep the connection

    def handle_one_request(self) -> None:
        first_line = self.rfile.readline(READ_LIMIT)
        if not first_line:
            self.close_connection = True
            return
        self._started = time.perf_counter()
        # A request that fails to parse must not inherit the previous request's method.
        self.command, path = "", "-"
        try:
            head = read_request_head(first_line, self.rfile)
            self.command, path = head.line.method, head.line.target.partition("?")[0]
            self.close_connection = not head.keep_alive
            self._keep_alive_header = head.keep_alive and head.line.version == "HTTP/1.0"
            self._request_headers = head.headers
            self._expects_continue = head.expects_continue
            self._unread_body_bytes = declared_body_length(head.headers)
        except ClientLeft:
            self.close_connection = True
            return
        except FramingError as error:
            self._unread_body_bytes = None
            reply = message_reply(error.status, str(error))
        else:
            reply = self._answer(path)
        # Logged before the write: a stop right after the answer must not lose the line.
        self._log_request(path, reply.status)
        self._write(reply)
        self._discard_unread_body()

    def log_message(self, format: str, *args: object) -> None:
        _log.debug(format, *args)

    def _answer(self, path: str) -> Reply:
        try:
            return self._route(path)
        except StandinError as error:
            return message_reply(error.status, str(error))
        except (ConnectionError, TimeoutError):
            raise  # the client left or stalled: nothing to answer, the stdlib closes
        except Exception as error:  # noqa: BLE001 - a bug must answer 500 and log no input
            _log.error("%s while answering %s", type(error).__name__, self.command)
            return runtime_api.internal_failure_reply()

    def _route(self, path: str) -> Reply:
        if path == "/ping":
            return container.PING_REPLY if self.command == "GET" else _not_allowed("GET")
        if path == "/invocations":
            return self._invocations() if self.command == "POST" else _not_allowed("POST")
        endpoint_name = _endpoint_name(path)
        if endpoint_name is None:
            return runtime_api.unknown_operation_reply(HTTPStatus.NOT_FOUND)
        if self.command != "POST":
            reply = runtime_api.unknown_operation_reply(HTTPStatus.METHOD_NOT_ALLOWED)
            return reply._replace(headers=(*reply.headers, ("Allow", "POST")))
        return self._invoke_endpoint(endpoint_name)

    def _invocations(self) -> Reply:
        body = self._read_body()
        headers = self._request_headers
        return container.invoke(
            self.server.endpoint.scorer, body, headers.get("content-type"), headers.get("accept")
        )

    def _invoke_endpoint(self, endpoint_name: str) -> Reply:
        try:
            body = self._read_body()
        except PayloadTooLarge:
            return runtime_api.oversize_reply()
        request = EndpointRequest(endpoint_name, body, self._request_headers.first_values())
        return runtime_api.invoke_endpoint(self.server.endpoint, request)

    def _read_body(self) -> bytes:
        length = self._unread_body_bytes or 0
        if length > MAX_PAYLOAD_BYTES:
            raise PayloadTooLarge(f"the body must be at most {MAX_PAYLOAD_BYTES} bytes")
        if self._expects_continue and length:
            # Interim, so a second write: the client holds the body back until it reads this.
            self._expects_continue = False
            self.connection.sendall(_CONTINUE)
        body = self.rfile.read(length)
        self._unread_body_bytes = length - len(body)
        return body

    def _write(self, reply: Reply) -> None:
        if self._unread_body_bytes != 0:
            self.close_connection = True
        if self.close_connection:
            connection: str | None = "close"
        else:
            connection = "keep-alive" if self._keep_alive_header else None
        answer = render(
            reply, date=http_date(), connection=connection, include_body=self.command != "HEAD"
        )
        self.connection.sendall(answer)

    def _discard_unread_body(self) -> None:
        if self._unread_body_bytes == 0:
            return
        # An unknown length (a chunked or malformed request) drains until the client closes.
        unread = self._unread_body_bytes
        remaining = _DRAIN_LIMIT_BYTES if unread is None else min(unread, _DRAIN_LIMIT_BYTES)
        with contextlib.suppress(OSError):
            # The answer is complete: a client reading until the server closes stops here.
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(_DRAIN_TIMEOUT_SECONDS)
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, _DRAIN_CHUNK_BYTES))
                if not chunk:
                    break
                remaining -= len(chunk)

    def _log_request(self, path: str, status: HTTPStatus) -> None:
        if not self.server.log_requests:
            return
        known = path in ("/ping", "/invocations") or _endpoint_name(path) is not None
        # Arbitrary paths are not logged: a caller could have put data in one.
        shown = path if known else "(other path)"
        elapsed_ms = (time.perf_counter() - self._started) * 1000.0
        _log.info("%s %s %d %.1fms", self.command or "-", shown, status.value, elapsed_ms)


def make_server(
    endpoint: Endpoint, host: str = "127.0.0.1", port: int = 0, *, log_requests: bool = False
) -> StandinServer:
    """Bound and listening when it returns; the model is already loaded in `endpoint`."""
    return StandinServer(host, port, endpoint, log_requests=log_requests)


def _endpoint_name(path: str) -> str | None:
    if not (path.startswith(_ENDPOINT_PREFIX) and path.endswith(_ENDPOINT_SUFFIX)):
        return None
    quoted_name = path[len(_ENDPOINT_PREFIX) : -len(_ENDPOINT_SUFFIX)]
    return unquote(quoted_name) if quoted_name and "/" not in quoted_name else None


def _not_allowed(allowed_method: str) -> Reply:
    return message_reply(
        HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed", (("Allow", allowed_method),)
    )
