"""Answers as bytes: one piece per answer, and a Date header computed once a second."""

from __future__ import annotations

import email.utils
import time
from http import HTTPStatus

import pytest

from standin.replies import Reply, http_date, json_reply, render

DATE = "Thu, 01 Jan 2026 00:00:00 GMT"


def test_renders_status_line_headers_and_body_in_one_piece() -> None:
    reply = json_reply(HTTPStatus.OK, {"a": 1}, (("x-amzn-RequestId", "r1"),))
    assert render(reply, date=DATE) == (
        b"HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Length: 7\r\n"
        b"Content-Type: application/json\r\nx-amzn-RequestId: r1\r\n\r\n"
        b'{"a":1}'
    )


@pytest.mark.parametrize(
    ("connection", "line"),
    [
        (None, b""),
        ("close", b"Connection: close\r\n"),
        ("keep-alive", b"Connection: keep-alive\r\n"),
    ],
)
def test_the_connection_header_is_sent_when_given(connection: str | None, line: bytes) -> None:
    head = render(Reply(HTTPStatus.NOT_FOUND, b"{}"), date=DATE, connection=connection)
    assert head == (
        b"HTTP/1.1 404 Not Found\r\nDate: " + DATE.encode() + b"\r\nContent-Length: 2\r\n"
        + line + b"\r\n{}"
    )  # fmt: skip


def test_a_head_answer_keeps_the_length_but_not_the_body() -> None:
    rendered = render(Reply(HTTPStatus.OK, b"12345"), date=DATE, include_body=False)
    assert rendered.endswith(b"Content-Length: 5\r\n\r\n")


def test_the_date_is_now_in_the_http_format() -> None:
    before = int(time.time())
    text = http_date()
    sent = email.utils.parsedate_to_datetime(text).timestamp()
    assert before <= sent <= time.time()
    assert text == email.utils.formatdate(sent, usegmt=True)
