"""Linear Learner's documented inference formats for dense rows, as one pure function.

In: CSV rows, `{"instances": [{"features": [...]}]}`, or a `{"features": [...]}` a JSON line.
Out, by Accept, as docs.aws.amazon.com/sagemaker/latest/dg/LL-in-formats.html shows them: JSON
`{"predictions": [{"score": 0.4, "predicted_label": 0}]}` (binary_classifier), `{"score": [0.1,
0.2, 0.4, 0.3], "predicted_label": 2}` records (multiclass_classifier), `{"score": 0.4}` records
(regressor); JSON Lines, one such record a line. A refusal names the row and the value's
position, never the value. The XGBoost container reads its CSV here too.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from standin.model import LinearScorer, Prediction

CSV, JSON, JSONLINES = "text/csv", "application/json", "application/jsonlines"
Row = tuple[float, ...]


class ContainerError(Exception):
    """What the model container answers itself: a status and a message naming no input value."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# A C float literal, as the container's CSV reader takes it (no "nan", "inf", "1_000", non-ASCII).
# Possessive runs: nothing is given back, so a refusal costs one pass over the line.
_NUMBER = r"[ \t]*+[+-]?(?:[0-9]++(?:\.[0-9]*+)?|\.[0-9]++)(?:[eE][+-]?[0-9]++)?[ \t]*+"
_CSV_NUMBER, _CSV_LINE = re.compile(_NUMBER), re.compile(f"{_NUMBER}(?:,{_NUMBER})*")


def invoke(
    scorer: LinearScorer, body: bytes, content_type: str | None, accept: str | None
) -> tuple[bytes, str]:
    """The answer's body and media type; ContainerError with the container's 4xx otherwise."""
    decode = _DECODERS.get(media_type(content_type))
    if decode is None:
        raise ContainerError(415, f"content type must be one of {', '.join(_DECODERS)}")
    answer_type = _answer_type(accept)
    rows = decode(body_text(body), scorer.feature_count)
    return _ENCODERS[answer_type](scorer.predict(rows)), answer_type


def body_text(body: bytes) -> str:
    if not body.strip():
        raise ContainerError(400, "the body is empty")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise ContainerError(400, "the body is not UTF-8") from None


def media_type(header: str | None) -> str:
    return (header or "").partition(";")[0].strip().lower()


def _answer_type(accept: str | None) -> str:
    """The first of ours a media range names: `*/*`, `application/*` and none name JSON first;
    a type given `q=0` is never chosen."""
    ranges = [(media_type(part), _quality(part)) for part in (accept or "*/*").split(",")]
    refused = {name for name, quality in ranges if not quality > 0}  # NaN too
    for name, _ in ranges:
        named = (name,) if name in _ENCODERS else _WILDCARDS.get(name, ())
        for answer_type in named:
            if answer_type not in refused and name not in refused:
                return answer_type
    raise ContainerError(406, f"accept must allow one of {', '.join(_ENCODERS)}")


def _quality(media_range: str) -> float:
    for parameter in media_range.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def csv_rows(text: str, width: int) -> list[Row]:
    lines = text.removesuffix("\n").split("\n")
    return [
        _csv_row(number, line.removesuffix("\r"), width) for number, line in enumerate(lines, 1)
    ]


def _csv_row(number: int, line: str, width: int) -> Row:
    fields = line.split(",")
    if len(fields) != width:
        raise ContainerError(400, f"row {number} has {len(fields)} values, expected {width}")
    if _CSV_LINE.fullmatch(line):  # one match a line; only a bad line is looked at value by value
        return _finite(number, tuple(map(float, fields)))
    return _finite(
        number, tuple(float(f) if _CSV_NUMBER.fullmatch(f) else math.nan for f in fields)
    )


def _json_rows(text: str, width: int) -> list[Row]:
    document = _json(text)
    instances = document.get("instances") if isinstance(document, dict) else None
    if not isinstance(instances, list) or not instances:
        raise ContainerError(400, 'the body must be {"instances": [{"features": [...]}, ...]}')
    return [_features(number, item, width) for number, item in enumerate(instances, 1)]


def _jsonlines_rows(text: str, width: int) -> list[Row]:
    lines = text.removesuffix("\n").split("\n")
    return [_features(number, _json(line), width) for number, line in enumerate(lines, 1)]


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ContainerError(400, "the body is not valid JSON") from None


def _features(number: int, item: object, width: int) -> Row:
    features = item.get("features") if isinstance(item, dict) else None
    if not isinstance(features, list) or len(features) != width:
        raise ContainerError(400, f'row {number} must be {{"features": [{width} numbers]}}')
    numbers = (
        v if type(v) in (int, float) and abs(v) <= sys.float_info.max else math.nan
        for v in features
    )
    return _finite(number, tuple(map(float, numbers)))


def _finite(number: int, values: Row) -> Row:
    if not all(map(math.isfinite, values)):
        position = next(n for n, value in enumerate(values, 1) if not math.isfinite(value))
        raise ContainerError(400, f"row {number}, value {position} is not a finite number")
    return values


def _record(prediction: Prediction) -> dict[str, object]:
    if prediction.predicted_label is None:  # a regressor's
        return {"score": prediction.score}
    return prediction._asdict()


def _json_answer(predictions: Sequence[Prediction]) -> bytes:
    return json.dumps({"predictions": list(map(_record, predictions))}).encode()


def _jsonlines_answer(predictions: Sequence[Prediction]) -> bytes:
    return "".join(json.dumps(_record(p)) + "\n" for p in predictions).encode()


_DECODERS: dict[str, Callable[[str, int], list[Row]]] = {
    CSV: csv_rows,
    JSON: _json_rows,
    JSONLINES: _jsonlines_rows,
}
_ENCODERS: dict[str, Callable[[Sequence[Prediction]], bytes]] = {
    JSON: _json_answer,
    JSONLINES: _jsonlines_answer,
}
_WILDCARDS = dict.fromkeys(("*/*", "application/*"), tuple(_ENCODERS))
