from __future__ import annotations

import pytest

from chalicelib.errors import NotAcceptable
from chalicelib.negotiation import choose_media_type

OFFERED = ("application/json", "text/plain")


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("text/plain", "text/plain"),
        ("TEXT/PLAIN", "text/plain"),
        ("text/*", "text/plain"),
        ("text/plain; charset=utf-8", "text/plain"),
        ("text/plain;q=0.5, application/json", "application/json"),
        ("text/plain, application/json;q=0.9", "text/plain"),
        ("application/json;q=0, */*", "text/plain"),
        ("text/html, */*;q=0.1", "application/json"),
        ("text/html, text/*;q=0.5, application/json;q=0.4", "text/plain"),
        ("text/plain;q=nonsense, application/json;q=0.1", "application/json"),
        (",,text/plain,,", "text/plain"),
    ],
)
def test_the_client_ranking_wins_and_ties_go_to_the_server_order(
    accept: str | None, chosen: str
) -> None:
    assert choose_media_type(accept, OFFERED) == chosen


@pytest.mark.parametrize(
    "accept",
    [
        "text/html",
        "image/png, application/xml",
        "application/json;q=0, text/*;q=0",
        "*/*;q=nan",  # NaN is no quality, and not above 0
        "application/json;q=NaN, text/plain;q=-1",
    ],
)
def test_nothing_acceptable_is_406(accept: str) -> None:
    with pytest.raises(NotAcceptable) as caught:
        choose_media_type(accept, OFFERED)
    assert caught.value.STATUS_CODE == 406
    assert "application/json, text/plain" in caught.value.message
