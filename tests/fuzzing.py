"""What the property-based fuzz tests (tests/test_fuzz_*.py) share: settings, the app, an oracle.

Settings: `make test` runs the fuzz tests with hypothesis's "ci" profile (deadline None,
derandomize True, no example database), 3,000 examples in all, each test its share. `make
fuzz-long` sets FUZZ_PROFILE=long: the "long" profile registered here, 100,000 examples in all,
randomised, so every long run explores new inputs.

The app: the real Chalice app through `chalice.test.Client`, its endpoint an in-memory twin that
records the rows it is sent and answers one prediction per row.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from chalice.test import Client
from hypothesis import HealthCheck, settings

import app as app_module
from chalicelib import access_log
from chalicelib.errors import ApiError
from chalicelib.features import FEATURE_COUNT, FEATURE_NAMES
from chalicelib.rows import MAX_MAGNITUDE
from chalicelib.service import PredictionService
from tests.endpoint_twins import AnsweringEndpoint

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROFILE_VARIABLE = "FUZZ_PROFILE"
TOTAL_EXAMPLES = {"ci": 3_000, "long": 100_000}

settings.register_profile(
    "long",
    parent=settings.get_profile("ci"),
    derandomize=False,
    max_examples=TOTAL_EXAMPLES["long"],
)


def fuzz_settings(share: float) -> settings:
    """The active fuzz profile, with this test's share of the profile's examples."""
    name = os.environ.get(PROFILE_VARIABLE, "ci")
    if name not in TOTAL_EXAMPLES:
        raise ValueError(f"{PROFILE_VARIABLE}={name!r}: choose one of {sorted(TOTAL_EXAMPLES)}")
    return settings(
        settings.get_profile(name),
        max_examples=max(1, round(TOTAL_EXAMPLES[name] * share)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _error_classes(base: type[ApiError]) -> Iterator[type[ApiError]]:
    for subclass in base.__subclasses__():
        yield subclass
        yield from _error_classes(subclass)


# Every 4xx the error catalogue documents, code -> status.
DOCUMENTED_4XX = {
    error.CODE: error.STATUS_CODE for error in _error_classes(ApiError) if error.STATUS_CODE < 500
}


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = json.loads(self.body)["error"]
        return error

    @property
    def code(self) -> str | None:
        return None if self.status == 200 else str(self.error["code"])


class FuzzedApp:
    def __init__(self, client: Client, twin: AnsweringEndpoint) -> None:
        self._client = client
        self.twin = twin

    def post(self, body: bytes, headers: dict[str, str]) -> Answer:
        """One POST; the answer is 200 or a documented 4xx, in the one error shape."""
        self.twin.calls.clear()
        response = self._client.http.post("/predictbreastcancer", headers=headers, body=body)
        answer = Answer(
            response.status_code,
            {key: str(value) for key, value in response.headers.items()},
            response.body,
        )
        request_id = answer.headers["X-Request-Id"]
        if answer.status == 200:
            (rows,) = self.twin.calls
            assert all(len(row) == FEATURE_COUNT for row in rows)
            assert all(math.isfinite(value) for row in rows for value in row)
        else:
            assert answer.status < 500, answer
            assert DOCUMENTED_4XX.get(answer.error["code"]) == answer.status, answer
            assert answer.error["request_id"] == request_id
            assert self.twin.calls == [], "a refused request never reaches the endpoint"
        return answer

    @property
    def rows(self) -> list[tuple[float, ...]]:
        """The rows the endpoint received in the last request."""
        (rows,) = self.twin.calls
        return rows


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@contextmanager
def fuzzed_app() -> Iterator[FuzzedApp]:
    """The app with the twin installed; its access lines are formatted, then discarded."""
    twin = AnsweringEndpoint(score=0.25, label=0)
    saved = app_module.predictions
    app_module.predictions = PredictionService(twin)
    log_handlers = [
        handler for handler in access_log.logger.handlers if type(handler) is logging.StreamHandler
    ]
    streams = [handler.setStream(_Discard()) for handler in log_handlers]
    try:
        with Client(app_module.app, stage_name="dev", project_dir=str(PROJECT_DIR)) as client:
            yield FuzzedApp(client, twin)
    finally:
        app_module.predictions = saved
        for handler, stream in zip(log_handlers, streams, strict=True):
            if stream is not None:
                handler.setStream(stream)


# --- The oracle: the README's rules for a row of text, written apart from chalicelib/rows.py --

PLAIN_DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_PLAIN_DECIMAL = re.compile(PLAIN_DECIMAL)


def acceptable_number(value: object) -> bool:
    """A JSON number (not a boolean) within the model's float32 range, as the README says."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return abs(float(value)) <= MAX_MAGNITUDE
    except OverflowError:  # an integer beyond even float64
        return False


def expected_row(text: str) -> tuple[float, ...] | str:
    """The 30 floats a row of text holds, or the code of the error that refuses it."""
    fields = text.strip(" \t\r\n").split(",")
    if len(fields) != FEATURE_COUNT:
        return "wrong_value_count"
    values = []
    for field in fields:
        value = field.strip(" \t")
        if not _PLAIN_DECIMAL.fullmatch(value) or not acceptable_number(float(value)):
            return "invalid_value"
        values.append(float(value))
    return tuple(values)


def expected_csv(text: str) -> list[tuple[float, ...]] | str | None:
    """The rows a text/csv body without a header holds, or the first refusal's code.

    None: the body starts with what reads as a header line, which this oracle does not model.
    """
    lines = text.split("\n")
    if not lines[-1].strip():
        lines.pop()  # the newline ending the last row
    if not text.strip():
        return "invalid_payload"
    if lines[0].split(",", 1)[0].strip(" \t\r\ufeff") in FEATURE_NAMES:
        return None
    rows = []
    for line in lines:
        row = expected_row(line)
        if isinstance(row, str):
            return row
        rows.append(row)
    return rows
