"""Every parser's cost grows with a body's size, never faster (docs/internals/servers.md).

Each hostile body of benchmarks/cost.py, and bodies hypothesis builds by repeating a short piece
of text, are read at two sizes four times apart: the larger may cost less than eight times the
smaller (in proportion it costs about four times, with the square of its size sixteen). A ratio
within one run, never a wall-clock bound; each cost is the fastest of a few reads, since other
work on the machine only ever adds time. Small sizes, so that a regression fails in minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.cost import FORMS, Build, Form, Read, reader
from benchmarks.overall import quiet_access_log
from chalicelib.errors import ApiError
from standin.inference import ContainerError
from standin.model import LinearLearner
from tests.support.fuzzing import fuzz_settings
from tests.support.rows import EXAMPLE_ROW, FEATURE_NAMES, parse_payload
from tests.support.standin_harness import make_artifact

SMALL = 8 * 1024
GROWTH = 4
MOST = 8.0  # times the cost of a body a quarter the size
CONTAINER = LinearLearner(make_artifact())


def growth(read: Read, build: Build) -> float:
    small, large = build(SMALL), build(SMALL * GROWTH)
    return fastest(read, large) / fastest(read, small)


def fastest(read: Read, body: bytes) -> float:
    """Of five reads, or of those a second allows: a body that costs more needs no second look."""
    timings: list[float] = []
    while len(timings) < 5 and sum(timings) < 1.0:
        started = time.perf_counter()
        read(body)
        timings.append(time.perf_counter() - started)
    return min(timings)


@pytest.mark.parametrize(
    ("form", "shape"),
    [(form, shape) for form in FORMS for shape in form.hostile],
    ids=lambda value: value.name if isinstance(value, Form) else value,
)
def test_each_hostile_body_costs_in_proportion_to_its_size(form: Form, shape: str) -> None:
    with quiet_access_log():
        assert growth(reader(form), form.hostile[shape]) < MOST


def refused(read: Callable[[bytes], object], *errors: type[Exception]) -> Read:
    def read_or_refuse(body: bytes) -> object:
        try:
            return read(body)
        except errors as error:
            return error

    return read_or_refuse


READERS = {
    "API text/csv": refused(lambda body: parse_payload(body, "text/csv"), ApiError),
    'API {"data": "<csv>"}': refused(
        lambda body: parse_payload(b'{"data": "' + body + b'"}', "application/json"), ApiError
    ),
    "stand-in text/csv": refused(
        lambda body: CONTAINER.invoke(body, "text/csv", None), ContainerError
    ),
}
CSV_TEXT = "0123456789.,eE+-x_ \t\n"


@fuzz_settings(share=0.01)
@given(piece=st.text(alphabet=CSV_TEXT, min_size=1, max_size=12), after=st.sampled_from(["", "x"]))
def test_csv_text_of_a_piece_repeated_costs_in_proportion(piece: str, after: str) -> None:
    """Whatever the piece, and a letter at the end or not (a pattern that backtracks fails late)."""
    for name, read in READERS.items():
        ratio = growth(read, lambda size: (piece * (size // len(piece)) + after).encode())
        assert ratio < MOST, name


@fuzz_settings(share=0.01)
@given(
    names=st.lists(
        st.sampled_from(FEATURE_NAMES) | st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
        min_size=1,
        max_size=5,
    )
)
def test_a_header_or_columns_of_names_repeated_cost_in_proportion(names: list[str]) -> None:
    piece = ",".join(names) + ","

    def header(size: int) -> bytes:
        return (piece * (size // len(piece)) + "x\n" + EXAMPLE_ROW + "\n").encode()

    def columns(size: int) -> bytes:
        listed = ", ".join(f'"{name}"' for name in names) + ", "
        split = '{"dataframe_split": {"columns": [' + listed * (size // len(listed))
        return (split + f'"x"], "data": [[{EXAMPLE_ROW}]]}}}}').encode()

    assert growth(READERS["API text/csv"], header) < MOST
    assert growth(refused(lambda body: parse_payload(body, None), ApiError), columns) < MOST
