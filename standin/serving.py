"""Both local servers' HTTP: uvicorn with h11 parses and frames (docs/internals/servers.md).

Gaps closed here: uvicorn times out neither a body nor a request head that stops arriving (nor
a connection that never sends one), drops a request whose client half-closed after sending it,
reads two lines of one header field as the last one, and does not close after a request with
both Content-Length and Transfer-Encoding (RFC 9112 6.1: it must); what h11 cannot read gets a
fixed text/plain 400, which an app may answer in its own shape instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http
import json
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Self

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_SECONDS = 10.0  # a body that stalls longer is answered 408 and its connection closed
HEAD_SECONDS = 5  # from a connection's opening or its last answer to a whole request head
GRACE_SECONDS = 3  # a request in flight when the server stops has this long to be answered
CLOSE = (b"connection", b"close")
JSON = (b"content-type", b"application/json")
# Fields a server here reads as one value (RFC 9110 8.3); h11 refuses a second Host itself.
SINGLETONS = {"content-type": "Content-Type"}  # as h11 has them, as a message names them
Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]  # status, body, header fields: respond's


class RequestRefused(Exception):
    """A request whose framing or size the server refuses before the app sees it: its status,
    a stable code for the API's error shape (the stand-in answers in SageMaker's), a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class BodyTooLarge(RequestRefused):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "payload_too_large", f"the body is larger than {limit} bytes")


class HeadTooLarge(RequestRefused):
    def __init__(self) -> None:
        super().__init__(
            431, "header_too_large",
            "the request line and headers are larger than the server reads; send fewer or "
            "shorter headers",
        )  # fmt: skip


class ClientGone(Exception):
    """The client closed the connection before its body arrived: there is no one to answer."""


class HardenedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, four methods changed (uvicorn#157). Its keep-alive timer runs from
    the connection's opening too, and only a whole request head stops it, not any byte: a client
    that sends nothing, or stops inside its head, is closed. A client that half-closes after its
    request is answered, then closed, rather than dropped."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def data_received(self, data: bytes) -> None:
        self.conn.receive_data(data)  # uvicorn stops the timer first; h11.Request stops it here
        self.handle_events()

    def send_400_response(self, msg: str) -> None:
        """h11 could not read the request: uvicorn calls this while it handles h11's error, whose
        hint says 400 or 431. An app with a `refused` method answers in its own shape, else
        uvicorn's fixed text does; either quotes nothing of the request. Then close."""
        refused: Callable[[RequestRefused], Answer] | None = getattr(
            self.config.app, "refused", None
        )
        if refused is None:
            return super().send_400_response(msg)
        refusal: RequestRefused = HeadTooLarge()
        if getattr(sys.exception(), "error_status_hint", 400) != 431:
            refusal = RequestRefused(
                400, "bad_request",
                "the request is not HTTP/1.1 that can be read (its request line, a header's name "
                "or value, or its Content-Length); send it as RFC 9112 has it",
            )  # fmt: skip
        status, body, fields = refused(refusal)
        head = [(b"content-length", str(len(body)).encode()), *fields, CLOSE]
        reason = http.HTTPStatus(status).phrase.encode()
        for event in (h11.Response(status_code=status, headers=head, reason=reason),
                      h11.Data(data=body), h11.EndOfMessage()):  # fmt: skip
            self.transport.write(self.conn.send(event))
        self.transport.close()
        return None

    def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio.Protocol's
        if self.conn.their_state is not h11.DONE or self.cycle is None:
            return None  # nothing whole to answer: the transport closes, as uvicorn has it
        self.cycle.keep_alive = False
        return True  # the writing half stays open for the answer


def header_fields(scope: Scope) -> dict[str, str]:
    """Each field once, its lines joined as one list (RFC 9110 5.3); a singleton sent twice is
    refused."""
    lines: dict[str, list[str]] = {}
    for name, value in scope["headers"]:
        lines.setdefault(name.decode("latin-1"), []).append(value.decode("latin-1"))
    for field, name in SINGLETONS.items():
        if len(lines.get(field, ())) > 1:
            raise RequestRefused(
                400, "repeated_header", f"the {name} header was sent more than once; send it once"
            )
    return {name: ", ".join(values) for name, values in lines.items()}


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The body, at most `limit` bytes. A larger Content-Length is refused before any of it is
    read: uvicorn sends `100 Continue` at the first `receive`, so none is sent."""
    fields = dict(scope["headers"])  # h11 has refused two different Content-Lengths
    if b"content-length" in fields and b"transfer-encoding" in fields:
        raise RequestRefused(
            400, "ambiguous_framing",
            "Content-Length and Transfer-Encoding were both sent; send one of them",
        )  # fmt: skip
    if int(fields.get(b"content-length", 0)) > limit:  # h11 has checked it is digits
        raise BodyTooLarge(limit)
    body, more = bytearray(), True
    try:
        async with asyncio.timeout(BODY_SECONDS):
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientGone
                body += message.get("body", b"")
                if len(body) > limit:
                    raise BodyTooLarge(limit)
                more = message.get("more_body", False)
    except TimeoutError:
        raise RequestRefused(
            408, "body_timeout",
            f"the body did not arrive within {BODY_SECONDS:g} seconds; send all of it at once, "
            "as long as its Content-Length says",
        ) from None  # fmt: skip
    return bytes(body)


async def respond(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]] = (), *,
    body_delay: float = 0.0,  # seconds between the headers and the body: a fault to play
) -> None:  # fmt: skip
    head = [(b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    if body_delay:
        with contextlib.suppress(asyncio.CancelledError):  # the server is stopping: send it now
            await asyncio.sleep(body_delay)
    await send({"type": "http.response.body", "body": body})


def refusal_answer(refusal: RequestRefused) -> Answer:
    """The stand-in's: `{"message": ...}`, as SageMaker words its own refusals; then close."""
    return refusal.status, json.dumps({"message": refusal.message}).encode(), [JSON, CLOSE]


def port_number(text: str) -> int:
    """argparse's type for a port: 0 (a free one, picked at bind) to 65535."""
    if not (text.isascii() and text.isdigit() and int(text) <= 65535):
        raise argparse.ArgumentTypeError("must be an integer from 0 to 65535")
    return int(text)


class Server:
    """`app` served by uvicorn on a daemon thread. The constructor binds: a port in use is its
    OSError, and port 0 is known at once."""

    def __init__(self, app: App, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP named, not left 0: asyncio turns Nagle off only on sockets that say TCP,
        # and with it on, the body written after the headers waits out a 40 ms delayed ACK.
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((host, port))
        except OSError:
            self.socket.close()
            raise
        config = uvicorn.Config(
            app, http=HardenedH11Protocol, loop="asyncio", lifespan="off", log_config=None,
            server_header=False,
            access_log=False,  # each app logs its own line, never a path or a body
            backlog=2048,  # 256 clients connecting at once wait, never reset
            timeout_keep_alive=HEAD_SECONDS, timeout_graceful_shutdown=GRACE_SECONDS,
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return int(self.socket.getsockname()[1])

    def start(self) -> None:
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            self._thread.join(0.005)

    def stop(self) -> None:
        """Stop accepting; a request in flight is answered within GRACE_SECONDS: its app
        answers the cancellation uvicorn sends when the grace runs out."""
        self._server.should_exit = True
        self._thread.join()
        self.socket.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exception: object) -> None:
        self.stop()


def stop_on_signals() -> threading.Event:
    """An event SIGINT and SIGTERM set. Set, not inherited: a background job ignores SIGINT."""
    stopped = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda _number, _frame: stopped.set())
    return stopped
