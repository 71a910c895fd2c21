"""A request body to the rows it holds, by content type, and whether it asked for one answer.

JSON, one row: `{"data": "<csv row>"}` (the walk-through's form), `{"data": [N numbers]}`,
`{"features": {name: number}}` (named) or `{"features": [N numbers]}` (Linear Learner's).
JSON, a batch: `{"instances": [...]}`, each item one of those objects, an array of N numbers
(TF Serving, KServe v1) or a CSV line; MLflow's `{"dataframe_split": {"columns", "data"}}` and
`{"dataframe_records": [{name: number}, ...]}`.
CSV: one or more rows, optionally led by a header line naming the features in any order.
Every form reaches the same row readers (rows.py), limits and errors.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from chalicelib import content_types
from chalicelib.errors import (
    ApiError,
    InvalidHeader,
    InvalidPayload,
    check_body_size,
    check_row_count,
    quote_names,
)
from chalicelib.json_body import load_json
from chalicelib.rows import (
    LINE_ENDS,
    PLAIN_DECIMAL,
    Order,
    Row,
    RowReader,
    json_type_name,
    tuple_getter,
)

DATA, FEATURES, INSTANCES = "data", "features", "instances"
DATAFRAME_SPLIT, DATAFRAME_RECORDS, COLUMNS, INDEX = (
    "dataframe_split",
    "dataframe_records",
    "columns",
    "index",
)
ROW_FORMS = (DATA, FEATURES)
BATCH_FORMS = (INSTANCES, DATAFRAME_SPLIT, DATAFRAME_RECORDS)
ACCEPTED_CONTENT_TYPES = (content_types.JSON, content_types.CSV)
BYTE_ORDER_MARK = "\ufeff"
_EXACTLY_ONE = (
    f'the body must hold exactly one of "{DATA}" or "{FEATURES}" (one row), or one of '
    + ", ".join(f'"{key}"' for key in BATCH_FORMS)
    + " (a batch)"
)
# A header or `columns` names the features once each; with more than twice as many names it is
# refused by their count, before each is read: a megabyte of them, each looked up, would cost
# several times a valid body of that size.
NAMES_READ_PER_FEATURE = 2
# A field that is a plain decimal, blanks around it: one pass in C over a line with "," before it.
_DECIMAL_FIELD = re.compile(rf",[{LINE_ENDS}]*+(?:{PLAIN_DECIMAL.pattern})[{LINE_ENDS}]*+(?=,|\Z)")


class Payload(NamedTuple):
    rows: list[Row]
    single: bool  # one of the single-row JSON forms: answer with one object, not a list


class PayloadReader:
    """Bodies in every form to rows of the contract's features."""

    def __init__(self, rows: RowReader) -> None:
        self.rows = rows
        self.count = rows.count
        self.naming = rows.naming
        self.most_names = NAMES_READ_PER_FEATURE * rows.count
        self._parsers: dict[str, Callable[[bytes], Payload]] = {
            content_types.JSON: self.parse_json,
            content_types.CSV: self.parse_csv,
        }
        self._batch_readers: dict[str, Callable[[Any], list[Row]]] = {
            INSTANCES: self._rows_from_instances,
            DATAFRAME_SPLIT: self._rows_from_split,
            DATAFRAME_RECORDS: self._rows_from_records,
        }

    def parse(self, body: bytes, content_type: str | None) -> Payload:
        media_type = content_types.body_media_type(content_type, ACCEPTED_CONTENT_TYPES)
        return self._parsers[media_type](body)

    def parse_json(self, body: bytes) -> Payload:
        document = load_json(body)
        if not isinstance(document, dict):
            raise InvalidPayload(
                f"the body must be a JSON object, not {json_type_name(document)}", "body"
            )
        text = document.get(DATA)
        if len(document) == 1 and isinstance(text, str):  # the walk-through's form, at its fastest
            written = self.rows.from_lines([text.strip(LINE_ENDS)])
            if written is not None:
                return Payload(written, single=True)
        batches = [key for key in BATCH_FORMS if key in document]
        if batches:
            if len(batches) > 1 or any(key in document for key in ROW_FORMS):
                raise InvalidPayload(_EXACTLY_ONE, "body")
            (form,) = batches
            _require_only(document, (form,), "body")
            return Payload(self._batch_readers[form](document[form]), single=False)
        return Payload([self._row_from_item(document, "body")], single=True)

    def parse_csv(self, body: bytes) -> Payload:
        check_body_size(body)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidPayload("the body is not UTF-8 text", "body") from None
        # A byte-order mark opens the body, whether a header or a data row follows.
        text = text.removeprefix(BYTE_ORDER_MARK)
        if not text.strip():
            raise InvalidPayload("the body is empty; send one or more CSV rows", "body")
        lines = text.replace("\r\n", "\n").split("\n")
        while not lines[-1].strip():
            lines.pop()  # the newline that ends the last row, and blank lines after it
        columns: Sequence[str] = ()
        order = None
        if is_header_line(lines[0]):
            columns, order = self.read_header(lines[0])
            lines = lines[1:]
            if not lines:
                raise InvalidPayload("the body has a header but no rows", "body")
        check_row_count(len(lines))
        fast = self.rows.from_lines(lines, order)
        if fast is not None:
            return Payload(fast, single=False)

        def read(line: str) -> Row:
            return self.rows.from_text(line, "row", columns, order)

        return Payload(_rows(lines, read), single=False)

    def read_header(self, line: str) -> tuple[Sequence[str], Order]:
        """A CSV header's names as the contract spells them, and the way from their order to
        the contract's (no names and None where it is the contract's); InvalidHeader where it
        does not name the features once each. The batch client reads its file's header here."""
        if ";" in line and any(map(str.isdigit, line)):  # a spreadsheet's export, not a header
            raise InvalidHeader(
                "the first line is numbers separated by ';': separate values with commas",
                {"field": "header"},
            )
        columns = self._header_columns(line)
        order = self._column_order(columns, "header")
        return (columns if order is not None else ()), order

    def _header_columns(self, line: str) -> tuple[str, ...]:
        """The header's names as the contract spells them (names or aliases in any case, blanks
        and quotes around them ignored); a name the contract lacks stays, to be refused (past
        `most_names`, all of them as they stand: such a header is refused by their count)."""
        names = line.split(",")
        if len(names) > self.most_names:
            return tuple(names)
        return tuple(map(self.naming.from_header, names))

    def _column_order(self, found: Sequence[str], field: str) -> Order:
        """A row in `found`'s order to one in the contract's (None: already in its order).

        Each name is looked up once, so the cost grows with the names' length, never faster.
        """
        names = self.rows.names
        if tuple(found) == names:
            return None
        unknown: list[str] = []
        if len(found) > self.most_names:
            problems = [f"{len(found)} names"]
        else:
            found = [self.naming.spelled.get(name, name) for name in found]  # aliases
            counts = Counter(found)
            unknown = [name for name in counts if name not in self.naming.spelled]
            repeated = sorted(name for name in names if counts[name] > 1)
            missing = [name for name in names if name not in counts]
            problems = [self.naming.unknown(unknown)] if unknown else []
            if repeated:
                problems.append(f"repeated {', '.join(repeated[:3])}")
            if missing:
                more = "..." if len(missing) > 3 else ""
                problems.append(f"missing {', '.join(missing[:3])}{more}")
        if problems:
            message = f"the {field} must name the {self.count} features once each: "
            message += "; ".join(problems)
            if unknown:
                message += "; send the features' columns only"
            if field == "header":
                raise InvalidHeader(message, {"field": field})
            raise InvalidPayload(message, field)
        position = {name: index for index, name in enumerate(found)}
        return tuple_getter([position[name] for name in names])

    def _row_from_item(self, item: dict[str, Any], where: str) -> Row:
        forms = [key for key in ROW_FORMS if key in item]
        if len(forms) != 1:
            raise InvalidPayload(
                _EXACTLY_ONE
                if where == "body"
                else f'{where} must hold exactly one of "{DATA}" or "{FEATURES}"',
                where,
            )
        (form,) = forms
        _require_only(item, (form,), where)
        value = item[form]
        count = self.count
        if form == DATA:
            if isinstance(value, str):
                return self.rows.from_text(value)
            if isinstance(value, list):
                return self.rows.from_numbers(value)
            raise InvalidPayload(
                f'"{DATA}" must be a string of {count} comma-separated numbers or an array '
                f"of {count} numbers, not {json_type_name(value)}",
                DATA,
            )
        if isinstance(value, dict):
            return self.rows.from_named(value)
        if isinstance(value, list):
            return self.rows.from_numbers(value, FEATURES)  # Linear Learner's {"features": [...]}
        raise InvalidPayload(
            f'"{FEATURES}" must be an object of the {count} named values or an array of '
            f"{count} numbers, not {json_type_name(value)}",
            FEATURES,
        )

    def _row_from_instance(self, item: Any) -> Row:
        if isinstance(item, list):
            return self.rows.from_numbers(item, INSTANCES)
        if isinstance(item, str):
            return self.rows.from_text(item, INSTANCES)
        if isinstance(item, dict):
            return self._row_from_item(item, "instance")
        raise InvalidPayload(
            f"an instance must be an object, an array of {self.count} numbers or a CSV line, "
            f"not {json_type_name(item)}",
            INSTANCES,
        )

    def _rows_from_instances(self, instances: Any) -> list[Row]:
        items = _batch_items(instances, INSTANCES, "rows")
        lines = _csv_lines(items)
        fast = self.rows.from_lines(lines) if lines is not None else self.rows.from_arrays(items)
        return fast if fast is not None else _rows(items, self._row_from_instance)

    def _rows_from_records(self, records: Any) -> list[Row]:
        def read(record: Any) -> Row:
            if not isinstance(record, dict):
                raise InvalidPayload(
                    f"a record must be an object of the {self.count} named values, "
                    f"not {json_type_name(record)}",
                    DATAFRAME_RECORDS,
                )
            return self.rows.from_named(record, DATAFRAME_RECORDS)

        items = _batch_items(records, DATAFRAME_RECORDS, "records")
        fast = self.rows.from_records(items)
        return fast if fast is not None else _rows(items, read)

    def _rows_from_split(self, split: Any) -> list[Row]:
        """pandas' `orient="split"`: `columns` name the features in any order; `index` ignored."""
        if not isinstance(split, dict):
            raise InvalidPayload(
                f'"{DATAFRAME_SPLIT}" must be an object of "{COLUMNS}" and "{DATA}", '
                f"not {json_type_name(split)}",
                DATAFRAME_SPLIT,
            )
        _require_only(split, (COLUMNS, DATA, INDEX), DATAFRAME_SPLIT)
        columns = split.get(COLUMNS)
        if not isinstance(columns, list) or not all(isinstance(name, str) for name in columns):
            raise InvalidPayload(
                f'"{COLUMNS}" must be an array of the {self.count} feature names', COLUMNS
            )
        order = self._column_order(columns, COLUMNS)
        data = _batch_items(split.get(DATA), DATA, "rows")
        index = split.get(INDEX, data)
        if not (isinstance(index, list) and len(index) == len(data)):
            raise InvalidPayload(f'"{INDEX}" must be an array with one label per row', INDEX)

        def read(values: Any) -> Row:
            if not isinstance(values, list):
                raise InvalidPayload(
                    f"a row must be an array of {self.count} numbers, not {json_type_name(values)}",
                    DATA,
                )
            row = self.rows.from_numbers(values, DATA)
            return row if order is None else order(row)

        fast = self.rows.from_arrays(data, order)
        return fast if fast is not None else _rows(data, read)


