"""Pick the response media type from an Accept header (RFC 9110 q-values, server order on ties)."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.errors import NotAcceptable


def choose_media_type(accept: str | None, offered: Sequence[str]) -> str:
    """The offered type the client ranks highest; the first offered one if the client is silent."""
    if accept is None or not accept.strip() or accept == "*/*":
        return offered[0]
    if accept in offered:  # one bare media type, the usual case: nothing to rank
        return accept
    ranges = [_parse_range(part) for part in accept.split(",") if part.strip()]
    best: tuple[float, int, int] | None = None
    chosen = None
    for preference, media_type in enumerate(offered):
        quality, specificity = _quality(media_type, ranges)
        if quality <= 0:
            continue
        rank = (quality, specificity, -preference)
        if best is None or rank > best:
            best, chosen = rank, media_type
    if chosen is None:
        raise NotAcceptable(f"this resource can answer only as {', '.join(offered)}")
    return chosen


def _parse_range(part: str) -> tuple[str, float]:
    media_range, *parameters = (piece.strip() for piece in part.split(";"))
    quality = 1.0
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
            quality = min(quality, 1.0) if quality > 0 else 0.0  # NaN is not > 0: refused
    return media_range.lower(), quality


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """The q-value of the most specific range matching `media_type`, with that specificity."""
    kind = media_type.split("/", 1)[0]
    best_specificity, best_quality = -1, 0.0
    for media_range, quality in ranges:
        if media_range == media_type:
            specificity = 2
        elif media_range == f"{kind}/*":
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, best_quality = specificity, quality
    return best_quality, best_specificity
