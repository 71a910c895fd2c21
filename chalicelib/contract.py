"""A model's contract: its features, task, classes and answer format, declared once.

`models/<name>/contract.json` is the one place a model's facts live; the Lambda ships it as
`chalicelib/contracts/<name>.json` and the stage names it in its MODEL setting. Everything the
API reads, asks its endpoint, answers and documents derives from it. It is checked on load, and
every refusal names the key at fault.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, NoReturn

from chalicelib import content_types
from chalicelib.errors import ConfigurationError

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
BINARY, MULTICLASS, REGRESSION = "binary_classification", "multiclass_classification", "regression"
TASKS = (BINARY, MULTICLASS, REGRESSION)
LINEAR_LEARNER, XGBOOST, CUSTOM = "linear-learner", "xgboost", "custom"
DEFAULT_ROUTE = "/predict"
# The API's own paths, which no model's route may take.
RESERVED_ROUTES = ("/", "/health", "/model", "/openapi.json")
RESERVED_PREFIX = "/v2/"

# A model's name is a path segment (/v2/models/<name>) and a folder name.
_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A feature name is a JSON key, a CSV header field and an HTML form field's name.
_FEATURE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# Another spelling of a feature's name that callers use (scikit-learn's `mean radius`,
# `od280/od315_of_diluted_wines`); spaces inside, none at either end, no comma or quote: it too
# may head a CSV column.
_ALIAS = re.compile(r"[A-Za-z_](?:[A-Za-z0-9_ /]{0,62}[A-Za-z0-9_])?")
# A class code goes into CSV answers and OIP BYTES tensors as it is.
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
_ROUTE = re.compile(r"(?:/[a-z0-9][a-z0-9_-]*)+")
_TOP_KEYS = frozenset(
    {"name", "description", "route", "task", "target", "features", "classes"}
    | {"positive_class", "threshold", "answer", "examples"}
)
_FEATURE_KEYS = frozenset({"name", "aliases", "description", "unit", "training_range", "limits"})
_CLASS_KEYS = frozenset({"code", "name", "label"})
_ANSWER_KEYS = frozenset({"format", "accept", "records"}) | {
    "probability_attribute", "label_attribute", "probability_index", "label_index"
}  # fmt: skip
_EXAMPLE_KEYS = frozenset({"summary", "values"})
# What each format can be asked for (the containers' own lists).
_ACCEPTS = {
    LINEAR_LEARNER: (content_types.JSON, content_types.JSON_LINES),
    # The single-model XGBoost container encodes only CSV and JSON (its JSON Lines is a 500).
    XGBOOST: (content_types.CSV, content_types.JSON),
    CUSTOM: (content_types.JSON, content_types.JSON_LINES, content_types.CSV),
}


class ContractError(ConfigurationError):
    """A contract that cannot be served; the message names the file and the key."""


class Feature(NamedTuple):
    name: str
    training_range: tuple[float, float]
    description: str | None = None
    unit: str | None = None
    limits: tuple[float | None, float | None] = (None, None)
    aliases: tuple[str, ...] = ()


class ModelClass(NamedTuple):
    code: str  # what the API answers
    name: str  # what a person reads
    label: int | float | str  # what the endpoint answers for it


class AnswerFormat(NamedTuple):
    """Where the endpoint's answer keeps each row's outcome, in SageMaker Clarify's words.

    JSON: `records` names the key of the list of per-row records (None: the body is that list);
    JSON Lines: one record a line. A record's `probability_attribute` holds the probability (of
    the positive class; for multiclass, the list of the classes' probabilities), its
    `label_attribute` the label (for regression, the predicted value). CSV: one row a line, the
    columns `probability_index` (multiclass: the first of as many columns as classes) and
    `label_index`. A classifier's label, where its endpoint gives none, is made here: the
    threshold for binary, the most probable class for multiclass.
    """

    format: str
    accept: str
    records: str | None = None
    probability_attribute: str | None = None
    label_attribute: str | None = None
    probability_index: int | None = None
    label_index: int | None = None


class Example(NamedTuple):
    summary: str
    values: tuple[float, ...]


class Contract(NamedTuple):
    name: str
    task: str
    target: str
    features: tuple[Feature, ...]
    answer: AnswerFormat
    examples: tuple[Example, ...]
    route: str = DEFAULT_ROUTE
    description: str | None = None
    classes: tuple[ModelClass, ...] = ()
    positive_class: str | None = None
    threshold: float | None = None
    # The file as written, for `GET /model`.
    document: Mapping[str, Any] = MappingProxyType({})

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)

    @property
    def feature_count(self) -> int:
        return len(self.features)

    @property
    def is_classifier(self) -> bool:
        return self.task != REGRESSION

    @property
    def positive_index(self) -> int:
        """The positive class's place in `classes` (binary only)."""
        return [c.code for c in self.classes].index(self.positive_class or "")

    @property
    def probability_field(self) -> str:
        """A binary answer's probability: `probability_<the positive class's name>`."""
        return f"probability_{self.classes[self.positive_index].name.replace(' ', '_')}"


