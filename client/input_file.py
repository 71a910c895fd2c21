"""The input CSV: an optional header naming the 30 features in any order, then one row a line.

Each line is checked with the API's own parser (`chalicelib.rows.row_from_text`), so that a bad
line is reported by its line number and never sent to spoil a batch.
"""

from __future__ import annotations

from typing import NamedTuple

from chalicelib.contract import load_contract
from chalicelib.errors import ApiError
from chalicelib.payload import is_header_line
from chalicelib.rows import LINE_ENDS, Row, RowReader

_WDBC = load_contract("wdbc")  # until this module reads the stage's contract
FEATURE_NAMES, FEATURE_COUNT = _WDBC.feature_names, _WDBC.feature_count
_ROWS = RowReader(_WDBC)


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


class NotUtf8(ValueError):
    """The file is not UTF-8 text; `line` is the first line that is not."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} is not UTF-8 text (save the file as UTF-8)")
        self.line = line


def decode_input(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotUtf8(data.count(b"\n", 0, error.start) + 1) from None


def read_input(text: str) -> InputFile:
    # Lines end at "\n" only, as the API's CSV reader has them: str.splitlines() would also end
    # one at a form feed, NEL or U+2028 inside it, and every later line number would be off.
    lines = text.removeprefix("\ufeff").split("\n")
    if lines and not lines[-1].strip():
        lines.pop()
    columns, has_header = FEATURE_NAMES, False
    if lines and is_header_line(lines[0]):
        columns, has_header = header_columns(lines[0]), True
    matched = [name.lower() for name in columns]
    order = [matched.index(name) for name in FEATURE_NAMES]
    rows, bad_lines = [], []
    for line_number, line in enumerate(lines, start=1):
        if (has_header and line_number == 1) or not line.strip():
            continue
        try:
            values = _ROWS.from_text(line, "row", columns)
        except ApiError as error:
            bad_lines.append(BadLine(line_number, error.message))
            continue
        fields = tuple(field.strip(LINE_ENDS) for field in line.split(","))
        rows.append(InputRow(line_number, fields, tuple(values[index] for index in order)))
    return InputFile(columns, has_header, rows, bad_lines)


def header_columns(line: str) -> tuple[str, ...]:
    """The header's names as written; matched to the features in any case, as the API does."""
    names = tuple(name.strip(LINE_ENDS) for name in line.split(","))
    matched = tuple(name.lower() for name in names)
    if len(matched) != FEATURE_COUNT or set(matched) != set(FEATURE_NAMES):
        unknown = len([name for name in matched if name not in FEATURE_NAMES])
        missing = [name for name in FEATURE_NAMES if name not in matched]
        raise HeaderError(
            f"line 1: the header must name the {FEATURE_COUNT} features once each; it has "
            f"{len(names)} names, {unknown} unknown, {len(missing)} missing"
            + (f" ({', '.join(missing[:3])}{'...' if len(missing) > 3 else ''})" if missing else "")
        )
    return names
