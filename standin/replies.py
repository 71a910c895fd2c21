"""An HTTP answer as plain data, and its rendering into the bytes of one socket write."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import NamedTuple

from standin.media_types import JSON

Headers = tuple[tuple[str, str], ...]


class Reply(NamedTuple):
    status: HTTPStatus
    body: bytes = b""
    headers: Headers = ()

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def json_reply(status: HTTPStatus, document: object, headers: Headers = ()) -> Reply:
    body = json.dumps(document, separators=(",", ":")).encode("utf-8")
    return Reply(status, body, (("Content-Type", JSON), *headers))


def message_reply(status: HTTPStatus, message: str, headers: Headers = ()) -> Reply:
    return json_reply(status, {"message": message}, headers)


def render(reply: Reply, *, date: str, close: bool, include_body: bool = True) -> bytes:
    """Status line, headers and body as one bytes object.

    Written with a single send, so a keep-alive client never waits on a delayed ACK between a
    headers segment and a body segment (the stdlib's send_response/end_headers path does).
    """
    lines = [
        f"HTTP/1.1 {reply.status.value} {reply.status.phrase}",
        f"Date: {date}",
        f"Content-Length: {len(reply.body)}",
        *(f"{name}: {value}" for name, value in reply.headers),
    ]
    if close:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + reply.body if include_body else head
