"""What the API answers, as plain data: the framework turns a Reply into an HTTP response."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from chalicelib import content_types
from chalicelib.contract import BINARY, MULTICLASS, Contract
from chalicelib.errors import ApiError
from chalicelib.extrapolation import Extrapolation, TrainingRanges
from chalicelib.model_answer import Prediction


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


class PredictionWriter:
    """Predictions in each answer type, for one contract's task and classes.

    Binary: `{"prediction": code, <target>: name, "probability_<positive class>": p}`; multiclass:
    `{"prediction": code, <target>: name, "probabilities": {code: p, ...}}`; regression:
    `{"prediction": value}`. CSV: `code,p`, `code,p1,...,pK` or `value`; plain text: the code or
    the value.
    """

    def __init__(self, contract: Contract, ranges: TrainingRanges | None = None) -> None:
        self.task = contract.task
        self.ranges = ranges or TrainingRanges(contract)
        self.codes = [model_class.code for model_class in contract.classes]
        # Each item's text up to its numbers, as json.dumps writes it: a batch's answer is then
        # one join, not a thousand dictionaries encoded (json.dumps writes a float as its repr).
        self._openings = [
            json.dumps({"prediction": c.code, contract.target: c.name})[:-1]
            for c in contract.classes
        ]
        if self.task == BINARY:
            self._openings = [
                f'{opening}, "{contract.probability_field}": ' for opening in self._openings
            ]
        self._class_keys = [json.dumps(code) + ": " for code in self.codes]
        self._item: Callable[[Prediction], str] = {
            BINARY: self._binary_item,
            MULTICLASS: self._multiclass_item,
        }.get(self.task, self._regression_item)

    def _binary_item(self, prediction: Prediction) -> str:
        return f"{self._openings[prediction.outcome]}{prediction.probability!r}}}"  # type: ignore[index]

    def _multiclass_item(self, prediction: Prediction) -> str:
        pairs = ", ".join(map(str.__add__, self._class_keys, map(repr, prediction.probability)))  # type: ignore[arg-type]
        return f'{self._openings[prediction.outcome]}, "probabilities": {{{pairs}}}}}'  # type: ignore[index]

    @staticmethod
    def _regression_item(prediction: Prediction) -> str:
        return f'{{"prediction": {prediction.outcome!r}}}'

    def _csv_line(self, prediction: Prediction) -> str:
        outcome, probability = prediction
        if self.task == BINARY:
            return f"{self.codes[outcome]},{probability!r}\n"  # type: ignore[index]
        if self.task == MULTICLASS:
            return f"{self.codes[outcome]},{','.join(map(repr, probability))}\n"  # type: ignore[index, arg-type]
        return f"{outcome!r}\n"

    def plain(self, prediction: Prediction) -> str:
        """The walk-through's clients read the bare letter."""
        if self.task == BINARY or self.task == MULTICLASS:
            return self.codes[prediction.outcome]  # type: ignore[index]
        return repr(prediction.outcome)

    def reply(
        self,
        predictions: Sequence[Prediction],
        model: ModelIdentity,
        media_type: str,
        single: bool,
        warnings: Sequence[Extrapolation] = (),
    ) -> Reply:
        """One object for a single row, `{"predictions": [...]}` for a batch, in input order;
        rows outside their training ranges in a header, and in JSON in `warnings`."""
        rows = len(predictions)
        headers = self.ranges.header(warnings)
        if media_type == content_types.PLAIN_TEXT:
            plain = self.plain(predictions[0])
            return Reply(200, plain, content_types.PLAIN_TEXT, headers, rows=rows)
        if media_type == content_types.CSV:
            lines = "".join(map(self._csv_line, predictions))
            return Reply(200, lines, content_types.CSV, headers, rows=rows)
        items = list(map(self._item, predictions))
        if media_type == content_types.JSON_LINES:
            # Linear Learner's other answer format: one object per row, each line ended.
            lines = "\n".join(items) + "\n"
            return Reply(200, lines, content_types.JSON_LINES, headers, rows=rows)
        identity = json.dumps({"name": model.name, "version": model.version})
        if warnings:
            identity += f', "warnings": {self.ranges.documents(warnings)}'
        if single:
            body = f'{items[0][:-1]}, "model": {identity}}}'
        else:
            body = f'{{"predictions": [{", ".join(items)}], "model": {identity}}}'
        return Reply(200, body, content_types.JSON, headers, rows=rows)


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
