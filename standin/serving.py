"""Both local servers' HTTP: uvicorn with h11 parses and frames (README, "The local servers").

Two gaps are closed here: uvicorn never times out a body that stops arriving, and it does not
close after a request with both Content-Length and Transfer-Encoding (RFC 9112 6.1: it must).
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import threading
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Self

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_SECONDS = 10.0  # a body that stalls longer is answered 408 and its connection closed
CLOSE = (b"connection", b"close")


class RequestRefused(Exception):
    """A request whose framing or size the server refuses before the app sees it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class BodyTooLarge(RequestRefused):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit} bytes")


class ClientGone(Exception):
    """The client closed the connection before its body arrived: there is no one to answer."""


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    names = {name for name, _ in scope["headers"]}
    if {b"content-length", b"transfer-encoding"} <= names:
        raise RequestRefused(400, "Content-Length and Transfer-Encoding together are refused")
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
        raise RequestRefused(408, "the body did not arrive in time") from None
    return bytes(body)


async def respond(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]] = (), *,
    body_delay: float = 0.0,  # seconds between the headers and the body: a fault to play
) -> None:  # fmt: skip
    head = [(b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    if body_delay:
        await asyncio.sleep(body_delay)
    await send({"type": "http.response.body", "body": body})


async def refuse(send: Send, refusal: RequestRefused) -> None:
    """`{"message": ...}` as API Gateway and SageMaker word their own refusals; then close."""
    body = json.dumps({"message": refusal.message}).encode()
    await respond(send, refusal.status, body, [(b"content-type", b"application/json"), CLOSE])


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
            app, http="h11", loop="asyncio", lifespan="off", log_config=None, server_header=False,
            access_log=False,  # each app logs its own line, never a path or a body
            backlog=2048,  # 256 clients connecting at once wait, never reset
            timeout_keep_alive=5, timeout_graceful_shutdown=1,
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
        self._server.should_exit = self._server.force_exit = True
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
