"""Predictions to a response body, dispatched by the Accept header (Linear Learner's JSON form)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

from standin.errors import NotAcceptable
from standin.media_types import JSON, accepts
from standin.model import Prediction

Encoder = Callable[[Sequence[Prediction]], bytes]

# Accept values differ little between requests; the cache is bounded because clients choose them.
_CACHED_ACCEPT_VALUES = 256


@functools.lru_cache(maxsize=_CACHED_ACCEPT_VALUES)
def encoder_for(accept: str | None) -> tuple[str, Encoder]:
    """The response media type and its encoder: the first the caller accepts."""
    for response_type, encoder in _ENCODERS.items():
        if accepts(accept, response_type):
            return response_type, encoder
    raise NotAcceptable(f"accept must allow one of: {', '.join(_ENCODERS)}")


def encode_json(predictions: Sequence[Prediction]) -> bytes:
    """`{"predictions":[{"score":S,"predicted_label":L},...]}`, as compact json.dumps writes it.

    Filled in by hand: json.dumps costs more than scoring. repr() is how json writes a float or
    an int; a score that is not finite is refused, as json.dumps(allow_nan=False) would.
    """
    objects = []
    for score, label in predictions:
        if not math.isfinite(score):
            raise ValueError("a score must be a finite number")
        objects.append(f'{{"score":{score!r},"predicted_label":{label!r}}}')
    return f'{{"predictions":[{",".join(objects)}]}}'.encode()


_ENCODERS: dict[str, Encoder] = {JSON: encode_json}
