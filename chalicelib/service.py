"""The prediction use case: body and Accept in, a Reply out, never raising."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib import content_types
from chalicelib.access_log import log_unexpected
from chalicelib.errors import ApiError, InternalError
from chalicelib.model_answer import EndpointAnswer, read_predictions
from chalicelib.negotiation import choose_media_type
from chalicelib.payload import parse_prediction_body
from chalicelib.replies import ModelIdentity, Reply, error_reply, prediction_reply

PREDICTION_MEDIA_TYPES = (content_types.JSON, content_types.PLAIN_TEXT)


class Endpoint(Protocol):
    name: str

    def invoke(self, rows: Sequence[Sequence[float]]) -> EndpointAnswer: ...


class PredictionService:
    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint

    def predict(self, body: bytes, accept: str | None, request_id: str) -> Reply:
        rows = 0
        try:
            media_type = choose_media_type(accept, PREDICTION_MEDIA_TYPES)
            row = parse_prediction_body(body)
            rows = 1
            answer = self._endpoint.invoke([row])
            (prediction,) = read_predictions(answer, expected_rows=rows)
            model = ModelIdentity(name=self._endpoint.name, version=answer.variant)
            return prediction_reply(prediction, model, media_type)
        except ApiError as error:
            return error_reply(error, request_id, rows)
        except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback leaves
            log_unexpected(error, request_id)
            return error_reply(InternalError("an internal error occurred"), request_id, rows)
