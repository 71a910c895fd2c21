"""The client's two files: the input CSV it reads and the output CSV it writes.

The input: an optional header naming the model's features in any order, then one row a line.
The header is read by the API's own CSV reader (`chalicelib.payload`: names and aliases in any
case, quotes ignored) and each line checked with its row reader (`chalicelib.rows`), both built
from the API's own contract, so that the client takes the files the API takes and a bad line is
reported by its line number and never sent to spoil a batch.

The output: a line per input line, in the input's order: its line number, its fields, then the
answer's columns (`client.api.answer_columns`) where it was scored, or the error's code and
message where it was not.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO, NamedTuple

from chalicelib.contract import Contract
from chalicelib.errors import ApiError, InvalidHeader
from chalicelib.names import header_name
from chalicelib.payload import PayloadReader, is_header_line
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
    prediction: tuple[str, ...]  # client.api.answer_columns, `warnings` last

    @property
    def outside_training_range(self) -> bool:
        return bool(self.prediction[-1])


class InputFile(NamedTuple):
    columns: tuple[str, ...]  # the header's names as written, or the contract's when there is none
    has_header: bool
    rows: list[InputRow]
    failed: list[Failed]


class HeaderError(ValueError):
    """A header line the API would refuse (its own message): nothing can be read."""


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
    reader = RowReader(contract)
    columns, has_header = contract.feature_names, False
    # The header's names as the contract spells them, and the way from its order to the
    # contract's, as the API has them: the reader checks each value and names its feature.
    named: Sequence[str] = ()
    order = None
    if lines and is_header_line(lines[0]):
        try:
            named, order = PayloadReader(reader).read_header(lines[0])
        except InvalidHeader as error:
            raise HeaderError(f"line 1: {error.message}") from None
        columns, has_header = tuple(map(header_name, lines[0].split(","))), True
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


class OutputCsv:
    """`line`, the input's columns (its header's order, or the contract's), the answer's (with
    `warnings`), then `error` and `error_message`."""

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