def _require_only(document: dict[str, Any], keys: Sequence[str], where: str) -> None:
    if len(document) == 1 and len(keys) == 1:
        return
    others = [key for key in document if key not in keys]
    if others:
        allowed = ", ".join(f'"{key}"' for key in keys)
        shown = quote_names(others)
        raise InvalidPayload(f"{where} may hold only {allowed}; it also holds {shown}", where)


def _batch_items(items: Any, field: str, what: str) -> list[Any]:
    if not isinstance(items, list):
        raise InvalidPayload(
            f'"{field}" must be an array of {what}, not {json_type_name(items)}', field
        )
    if not items:
        raise InvalidPayload(f'"{field}" is empty', field)
    check_row_count(len(items))
    return items


def _rows(items: list[Any], read: Callable[[Any], Row]) -> list[Row]:
    rows = []
    for number, item in enumerate(items, start=1):
        try:
            rows.append(read(item))
        except ApiError as error:
            raise error.in_row(number) from None
    return rows


def _csv_lines(items: list[Any]) -> list[str] | None:
    """A batch of CSV lines alone (`"..."` or `{"data": "..."}`), to be read at once; else None."""
    kinds = set(map(type, items))
    if kinds == {dict} and all(len(item) == 1 and DATA in item for item in items):
        items = [item[DATA] for item in items]
        kinds = set(map(type, items))
    return items if kinds == {str} else None


def is_header_line(line: str) -> bool:
    """A first line with text but no number is a header (the client's file has the same rule).

    A blank or empty-fielded line is not: it is a bad row, as it would be anywhere else.
    """
    return bool(line.strip(LINE_ENDS + ",")) and _DECIMAL_FIELD.search("," + line) is None
