"""The media types the API reads and writes, named once."""

from __future__ import annotations

JSON = "application/json"
CSV = "text/csv"
PLAIN_TEXT = "text/plain"


def essence(media_type: str) -> str:
    """`Application/JSON; charset=utf-8` -> `application/json`."""
    return media_type.split(";", 1)[0].strip().lower()
