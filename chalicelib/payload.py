"""A request body to the rows it holds, by content type, and whether it asked for one answer.

JSON, one row: `{"data": "<csv row>"}` (the walk-through's form), `{"data": [30 numbers]}`,
`{"features": {name: number}}` (named) or `{"features": [30 numbers]}` (Linear Learner's).
JSON, a batch: `{"instances": [...]}`, each item one of those objects, an array of 30 numbers
(TF Serving, KServe v1) or a CSV line; MLflow's `{"dataframe_split": {"columns", "data"}}` and
`{"dataframe_records": [{name: number}, ...]}`.
CSV: one or more rows, optionally led by a header line naming the 30 features in any order.
Every form reaches the same row readers (rows.py), limits and errors.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

from chalicelib import content_types
from chalicelib.echo import quote_names
from chalicelib.errors import (
    ApiError,
    InvalidHeader,
    InvalidPayload,
)
from chalicelib.features import FEATURE_COUNT, FEATURE_NAMES
from chalicelib.json_body import load_json
from chalicelib.limits import check_body_size, check_row_count
from chalicelib.rows import (
    LINE_ENDS,
    PLAIN_DECIMAL,
    Row,
    json_type_name,
    row_from_named,
    row_from_numbers,
    row_from_text,
    rows_from_lines,
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
# A header or `columns` names the 30 features once each; with more than twice as many names it
# is refused by their count, before each is read: a megabyte of them, each looked up, would
# cost several times a valid body of that size.
MOST_NAMES_READ = 2 * FEATURE_COUNT
# A field that is a plain decimal, blanks around it: one pass in C over a line with "," before it.
_DECIMAL_FIELD = re.compile(rf",[{LINE_ENDS}]*+(?:{PLAIN_DECIMAL.pattern})[{LINE_ENDS}]*+(?=,|\Z)")


class Payload(NamedTuple):
    rows: list[Row]
    single: bool  # one of the single-row JSON forms: answer with one object, not a list


def parse_payload(body: bytes, content_type: str | None) -> Payload:
    return _PARSERS[content_types.body_media_type(content_type, ACCEPTED_CONTENT_TYPES)](body)


def parse_json_payload(body: bytes) -> Payload:
    document = load_json(body)
    if not isinstance(document, dict):
        raise InvalidPayload(
            f"the body must be a JSON object, not {json_type_name(document)}", "body"
        )
    text = document.get(DATA)
    if len(document) == 1 and isinstance(text, str):  # the walk-through's form, at its fastest
        written = rows_from_lines([text.strip(LINE_ENDS)])
        if written is not None:
            return Payload(written, single=True)
    batches = [key for key in BATCH_FORMS if key in document]
    if batches:
        if len(batches) > 1 or any(key in document for key in ROW_FORMS):
            raise InvalidPayload(_EXACTLY_ONE, "body")
        (form,) = batches
        _require_only(document, (form,), "body")
        return Payload(_BATCH_READERS[form](document[form]), single=False)
    return Payload([_row_from_item(document, "body")], single=True)


_EXACTLY_ONE = (
    f'the body must hold exactly one of "{DATA}" or "{FEATURES}" (one row), or one of '
    + ", ".join(f'"{key}"' for key in BATCH_FORMS)
    + " (a batch)"
)


def _require_only(document: dict[str, Any], keys: Sequence[str], where: str) -> None:
    if len(document) == 1 and len(keys) == 1:
        return
    others = [key for key in document if key not in keys]
    if others:
        allowed = ", ".join(f'"{key}"' for key in keys)
        shown = quote_names(others)
        raise InvalidPayload(f"{where} may hold only {allowed}; it also holds {shown}", where)


def _row_from_item(item: dict[str, Any], where: str) -> Row:
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
    if form == DATA:
        if isinstance(value, str):
            return row_from_text(value)
        if isinstance(value, list):
            return row_from_numbers(value)
        raise InvalidPayload(
            f'"{DATA}" must be a string of {FEATURE_COUNT} comma-separated numbers or an array '
            f"of {FEATURE_COUNT} numbers, not {json_type_name(value)}",
            DATA,
        )
    if isinstance(value, dict):
        return row_from_named(value)
    if isinstance(value, list):
        return row_from_numbers(value, FEATURES)  # Linear Learner's {"features": [...]}
    raise InvalidPayload(
        f'"{FEATURES}" must be an object of the {FEATURE_COUNT} named values or an array of '
        f"{FEATURE_COUNT} numbers, not {json_type_name(value)}",
        FEATURES,
    )


def _row_from_instance(item: Any) -> Row:
    if isinstance(item, list):
        return row_from_numbers(item, INSTANCES)
    if isinstance(item, str):
        return row_from_text(item, INSTANCES)
    if isinstance(item, dict):
        return _row_from_item(item, "instance")
    raise InvalidPayload(
        f"an instance must be an object, an array of {FEATURE_COUNT} numbers or a CSV line, "
        f"not {json_type_name(item)}",
        INSTANCES,
    )


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


def _rows_from_instances(instances: Any) -> list[Row]:
    items = _batch_items(instances, INSTANCES, "rows")
    lines = _csv_lines(items)
    fast = rows_from_lines(lines) if lines is not None else None
    return fast if fast is not None else _rows(items, _row_from_instance)


def _csv_lines(items: list[Any]) -> list[str] | None:
    """A batch of CSV lines alone (`"..."` or `{"data": "..."}`), to be read at once; else None."""
    kinds = set(map(type, items))
    if kinds == {dict} and all(len(item) == 1 and DATA in item for item in items):
        items = [item[DATA] for item in items]
        kinds = set(map(type, items))
    return items if kinds == {str} else None


def _rows_from_records(records: Any) -> list[Row]:
    def read(record: Any) -> Row:
        if not isinstance(record, dict):
            raise InvalidPayload(
                f"a record must be an object of the {FEATURE_COUNT} named values, "
                f"not {json_type_name(record)}",
                DATAFRAME_RECORDS,
            )
        return row_from_named(record, DATAFRAME_RECORDS)

    return _rows(_batch_items(records, DATAFRAME_RECORDS, "records"), read)


def _rows_from_split(split: Any) -> list[Row]:
    """pandas' `orient="split"`: `columns` name the 30 features in any order; `index` is ignored."""
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
            f'"{COLUMNS}" must be an array of the {FEATURE_COUNT} feature names', COLUMNS
        )
    order = _column_order(columns, COLUMNS)
    data = _batch_items(split.get(DATA), DATA, "rows")
    index = split.get(INDEX, data)
    if not (isinstance(index, list) and len(index) == len(data)):
        raise InvalidPayload(f'"{INDEX}" must be an array with one label per row', INDEX)

    def read(values: Any) -> Row:
        if not isinstance(values, list):
            raise InvalidPayload(
                f"a row must be an array of {FEATURE_COUNT} numbers, not {json_type_name(values)}",
                DATA,
            )
        return _reordered(row_from_numbers(values, DATA), order)

    return _rows(data, read)


