"""An HTTP answer as plain data, and its rendering into the bytes of one socket write."""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from http import HTTPStatus
from typing import NamedTuple

from standin.media_types import JSON

Headers = tuple[tuple[str, str], ...]

JSON_CONTENT_TYPE: Headers = (("Content-Type", JSON),)
_STATUS_LINES = {status: f"HTTP/1.1 {status.value} {status.phrase}\r\n" for status in HTTPStatus}


class Reply(NamedTuple):
    status: HTTPStatus
    body: bytes = b""
    headers: Headers = ()

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def json_reply(status: HTTPStatus, document: object, headers: Headers = ()) -> Reply:
    body = json.dumps(document, separators=(",", ":")).encode("utf-8")
    return Reply(status, body, (*JSON_CONTENT_TYPE, *headers))


def message_reply(status: HTTPStatus, message: str, headers: Headers = ()) -> Reply:
    return json_reply(status, {"message": message}, headers)


def render(
    reply: Reply, *, date: str, connection: str | None = None, include_body: bool = True
) -> bytes:
    """Status line, headers and body as one bytes object.

    Written with a single send, so a keep-alive client never waits on a delayed ACK between a
    headers segment and a body segment (the stdlib's send_response/end_headers path does).
    `connection` is the Connection header to send, if any ("close", "keep-alive").
    """
    status, body, headers = reply
    fields = "".join([f"{name}: {value}\r\n" for name, value in headers])
    if connection is not None:
        fields += f"Connection: {connection}\r\n"
    head = (
        f"{_STATUS_LINES[status]}Date: {date}\r\nContent-Length: {len(body)}\r\n{fields}\r\n"
    ).encode("latin-1")
    return head + body if include_body else head


def http_date() -> str:
    """Now as an HTTP date; computed once a second, not once a request."""
    global _date_cache
    second = int(time.time())
    cached_second, text = _date_cache
    if cached_second != second:
        text = formatdate(second, usegmt=True)
        _date_cache = (second, text)
    return text


_date_cache = (0, formatdate(0, usegmt=True))
