"""A request body to the rows it holds, by content type, and whether it asked for one answer.

JSON: `{"data": "<csv row>"}` (the walk-through's form), `{"data": [30 numbers]}`,
`{"features": {name: number}}`, or a batch `{"instances": [any of those]}`.
CSV: one or more rows, optionally led by a header line naming the 30 features in any order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from chalicelib import content_types
from chalicelib.echo import quote_names
from chalicelib.errors import (
    ApiError,
    InvalidHeader,
    InvalidPayload,
    UnsupportedMediaType,
)
from chalicelib.features import FEATURE_COUNT, FEATURE_NAMES
from chalicelib.json_body import load_json
from chalicelib.limits import check_body_size, check_row_count
from chalicelib.rows import Row, json_type_name, row_from_named, row_from_numbers, row_from_text

DATA, FEATURES, INSTANCES = "data", "features", "instances"
ROW_FORMS = (DATA, FEATURES)
ACCEPTED_CONTENT_TYPES = (content_types.JSON, content_types.CSV)


class Payload(NamedTuple):
    rows: list[Row]
    single: bool  # one of the single-row JSON forms: answer with one object, not a list


def parse_payload(body: bytes, content_type: str | None) -> Payload:
    parse = _PARSERS.get(content_types.essence(content_type or content_types.JSON))
    if parse is None:
        raise UnsupportedMediaType(f"send the body as {' or '.join(ACCEPTED_CONTENT_TYPES)}")
    return parse(body)


def parse_json_payload(body: bytes) -> Payload:
    document = load_json(body)
    if not isinstance(document, dict):
        raise InvalidPayload(
            f"the body must be a JSON object, not {json_type_name(document)}", "body"
        )
    if INSTANCES in document:
        _require_only(document, INSTANCES, "body")
        return Payload(_rows_from_instances(document[INSTANCES]), single=False)
    return Payload([_row_from_item(document, "body")], single=True)


def _require_only(document: dict[str, Any], key: str, where: str) -> None:
    others = sorted(set(document) - {key})
    if others:
        shown = quote_names(others)
        raise InvalidPayload(f'{where} may hold only "{key}"; it also holds {shown}', where)


def _row_from_item(item: dict[str, Any], where: str) -> Row:
    forms = [key for key in ROW_FORMS if key in item]
    if len(forms) != 1:
        raise InvalidPayload(
            f'{where} must hold exactly one of "{DATA}" or "{FEATURES}"'
            + ("" if where != "body" else f' (or "{INSTANCES}" for a batch)'),
            where,
        )
    (form,) = forms
    _require_only(item, form, where)
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
    raise InvalidPayload(
        f'"{FEATURES}" must be an object of the {FEATURE_COUNT} named values, '
        f"not {json_type_name(value)}",
        FEATURES,
    )


def _rows_from_instances(instances: Any) -> list[Row]:
    if not isinstance(instances, list):
        raise InvalidPayload(
            f'"{INSTANCES}" must be an array of rows, not {json_type_name(instances)}', INSTANCES
        )
    if not instances:
        raise InvalidPayload(f'"{INSTANCES}" is empty', INSTANCES)
    check_row_count(len(instances))
    rows = []
    for number, item in enumerate(instances, start=1):
        try:
            if not isinstance(item, dict):
                raise InvalidPayload(
                    f"an instance must be an object, not {json_type_name(item)}", INSTANCES
                )
            rows.append(_row_from_item(item, "instance"))
        except ApiError as error:
            raise error.in_row(number) from None
    return rows


def parse_csv_payload(body: bytes) -> Payload:
    check_body_size(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPayload("the body is not UTF-8 text", "body") from None
    lines = text.split("\n")
    if not lines[-1].strip():
        lines.pop()  # the newline that ends the last row
    if not text.strip():
        raise InvalidPayload("the body is empty; send one or more CSV rows", "body")
    columns: Sequence[str] = FEATURE_NAMES
    first_row = 1
    if _is_header(lines[0]):
        columns = _header_columns(lines[0])
        first_row = 2
    data_lines = lines[first_row - 1 :]
    if not data_lines:
        raise InvalidPayload("the body has a header but no rows", "body")
    check_row_count(len(data_lines))
    order = [columns.index(name) for name in FEATURE_NAMES]
    in_wdbc_order = columns is FEATURE_NAMES
    rows = []
    for number, line in enumerate(data_lines, start=1):
        try:
            values = row_from_text(line, "row", columns)
        except ApiError as error:
            raise error.in_row(number) from None
        rows.append(values if in_wdbc_order else tuple(values[index] for index in order))
    return Payload(rows, single=False)


def _is_header(line: str) -> bool:
    return line.split(",", 1)[0].strip(" \t\r\ufeff") in FEATURE_NAMES


def _header_columns(line: str) -> tuple[str, ...]:
    names = tuple(name.strip(" \t\r\ufeff") for name in line.split(","))
    unknown = [name for name in names if name not in FEATURE_NAMES]
    repeated = sorted({name for name in names if names.count(name) > 1})
    missing = [name for name in FEATURE_NAMES if name not in names]
    if unknown or repeated or missing:
        problems = []
        if unknown:
            problems.append(f"{len(unknown)} unknown name(s)")
        if repeated:
            problems.append(f"repeated {', '.join(repeated[:3])}")
        if missing:
            problems.append(
                f"missing {', '.join(missing[:3])}" + ("..." if len(missing) > 3 else "")
            )
        raise InvalidHeader(
            f"the header must name the {FEATURE_COUNT} features once each: " + "; ".join(problems),
            {"field": "header"},
        )
    return names


_PARSERS: dict[str, Callable[[bytes], Payload]] = {
    content_types.JSON: parse_json_payload,
    content_types.CSV: parse_csv_payload,
}
