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
import random
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

from chalice.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from chalicelib import access_log
from chalicelib.application import create_app
from chalicelib.settings import Settings
from tests.support.apps import ENDPOINT_NAME
from tests.support.endpoint_twins import AnsweringEndpoint

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROFILE_VARIABLE = "FUZZ_PROFILE"
# check: `make check`, the tier run while editing; ci: the full gate; long: `make fuzz-long`.
TOTAL_EXAMPLES = {"check": 300, "ci": 3_000, "long": 100_000}

settings.register_profile(
    "long",
    parent=settings.get_profile("ci"),
    derandomize=False,
    max_examples=TOTAL_EXAMPLES["long"],
)


def fuzz_settings(share: float) -> settings:
    """The active fuzz profile, with this test's share of the profile's examples."""
    name = os.environ.get(PROFILE_VARIABLE, "ci")
    profile = "long" if name == "long" else "ci"
    if name not in TOTAL_EXAMPLES:
        raise ValueError(f"{PROFILE_VARIABLE}={name!r}: choose one of {sorted(TOTAL_EXAMPLES)}")
    return settings(
        settings.get_profile(profile),
        max_examples=max(1, round(TOTAL_EXAMPLES[name] * share)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def examples(ci: int) -> settings:
    """A property test's settings: `ci` examples in `make test`, in proportion in the others."""
    return fuzz_settings(ci / TOTAL_EXAMPLES["ci"])


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
            assert all(len(row) == VALUES_PER_ROW for row in rows)
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
    app = create_app(Settings(ENDPOINT_NAME, "wdbc"), twin)
    log_handlers = [
        handler for handler in access_log.logger.handlers if type(handler) is logging.StreamHandler
    ]
    streams = [handler.setStream(_Discard()) for handler in log_handlers]
    try:
        with Client(app, stage_name="dev", project_dir=str(PROJECT_DIR)) as client:
            yield FuzzedApp(client, twin)
    finally:
        for handler, stream in zip(log_handlers, streams, strict=True):
            if stream is not None:
                handler.setStream(stream)


# --- The oracle: the docs' contract for a row, decided without chalicelib -----------------
#
# docs/api.md, "Request forms": 30 values a row, in WDBC order; values are plain decimals and
# finite; `{"data": "..."}` holds them comma-separated, blanks around values and blanks and line
# ends around the row ignored; text/csv holds one row per line, optionally after a header naming the
# features. The error table: a row without exactly 30 values is `wrong_value_count`; a value that is
# empty, not a plain ASCII decimal, not a JSON number, not finite, or beyond the model's float32
# range is `invalid_value`. Nothing here is taken from chalicelib: the grammar is read character by
# character and values are computed exactly (fractions), where chalicelib uses a regular expression
# and float().

# WDBC's documentation (wdbc.names): ten features of each cell nucleus, each given as its mean,
# standard error and worst (largest) value: 30, in this order.
WDBC_FEATURES = (
    "radius_mean", "texture_mean", "perimeter_mean", "area_mean", "smoothness_mean",
    "compactness_mean", "concavity_mean", "concave_points_mean", "symmetry_mean",
    "fractal_dimension_mean",
    "radius_se", "texture_se", "perimeter_se", "area_se", "smoothness_se",
    "compactness_se", "concavity_se", "concave_points_se", "symmetry_se",
    "fractal_dimension_se",
    "radius_worst", "texture_worst", "perimeter_worst", "area_worst", "smoothness_worst",
    "compactness_worst", "concavity_worst", "concave_points_worst", "symmetry_worst",
    "fractal_dimension_worst",
)  # fmt: skip
VALUES_PER_ROW = 30
# The largest finite IEEE 754 binary32 number, (2 - 2**-23) * 2**127, exactly.
FLOAT32_MAX = float(2**128 - 2**104)
# The README's 4xx table, code -> status.
DOCUMENTED_4XX = {
    "invalid_json": 400,
    "invalid_payload": 400,
    "wrong_value_count": 400,
    "invalid_value": 400,
    "invalid_header": 400,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "payload_too_large": 413,
    "too_many_rows": 413,
    "unsupported_media_type": 415,
    "throttled": 429,
}

_DIGITS = frozenset("0123456789")
_SIGNS = ("+", "-")
_BLANKS = " \t"
_LINE_ENDS = "\r\n"

Row = tuple[float, ...]


class Refusal(NamedTuple):
    """The error the README gives a row or body: its code, and where (both from 1)."""

    code: str
    position: int | None = None  # the value's, for invalid_value
    row: int | None = None  # the CSV line's


def _unsigned(text: str) -> tuple[int, str]:
    if text[:1] in _SIGNS:
        return (-1 if text[0] == "-" else 1), text[1:]
    return 1, text


def _all_digits(text: str) -> bool:
    return set(text) <= _DIGITS


def plain_decimal(text: str) -> tuple[int, int] | None:
    """A plain ASCII decimal as (significand, exponent): its exact value is s * 10**e.

    Plain: an optional sign; digits with at most one point, at least one digit; then optionally
    e or E, an optional sign and digits. None for anything else.
    """
    sign, unsigned = _unsigned(text)
    mantissa, marker, exponent_text = unsigned.replace("E", "e").partition("e")
    whole, _, fraction = mantissa.partition(".")
    if not (whole or fraction) or not _all_digits(whole + fraction):
        return None
    exponent = 0
    if marker:
        exponent_sign, exponent_digits = _unsigned(exponent_text)
        if not exponent_digits or not _all_digits(exponent_digits):
            return None
        exponent = exponent_sign * int(exponent_digits)
    return sign * int(whole + fraction), exponent - len(fraction)


def nearest_double(significand: int, exponent: int) -> float | None:
    """The double nearest significand * 10**exponent (what a JSON or CSV reader makes of it), or
    None where that double is beyond float32's range (the model's, so the API refuses it)."""
    if significand == 0:
        return 0.0
    magnitude = len(str(abs(significand))) - 1 + exponent  # the value is about 10**magnitude
    if magnitude >= 39:  # 1e39 and up: past 3.4e38, and no need to build a huge fraction
        return None
    if magnitude < -400:  # far below half the smallest double (2.5e-324): it reads as zero
        return 0.0
    nearest = float(Fraction(significand) * Fraction(10) ** exponent)  # correctly rounded
    return nearest if abs(nearest) <= FLOAT32_MAX else None


def acceptable_number(value: object) -> bool:
    """A JSON number (not a boolean) whose double is within float32's range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= FLOAT32_MAX
    return nearest_double(value, 0) is not None


def _value(text: str) -> float | None:
    parts = plain_decimal(text)
    return None if parts is None else nearest_double(*parts)


def expected_row(text: str) -> Row | Refusal:
    """The 30 doubles a row of text holds, or the README's refusal of it."""
    fields = text.split(",")
    if len(fields) != VALUES_PER_ROW:
        return Refusal("wrong_value_count")
    # Blanks around each value; line ends too before the first and after the last.
    fields[0] = fields[0].lstrip(_BLANKS + _LINE_ENDS)
    fields[-1] = fields[-1].rstrip(_BLANKS + _LINE_ENDS)
    values = []
    for position, field in enumerate(fields, start=1):
        value = _value(field.strip(_BLANKS))
        if value is None:
            return Refusal("invalid_value", position)
        values.append(value)
    return tuple(values)


def _is_header(line: str) -> bool:
    """The README's rule: a first line without a number (and not blank) is a header."""
    fields = [field.strip(_BLANKS + _LINE_ENDS) for field in line.split(",")]
    return any(fields) and not any(plain_decimal(field) for field in fields)


def expected_csv(text: str) -> list[Row] | Refusal | None:
    """The rows a text/csv body holds, or the README's refusal of its first bad line.

    A byte-order mark may open the body; blank lines at its end are no rows. None where the
    docs' rows are not what this oracle checks: a header (a first line without a number;
    tests/unit/test_payload.py has those), a last line of whitespace other than blanks and line
    ends, a body only of such whitespace.
    """
    lines = text.removeprefix("\ufeff").split("\n")
    while len(lines) > 1 and not lines[-1].strip(_BLANKS + _LINE_ENDS):
        lines.pop()  # the newline that ends the last row, and blank lines after it
    body = "\n".join(lines)
    if not body.strip(_BLANKS + _LINE_ENDS):
        return Refusal("invalid_payload")  # an empty body
    if body.isspace() or lines[-1].isspace():
        return None
    if _is_header(lines[0]):
        return None
    rows = []
    for number, line in enumerate(lines, start=1):
        row = expected_row(line)
        if isinstance(row, Refusal):
            return row._replace(row=number)
        rows.append(row)
    return rows


# --- Values as people and programs write them, made without chalicelib's pattern -------------


def decimal_text(rng: random.Random) -> str:
    """A plain decimal as people and programs write them; a few beyond the float32 range."""
    kind = rng.randrange(6)
    sign = rng.choice(["", "", "", "+", "-"])
    if kind == 0:
        text = repr(rng.uniform(-1000.0, 1000.0))
    elif kind == 1:  # any magnitude, subnormals included
        exponent = rng.randint(-330, 307 if rng.random() < 0.02 else 38)
        text = repr(rng.choice([-1.0, 1.0]) * rng.random() * 10.0**exponent)
    elif kind == 2:
        text = sign + str(rng.randint(0, 10 ** rng.randint(1, 20)))
    elif kind == 3:  # 007.5, 5., .5
        whole = "0" * rng.randint(0, 3) + str(rng.randint(0, 999))
        fraction = str(rng.randint(0, 10**6))
        text = sign + rng.choice([f"{whole}.{fraction}", f"{whole}.", f".{fraction}"])
    elif kind == 4:  # 1.5E+07, 2e-0400
        exponent = rng.randint(0, 420 if rng.random() < 0.02 else 37)
        mantissa = rng.choice(["1", "2.5", ".5", "9.", "0", "123"])
        marker = rng.choice("eE") + rng.choice(["", "+", "-"]) + "0" * rng.randint(0, 2)
        text = sign + mantissa + marker + str(exponent)
    else:  # long digit strings: 39 digits are within float32's range, 40 are not
        width = rng.randint(1, 320 if rng.random() < 0.02 else 39)
        digits = rng.choice(["1" * width, "0." + "0" * rng.randint(0, 400) + "1"])
        text = sign + digits
    if rng.random() < 0.15:
        text = rng.choice([" ", "\t", "  "]) + text + rng.choice(["", " ", "\t"])
    return text


# Drawing 30 values one by one costs hypothesis milliseconds (st.from_regex of a decimal, two
# per value); a pooled row costs one draw, and the pool holds what that regex would write.
_RNG = random.Random(20240606)
# The edge of the float32 range, as people write it: 3.4028235e38 (float32's own repr) is past it.
EDGES = ["3.4028234663852886e38", "-3.4028234663852886e+38", "3.4028235e38", "3.5e38", "1e38"]
VALUE_POOL = [decimal_text(_RNG) for _ in range(20_000)] + EDGES
ROW_POOL = [[decimal_text(_RNG) for _ in range(VALUES_PER_ROW)] for _ in range(3_000)]
FINITE_VALUE_POOL = [value for value in VALUE_POOL if acceptable_number(float(value))]

decimals = st.one_of(
    st.integers(0, len(VALUE_POOL) - 1).map(VALUE_POOL.__getitem__),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),  # 1e-05, -0.0, 1.79...e+308
)
not_decimals = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "nan",
            "NaN",
            "inf",
            "-Infinity",
            "1_000",
            "0x1A",
            "1e",
            "e5",
            ".",
            "+",
            "-",
            "1.2.3",
            "1 2",
            "\u00a01",
            "\u0661\u0662",  # Arabic-Indic digits: float() takes them
            "\uff11",  # a fullwidth 1: float() takes it too
            "1e309",
            "-1e400",
            "1\r",
            "1\n",
            "'1'",
            "1\x00",
        ]
    ),
    st.text(max_size=6),
)


# Values as a CSV writer or a JSON encoder writes them: an optional "-", digits, optionally a
# point and digits, optionally an exponent; within the float32 range (a row the API reads).
_points = st.builds(
    "{}{}.{}".format, st.sampled_from(["", "-"]), st.integers(0, 9999), st.integers(0, 9999)
)
_written_values = st.one_of(
    st.floats(min_value=-FLOAT32_MAX, max_value=FLOAT32_MAX).map(repr),  # 1e-05, -0.0, 3e+38
    st.integers(-(10**15), 10**15).map(str),
    _points,
    st.builds("{}{}{}".format, _points, st.sampled_from("eE"), st.integers(-30, 30)),
)
written_rows = st.lists(_written_values, min_size=VALUES_PER_ROW, max_size=VALUES_PER_ROW)
# Spellings float() reads that a CSV writer never writes: a sign "+", a bare point, blanks.
OTHER_SPELLINGS = ("+1", ".5", "5.", "-.5", "1.e5", " 1", "2 ", "\t3")
