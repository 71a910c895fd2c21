"""The request-head reader over plain bytes; test_standin_server takes it through sockets."""

from __future__ import annotations

import io
from http import HTTPStatus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standin.errors import FramingError
from standin.http_framing import (
    MAX_HEADER_FIELDS,
    MAX_LINE_BYTES,
    READ_LIMIT,
    ClientLeft,
    Headers,
    RequestHead,
    RequestLine,
    declared_body_length,
    parse_request_line,
    read_request_head,
)
from tests.standin_harness import SENTINEL

pytestmark = pytest.mark.integration


def head_of(data: bytes) -> RequestHead:
    """The request head as the handler reads it: the first line, then the rest from the stream."""
    stream = io.BytesIO(data)
    return read_request_head(stream.readline(READ_LIMIT), stream)


def status_of(data: bytes) -> HTTPStatus:
    with pytest.raises(FramingError) as raised:
        head_of(data)
    assert SENTINEL not in str(raised.value)  # never the request's own text
    return raised.value.status


def headers_of(*lines: str) -> Headers:
    return head_of(
        "".join(["GET / HTTP/1.1\r\n", *(f"{line}\r\n" for line in lines), "\r\n"]).encode()
    ).headers


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"POST /invocations HTTP/1.1\r\n", RequestLine("POST", "/invocations", "HTTP/1.1")),
        (b"GET /ping?x=1 HTTP/1.0\n", RequestLine("GET", "/ping?x=1", "HTTP/1.0")),
        (b"GET /ping HTTP/1.2\r\n", RequestLine("GET", "/ping", "HTTP/1.1")),  # a later 1.x
        (b"GET //ping HTTP/1.1\r\n", RequestLine("GET", "/ping", "HTTP/1.1")),
        (b"OPTIONS * HTTP/1.1\r\n", RequestLine("OPTIONS", "*", "HTTP/1.1")),
    ],
)
def test_parses_a_request_line(line: bytes, expected: RequestLine) -> None:
    assert parse_request_line(line) == expected


@pytest.mark.parametrize(
    ("line", "status"),
    [
        (b"GARBAGE\r\n", HTTPStatus.BAD_REQUEST),
        (b"GET /ping\r\n", HTTPStatus.BAD_REQUEST),  # HTTP/0.9 has no version
        (b"GET  /ping HTTP/1.1\r\n", HTTPStatus.BAD_REQUEST),
        (b"GET /ping HTTP/1.1 extra\r\n", HTTPStatus.BAD_REQUEST),
        (b" /ping HTTP/1.1\r\n", HTTPStatus.BAD_REQUEST),
        (b"G(T /ping HTTP/1.1\r\n", HTTPStatus.BAD_REQUEST),
        (b"GET /ping http/1.1\r\n", HTTPStatus.BAD_REQUEST),
        (b"GET /ping HTTP/1\r\n", HTTPStatus.BAD_REQUEST),
        (b"GET /ping HTTP/1.x\r\n", HTTPStatus.BAD_REQUEST),
        (b"GET /ping HTTP/\xd9\xa1.1\r\n", HTTPStatus.BAD_REQUEST),
        (b"GET /ping HTTP/1.1", HTTPStatus.BAD_REQUEST),  # the stream ended inside the line
        (b"GET /ping HTTP/0.9\r\n", HTTPStatus.HTTP_VERSION_NOT_SUPPORTED),
        (b"GET /ping HTTP/2.0\r\n", HTTPStatus.HTTP_VERSION_NOT_SUPPORTED),
        (b"GET /ping HTTP/9.9\r\n", HTTPStatus.HTTP_VERSION_NOT_SUPPORTED),
        (b"BREW /ping HTTP/1.1\r\n", HTTPStatus.NOT_IMPLEMENTED),
        (b"get /ping HTTP/1.1\r\n", HTTPStatus.NOT_IMPLEMENTED),  # methods are case-sensitive
    ],
)
def test_refuses_a_bad_request_line(line: bytes, status: HTTPStatus) -> None:
    with pytest.raises(FramingError) as raised:
        parse_request_line(line)
    assert raised.value.status == status


