"""Read a Linear Learner binary-classifier answer, trusting nothing in it."""

from __future__ import annotations

import json
import math
from typing import Any, NamedTuple, NoReturn, TypeGuard

from chalicelib import content_types
from chalicelib.errors import InvalidModelAnswer

MALIGNANT = 1
BENIGN = 0


class EndpointAnswer(NamedTuple):
    body: bytes
    content_type: str
    variant: str


class Prediction(NamedTuple):
    label: int  # 1 malignant, 0 benign: Linear Learner's predicted_label
    probability_malignant: float  # Linear Learner's score


def _refuse_constant(_name: str) -> NoReturn:
    raise ValueError("non-finite constant")


def read_predictions(answer: EndpointAnswer, expected_rows: int) -> list[Prediction]:
    """`{"predictions": [{"score": 0.12, "predicted_label": 0}, ...]}`, one item per row sent.

    The label is the endpoint's `predicted_label`, never derived from the score: the score is a
    probability, and the threshold that turns it into a label belongs to the model.
    """
    if content_types.essence(answer.content_type) != content_types.JSON:
        raise InvalidModelAnswer("the model endpoint answered in an unexpected media type")
    try:
        document = json.loads(answer.body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise InvalidModelAnswer("the model endpoint's answer is not valid JSON") from None
    items = document.get("predictions") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise InvalidModelAnswer("the model endpoint's answer has no list of predictions")
    if len(items) != expected_rows:
        raise InvalidModelAnswer(
            f"the model endpoint answered {len(items)} predictions for {expected_rows} rows"
        )
    fast = _read_well_formed(items)
    if fast is not None:
        return fast
    return [_read_item(item, index) for index, item in enumerate(items, start=1)]


_NUMBER_TYPES = frozenset({int, float})


def _read_well_formed(items: list[Any]) -> list[Prediction] | None:
    """The usual answer checked in a few passes in C; None sends it item by item, for the message.

    No NaN reaches here (the decoder refuses it), so the bounds are checked by min and max.
    """
    try:
        scores = [item["score"] for item in items]
        labels = [item["predicted_label"] for item in items]
    except (TypeError, KeyError, IndexError):
        return None
    if not scores or not _NUMBER_TYPES.issuperset(map(type, scores)):
        return None
    if not _NUMBER_TYPES.issuperset(map(type, labels)) or not {BENIGN, MALIGNANT}.issuperset(
        labels
    ):
        return None
    if not (min(scores) >= 0.0 and max(scores) <= 1.0):
        return None
    return list(map(Prediction, map(int, labels), map(float, scores)))


def _read_item(item: Any, row: int) -> Prediction:
    if not isinstance(item, dict):
        raise InvalidModelAnswer(f"prediction {row} of the model endpoint is not an object")
    score = item.get("score")
    if not _is_number(score) or not 0.0 <= score <= 1.0:
        raise InvalidModelAnswer(
            f"prediction {row} of the model endpoint has no probability in [0, 1]"
        )
    label = item.get("predicted_label")
    if not _is_number(label) or label not in (BENIGN, MALIGNANT):
        raise InvalidModelAnswer(f"prediction {row} of the model endpoint has no label 0 or 1")
    return Prediction(label=int(label), probability_malignant=float(score))


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
