"""The prediction use case: body, content type and Accept in, a Reply out, never raising."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib import content_types
from chalicelib.access_log import log_unexpected
from chalicelib.errors import ApiError, InternalError
from chalicelib.model_answer import EndpointAnswer, read_predictions
from chalicelib.negotiation import choose_media_type
from chalicelib.payload import parse_payload
from chalicelib.replies import ModelIdentity, Reply, error_reply, predictions_reply

SINGLE_ROW_MEDIA_TYPES = (content_types.JSON, content_types.PLAIN_TEXT, content_types.CSV)
BATCH_MEDIA_TYPES = (content_types.JSON, content_types.CSV)


class Endpoint(Protocol):
    name: str

    def invoke(self, rows: Sequence[Sequence[float]]) -> EndpointAnswer: ...


class PredictionService:
    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint

    def predict(
        self, body: bytes, content_type: str | None, accept: str | None, request_id: str
    ) -> Reply:
        rows = 0
        try:
            # Refuse an Accept nothing can satisfy before reading the body.
            choose_media_type(accept, SINGLE_ROW_MEDIA_TYPES)
            payload = parse_payload(body, content_type)
            rows = len(payload.rows)
            offered = SINGLE_ROW_MEDIA_TYPES if payload.single else BATCH_MEDIA_TYPES
            media_type = choose_media_type(accept, offered)
            # One invocation whatever the row count: Linear Learner scores every CSV line.
            answer = self._endpoint.invoke(payload.rows)
            predictions = read_predictions(answer, expected_rows=rows)
            model = ModelIdentity(name=self._endpoint.name, version=answer.variant)
            return predictions_reply(predictions, model, media_type, payload.single)
        except ApiError as error:
            return error_reply(error, request_id, rows)
        except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback leaves
            log_unexpected(error, request_id)
            return error_reply(InternalError("an internal error occurred"), request_id, rows)
