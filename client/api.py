"""The API as the client sees it: its model contract, and one batch at a time, with bounded retries.

The contract comes from the API's own `GET /model`: the route to send rows to, the features
they hold and the task, which says what each answer holds. A batch goes as `text/csv`, one row
a line in the contract's order, and the answer comes back as JSON, with its `warnings` for the
rows with a value outside its feature's training range.

Connections, timeouts and retries are urllib3's (botocore's own HTTP library, so no new
dependency): 429 and 503 (throttled, the endpoint busy or starting) and a refused or reset
connection are tried again by its `Retry`, at most `max_attempts` times in all, after the
server's `Retry-After` or else its exponential backoff. Every other refusal is final for the
batch or for the run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import urllib3
from urllib3.util import Retry

from chalicelib.contract import BINARY, REGRESSION, Contract, ContractError, parse_contract
from chalicelib.extrapolation import CODE as OUTSIDE_TRAINING_RANGE
from chalicelib.rows import Row

MODEL_PATH = "/model"
# What GET /model adds to the contract as written.
MODEL_EXTRAS = ("version", "card")
RETRY_STATUSES = frozenset({429, 503})
# Statuses no other batch can escape: a refused key, no such route, a body or Accept refused.
FATAL_STATUSES = frozenset({401, 403, 404, 405, 406, 413, 415})
# API Gateway says this for a path or method it does not have, whatever the key.
GATEWAY_NO_ROUTE = "Missing Authentication Token"
# urllib3 waits 0 s before the first retry, then factor * 2 ** (retry - 1): 1 s, 2 s, 4 s, ...
BACKOFF_FACTOR = 0.5
LONGEST_WAIT_SECONDS = 30
# The client's own codes, where the API's answer has none to give.
UNREADABLE_ANSWER = "unreadable_answer"
# The last answer column: a row's features outside their training range, by name.
WARNINGS = "warnings"

Prediction = tuple[str, ...]  # a row's answer, as the output file writes it: answer_columns(...)


class RowRefused(Exception):
    """The API refused one row of a batch (its `error.row`, from 1): report it, send the rest."""

    def __init__(self, row: int, code: str, message: str) -> None:
        super().__init__(message)
        self.row, self.code, self.message = row, code, message


class BatchFailed(Exception):
    """This batch could not be scored (retries spent, a server error): report its rows, go on."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ApiUnusable(Exception):
    """No batch can succeed (no server, a refused key, a wrong URL): stop the run."""


class Answer(NamedTuple):
    status: int
    document: Any  # the body as JSON, or None


def encode_rows(rows: Sequence[Row]) -> bytes:
    # repr() is the shortest text that reads back as the same float.
    return "".join(",".join(map(repr, row)) + "\n" for row in rows).encode("ascii")


def answer_columns(contract: Contract) -> tuple[str, ...]:
    """What each answer adds to its row: the class code and its probability (binary), the code
    and each class's probability (multiclass), or the value (regression); then `warnings`."""
    if contract.task == REGRESSION:
        return ("prediction", WARNINGS)
    if contract.task == BINARY:
        return ("prediction", contract.probability_field, WARNINGS)
    return ("prediction", *(f"probability_{c.code}" for c in contract.classes), WARNINGS)


class PredictionApi:
    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        max_attempts: int = 5,
        timeout: float = 30.0,
        contract: Contract | None = None,
    ) -> None:
        problem = url_problem(base_url)
        if problem:
            raise ApiUnusable(f"{base_url!r} {problem}")
        self.base_url = base_url.rstrip("/")
        self.headers = {"Accept": "application/json", **({"x-api-key": api_key} if api_key else {})}
        retries = Retry(
            total=max_attempts - 1,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=None,  # POST too: scoring changes nothing, so it is safe to resend
            backoff_factor=BACKOFF_FACTOR,
            backoff_max=LONGEST_WAIT_SECONDS,
            respect_retry_after_header=True,
            retry_after_max=LONGEST_WAIT_SECONDS,
            raise_on_status=False,  # the last busy answer is ours to report
            redirect=False,  # an API answers, it does not send the key on elsewhere
        )
        self.http = urllib3.PoolManager(retries=retries, timeout=timeout)
        self.requests = 0
        self._contract = contract

    @property
    def contract(self) -> Contract:
        """The API's model contract, read from its `GET /model` on first use."""
        if self._contract is None:
            try:
                answer = self._send(MODEL_PATH, None)
            except BatchFailed as busy:
                raise ApiUnusable(f"GET {MODEL_PATH}: {busy}") from None
            document = answer.document
            if answer.status != 200:
                raise ApiUnusable(_refusal(answer, MODEL_PATH))
            written = (
                {key: value for key, value in document.items() if key not in MODEL_EXTRAS}
                if isinstance(document, dict)
                else document
            )
            try:
                self._contract = parse_contract(written, f"GET {MODEL_PATH}")
            except ContractError as error:
                raise ApiUnusable(f"the API's answer is not a model contract: {error}") from None
        return self._contract

    def predict(self, rows: Sequence[Row]) -> list[Prediction]:
        """The batch's predictions in order; raises RowRefused, BatchFailed or ApiUnusable."""
        route = self.contract.route
        answer = self._send(route, encode_rows(rows))
        if answer.status == 200:
            return _predictions(answer.document, len(rows), self.contract)
        message = _refusal(answer, route)
        error = _error(answer.document)
        if answer.status == 400 and error and isinstance(error.get("row"), int):
            raise RowRefused(error["row"], str(error.get("code")), str(error.get("message")))
        if answer.status in FATAL_STATUSES or not error:
            raise ApiUnusable(message)
        raise BatchFailed(str(error.get("code")), message)

    def _send(self, path: str, body: bytes | None) -> Answer:
        """One request, retried as `Retry` says; BatchFailed when every attempt was busy."""
        url = self.base_url + path
        # The scheme was checked in __init__: http or https only, never file: or others.
        method, headers = ("GET", self.headers) if body is None else (
            "POST", {**self.headers, "Content-Type": "text/csv"}
        )  # fmt: skip
        try:
            response = self.http.request(method, url, body=body, headers=headers)
        except urllib3.exceptions.MaxRetryError as error:
            raise ApiUnusable(f"cannot reach {url}: {error.reason}") from None
        except urllib3.exceptions.HTTPError as error:
            raise ApiUnusable(f"cannot reach {url}: {error}") from None
        attempts = 1 + len(response.retries.history if response.retries else ())
        self.requests += attempts
        answer = Answer(response.status, _json(response.data))
        if answer.status in RETRY_STATUSES:
            code = (_error(answer.document) or {}).get("code")
            message = (
                f"HTTP {answer.status} {code or '(no error code)'} on each of {attempts} attempts"
            )
            raise BatchFailed(str(code or f"http_{answer.status}"), message)
        return answer


