"""The error catalogue: every ApiError, grouped by HTTP status, and the routes that give each.

Codes, statuses and Retry-After values come from the classes; only the "when" sentences and the
route lists are written here, and a class missing from either stops the generator.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from http import HTTPStatus
from typing import NamedTuple

from chalicelib import errors
from chalicelib.contract import load_contract
from chalicelib.errors import ApiError
from chalicelib.limits import MAX_BODY_BYTES, MAX_ROWS

_WDBC = load_contract("wdbc")  # until this module reads the stage's contract
FEATURE_NAMES, FEATURE_COUNT = _WDBC.feature_names, _WDBC.feature_count

ErrorClass = type[ApiError]

WHEN: dict[ErrorClass, str] = {
    errors.InvalidJson: (
        "the JSON body is not UTF-8 JSON: malformed, `NaN`/`Infinity` literals, a repeated key, "
        "nesting too deep, or empty"
    ),
    errors.InvalidPayload: (
        "JSON of another shape: not an object, not exactly one of `data`, `features`, "
        "`instances`, `dataframe_split` or `dataframe_records`, an unknown key or feature name, "
        "a missing feature, `columns` that do not name the 30 features once each, an empty "
        "batch, an OIP tensor that is not one FP32 or FP64 `[N, 30]`; a CSV body that is empty, "
        "not UTF-8, or a header without rows"
    ),
    errors.WrongValueCount: (
        f"a row without exactly {FEATURE_COUNT} values (29, 31, a trailing comma, a blank line)"
    ),
    errors.InvalidValue: (
        "a value that is empty, not a plain ASCII decimal (`nan`, `inf`, `1_000`, hex, "
        "non-ASCII digits), not a JSON number, or not finite (`1e309`)"
    ),
    errors.InvalidHeader: (
        "a CSV first line without a number (so a header) that does not name the "
        f"{FEATURE_COUNT} features once each, in any case"
    ),
    errors.MethodNotAllowed: "a method the path does not take (the answer has `Allow`)",
    errors.NotAcceptable: (
        "an Accept the answer cannot be given in (`text/plain` is for single rows only)"
    ),
    errors.PayloadTooLarge: f"a body over {MAX_BODY_BYTES} bytes",
    errors.TooManyRows: f"more than {MAX_ROWS} rows in one request",
    errors.UnsupportedMediaType: (
        "a Content-Type other than `application/json` or `text/csv` (OIP: `application/json`), "
        "a `charset` other than UTF-8, a `Content-Encoding` other than `identity`"
    ),
    errors.Throttled: "SageMaker throttled the call",
    errors.InternalError: (
        "our own fault (a bug, a missing IAM permission); details only in the logs"
    ),
    errors.ModelFailed: "the model container failed (SageMaker `ModelError`)",
    errors.InvalidModelAnswer: (
        "the endpoint's answer is malformed: no JSON, wrong count, a label other than 0/1, "
        "a score outside [0, 1]"
    ),
    errors.EndpointRejectedRequest: (
        "SageMaker refused the request for another reason than a missing endpoint"
    ),
    errors.EndpointNotFound: "no endpoint of that name (yet)",
    errors.EndpointNotReady: "the endpoint is still starting",
    errors.EndpointUnavailable: (
        "SageMaker `ServiceUnavailable`, `InternalFailure`, `InternalDependencyException`"
    ),
    errors.EndpointUnreachable: "connection refused, reset or cut off",
    errors.EndpointTimeout: "no answer within the client's timeouts",
}

# Chalice checks the Content-Type of every route (JSON unless the route names others) before
# its view runs, so even the GET and OPTIONS routes refuse a body type they do not take.
ANY_ROUTE_ERRORS: tuple[ErrorClass, ...] = (errors.UnsupportedMediaType,)
MODEL_CARD_ERRORS: tuple[ErrorClass, ...] = ANY_ROUTE_ERRORS
PREDICT_ERRORS: tuple[ErrorClass, ...] = (
    # The caller's input.
    errors.InvalidJson,
    errors.InvalidPayload,
    errors.WrongValueCount,
    errors.InvalidValue,
    errors.InvalidHeader,
    errors.NotAcceptable,
    errors.PayloadTooLarge,
    errors.TooManyRows,
    errors.UnsupportedMediaType,
    # The model's answer and the platform.
    errors.Throttled,
    errors.InternalError,
    errors.ModelFailed,
    errors.InvalidModelAnswer,
    errors.EndpointRejectedRequest,
    errors.EndpointNotFound,
    errors.EndpointNotReady,
    errors.EndpointUnavailable,
    errors.EndpointUnreachable,
    errors.EndpointTimeout,
)
# OIP's infer route: the same, less the CSV header, in OIP's own `{"error": "..."}` shape.
OIP_INFER_ERRORS: tuple[ErrorClass, ...] = tuple(
    cls for cls in PREDICT_ERRORS if cls is not errors.InvalidHeader
)
# Any path answers a method it does not take this way; OpenAPI has no place for "any other
# method", so the spec keeps it as a shared response that its description points to.
OTHER_METHOD_ERRORS: tuple[ErrorClass, ...] = (errors.MethodNotAllowed,)

# What API Gateway answers itself, before the Lambda, on a route that wants an API key: its own
# `{"message": ...}` shape, without X-Request-Id. Neither `chalice local` nor `make run` does.
GATEWAY_ANSWERS: dict[int, str] = {
    403: "API Gateway: no `x-api-key`, or not a key of this stage's usage plan",
    429: "API Gateway: the usage plan throttled the key, or its daily quota is spent",
}


# RFC 9110's phrase, which Python 3.13 took up and 3.11 does not have: one spec on every Python.
RFC_9110_PHRASES = {413: "Content Too Large"}


class ErrorStatus(NamedTuple):
    """One HTTP status and the error classes that answer with it, in catalogue order."""

    status: int
    classes: tuple[ErrorClass, ...]

    @property
    def name(self) -> str:
        """`BadRequest`, `ServiceUnavailable`: the component name of the shared response."""
        phrase = RFC_9110_PHRASES.get(self.status) or HTTPStatus(self.status).phrase
        return phrase.title().replace(" ", "").replace("-", "")

    @property
    def retry_after_values(self) -> list[int]:
        return sorted({c.RETRY_AFTER for c in self.classes if c.RETRY_AFTER is not None})

    @property
    def retry_after_always(self) -> bool:
        return all(c.RETRY_AFTER is not None for c in self.classes)


def error_classes() -> list[ErrorClass]:
    """Every concrete ApiError in chalicelib.errors, in the order the module defines them."""
    found = [
        value
        for _, value in inspect.getmembers(errors, inspect.isclass)
        if issubclass(value, ApiError) and value is not ApiError
    ]
    found.sort(key=lambda cls: inspect.getsourcelines(cls)[1])
    undescribed = [cls.__name__ for cls in found if cls not in WHEN]
    if undescribed:
        raise LookupError(f"apispec.catalogue.WHEN has no sentence for {', '.join(undescribed)}")
    routed = {*PREDICT_ERRORS, *MODEL_CARD_ERRORS, *ANY_ROUTE_ERRORS, *OTHER_METHOD_ERRORS}
    unrouted = [cls.__name__ for cls in found if cls not in routed]
    if unrouted:
        raise LookupError(f"apispec.catalogue names no route for {', '.join(unrouted)}")
    return found


def by_status(classes: Iterable[ErrorClass]) -> list[ErrorStatus]:
    """The classes grouped by status, statuses ascending, classes in the given order."""
    groups: dict[int, list[ErrorClass]] = {}
    for cls in classes:
        groups.setdefault(cls.STATUS_CODE, []).append(cls)
    return [ErrorStatus(status, tuple(groups[status])) for status in sorted(groups)]
