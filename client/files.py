"""The client's two files: the input CSV it reads and the output CSV it writes.

The input: an optional header naming the model's features in any order, then one row a line.
Each line is checked with the API's own row reader (`chalicelib.rows`), built from the API's own
contract, so that a bad line is reported by its line number and never sent to spoil a batch.

The output: a line per input line, in the input's order: its line number, its fields, then the
answer's columns (`client.api.answer_columns`) where it was scored, or the error's code and
message where it was not.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import IO, NamedTuple

from chalicelib.contract import Contract
from chalicelib.errors import ApiError
from chalicelib.payload import is_header_line
from chalicelib.rows import LINE_ENDS, Row, RowReader


class InputRow(NamedTuple):
    line: int  # in the input file, from 1
    fields: tuple[str, ...]  # as written, in the file's column order
    values: Row  # in the contract's order


class Failed(NamedTuple):
    """A line that was not scored: why, by the API's error code or the client's."""

    line: int
    code: str
    message: str  # never repeats a value
    row: InputRow | None = None  # where the line was read


class Scored(NamedTuple):
    row: InputRow
    prediction: tuple[str, ...]


class InputFile(NamedTuple):
    columns: tuple[str, ...]  # the header's names, or the contract's order when there is none
    has_header: bool
    rows: list[InputRow]
    failed: list[Failed]


class HeaderError(ValueError):
    """A header line that does not name the model's features once each: nothing can be read."""


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


def read_input(text: str, contract: Contract) -> InputFile:
    # Lines end at "\n" only, as the API's CSV reader has them: str.splitlines() would also end
    # one at a form feed, NEL or U+2028 inside it, and every later line number would be off.
    lines = text.removeprefix("\ufeff").split("\n")
    if lines and not lines[-1].strip():
        lines.pop()
    names = contract.feature_names
    columns, has_header = names, False
    if lines and is_header_line(lines[0]):
        columns, has_header = header_columns(lines[0], contract), True
    # The header's names as the contract spells them, and the way from its order to the
    # contract's: the reader checks each value against its feature's limits and names it.
    spelled = {name.lower(): name for name in names}
    named = tuple(spelled[column.lower()] for column in columns)
    order = None if named == names else itemgetter(*map(named.index, names))
    reader = RowReader(contract)
    rows, failed = [], []
    for line_number, line in enumerate(lines, start=1):
        if (has_header and line_number == 1) or not line.strip():
            continue
        try:
            values = reader.from_text(line, "row", named, order)
        except ApiError as error:
            failed.append(Failed(line_number, error.CODE, error.message))
            continue
        fields = tuple(field.strip(LINE_ENDS) for field in line.split(","))
        rows.append(InputRow(line_number, fields, values))
    return InputFile(columns, has_header, rows, failed)


def header_columns(line: str, contract: Contract) -> tuple[str, ...]:
    """The header's names as written; matched to the features in any case, as the API does."""
    names = tuple(name.strip(LINE_ENDS) for name in line.split(","))
    matched = tuple(name.lower() for name in names)
    known = [name.lower() for name in contract.feature_names]
    if len(matched) != len(known) or set(matched) != set(known):
        unknown = len([name for name in matched if name not in known])
        missing = [name for name in contract.feature_names if name.lower() not in matched]
        raise HeaderError(
            f"line 1: the header must name the {len(known)} features once each; it has "
            f"{len(names)} names, {unknown} unknown, {len(missing)} missing"
            + (f" ({', '.join(missing[:3])}{'...' if len(missing) > 3 else ''})" if missing else "")
        )
    return names


class OutputCsv:
    """`line`, the input's columns (its header's order, or the contract's), the answer's, then
    `error` and `error_message`."""

    def __init__(self, stream: IO[str], columns: Sequence[str], answer: Sequence[str]) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")
        self._writer.writerow(["line", *columns, *answer, "error", "error_message"])
        self._blank_fields, self._blank_answer = [""] * len(columns), [""] * len(answer)

    def write(self, lines: Iterable[Scored | Failed]) -> None:
        for item in sorted(lines, key=_line):
            if isinstance(item, Scored):
                row = [*item.row.fields, *item.prediction, "", ""]
            else:
                fields = item.row.fields if item.row else self._blank_fields
                row = [*fields, *self._blank_answer, item.code, item.message]
            self._writer.writerow([_line(item), *row])


def _line(item: Scored | Failed) -> int:
    return item.row.line if isinstance(item, Scored) else item.line
