"""One JSON line per request, and nothing a patient sent or the model said about them.

Fields are fixed here: request id, method, route, status, error code, row count, latency; a
method or route the caller made up is logged as a fixed word.
Bodies, feature values and scores have no field to go into.
"""

from __future__ import annotations

import http
import json
import logging
import sys
import traceback

LOGGER_NAME = "model_api"
# RFC 9110's methods: any other is the caller's own word, logged as "other".
METHODS = frozenset(http.HTTPMethod.__members__)

logger = logging.getLogger(LOGGER_NAME)

# At DEBUG these log whole requests and responses (botocore.endpoint the CSV rows sent,
# botocore.parsers the scores received): held at INFO even when the Lambda's log level is DEBUG.
SDK_LOGGERS = ("boto3", "botocore", "urllib3")


def configure() -> None:
    """Our own stdout handler: Lambda sends stdout to CloudWatch; app.log only logs errors."""
    if not any(getattr(handler, "_access_log", False) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._access_log = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


def log_request(
    *,
    request_id: str,
    method: str,
    route: str,
    status: int,
    error_code: str | None,
    rows: int,
    latency_ms: float,
) -> None:
    logger.info(
        json.dumps(
            {
                "event": "request",
                "request_id": request_id,
                "method": method if method in METHODS else "other",
                "route": route,
                "status": status,
                "error_code": error_code,
                "rows": rows,
                "latency_ms": round(latency_ms, 3),
            }
        )
    )


def log_unexpected(error: BaseException, request_id: str) -> None:
    """The exception's class and where it was raised; never its message, which may hold values."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else "?"
    logger.error(
        json.dumps(
            {
                "event": "unhandled_exception",
                "request_id": request_id,
                "exception": type(error).__name__,
                "where": where,
            }
        )
    )