def test_a_request_line_up_to_the_limit_is_read() -> None:
    target = b"/" + b"a" * (MAX_LINE_BYTES - len(b"GET / HTTP/1.1\r\n"))
    line = b"GET " + target + b" HTTP/1.1\r\n"
    assert len(line) == MAX_LINE_BYTES
    assert head_of(line + b"\r\n").line.target == target.decode()
    assert status_of(line[:4] + b"a" + line[4:] + b"\r\n") == HTTPStatus.REQUEST_URI_TOO_LONG


def test_one_empty_line_before_the_request_line_is_ignored() -> None:
    assert head_of(b"\r\nGET /ping HTTP/1.1\r\n\r\n").line.target == "/ping"
    assert status_of(b"\r\n\r\nGET /ping HTTP/1.1\r\n\r\n") == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("data", [b"", b"\r\n"])
def test_a_connection_that_ends_between_requests_is_not_a_request(data: bytes) -> None:
    with pytest.raises(ClientLeft):
        head_of(data)


def test_headers_have_lower_case_names_and_keep_repeated_fields() -> None:
    headers = headers_of("Host: a:80", "X-Many: one", "Accept:  */* \t", "x-many: two", "Empty:")
    assert headers.get("host") == "a:80"
    assert headers.get("accept") == "*/*"
    assert headers.get("empty") == ""
    assert headers.get("x-many") == "one"
    assert headers.get_all("x-many") == ["one", "two"]
    assert headers.get_all("absent") == []
    assert headers.get("absent") is None
    assert headers.get("absent", "default") == "default"
    assert "x-many" in headers
    assert "Host" not in headers  # look-ups take lower-case names
    assert headers.items() == [
        ("host", "a:80"), ("x-many", "one"), ("accept", "*/*"), ("x-many", "two"), ("empty", ""),
    ]  # fmt: skip
    assert dict(headers.first_values()) == {
        "host": "a:80", "x-many": "one", "accept": "*/*", "empty": "",
    }  # fmt: skip


def test_header_values_are_latin_1_text() -> None:
    assert head_of(b"GET / HTTP/1.1\r\nX: caf\xe9\r\n\r\n").headers.get("x") == "caf\xe9"


def test_up_to_100_header_fields_are_read() -> None:
    fields = [f"X-Field-{number}: {number}" for number in range(MAX_HEADER_FIELDS)]
    assert len(headers_of(*fields).items()) == MAX_HEADER_FIELDS
    assert (
        status_of(b"GET / HTTP/1.1\r\n" + b"X: 1\r\n" * (MAX_HEADER_FIELDS + 1) + b"\r\n")
        == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    )


def test_a_header_line_up_to_the_limit_is_read() -> None:
    line = b"X: " + b"v" * (MAX_LINE_BYTES - len(b"X: \r\n")) + b"\r\n"
    assert len(line) == MAX_LINE_BYTES
    assert len(head_of(b"GET / HTTP/1.1\r\n" + line + b"\r\n").headers.get("x") or "") > 65000
    too_long = b"GET / HTTP/1.1\r\nX: v" + line[3:] + b"\r\n"
    assert status_of(too_long) == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE


@pytest.mark.parametrize(
    "field",
    [
        f"No-Colon {SENTINEL}",
        f": {SENTINEL}",  # no name
        f"Content-Length : {SENTINEL}",  # whitespace before the colon (RFC 9112 5.1)
        f"\tContent-Length: {SENTINEL}",  # a field starting with whitespace
        f" folded {SENTINEL}",  # obsolete line folding (RFC 9112 5.2)
    ],
)
def test_refuses_a_malformed_header_field_without_quoting_it(field: str) -> None:
    data = f"GET / HTTP/1.1\r\nHost: x\r\n{field}\r\n\r\n".encode()
    assert status_of(data) == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("data", [b"GET / HTTP/1.1\r\nHost: x\r\n", b"GET / HTTP/1.1\r\nHost: x"])
