"""What the API answers, as plain data: the framework turns a Reply into an HTTP response."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from chalicelib import content_types
from chalicelib.errors import ApiError
from chalicelib.model_answer import MALIGNANT, Prediction

LETTERS = {MALIGNANT: "M", 0: "B"}
DIAGNOSES = {MALIGNANT: "malignant", 0: "benign"}


class ModelIdentity(NamedTuple):
    name: str  # the SageMaker endpoint
    version: str  # the production variant that answered; deployments name it after the model


class Reply(NamedTuple):
    status: int
    body: str
    content_type: str
    headers: Mapping[str, str] = {}
    rows: int = 0
    error_code: str | None = None


# Each item's text up to its probability, as json.dumps writes it: a batch's answer is then one
# join, not a thousand dictionaries encoded (json.dumps writes a float as its repr, too).
_ITEM_OPENINGS = {
    label: json.dumps({"prediction": LETTERS[label], "diagnosis": DIAGNOSES[label]})[:-1]
    + ', "probability_malignant": '
    for label in LETTERS
}


def _items_json(predictions: Sequence[Prediction], separator: str) -> str:
    openings = _ITEM_OPENINGS
    return separator.join(
        [f"{openings[label]}{probability!r}}}" for label, probability in predictions]
    )


def predictions_reply(
    predictions: Sequence[Prediction], model: ModelIdentity, media_type: str, single: bool
) -> Reply:
    """One object for a single row, `{"predictions": [...]}` for a batch, in input order."""
    rows = len(predictions)
    if media_type == content_types.PLAIN_TEXT:
        # The walk-through's clients read the bare letter.
        return Reply(200, LETTERS[predictions[0].label], content_types.PLAIN_TEXT, rows=rows)
    if media_type == content_types.CSV:
        lines = "".join(
            [f"{LETTERS[label]},{probability!r}\n" for label, probability in predictions]
        )
        return Reply(200, lines, content_types.CSV, rows=rows)
    if media_type == content_types.JSON_LINES:
        # Linear Learner's other answer format: one object per row, each line ended.
        return Reply(
            200, _items_json(predictions, "\n") + "\n", content_types.JSON_LINES, rows=rows
        )
    identity = json.dumps({"name": model.name, "version": model.version})
    if single:
        body = f'{_items_json(predictions, "")[:-1]}, "model": {identity}}}'
    else:
        body = f'{{"predictions": [{_items_json(predictions, ", ")}], "model": {identity}}}'
    return Reply(200, body, content_types.JSON, rows=rows)


def json_reply(document: Mapping[str, Any], status: int = 200) -> Reply:
    return Reply(status, json.dumps(document), content_types.JSON)


def error_document(error: ApiError, request_id: str) -> dict[str, Any]:
    return {
        "error": {
            "code": error.CODE,
            "message": error.message,
            "request_id": request_id,
            **error.details,
        }
    }


def error_reply(error: ApiError, request_id: str, rows: int = 0) -> Reply:
    return Reply(
        status=error.STATUS_CODE,
        body=json.dumps(error_document(error, request_id)),
        content_type=content_types.JSON,
        headers=error.headers,
        rows=rows,
        error_code=error.CODE,
    )
