"""The API as the client sees it: its model contract, and one batch at a time, with bounded retries.

The contract comes from the API's own `GET /model`: the route to send rows to, the features
they hold and the task, which says what each answer holds. A batch goes as `text/csv`, one row
a line in the contract's order, and the answer comes back as JSON. 429 and 503 (throttled, the
endpoint busy or starting) and a refused or reset connection are tried again, at most
`max_attempts` times in all, after the server's `Retry-After` or else an exponential backoff.
Every other refusal is final for the batch or for the run.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from chalicelib.contract import BINARY, REGRESSION, Contract, ContractError, parse_contract
from chalicelib.rows import Row
from client.errors import ApiUnusable, BatchFailed, RowRefused

MODEL_PATH = "/model"
# What GET /model adds to the contract as written.
MODEL_EXTRAS = ("version", "card")
RETRY_STATUSES = frozenset({429, 503})
# Statuses no other batch can escape: a refused key, no such route, a body or Accept refused.
FATAL_STATUSES = frozenset({401, 403, 404, 405, 406, 413, 415})
# API Gateway says this for a path or method it does not have, whatever the key.
GATEWAY_NO_ROUTE = "Missing Authentication Token"
FIRST_BACKOFF_SECONDS = 0.5
LONGEST_WAIT_SECONDS = 30.0

Prediction = tuple[str, ...]  # a row's answer, as the output file writes it: answer_columns(...)


class Answer(NamedTuple):
    status: int
    headers: Mapping[str, str]
    body: bytes


def encode_rows(rows: Sequence[Row]) -> bytes:
    # repr() is the shortest text that reads back as the same float.
    return "".join(",".join(map(repr, row)) + "\n" for row in rows).encode("ascii")


def answer_columns(contract: Contract) -> tuple[str, ...]:
    """What each answer adds to its row: the class code and its probability (binary), the code
    and each class's probability (multiclass), or the value (regression)."""
    if contract.task == REGRESSION:
        return ("prediction",)
    if contract.task == BINARY:
        return ("prediction", contract.probability_field)
    return ("prediction", *(f"probability_{c.code}" for c in contract.classes))


class PredictionApi:
    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        max_attempts: int = 5,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        contract: Contract | None = None,
    ) -> None:
        problem = url_problem(base_url)
        if problem:
            raise ApiUnusable(f"{base_url!r} {problem}")
        self.base_url = base_url.rstrip("/")
        self.headers = {"Accept": "application/json"}
        if api_key:
            self.headers["x-api-key"] = api_key
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.sleep = sleep
        self.requests = 0
        self._contract = contract

    @property
    def contract(self) -> Contract:
        """The API's model contract, read from its `GET /model` on first use."""
        if self._contract is None:
            try:
                answer = self._send_with_retries(MODEL_PATH, None)
            except BatchFailed as busy:
                raise ApiUnusable(f"GET {MODEL_PATH}: {busy}") from None
            document = _json(answer.body)
            if answer.status != 200:
                raise ApiUnusable(self._refusal(answer, document, MODEL_PATH))
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
        answer = self._send_with_retries(route, encode_rows(rows))
        document = _json(answer.body)
        if answer.status == 200:
            return _predictions(document, len(rows), self.contract)
        message = self._refusal(answer, document, route)
        error = document.get("error") if isinstance(document, dict) else None
        if answer.status == 400 and isinstance(error, dict) and isinstance(error.get("row"), int):
            raise RowRefused(error["row"], str(error.get("message")))
        if answer.status in FATAL_STATUSES or not isinstance(error, dict):
            raise ApiUnusable(message)
        raise BatchFailed(message)

    def _refusal(self, answer: Answer, document: Any, path: str) -> str:
        """What the API's refusal says, in a line."""
        error = document.get("error") if isinstance(document, dict) else None
        if isinstance(error, dict):
            message = f"HTTP {answer.status} {error.get('code')}: {error.get('message')}"
            return message + (_hint(answer.status) if answer.status in FATAL_STATUSES else "")
        # Not this API's error shape: API Gateway's own 403 {"message": "Forbidden"}, say.
        if _gateway_message(document) == GATEWAY_NO_ROUTE:
            return (
                f"the API answered HTTP {answer.status} {GATEWAY_NO_ROUTE!r}: API Gateway has "
                f"no route {path} there (is --url the API's base address, with its stage?)"
            )
        return f"the API answered HTTP {answer.status}{_hint(answer.status)}"

    def _send_with_retries(self, path: str, body: bytes | None) -> Answer:
        url = self.base_url + path
        for attempt in range(1, self.max_attempts + 1):
            try:
                answer = self._send(url, body)
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                if attempt == self.max_attempts:
                    reason = getattr(error, "reason", error)
                    raise ApiUnusable(f"cannot reach {url}: {reason}") from None
                self.sleep(self._backoff(attempt, None))
                continue
            if answer.status not in RETRY_STATUSES:
                return answer
            if attempt == self.max_attempts:
                raise BatchFailed(
                    f"HTTP {answer.status} {_code(answer.body)} on each of {attempt} attempts"
                )
            self.sleep(self._backoff(attempt, answer.headers.get("retry-after")))
        raise AssertionError("unreachable: max_attempts is at least 1")  # pragma: no cover

    def _send(self, url: str, body: bytes | None) -> Answer:
        headers = self.headers if body is None else {**self.headers, "Content-Type": "text/csv"}
        # The scheme was checked in __init__: http or https only, never file: or others.
        request = urllib.request.Request(  # noqa: S310
            url, data=body, headers=headers, method="GET" if body is None else "POST"
        )
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return Answer(response.status, _lower(response.headers), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, _lower(error.headers), error.read())

    @staticmethod
    def _backoff(attempt: int, retry_after: str | None) -> float:
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after.strip()), LONGEST_WAIT_SECONDS)
        return min(FIRST_BACKOFF_SECONDS * 2.0 ** (attempt - 1), LONGEST_WAIT_SECONDS)


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


def _gateway_message(document: Any) -> str | None:
    message = document.get("message") if isinstance(document, dict) else None
    return message if isinstance(message, str) else None


def _lower(headers: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in headers.items()}


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _code(body: bytes) -> str:
    document = _json(body)
    error = document.get("error") if isinstance(document, dict) else None
    return str(error.get("code")) if isinstance(error, dict) else "(no error code)"


def _predictions(document: Any, expected: int, contract: Contract) -> list[Prediction]:
    items = document.get("predictions") if isinstance(document, dict) else None
    if not isinstance(items, list) or len(items) != expected:
        raise BatchFailed(f"the API's answer does not hold {expected} predictions")
    codes = [model_class.code for model_class in contract.classes]
    try:
        return [_values(item, contract, codes) for item in items]
    except (TypeError, KeyError, ValueError, AttributeError):
        raise BatchFailed("the API's answer holds a malformed prediction") from None


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
