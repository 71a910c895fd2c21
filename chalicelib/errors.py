"""Every failure the API answers with, as a small class carrying its status and stable code.

Three families, as the SageMaker containers classify them: the caller's input (4xx), the
model's answer (502), the platform (503/504). Messages name fields, never their values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

# Seconds a client should wait before trying again, where waiting helps.
RETRY_SOON = 1
RETRY_LATER = 5


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
    STATUS_CODE = 400
    CODE = "invalid_json"


class InvalidPayload(ApiError):
    """The body is JSON, but not of the shape the route takes."""

    STATUS_CODE = 400
    CODE = "invalid_payload"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, {"field": field})


class WrongValueCount(ApiError):
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
    """One of a row's values is unusable; `position` counts from 1, as people do."""

    STATUS_CODE = 400
    CODE = "invalid_value"

    def __init__(self, position: int, reason: str, field: str, feature: str, count: int) -> None:
        super().__init__(
            f"value {position} of {count} ({feature}) {reason}",
            {"field": field, "position": position, "feature": feature},
        )


class InvalidHeader(ApiError):
    """A CSV header line that does not name the model's features once each."""

    STATUS_CODE = 400
    CODE = "invalid_header"


class TooManyRows(ApiError):
    STATUS_CODE = 413
    CODE = "too_many_rows"


class PayloadTooLarge(ApiError):
    STATUS_CODE = 413
    CODE = "payload_too_large"


class NotAcceptable(ApiError):
    STATUS_CODE = 406
    CODE = "not_acceptable"


class UnsupportedMediaType(ApiError):
    STATUS_CODE = 415
    CODE = "unsupported_media_type"


class MethodNotAllowed(ApiError):
    STATUS_CODE = 405
    CODE = "method_not_allowed"


# --- The model's answer -------------------------------------------------------------------


class ModelFailed(ApiError):
    """The model container answered the invocation with an error of its own."""

    STATUS_CODE = 502
    CODE = "model_error"


class InvalidModelAnswer(ApiError):
    """The endpoint answered, but with something this API will not pass on."""

    STATUS_CODE = 502
    CODE = "invalid_model_answer"


class EndpointRejectedRequest(ApiError):
    STATUS_CODE = 502
    CODE = "endpoint_rejected_request"


# --- The platform -------------------------------------------------------------------------


class EndpointNotFound(ApiError):
    STATUS_CODE = 503
    CODE = "endpoint_not_found"


class EndpointNotReady(ApiError):
    STATUS_CODE = 503
    CODE = "endpoint_not_ready"
    RETRY_AFTER = RETRY_LATER


class EndpointUnavailable(ApiError):
    STATUS_CODE = 503
    CODE = "endpoint_unavailable"
    RETRY_AFTER = RETRY_SOON


class EndpointUnreachable(ApiError):
    STATUS_CODE = 503
    CODE = "endpoint_unreachable"
    RETRY_AFTER = RETRY_SOON


class Throttled(ApiError):
    STATUS_CODE = 429
    CODE = "throttled"
    RETRY_AFTER = RETRY_SOON


class EndpointTimeout(ApiError):
    STATUS_CODE = 504
    CODE = "endpoint_timeout"


class InternalError(ApiError):
    """Our own fault (a bug, missing permissions): a generic answer, details only in logs."""

    STATUS_CODE = 500
    CODE = "internal_error"


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed; raised at start-up, never per request."""
