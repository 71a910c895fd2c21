"""Every failure the API answers with, as a small class carrying its status and stable code.

Three families, as the SageMaker containers classify them: the caller's input (4xx), the
model's answer (502), the platform (503/504). Messages name fields, never their values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import islice
from typing import Any, ClassVar

# Seconds a client should wait before trying again, where waiting helps.
RETRY_SOON = 1
RETRY_LATER = 5

# How much one request may carry: API Gateway allows 10 MB, a patient row is ~300 bytes.
MAX_BODY_BYTES = 1024 * 1024
MAX_ROWS = 1000

# What of a caller's key names a message may repeat: names, never numbers or text. A key can
# carry a measurement (`{"13.49": ...}`) or an identifier (`{"_134977777": ...}`, a record
# number) as easily as a value can, so only keys of letters and underscores are quoted back;
# any other, and any key holding a digit, is only counted.
_ECHOABLE = re.compile(r"[A-Za-z_]{1,40}")
# A media type is repeated only as letters, `.`, `+` and `-` (application/x-www-form-urlencoded):
# no digit, so no value and no record number, whatever a caller puts in Content-Type.
_ECHOABLE_MEDIA_TYPE = re.compile(r"[a-z]{1,20}/[a-z][a-z.+-]{0,60}")


def echoable_media_type(media_type: str) -> str | None:
    """`media_type`, lower-cased, where it may be repeated; else None."""
    lowered = media_type.lower()
    return lowered if _ECHOABLE_MEDIA_TYPE.fullmatch(lowered) else None


def echoable(name: str) -> bool:
    return _ECHOABLE.fullmatch(name) is not None


def quote_names(names: Sequence[str], shown: int = 3) -> str:
    """`'colour', 'size' and 2 more`; `1 other name` when none may be repeated."""
    quoted = list(islice((repr(name) for name in names if echoable(name)), shown))
    rest = len(names) - len(quoted)
    if not quoted:
        return f"{rest} other name{'s' if rest != 1 else ''}"
    return ", ".join(quoted) + (f" and {rest} more" if rest else "")


def check_body_size(body: bytes) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")


def check_row_count(count: int) -> None:
    if count > MAX_ROWS:
        raise TooManyRows(f"a request may hold at most {MAX_ROWS} rows; it holds {count}")


class ApiError(Exception):
    STATUS_CODE: ClassVar[int] = 500
    CODE: ClassVar[str] = "internal_error"
    RETRY_AFTER: ClassVar[int | None] = None

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: Mapping[str, Any] = details or {}
        self.rows = 0  # the rows a request held when it failed, for the access log

    def in_row(self, row: int) -> ApiError:
        """The same error, located in row `row` (from 1) of a batch."""
        located = type(self).__new__(type(self))
        ApiError.__init__(located, f"row {row}: {self.message}", {"row": row, **self.details})
        return located

    @property
    def headers(self) -> dict[str, str]:
        if self.RETRY_AFTER is None:
            return {}
        return {"Retry-After": str(self.RETRY_AFTER)}


# --- The caller's input -------------------------------------------------------------------


class InvalidJson(ApiError):
    """The JSON body is not UTF-8 JSON: malformed, `NaN`/`Infinity` literals, a repeated key,
    nesting too deep, or empty.
    """

    STATUS_CODE = 400
    CODE = "invalid_json"


class InvalidPayload(ApiError):
    """JSON of another shape than the route takes: not an object, not exactly one of `data`,
    `features`, `instances`, `dataframe_split` or `dataframe_records`, an unknown key or feature
    name, a missing feature, `columns` that do not name the features once each, an empty batch,
    an OIP tensor that is not one FP32 or FP64 `[N, features]`; a CSV body that is empty, not
    UTF-8, or a header without rows.
    """

    STATUS_CODE = 400
    CODE = "invalid_payload"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, {"field": field})


class WrongValueCount(ApiError):
    """A row without exactly one value per feature (one short, one too many, a trailing comma, a
    blank line).
    """

    STATUS_CODE = 400
    CODE = "wrong_value_count"

    def __init__(
        self,
        found: int,
        names: Sequence[str],
        field: str = "data",
        what: str = "comma-separated numbers",
        hint: str = "",
    ) -> None:
        span = names[0] if len(names) == 1 else f"{names[0]} ... {names[-1]}"
        super().__init__(
            f"{field} must hold {len(names)} {what} ({span}); it holds {found}{hint}",
            {"field": field, "expected": len(names), "found": found},
        )


class InvalidValue(ApiError):
    """A value that is empty, not a plain ASCII decimal (`nan`, `inf`, `1_000`, hex, non-ASCII
    digits), not a JSON number, not finite (`1e309`), or beyond a limit the contract sets;
    `position` counts from 1, as people do.
    """

    STATUS_CODE = 400
    CODE = "invalid_value"

    def __init__(self, position: int, reason: str, field: str, feature: str, count: int) -> None:
        super().__init__(
            f"value {position} of {count} ({feature}) {reason}",
            {"field": field, "position": position, "feature": feature},
        )


class InvalidHeader(ApiError):
    """A CSV first line without a number (so a header) that does not name the features once
    each, in any case.
    """

    STATUS_CODE = 400
    CODE = "invalid_header"


class TooManyRows(ApiError):
    """More rows in one request than the API takes."""

    STATUS_CODE = 413
    CODE = "too_many_rows"


class PayloadTooLarge(ApiError):
    """A body larger than the API takes."""

    STATUS_CODE = 413
    CODE = "payload_too_large"


class NotAcceptable(ApiError):
    """An Accept the answer cannot be given in (`text/plain` is for single rows only)."""

    STATUS_CODE = 406
    CODE = "not_acceptable"


class UnsupportedMediaType(ApiError):
    """A Content-Type the route does not take, a `charset` other than UTF-8, or a
    `Content-Encoding` other than `identity`.
    """

    STATUS_CODE = 415
    CODE = "unsupported_media_type"


class NotFound(ApiError):
    """A path the API does not have; on AWS also a method its path does not take (API Gateway
    answers both itself, in this shape, without `X-Request-Id`).
    """

    STATUS_CODE = 404
    CODE = "not_found"


class MethodNotAllowed(ApiError):
    """A method the path does not take (the answer has `Allow`)."""

    STATUS_CODE = 405
    CODE = "method_not_allowed"


# --- The model's answer -------------------------------------------------------------------


class ModelFailed(ApiError):
    """The model container answered the invocation with an error of its own (SageMaker
    `ModelError`).
    """

    STATUS_CODE = 502
    CODE = "model_error"


class InvalidModelAnswer(ApiError):
    """The endpoint answered, but with something this API will not pass on: another media type,
    not its format, a wrong count, a label the contract does not declare, a probability outside
    [0, 1].
    """

    STATUS_CODE = 502
    CODE = "invalid_model_answer"


class EndpointRejectedRequest(ApiError):
    """SageMaker refused the request for another reason than a missing endpoint."""

    STATUS_CODE = 502
    CODE = "endpoint_rejected_request"


# --- The platform -------------------------------------------------------------------------


class EndpointNotFound(ApiError):
    """No endpoint of that name (yet)."""

    STATUS_CODE = 503
    CODE = "endpoint_not_found"


class EndpointNotReady(ApiError):
    """The endpoint is still starting."""

    STATUS_CODE = 503
    CODE = "endpoint_not_ready"
    RETRY_AFTER = RETRY_LATER


class EndpointUnavailable(ApiError):
    """SageMaker `ServiceUnavailable`, `InternalFailure` or `InternalDependencyException`."""

    STATUS_CODE = 503
    CODE = "endpoint_unavailable"
    RETRY_AFTER = RETRY_SOON


class EndpointUnreachable(ApiError):
    """The connection to the endpoint was refused, reset or cut off."""

    STATUS_CODE = 503
    CODE = "endpoint_unreachable"
    RETRY_AFTER = RETRY_SOON


class Throttled(ApiError):
    """SageMaker throttled the call."""

    STATUS_CODE = 429
    CODE = "throttled"
    RETRY_AFTER = RETRY_SOON


class EndpointTimeout(ApiError):
    """No answer within the client's timeouts."""

    STATUS_CODE = 504
    CODE = "endpoint_timeout"


class InternalError(ApiError):
    """Our own fault (a bug, a missing permission): a generic answer, details only in logs."""

    STATUS_CODE = 500
    CODE = "internal_error"


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed; raised at start-up, never per request."""
