"""The input CSV: an optional header naming the 30 features in any order, then one row a line.

Each line is checked with the API's own parser (`chalicelib.rows.row_from_text`), so that a bad
line is reported by its line number and never sent to spoil a batch.
"""

from __future__ import annotations

from typing import NamedTuple

from chalicelib.errors import ApiError
from chalicelib.features import FEATURE_COUNT, FEATURE_NAMES
from chalicelib.rows import Row, row_from_text


class InputRow(NamedTuple):
    line: int  # in the input file, from 1
    fields: tuple[str, ...]  # as written, in the file's column order
    values: Row  # in WDBC order


class BadLine(NamedTuple):
    line: int
    message: str  # never repeats a value


class InputFile(NamedTuple):
    columns: tuple[str, ...]  # the header's names, or the WDBC order when there is none
    has_header: bool
    rows: list[InputRow]
    bad_lines: list[BadLine]


class HeaderError(ValueError):
    """A header line that does not name the 30 features once each: nothing can be read."""


def read_input(text: str) -> InputFile:
    lines = text.removeprefix("\ufeff").splitlines()
    columns, has_header = FEATURE_NAMES, False
    if lines and lines[0].split(",", 1)[0].strip() in FEATURE_NAMES:
        columns, has_header = header_columns(lines[0]), True
    order = [columns.index(name) for name in FEATURE_NAMES]
    rows, bad_lines = [], []
    for line_number, line in enumerate(lines, start=1):
        if (has_header and line_number == 1) or not line.strip():
            continue
        try:
            values = row_from_text(line, "row", columns)
        except ApiError as error:
            bad_lines.append(BadLine(line_number, error.message))
            continue
        fields = tuple(field.strip() for field in line.split(","))
        rows.append(InputRow(line_number, fields, tuple(values[index] for index in order)))
    return InputFile(columns, has_header, rows, bad_lines)


def header_columns(line: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in line.split(","))
    if len(names) != FEATURE_COUNT or set(names) != set(FEATURE_NAMES):
        unknown = len([name for name in names if name not in FEATURE_NAMES])
        missing = [name for name in FEATURE_NAMES if name not in names]
        raise HeaderError(
            f"line 1: the header must name the {FEATURE_COUNT} features once each; it has "
            f"{len(names)} names, {unknown} unknown, {len(missing)} missing"
            + (f" ({', '.join(missing[:3])}{'...' if len(missing) > 3 else ''})" if missing else "")
        )
    return names