def contract_path(model: str) -> Path:
    return CONTRACTS_DIR / f"{model}.json"


def load_contract(model: str) -> Contract:
    """The shipped contract the MODEL setting names; ContractError names what is wrong."""
    if not _NAME.fullmatch(model):
        raise ContractError(
            f"MODEL {model!r} is not a model name (lower-case letters, digits and hyphens)"
        )
    return read_contract(contract_path(model))


def read_contract(path: Path) -> Contract:
    try:
        document = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except FileNotFoundError:
        raise ContractError(f"no model contract at {path}") from None
    except (OSError, ValueError) as error:
        raise ContractError(f"{path}: cannot be read as JSON ({type(error).__name__})") from None
    return parse_contract(document, path.name)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_contract(document: Any, source: str) -> Contract:
    """The contract in `document`; `source` (its file name) opens every refusal."""
    check = _Checker(source)
    top = check.object(document, "the contract", _TOP_KEYS)
    name = check.text(top, "name", pattern=_NAME, hint="lower-case letters, digits and hyphens")
    task = check.choice(top, "task", TASKS)
    route = check.text(top, "route", required=False, pattern=_ROUTE, hint="like /predict")
    route = route or DEFAULT_ROUTE
    if route in RESERVED_ROUTES or route.startswith(RESERVED_PREFIX):
        check.fail("route", f"is one of the API's own paths ({', '.join(RESERVED_ROUTES)}, /v2/)")
    features = check.features(top)
    classes, positive, threshold = check.classes(top, task)
    contract = Contract(
        name=name,
        task=task,
        target=check.text(
            top, "target", pattern=_FEATURE_NAME, hint="a name of letters, digits and _"
        ),
        features=features,
        answer=check.answer(top, task, classes),
        examples=check.examples(top, len(features)),
        route=route,
        description=check.text(top, "description", required=False),
        classes=classes,
        positive_class=positive,
        threshold=threshold,
        document=top,
    )
    return contract


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> NoReturn:
        raise ContractError(f"model contract {self.source}: {key} {problem}")

    def object(self, value: Any, key: str, allowed: frozenset[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(key, "must be an object")
        unknown = sorted(set(value) - allowed)
        if unknown:
            self.fail(key, f"has unknown key(s) {', '.join(unknown)}")
        return dict(value)

    def text(
        self,
        document: Mapping[str, Any],
        key: str,
        *,
        required: bool = True,
        pattern: re.Pattern[str] | None = None,
        hint: str = "",
        where: str = "",
    ) -> str:
        value = document.get(key)
        label = f"{where}{key}"
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(label, "must be a non-empty string")
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(label, f"is not valid ({hint})" if hint else "is not valid")
        return str(value)

    def choice(self, document: Mapping[str, Any], key: str, choices: Sequence[str]) -> str:
        value = document.get(key)
        if value not in choices:
            self.fail(key, f"must be one of {', '.join(choices)}")
        return str(value)

    def number(self, value: Any, key: str) -> float:
        if type(value) not in (int, float) or not math.isfinite(value):
            self.fail(key, "must be a finite number")
        return float(value)

    def array(self, document: Mapping[str, Any], key: str, minimum: int) -> list[Any]:
        value = document.get(key)
        if not isinstance(value, list) or len(value) < minimum:
            self.fail(key, f"must be an array of at least {minimum}")
        return list(value)

    def features(self, top: Mapping[str, Any]) -> tuple[Feature, ...]:
        features, seen = [], set()
        for index, item in enumerate(self.array(top, "features", 1)):
            where = f"features[{index}]"
            item = self.object(item, where, _FEATURE_KEYS)
            name = self.text(item, "name", pattern=_FEATURE_NAME, where=f"{where}.",
                             hint="letters, digits and _, not starting with a digit")  # fmt: skip
            aliases = self.aliases(item, f"{where}.aliases")
            for key, spelling in [(f"{where}.name", name)] + [
                (f"{where}.aliases", a) for a in aliases
            ]:
                if spelling.lower() in seen:
                    self.fail(key, "repeats an earlier name or alias (CSV headers match any case)")
                seen.add(spelling.lower())
            low, high = self.pair(item.get("training_range"), f"{where}.training_range")
            if low is None or high is None or low > high:
                self.fail(f"{where}.training_range", "must be [low, high], low <= high")
            limits = self.pair(item.get("limits", [None, None]), f"{where}.limits", open_ended=True)
            if None not in limits and limits[0] > limits[1]:  # type: ignore[operator]
                self.fail(f"{where}.limits", "must be [low, high] with low <= high")
            features.append(
                Feature(
                    name=name,
                    training_range=(low, high),
                    description=self.text(item, "description", required=False, where=f"{where}.")
                    or None,
                    unit=self.text(item, "unit", required=False, where=f"{where}.") or None,
                    limits=limits,
                    aliases=aliases,
                )
            )
        return tuple(features)

    def aliases(self, feature: Mapping[str, Any], key: str) -> tuple[str, ...]:
        aliases = feature.get("aliases", [])
        if not isinstance(aliases, list) or not all(
            isinstance(alias, str) and _ALIAS.fullmatch(alias) for alias in aliases
        ):
            self.fail(key, "must be an array of names (letters, digits, _ and inner spaces)")
        return tuple(aliases)

    def pair(
        self, value: Any, key: str, *, open_ended: bool = False
    ) -> tuple[float | None, float | None]:
        if not isinstance(value, list) or len(value) != 2:
            self.fail(key, "must be an array of two numbers" + (" or nulls" if open_ended else ""))
        low, high = (
            None if bound is None and open_ended else self.number(bound, key) for bound in value
        )
        return low, high

    def classes(
        self, top: Mapping[str, Any], task: str
    ) -> tuple[tuple[ModelClass, ...], str | None, float | None]:
        if task == REGRESSION:
            for key in ("classes", "positive_class", "threshold"):
                if key in top:
                    self.fail(key, "is for classifiers; this contract's task is regression")
            return (), None, None
        minimum = 2 if task == BINARY else 3
        items = self.array(top, "classes", minimum)
        if task == BINARY and len(items) != 2:
            self.fail("classes", "must hold exactly two classes for binary_classification")
        classes = []
        for index, item in enumerate(items):
            where = f"classes[{index}]."
            item = self.object(item, f"classes[{index}]", _CLASS_KEYS)
            label = item.get("label")
            if (
                isinstance(label, bool)
                or not isinstance(label, (int, float, str))
                or (isinstance(label, float) and not math.isfinite(label))
            ):
                self.fail(f"{where}label", "must be the endpoint's label: a number or a string")
            classes.append(
                ModelClass(
                    code=self.text(
                        item,
                        "code",
                        pattern=_CODE,
                        where=where,
                        hint="up to 40 letters, digits, _ . -",
                    ),
                    name=self.text(item, "name", where=where),
                    label=label,
                )
            )
        for key, values in (
            ("code", [c.code for c in classes]),
            ("label", [c.label for c in classes]),
        ):
            if len(set(values)) != len(values):
                self.fail("classes", f"repeat a {key}")
        if task == MULTICLASS:
            for key in ("positive_class", "threshold"):
                if key in top:
                    self.fail(key, "is for binary_classification only")
            return tuple(classes), None, None
        positive = self.choice(top, "positive_class", [c.code for c in classes])
        threshold = self.number(top.get("threshold"), "threshold")
        if not 0.0 < threshold < 1.0:
            self.fail("threshold", "must be a probability strictly between 0 and 1")
        return tuple(classes), positive, threshold

    def answer(
        self, top: Mapping[str, Any], task: str, classes: Sequence[ModelClass]
    ) -> AnswerFormat:
        answer = self.object(top.get("answer"), "answer", _ANSWER_KEYS)
        kind = self.choice(answer, "format", tuple(_ACCEPTS))
        where = "answer."
        accept = answer.get("accept", _ACCEPTS[kind][0] if kind != CUSTOM else None)
        if accept not in _ACCEPTS[kind]:
            self.fail(f"{where}accept", f"must be one of {', '.join(_ACCEPTS[kind])} for {kind}")
        if kind in (LINEAR_LEARNER, XGBOOST):
            declared = sorted(set(answer) - {"format", "accept"})
            if declared:
                self.fail(where + declared[0], f"is set by the {kind} format itself")
            # Both containers index class probabilities and labels 0 .. K-1.
            if [c.label for c in classes] != list(range(len(classes))):
                self.fail("classes", f"must have the labels 0, 1, ... in order for {kind}")
            return _preset(kind, accept, task)
        return self.custom_answer(answer, accept, task)

    def custom_answer(self, answer: Mapping[str, Any], accept: str, task: str) -> AnswerFormat:
        csv = accept == content_types.CSV
        located = {}
        for what in ("probability", "label"):
            attribute, index = answer.get(f"{what}_attribute"), answer.get(f"{what}_index")
            key = f"answer.{what}_{'index' if csv else 'attribute'}"
            wrong = f"{what}_{'attribute' if csv else 'index'}"
            if wrong in answer:
                self.fail(f"answer.{wrong}", f"does not apply to {accept} answers")
            value = index if csv else attribute
            if value is None:
                continue
            if csv and (type(value) is not int or value < 0):
                self.fail(key, "must be a column number from 0")
            if not csv and (not isinstance(value, str) or not value):
                self.fail(key, "must be a key name")
            located[what] = value
        if task == REGRESSION and "label" not in located:
            self.fail("answer", "must locate the predicted value (label_attribute or label_index)")
        if task != REGRESSION and "probability" not in located:
            self.fail("answer", "must locate the probability (probability_attribute or _index)")
        records = answer.get("records")
        if records is not None and (accept != content_types.JSON or not isinstance(records, str)):
            self.fail("answer.records", "is the key of the records' list, for application/json")
        return AnswerFormat(
            format=CUSTOM,
            accept=accept,
            records=records,
            probability_attribute=None if csv else located.get("probability"),
            label_attribute=None if csv else located.get("label"),
            probability_index=located.get("probability") if csv else None,
            label_index=located.get("label") if csv else None,
        )

    def examples(self, top: Mapping[str, Any], width: int) -> tuple[Example, ...]:
        examples = []
        for index, item in enumerate(self.array(top, "examples", 1)):
            where = f"examples[{index}]"
            item = self.object(item, where, _EXAMPLE_KEYS)
            values = item.get("values")
            if not isinstance(values, list) or len(values) != width:
                self.fail(f"{where}.values", f"must be {width} numbers, one per feature")
            numbers = tuple(self.number(value, f"{where}.values") for value in values)
            examples.append(Example(self.text(item, "summary", where=f"{where}."), numbers))
        return tuple(examples)


def _preset(kind: str, accept: str, task: str) -> AnswerFormat:
    """Where Linear Learner and XGBoost keep their outcome, in each format they answer in.

    Linear Learner (docs.aws.amazon.com/sagemaker/latest/dg/LL-in-formats.html), JSON:
    `{"predictions": [{"score": 0.4, "predicted_label": 0}]}` (binary), `{"score": [0.1, 0.2,
    0.4, 0.3], "predicted_label": 2}` (multiclass), `{"score": 0.4}` (regression); JSON Lines:
    one such record a line.
    XGBoost (aws/sagemaker-xgboost-container, algorithm_mode/serve.py and serve_utils.py), CSV:
    `encoders.encode(predictions, "text/csv")`, one line a row: the probability of class 1
    (binary:logistic), the classes' probabilities (multi:softprob), the value (reg:*); JSON:
    `encode_predictions_as_json`, `{"predictions": [{"score": ...}]}`. No label: it is made here.
    """
    records = "predictions" if accept == content_types.JSON else None
    if accept == content_types.CSV:
        if task == REGRESSION:
            return AnswerFormat(kind, accept, label_index=0)
        return AnswerFormat(kind, accept, probability_index=0)
    label = "predicted_label" if kind == LINEAR_LEARNER else None
    if task == REGRESSION:
        return AnswerFormat(kind, accept, records, label_attribute="score")
    return AnswerFormat(kind, accept, records, probability_attribute="score", label_attribute=label)
