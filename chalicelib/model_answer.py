"""Read a model endpoint's answer where the contract says it keeps each row's outcome.

Nothing in the answer is trusted: its media type, the number of records, each probability (a
finite number in [0, 1]; a multiclass row's sum to 1), each label (one the contract declares)
and each predicted value (finite) are checked before any of it reaches a client.
"""

from __future__ import annotations

import json
import math
from typing import Any, NamedTuple, NoReturn

from chalicelib import content_types
from chalicelib.contract import BINARY, MULTICLASS, REGRESSION, XGBOOST, Contract
from chalicelib.errors import InvalidModelAnswer

# A multiclass row's probabilities, summed in float32 by the container, may miss 1 by a little.
SUM_TOLERANCE = 1e-3
_NUMBER_TYPES = frozenset({int, float})


class EndpointAnswer(NamedTuple):
    body: bytes
    content_type: str
    variant: str


class Prediction(NamedTuple):
    # Classification: the class's place in the contract's `classes`; regression: the value.
    outcome: int | float
    # Binary: the positive class's probability; multiclass: each class's; regression: None.
    probability: float | tuple[float, ...] | None = None


def _refuse_constant(_name: str) -> NoReturn:
    raise ValueError("non-finite constant")


class AnswerReader:
    """The contract's answer format and task, applied to one answer at a time."""

    def __init__(self, contract: Contract) -> None:
        self.task = contract.task
        self.format = contract.answer
        self.class_count = len(contract.classes)
        self._class_of_label = {
            model_class.label: i for i, model_class in enumerate(contract.classes)
        }
        self._text_labels = any(isinstance(c.label, str) for c in contract.classes)
        self._label_types = frozenset({str}) if self._text_labels else _NUMBER_TYPES
        self._threshold = contract.threshold or 0.5
        self._positive = contract.positive_index if self.task == BINARY else 1
        # XGBoost's CSV holds exactly the outcome: a value a line, or the K class probabilities.
        self._csv_width = (
            (self.class_count if self.task == MULTICLASS else 1)
            if self.format.format == XGBOOST
            else None
        )
        self._records = {
            content_types.JSON: self._json_records,
            content_types.JSON_LINES: self._json_lines_records,
            content_types.CSV: self._csv_records,
        }[self.format.accept]
        self._read_record = {
            BINARY: self._binary,
            MULTICLASS: self._multiclass,
            REGRESSION: self._regression,
        }[self.task]

    def read(self, answer: EndpointAnswer, expected_rows: int) -> list[Prediction]:
        if content_types.essence(answer.content_type) != self.format.accept:
            raise InvalidModelAnswer("the model endpoint answered in an unexpected media type")
        records = self._records(answer.body)
        if len(records) != expected_rows:
            raise InvalidModelAnswer(
                f"the model endpoint answered {len(records)} predictions for {expected_rows} rows"
            )
        fast = self._read_well_formed(records)
        if fast is not None:
            return fast
        objects = self.format.accept != content_types.CSV
        predictions = []
        for row, record in enumerate(records, start=1):
            if objects and not isinstance(record, dict):
                raise InvalidModelAnswer(f"prediction {row} of the model endpoint is not an object")
            predictions.append(self._read_record(record, row))
        return predictions

    # --- Records: one per row, a dict (JSON, JSON Lines) or a list of fields (CSV) -------------

    def _json_records(self, body: bytes) -> list[Any]:
        document = _json(body, "the model endpoint's answer is not valid JSON")
        key = self.format.records
        if key is None:
            items = document
        else:
            items = document.get(key) if isinstance(document, dict) else None
        if not isinstance(items, list):
            raise InvalidModelAnswer("the model endpoint's answer has no list of predictions")
        return items

    def _json_lines_records(self, body: bytes) -> list[Any]:
        lines = body.split(b"\n")
        if lines and not lines[-1].strip():
            lines.pop()
        return [_json(line, f"line {n} of the model endpoint's answer is not valid JSON")
                for n, line in enumerate(lines, start=1)]  # fmt: skip

    def _csv_records(self, body: bytes) -> list[Any]:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidModelAnswer("the model endpoint's answer is not UTF-8 text") from None
        lines = text.replace("\r\n", "\n").split("\n")
        if lines and not lines[-1].strip():
            lines.pop()
        records = [line.split(",") for line in lines]
        width = self._csv_width
        if width is not None:
            for row, record in enumerate(records, start=1):
                if len(record) != width:
                    raise InvalidModelAnswer(
                        f"prediction {row} of the model endpoint has {len(record)} values, "
                        f"not {width}"
                    )
        return records

    # --- Fields of a record ---------------------------------------------------------------------

    @staticmethod
    def _field(record: Any, attribute: str | None, index: int | None) -> Any:
        """The value at the record's declared place; None where it has none."""
        if attribute is not None:
            return record.get(attribute) if isinstance(record, dict) else None
        if index is not None and isinstance(record, list) and index < len(record):
            return _csv_number(record[index])
        return None

    def _probability(self, record: Any) -> Any:
        answer = self.format
        if self.task == MULTICLASS and answer.probability_index is not None:
            start = answer.probability_index
            fields = record[start : start + self.class_count] if isinstance(record, list) else []
            return [_csv_number(field) for field in fields]
        return self._field(record, answer.probability_attribute, answer.probability_index)

    def _label(self, record: Any, row: int) -> int | None:
        """The class the endpoint named, or None where the contract declares no label."""
        answer = self.format
        if answer.label_attribute is None and answer.label_index is None:
            return None
        if answer.label_attribute is not None:
            label = record.get(answer.label_attribute) if isinstance(record, dict) else None
        else:
            fields = record if isinstance(record, list) else []
            index = answer.label_index or 0
            text = fields[index].strip() if index < len(fields) else None
            label = text if self._text_labels or text is None else _csv_number(text)
        known = type(label) in self._label_types
        found = self._class_of_label.get(label) if known else None  # type: ignore[arg-type]
        if found is None:
            raise InvalidModelAnswer(
                f"prediction {row} of the model endpoint has no label the contract declares"
            )
        return found

    def _binary(self, record: Any, row: int) -> Prediction:
        probability = self._probability(record)
        if not _is_probability(probability):
            raise InvalidModelAnswer(
                f"prediction {row} of the model endpoint has no probability in [0, 1]"
            )
        label = self._label(record, row)
        if label is None:
            label = self._positive if probability >= self._threshold else 1 - self._positive
        return Prediction(label, float(probability))

    def _multiclass(self, record: Any, row: int) -> Prediction:
        probabilities = self._probability(record)
        if not (
            isinstance(probabilities, list)
            and len(probabilities) == self.class_count
            and all(map(_is_probability, probabilities))
            and abs(math.fsum(probabilities) - 1.0) <= SUM_TOLERANCE
        ):
            raise InvalidModelAnswer(
                f"prediction {row} of the model endpoint has no {self.class_count} class "
                "probabilities in [0, 1] summing to 1"
            )
        label = self._label(record, row)
        if label is None:
            label = probabilities.index(max(probabilities))
        return Prediction(label, tuple(map(float, probabilities)))

    def _regression(self, record: Any, row: int) -> Prediction:
        answer = self.format
        value = self._field(record, answer.label_attribute, answer.label_index)
        if not _is_number(value):
            raise InvalidModelAnswer(f"prediction {row} of the model endpoint has no finite value")
        return Prediction(float(value))

    def _read_well_formed(self, records: list[Any]) -> list[Prediction] | None:
        """Linear Learner's usual binary answer, checked in a few passes in C; None sends it
        record by record, for the message. No NaN reaches here: the decoder refuses it."""
        answer = self.format
        if self.task != BINARY or answer.probability_attribute is None:
            return None
        try:
            scores = [record[answer.probability_attribute] for record in records]
            labels = (
                [record[answer.label_attribute] for record in records]
                if answer.label_attribute is not None
                else None
            )
        except (TypeError, KeyError, IndexError):
            return None
        if not scores or not _NUMBER_TYPES.issuperset(map(type, scores)):
            return None
        if not (min(scores) >= 0.0 and max(scores) <= 1.0):
            return None
        if labels is None:
            return None
        if not self._label_types.issuperset(map(type, labels)):
            return None
        classes = list(map(self._class_of_label.get, labels))
        if None in classes:
            return None
        return list(map(Prediction, classes, map(float, scores)))  # type: ignore[arg-type]


def _json(body: bytes, problem: str) -> Any:
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise InvalidModelAnswer(problem) from None


def _csv_number(field: str) -> float | None:
    try:
        value = float(field)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _is_number(value: Any) -> bool:
    return type(value) in _NUMBER_TYPES and math.isfinite(value)


def _is_probability(value: Any) -> bool:
    return _is_number(value) and 0.0 <= value <= 1.0
