"""The media types the API reads and writes, named once."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.errors import UnsupportedMediaType, echoable_media_type

JSON = "application/json"
JSON_LINES = "application/jsonlines"
CSV = "text/csv"
PLAIN_TEXT = "text/plain"
FORM = "application/x-www-form-urlencoded"  # curl's -d, an HTML form's
UTF_8 = frozenset({"utf-8", "utf8"})


def essence(media_type: str) -> str:
    """`Application/JSON; charset=utf-8` -> `application/json`."""
    return media_type.split(";", 1)[0].strip().lower()


def body_media_type(content_type: str | None, accepted: Sequence[str]) -> str:
    """Which of `accepted` a body is sent as (the first when no Content-Type is given).

    Any other type, or a charset other than UTF-8, is 415: every reader decodes UTF-8 only, and
    a Latin-1 body read as UTF-8 would be refused for the wrong reason or, worse, misread.
    """
    if content_type is None:
        return accepted[0]
    essence_part, _, parameters = content_type.partition(";")
    media_type = essence_part.strip().lower()
    if media_type not in accepted:
        raise unsupported(media_type, accepted)
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in UTF_8:
            raise UnsupportedMediaType("send the body in UTF-8: charset=utf-8, or no charset")
    return media_type


def unsupported(content_type: str | None, accepted: Sequence[str]) -> UnsupportedMediaType:
    """The 415 naming the type sent (where echo allows) and the header to send instead."""
    sent = echoable_media_type(essence(content_type or ""))
    body = f"a body of type {sent}" if sent else "a body of that type"
    if sent == FORM:
        body += " (curl -d sends it unless told otherwise)"
    headers = " or ".join(f"'Content-Type: {media_type}'" for media_type in accepted)
    return UnsupportedMediaType(f"this route does not take {body}; send the header {headers}")


def check_identity_encoding(content_encoding: str | None) -> None:
    """A compressed body is refused, not inflated: its size limit would be the decoded one.
    The codings are a list, one field or several lines of it: each must be `identity`."""
    codings = (content_encoding or "").split(",")
    if any(coding.strip().lower() not in ("", "identity") for coding in codings):
        raise UnsupportedMediaType("send the body uncompressed (no Content-Encoding)")
