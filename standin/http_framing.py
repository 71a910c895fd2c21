"""Reading an HTTP/1.x request head: the request line and the header fields (RFC 9112).

The stdlib parses header fields with the email package, which costs about as much as all the
rest of a request here. This reader keeps the stdlib's limits (65536-byte lines, 100 fields) and
refuses what RFC 9112 says a server must refuse. Error messages never quote the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

from standin.errors import (
    ExpectationFailed,
    FramingError,
    HeaderFieldsTooLarge,
    HttpVersionNotSupported,
    LengthRequired,
    MethodNotImplemented,
    RequestLineTooLong,
)

MAX_LINE_BYTES = 65536
MAX_HEADER_FIELDS = 100
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})

READ_LIMIT = MAX_LINE_BYTES + 1  # one byte more than allowed tells a long line from a full one
_BLANK_LINES = (b"\r\n", b"\n")
_OWS = " \t"  # optional whitespace around a field value
_TOKEN_CHARACTERS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
# The version strings this server speaks, and whether each keeps the connection by default.
_PERSISTENT_BY_DEFAULT = {"HTTP/1.1": True, "HTTP/1.0": False}


class LineReader(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...


class ClientLeft(Exception):
    """The connection ended between requests: nothing to answer."""


class RequestLine(NamedTuple):
    method: str
    target: str
    version: str  # "HTTP/1.1" or "HTTP/1.0"


class Headers:
    """Header fields with lower-case names; a repeated field keeps every value, in order."""

    __slots__ = ("_fields", "_first")

    def __init__(self, fields: list[tuple[str, str]] | None = None) -> None:
        self._fields = fields if fields is not None else []
        self._first = dict(reversed(self._fields))  # reversed: the first value wins

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of a field; `name` in lower case."""
        return self._first.get(name, default)

    def get_all(self, name: str) -> list[str]:
        if len(self._first) == len(self._fields):  # no name repeats, the common case
            return [self._first[name]] if name in self._first else []
        return [value for field, value in self._fields if field == name]

    def __contains__(self, name: object) -> bool:
        return name in self._first

    def items(self) -> list[tuple[str, str]]:
        """Every field in arrival order, repeated names included."""
        return list(self._fields)

    def first_values(self) -> Mapping[str, str]:
        """The first value of each field, as a mapping."""
        return self._first


class RequestHead(NamedTuple):
    line: RequestLine
    headers: Headers
    keep_alive: bool
    expects_continue: bool


def parse_request_line(raw: bytes) -> RequestLine:
    """`METHOD SP target SP HTTP/x.y` (a bare `GET /` of HTTP/0.9 is refused as malformed)."""
    if not raw.endswith(b"\n"):
        raise FramingError("the request ended inside its request line")
    parts = raw.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3 or not parts[1]:
        raise FramingError("the request line must be: method, target, HTTP version")
    method, target, version = parts
    if version not in _PERSISTENT_BY_DEFAULT:
        version = _known_version(version)
    if method not in METHODS:
        if not method or not _TOKEN_CHARACTERS.issuperset(method):
            raise FramingError("the request method is malformed")
        raise MethodNotImplemented(f"the method must be one of: {', '.join(sorted(METHODS))}")
    if target.startswith("//"):
        target = "/" + target.lstrip("/")  # as the stdlib does: never a scheme-relative URL
    return RequestLine(method, target, version)


def read_headers(rfile: LineReader) -> Headers:
    fields: list[tuple[str, str]] = []
    for _ in range(MAX_HEADER_FIELDS + 1):
        line = rfile.readline(READ_LIMIT)
        if line in _BLANK_LINES:
            return Headers(fields)
        if len(line) > MAX_LINE_BYTES:
            raise HeaderFieldsTooLarge(f"a header field is longer than {MAX_LINE_BYTES} bytes")
        if not line.endswith(b"\n"):
            raise FramingError("the request ended inside its header section")
        name, colon, value = line.decode("latin-1").partition(":")
        # No colon, an empty name, whitespace before the colon (RFC 9112 section 5.1), or a
        # line folded onto the previous one (section 5.2): all refused with 400.
        if not colon or not name or name[0] in _OWS or name[-1] in _OWS:
            raise FramingError("a header field is malformed")
        fields.append((name.lower(), value.strip(" \t\r\n")))
    raise HeaderFieldsTooLarge(f"the request has more than {MAX_HEADER_FIELDS} header fields")


def read_request_head(first_line: bytes, rfile: LineReader) -> RequestHead:
    """`first_line` is what `rfile.readline(READ_LIMIT)` returned when the request began."""
    if first_line in _BLANK_LINES:
        first_line = rfile.readline(READ_LIMIT)  # RFC 9112 section 2.2: ignore one empty line
    if not first_line:
        raise ClientLeft
    if len(first_line) > MAX_LINE_BYTES:
        raise RequestLineTooLong(f"the request line is longer than {MAX_LINE_BYTES} bytes")
    line = parse_request_line(first_line)
    headers = read_headers(rfile)
    return RequestHead(
        line, headers, _keeps_alive(line.version, headers), _expects_continue(line, headers)
    )


def declared_body_length(headers: Headers) -> int:
    """Content-Length, which must be one non-negative integer however often it is repeated."""
    if "transfer-encoding" in headers:
        raise LengthRequired("send a Content-Length; chunked bodies are not supported")
    declared = headers.get("content-length")
    if declared is None:
        return 0
    if not (declared.isascii() and declared.isdigit()) or any(
        value != declared for value in headers.get_all("content-length")
    ):
        raise FramingError("Content-Length must be one non-negative integer")
    return int(declared)


def _known_version(version: str) -> str:
    name, slash, number = version.partition("/")
    major, dot, minor = number.partition(".")
    if not (name == "HTTP" and slash and dot and _is_digits(major) and _is_digits(minor)):
        raise FramingError("the HTTP version is malformed")
    if int(major) != 1:  # HTTP/0.9 and HTTP/2 or later
        raise HttpVersionNotSupported("the HTTP version must be 1.0 or 1.1")
    # RFC 9110 section 2.5: a later 1.x minor version is answered as 1.1.
    return "HTTP/1.0" if int(minor) == 0 else "HTTP/1.1"


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 10


def _keeps_alive(version: str, headers: Headers) -> bool:
    if "connection" not in headers:
        return _PERSISTENT_BY_DEFAULT[version]
    options = {
        option.strip(_OWS).lower()
        for value in headers.get_all("connection")
        for option in value.split(",")
    }
    if "close" in options:
        return False
    return _PERSISTENT_BY_DEFAULT[version] or "keep-alive" in options


def _expects_continue(line: RequestLine, headers: Headers) -> bool:
    expectation = headers.get("expect")
    if expectation is None:
        return False
    if expectation.lower() != "100-continue":
        raise ExpectationFailed("the only expectation supported is 100-continue")
    # RFC 9110 section 10.1.1: an HTTP/1.0 client is never sent a 100 (Continue).
    return line.version != "HTTP/1.0"
