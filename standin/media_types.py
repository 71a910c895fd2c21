"""Media types the stand-in speaks, and the two header questions asked about them."""

from __future__ import annotations

CSV = "text/csv"
JSON = "application/json"

# How specific an Accept media range is: an exact type beats `type/*`, which beats `*/*`.
_EXACT, _SUBTYPE_WILDCARD, _ANY = 2, 1, 0


def media_type(content_type: str | None) -> str | None:
    """`text/csv; charset=utf-8` -> `text/csv`; parameters carry nothing the decoders need."""
    if content_type is None:
        return None
    return content_type.partition(";")[0].strip().lower() or None


def accepts(accept: str | None, wanted: str) -> bool:
    """Whether an Accept header allows `wanted`; the most specific matching range decides."""
    if accept is None or not accept.strip():
        return True
    wanted_main_type = wanted.partition("/")[0]
    best_specificity, best_quality = -1, 0.0
    for media_range in accept.split(","):
        name, _, parameters = media_range.partition(";")
        name = name.strip().lower()
        if name == wanted:
            specificity = _EXACT
        elif name == f"{wanted_main_type}/*":
            specificity = _SUBTYPE_WILDCARD
        elif name == "*/*":
            specificity = _ANY
        else:
            continue
        if specificity > best_specificity:
            best_specificity, best_quality = specificity, _quality(parameters)
    return best_quality > 0.0


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0