def url_problem(base_url: str) -> str | None:
    """Why `base_url` cannot be the API's base address, or None."""
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        return "is not a well-formed URL"
    if parts.scheme not in ("http", "https"):
        return "is not an http:// or https:// address"
    if not parts.hostname or any(c.isspace() or not c.isprintable() for c in base_url):
        return "is not a well-formed URL (no host, or blanks in it)"
    if parts.query or parts.fragment:
        return "has a query or fragment; give the API's base address only"
    return None


def _refusal(answer: Answer, path: str) -> str:
    """What the API's refusal says, in a line."""
    error = _error(answer.document)
    if error:
        message = f"HTTP {answer.status} {error.get('code')}: {error.get('message')}"
        return message + (_hint(answer.status) if answer.status in FATAL_STATUSES else "")
    # Not this API's error shape: API Gateway's own 403 {"message": "Forbidden"}, say.
    document = answer.document
    if isinstance(document, dict) and document.get("message") == GATEWAY_NO_ROUTE:
        return (
            f"the API answered HTTP {answer.status} {GATEWAY_NO_ROUTE!r}: API Gateway has "
            f"no route {path} there (is --url the API's base address, with its stage?)"
        )
    return f"the API answered HTTP {answer.status}{_hint(answer.status)}"


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _error(document: Any) -> Mapping[str, Any] | None:
    """The API's `{"error": {...}}`, or None where the answer is not in its shape."""
    error = document.get("error") if isinstance(document, dict) else None
    return error if isinstance(error, dict) else None


def _predictions(document: Any, expected: int, contract: Contract) -> list[Prediction]:
    items = document.get("predictions") if isinstance(document, dict) else None
    if not isinstance(items, list) or len(items) != expected:
        raise BatchFailed(
            UNREADABLE_ANSWER, f"the API's answer does not hold {expected} predictions"
        )
    codes = [model_class.code for model_class in contract.classes]
    try:
        outside = _outside(document.get("warnings", []), expected, contract)
        return [
            (*_values(item, contract, codes), outside.get(row, ""))
            for row, item in enumerate(items, start=1)
        ]
    except (TypeError, KeyError, ValueError, AttributeError):
        raise BatchFailed(
            UNREADABLE_ANSWER, "the API's answer holds a malformed prediction"
        ) from None


def _values(item: Any, contract: Contract, codes: Sequence[str]) -> Prediction:
    """A prediction's values in answer_columns' order; ValueError, KeyError or TypeError if
    it does not hold them."""
    prediction = item["prediction"]
    if contract.task == REGRESSION:
        return (_number(prediction),)
    if prediction not in codes:
        raise ValueError("not a class of the contract")
    if contract.task == BINARY:
        return (prediction, _number(item[contract.probability_field]))
    probabilities = item["probabilities"]
    return (prediction, *(_number(probabilities[code]) for code in codes))


def _outside(warnings: Any, rows: int, contract: Contract) -> dict[int, str]:
    """The answer's rows (from 1) with a feature outside its training range, and those
    features' names, space-separated; ValueError, KeyError or TypeError where a warning names a
    row the batch has not got or a name the contract lacks (so nothing else, no value, is
    written)."""
    names = set(contract.feature_names)
    outside = {}
    for warning in warnings:
        if warning["code"] != OUTSIDE_TRAINING_RANGE:
            continue  # a kind this column does not hold
        row, features = warning["row"], warning["features"]
        if type(row) is not int or not 1 <= row <= rows or not set(features) <= names:
            raise ValueError("not a row of the batch or not the contract's features")
        outside[row] = " ".join(features)
    return outside


def _number(value: Any) -> str:
    if type(value) not in (int, float):
        raise TypeError("not a number")
    return repr(float(value))


def _hint(status: int) -> str:
    return {
        403: " (a deployed stage wants its key: --api-key or WDBC_API_KEY)",
        404: " (is --url the API's base address, with its stage?)",
        413: " (try a smaller --batch-size)",
    }.get(status, "")