def test_a_head_cut_short_is_refused(data: bytes) -> None:
    assert status_of(data) == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize(
    ("version", "connection", "keep_alive"),
    [
        ("HTTP/1.1", None, True),
        ("HTTP/1.1", "close", False),
        ("HTTP/1.1", "Close", False),
        ("HTTP/1.1", "keep-alive, close", False),
        ("HTTP/1.1", "keep-alive", True),
        ("HTTP/1.1", "upgrade", True),
        ("HTTP/1.0", None, False),
        ("HTTP/1.0", "Keep-Alive", True),
        ("HTTP/1.0", "te, keep-alive", True),
        ("HTTP/1.0", "close", False),
    ],
)
def test_keep_alive_follows_the_version_and_the_connection_header(
    version: str, connection: str | None, keep_alive: bool
) -> None:
    field = "" if connection is None else f"Connection: {connection}\r\n"
    assert head_of(f"GET / {version}\r\n{field}\r\n".encode()).keep_alive is keep_alive


def test_close_in_any_connection_field_closes() -> None:
    data = b"GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"
    assert head_of(data).keep_alive is False


@pytest.mark.parametrize(
    ("version", "expect", "expects_continue"),
    [
        ("HTTP/1.1", None, False),
        ("HTTP/1.1", "100-continue", True),
        ("HTTP/1.1", "100-Continue", True),
        ("HTTP/1.0", "100-continue", False),  # never sent to an HTTP/1.0 client
    ],
)
def test_expect_100_continue_is_noted(
    version: str, expect: str | None, expects_continue: bool
) -> None:
    field = "" if expect is None else f"Expect: {expect}\r\n"
    assert head_of(f"POST / {version}\r\n{field}\r\n".encode()).expects_continue is expects_continue


def test_any_other_expectation_fails() -> None:
    data = f"POST / HTTP/1.1\r\nExpect: {SENTINEL}\r\n\r\n".encode()
    assert status_of(data) == HTTPStatus.EXPECTATION_FAILED


@pytest.mark.parametrize(
    ("fields", "length"),
    [
        ((), 0),
        (("Content-Length: 12",), 12),
        (("Content-Length: 007",), 7),
        (("Content-Length: 5", "Content-Length: 5"), 5),
        (("Content-Length: 99999999999999999999",), 99999999999999999999),
    ],
)
def test_the_body_length_is_the_content_length(fields: tuple[str, ...], length: int) -> None:
    assert declared_body_length(headers_of(*fields)) == length


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        (("Content-Length: 5", "Content-Length: 6"), HTTPStatus.BAD_REQUEST),
        (("Content-Length: 5, 5",), HTTPStatus.BAD_REQUEST),
        (("Content-Length: +5",), HTTPStatus.BAD_REQUEST),
        (("Content-Length: -1",), HTTPStatus.BAD_REQUEST),
        (("Content-Length: 0x10",), HTTPStatus.BAD_REQUEST),
        (("Content-Length: \u0665",), HTTPStatus.BAD_REQUEST),
        (("Content-Length:",), HTTPStatus.BAD_REQUEST),
        (("Transfer-Encoding: chunked",), HTTPStatus.LENGTH_REQUIRED),
        (("Transfer-Encoding: gzip", "Content-Length: 5"), HTTPStatus.LENGTH_REQUIRED),
    ],
)
def test_an_unusable_body_length_is_refused(fields: tuple[str, ...], status: HTTPStatus) -> None:
    headers = Headers(
        [(line.partition(":")[0].lower(), line.partition(":")[2].strip()) for line in fields]
    )
    with pytest.raises(FramingError) as raised:
        declared_body_length(headers)
    assert raised.value.status == status


@given(
    data=st.binary(max_size=300) | st.text(alphabet="GET /HTP1.0:\r\n \tCnt-Lgh9xa").map(str.encode)
)
def test_any_bytes_give_a_head_a_framing_error_or_an_ended_connection(data: bytes) -> None:
    try:
        head = head_of(data)
    except (FramingError, ClientLeft):
        return
    assert head.line.version in ("HTTP/1.0", "HTTP/1.1")
    assert all(name == name.lower() for name, _ in head.headers.items())
