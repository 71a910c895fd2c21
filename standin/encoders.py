"""Predictions to a response body, dispatched by the Accept header (Linear Learner's JSON form)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from standin.errors import NotAcceptable
from standin.media_types import JSON, accepts
from standin.model import Prediction

Encoder = Callable[[Sequence[Prediction]], bytes]


def encoder_for(accept: str | None) -> tuple[str, Encoder]:
    """The response media type and its encoder: the first the caller accepts."""
    for response_type, encoder in _ENCODERS.items():
        if accepts(accept, response_type):
            return response_type, encoder
    raise NotAcceptable(f"accept must allow one of: {', '.join(_ENCODERS)}")


def encode_json(predictions: Sequence[Prediction]) -> bytes:
    document = {
        "predictions": [
            {"score": prediction.score, "predicted_label": prediction.predicted_label}
            for prediction in predictions
        ]
    }
    return json.dumps(document, allow_nan=False, separators=(",", ":")).encode("utf-8")


_ENCODERS: dict[str, Encoder] = {JSON: encode_json}
