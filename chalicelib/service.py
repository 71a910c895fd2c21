"""The prediction use cases: body, content type and Accept in, a Reply out, never raising."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib import content_types, oip
from chalicelib.access_log import log_unexpected
from chalicelib.errors import ApiError, InternalError
from chalicelib.model_answer import EndpointAnswer, Prediction, read_predictions
from chalicelib.negotiation import choose_media_type
from chalicelib.payload import parse_payload
from chalicelib.replies import ModelIdentity, Reply, error_reply, predictions_reply

SINGLE_ROW_MEDIA_TYPES = (
    content_types.JSON,
    content_types.PLAIN_TEXT,
    content_types.CSV,
    content_types.JSON_LINES,
)
BATCH_MEDIA_TYPES = (content_types.JSON, content_types.CSV, content_types.JSON_LINES)


class Endpoint(Protocol):
    name: str

    def invoke(self, rows: Sequence[Sequence[float]]) -> EndpointAnswer: ...


class PredictionService:
    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint

    def predict(
        self,
        body: bytes,
        content_type: str | None,
        accept: str | None,
        request_id: str,
        content_encoding: str | None = None,
    ) -> Reply:
        """`POST /predictbreastcancer`: any JSON or CSV form in; JSON, CSV, JSON Lines, B/M out."""
        rows = 0
        try:
            # Refuse an Accept nothing can satisfy before reading the body.
            choose_media_type(accept, SINGLE_ROW_MEDIA_TYPES)
            content_types.check_identity_encoding(content_encoding)
            payload = parse_payload(body, content_type)
            rows = len(payload.rows)
            offered = SINGLE_ROW_MEDIA_TYPES if payload.single else BATCH_MEDIA_TYPES
            media_type = choose_media_type(accept, offered)
            predictions, model = self._score(payload.rows)
            return predictions_reply(predictions, model, media_type, payload.single)
        except ApiError as error:
            return error_reply(error, request_id, rows)
        except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback leaves
            log_unexpected(error, request_id)
            return error_reply(InternalError("an internal error occurred"), request_id, rows)

    def infer(
        self,
        body: bytes,
        content_type: str | None,
        accept: str | None,
        request_id: str,
        content_encoding: str | None = None,
    ) -> Reply:
        """`POST /v2/models/wdbc/infer`: the Open Inference Protocol, answered in its own shapes."""
        rows = 0
        try:
            choose_media_type(accept, (content_types.JSON,))
            content_types.check_identity_encoding(content_encoding)
            request = oip.parse_infer_request(body, content_type)
            rows = len(request.rows)
            predictions, model = self._score(request.rows)
            return oip.infer_reply(request, predictions, model)
        except ApiError as error:
            return oip.error_reply(error, rows)
        except Exception as error:  # noqa: BLE001 - as in predict()
            log_unexpected(error, request_id)
            return oip.error_reply(InternalError("an internal error occurred"), rows)

    def _score(self, rows: Sequence[Sequence[float]]) -> tuple[list[Prediction], ModelIdentity]:
        # One invocation whatever the row count: Linear Learner scores every CSV line.
        answer = self._endpoint.invoke(rows)
        predictions = read_predictions(answer, expected_rows=len(rows))
        return predictions, ModelIdentity(name=self._endpoint.name, version=answer.variant)