def _reordered(row: Row, order: Callable[[Row], Row] | None) -> Row:
    return row if order is None else order(row)


def _column_order(found: Sequence[str], field: str) -> Callable[[Row], Row] | None:
    """A row in `found`'s order to one in WDBC order (None: already in WDBC order)."""
    if tuple(found) == FEATURE_NAMES:
        return None
    problems = [f"{len(found)} names"] if len(found) > MOST_NAMES_READ else _name_problems(found)
    if problems:
        message = f"the {field} must name the {FEATURE_COUNT} features once each: "
        message += "; ".join(problems)
        if field == "header":
            raise InvalidHeader(message, {"field": field})
        raise InvalidPayload(message, field)
    return itemgetter(*[found.index(name) for name in FEATURE_NAMES])


def _name_problems(found: Sequence[str]) -> list[str]:
    counts, known = Counter(found), set(FEATURE_NAMES)
    unknown = sum(count for name, count in counts.items() if name not in known)
    repeated = sorted(name for name in known if counts[name] > 1)
    missing = [name for name in FEATURE_NAMES if name not in counts]
    problems = [f"{unknown} unknown name(s)"] if unknown else []
    if repeated:
        problems.append(f"repeated {', '.join(repeated[:3])}")
    if missing:
        problems.append(f"missing {', '.join(missing[:3])}" + ("..." if len(missing) > 3 else ""))
    return problems


def parse_csv_payload(body: bytes) -> Payload:
    check_body_size(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPayload("the body is not UTF-8 text", "body") from None
    # A byte-order mark opens the body, whether a header or a data row follows.
    text = text.removeprefix(BYTE_ORDER_MARK)
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines[-1].strip():
        lines.pop()  # the newline that ends the last row
    if not text.strip():
        raise InvalidPayload("the body is empty; send one or more CSV rows", "body")
    columns: Sequence[str] = FEATURE_NAMES
    order = None
    if is_header_line(lines[0]):
        columns = header_names(lines[0])
        order = _column_order(columns, "header")
        lines = lines[1:]
        if not lines:
            raise InvalidPayload("the body has a header but no rows", "body")
        if order is None:
            columns = FEATURE_NAMES
    check_row_count(len(lines))
    fast = rows_from_lines(lines)
    if fast is not None:
        return Payload(fast if order is None else list(map(order, fast)), single=False)

    def read(line: str) -> Row:
        return _reordered(row_from_text(line, "row", columns), order)

    return Payload(_rows(lines, read), single=False)


def is_header_line(line: str) -> bool:
    """A first line with text but no number is a header (the client's file has the same rule).

    A blank or empty-fielded line is not: it is a bad row, as it would be anywhere else.
    """
    return bool(line.strip(LINE_ENDS + ",")) and _DECIMAL_FIELD.search("," + line) is None


def header_names(line: str) -> tuple[str, ...]:
    """Its names as matched: without blanks around them, in lower case (past MOST_NAMES_READ,
    as they stand: such a header is refused by their count)."""
    names = line.split(",")
    if len(names) > MOST_NAMES_READ:
        return tuple(names)
    return tuple(name.strip(LINE_ENDS).lower() for name in names)


_PARSERS: dict[str, Callable[[bytes], Payload]] = {
    content_types.JSON: parse_json_payload,
    content_types.CSV: parse_csv_payload,
}
_BATCH_READERS: dict[str, Callable[[Any], list[Row]]] = {
    INSTANCES: _rows_from_instances,
    DATAFRAME_SPLIT: _rows_from_split,
    DATAFRAME_RECORDS: _rows_from_records,
}
