from __future__ import annotations

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from chalicelib.errors import InvalidPayload, InvalidValue, WrongValueCount
from chalicelib.rows import TOO_LARGE
from tests.support.fuzzing import (
    FINITE_VALUE_POOL,
    OTHER_SPELLINGS,
    VALUES_PER_ROW,
    examples,
    not_decimals,
    written_rows,
)
from tests.support.rows import (
    EXAMPLE_ROW,
    EXAMPLE_VALUES,
    FEATURE_NAMES,
    WDBC_ROWS,
    row_from_named,
    row_from_numbers,
    row_from_text,
    row_with,
    rows_from_lines,
)


def test_the_walkthrough_row_parses_to_its_30_floats() -> None:
    assert row_from_text(EXAMPLE_ROW) == EXAMPLE_VALUES


@pytest.mark.parametrize(
    "text",
    [
        "13",
        "+13",
        "-13",
        "13.",
        ".5",
        "13.49",
        "1e3",
        "1E-3",
        "-1.5e+2",
        "0",
        "-0.0",
        " 13.49",
        "13.49\t",
        "1" * 38,
        "0." + "0" * 400 + "1",
    ],
)
def test_plain_decimals_are_accepted(text: str) -> None:
    assert row_from_text(row_with(7, text))[6] == float(text)


def test_blanks_and_a_final_newline_around_the_row_are_accepted() -> None:
    assert row_from_text(f"  {EXAMPLE_ROW}\r\n") == EXAMPLE_VALUES


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nan", "is not a plain decimal number"),
        ("NaN", "is not a plain decimal number"),
        ("inf", "is not a plain decimal number"),
        ("-Infinity", "is not a plain decimal number"),
        ("1e309", TOO_LARGE),
        ("-1e309", TOO_LARGE),
        ("1" * 400, TOO_LARGE),
        ("1e308", TOO_LARGE),
        ("-3.5e38", TOO_LARGE),
        ("1_000", "is not a plain decimal number"),
        ("0x1A", "is not a plain decimal number"),
        ("\u0661\u0662", "is not a plain decimal number"),  # Arabic-Indic digits
        ("\uff11\uff12", "is not a plain decimal number"),  # full-width digits
        ("1.2.3", "is not a plain decimal number"),
        ("--1", "is not a plain decimal number"),
        ("1e", "is not a plain decimal number"),
        (".", "is not a plain decimal number"),
        ("1 2", "is not a plain decimal number"),
        ("\u00a013", "is not a plain decimal number"),  # non-ASCII space
        ("\x0b13", "is not a plain decimal number"),  # float() would strip a vertical tab
        ("", "is empty"),
        ("   ", "is empty"),
    ],
)
def test_bad_values_name_position_and_feature(text: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        row_from_text(row_with(3, text))
    assert caught.value.message == f"value 3 of 30 (perimeter_mean) {reason}"
    assert caught.value.details == {"field": "data", "position": 3, "feature": "perimeter_mean"}


@pytest.mark.parametrize("position", [1, 15, 30])
def test_every_position_maps_to_its_feature_name(position: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        row_from_text(row_with(position, "x"))
    assert caught.value.details["feature"] == FEATURE_NAMES[position - 1]


def test_columns_rename_positions_for_messages() -> None:
    columns = tuple(reversed(FEATURE_NAMES))
    with pytest.raises(InvalidValue) as caught:
        row_from_text(row_with(1, "x"), "row", columns)
    assert caught.value.details == {
        "field": "row",
        "position": 1,
        "feature": "fractal_dimension_worst",
    }


@pytest.mark.parametrize(
    ("text", "found", "hint"),
    [
        (",".join(EXAMPLE_ROW.split(",")[:29]), 29, ""),
        (EXAMPLE_ROW + ",1.0", 31, ""),
        (EXAMPLE_ROW + ",", 31, " (a trailing comma?)"),
        ("", 1, " (a trailing comma?)"),
        (EXAMPLE_ROW.replace(",", ";"), 1, ""),
    ],
)
def test_wrong_counts_say_what_was_expected(text: str, found: int, hint: str) -> None:
    with pytest.raises(WrongValueCount) as caught:
        row_from_text(text)
    assert caught.value.details == {"field": "data", "expected": 30, "found": found}
    assert caught.value.message.endswith(f"it holds {found}{hint}")


def test_a_list_of_30_numbers_is_a_row() -> None:
    assert row_from_numbers([*EXAMPLE_VALUES[:-1], 1]) == (*EXAMPLE_VALUES[:-1], 1.0)


@pytest.mark.parametrize(
    ("values", "error", "message_part"),
    [
        (list(EXAMPLE_VALUES[:29]), WrongValueCount, "must hold 30 numbers"),
        (
            [*EXAMPLE_VALUES[:29], "1.0"],
            InvalidValue,
            "value 30 of 30 (fractal_dimension_worst) must be a number, not a string",
        ),
        ([*EXAMPLE_VALUES[:29], True], InvalidValue, "not a boolean"),
        ([*EXAMPLE_VALUES[:29], None], InvalidValue, "not null"),
        ([*EXAMPLE_VALUES[:29], [1]], InvalidValue, "not an array"),
        ([*EXAMPLE_VALUES[:29], float("inf")], InvalidValue, "too large"),
        ([*EXAMPLE_VALUES[:29], 10**400], InvalidValue, "too large"),
        ([*EXAMPLE_VALUES[:29], 1e300], InvalidValue, "too large"),
    ],
)
def test_bad_number_lists_are_refused(values: list[object], error: type, message_part: str) -> None:
    with pytest.raises(error) as caught:
        row_from_numbers(values)
    assert message_part in caught.value.message


def test_named_features_in_any_order_give_wdbc_order() -> None:
    named = dict(reversed(list(zip(FEATURE_NAMES, EXAMPLE_VALUES, strict=True))))
    assert row_from_named(named) == EXAMPLE_VALUES


@pytest.mark.parametrize(
    ("change", "message_part"),
    [
        ({"radius_mean": None}, "value 1 of 30 (radius_mean) must be a number, not null"),
        ({"radius_mean": "13.49"}, "must be a number, not a string"),
        ({"colour": 1}, "unknown name(s) 'colour'"),
        ({"Radius_Mean": 1}, "unknown name(s) 'Radius_Mean'"),
    ],
)
def test_bad_named_features_are_refused(change: dict[str, object], message_part: str) -> None:
    named = {**dict(zip(FEATURE_NAMES, EXAMPLE_VALUES, strict=True)), **change}
    with pytest.raises((InvalidPayload, InvalidValue)) as caught:
        row_from_named(named)
    assert message_part in caught.value.message


def test_missing_names_are_listed() -> None:
    named = dict(zip(FEATURE_NAMES[2:], EXAMPLE_VALUES[2:], strict=True))
    with pytest.raises(InvalidPayload, match="is missing 'radius_mean', 'texture_mean'"):
        row_from_named(named)


# Lines of 30 values as a writer writes them, a few respelled (a sign "+", a bare point, blanks)
# or replaced by another decimal; in one example of three, one line with a value that is no
# decimal or with another count of values.
_changes = st.lists(
    st.tuples(
        st.integers(0, VALUES_PER_ROW - 1),
        st.sampled_from(FINITE_VALUE_POOL) | st.sampled_from(OTHER_SPELLINGS),
    ),
    max_size=2,
)
_faults = st.sampled_from(["none", "none", "none", "none", "no decimal", "another count"])
_other_counts = st.sampled_from([1, VALUES_PER_ROW - 1, VALUES_PER_ROW + 1, 2 * VALUES_PER_ROW])


@st.composite
def _csv_lines(draw: st.DrawFn) -> list[str]:
    lines = [draw(written_rows) for _ in range(draw(st.integers(1, 4)))]
    for values in lines:
        for position, value in draw(_changes):
            values[position] = value
    fault, line = draw(_faults), draw(st.integers(0, len(lines) - 1))
    if fault == "no decimal":
        lines[line][draw(st.integers(0, VALUES_PER_ROW - 1))] = draw(not_decimals)
    elif fault == "another count":
        lines[line] = (lines[line] * 2)[: draw(_other_counts)]
    return [",".join(values) for values in lines]


@examples(100)
@given(_csv_lines())
def test_reading_lines_at_once_agrees_with_reading_each(lines: list[str]) -> None:
    """rows_from_lines either reads what row_from_text reads, line by line, or leaves it to it."""
    at_once = rows_from_lines(lines)
    try:
        each: list[tuple[float, ...]] | None = [row_from_text(line) for line in lines]
    except (InvalidValue, WrongValueCount):
        each = None
    if at_once is not None:
        event("read at once, as line by line")
        assert list(at_once) == each
    else:
        event("left to the line reader, which " + ("reads them" if each else "refuses them"))
    assert (
        at_once is not None
        or each is None
        or any(not set(line) <= set("0123456789+-.eE \t,") for line in lines)
    )


@pytest.mark.parametrize(
    ("lines", "as_written"),
    [
        ([EXAMPLE_ROW, EXAMPLE_ROW], True),
        ([row_with(1, "-1.5e+05"), row_with(2, "0007")], True),
        ([row_with(1, "+1")], False),
        ([row_with(2, ".5")], False),
        ([row_with(30, "5.")], False),
        ([row_with(3, "-.5")], False),
        ([row_with(4, "1.e5")], False),
        ([row_with(5, " 1")], False),
        ([EXAMPLE_ROW.replace(",", ", ")], False),
    ],
)
def test_plain_lines_keep_their_text_for_the_endpoint(lines: list[str], as_written: bool) -> None:
    rows = rows_from_lines(lines)
    assert rows is not None
    assert rows.csv == ("\n".join(lines) if as_written else None)


@examples(100)
@given(
    st.lists(written_rows, min_size=1, max_size=4),
    st.lists(
        st.tuples(
            st.integers(0, 3), st.integers(0, VALUES_PER_ROW - 1), st.sampled_from(OTHER_SPELLINGS)
        ),
        max_size=1,
    ),
)
def test_the_text_kept_for_the_endpoint_reads_back_as_the_rows(
    lines_values: list[list[str]], respellings: list[tuple[int, int, str]]
) -> None:
    """Lines as a CSV writer writes them are sent as written, and read back as the rows; a line
    with a value spelled otherwise (float() reads it, a writer never writes it) is not."""
    respelled = [
        (line, position, text) for line, position, text in respellings if line < len(lines_values)
    ]
    for line, position, text in respelled:
        lines_values[line][position] = text
    lines = [",".join(values) for values in lines_values]
    rows = rows_from_lines(lines)
    assert rows is not None  # plain decimals within the float32 range: read at once
    if respelled:
        event("a value respelled: not kept")
        assert rows.csv is None
        return
    event("as written: kept, read back")
    assert rows.csv == "\n".join(lines)
    # Read back as any CSV reader would: lines, commas, a decimal conversion per value.
    read_back = [tuple(float(value) for value in line.split(",")) for line in rows.csv.split("\n")]
    assert read_back == list(rows)


_REFUSED = st.sampled_from([1e39, -1e39, 10**400, True, None, "1.5"])  # each for its reason


@st.composite
def _arrays(draw: st.DrawFn) -> list[object]:
    """Mostly a row of 30 numbers; now and then 29 or 31, or one value refused."""
    width = draw(st.sampled_from([30, 30, 30, 29, 31]))
    array: list[object] = draw(
        st.lists(st.floats(-1e3, 1e3) | st.integers(-1000, 1000), min_size=width, max_size=width)
    )
    if draw(st.integers(0, 3)) == 0:
        array[draw(st.integers(0, width - 1))] = draw(_REFUSED)
    return array


@examples(100)
@given(st.lists(_arrays(), min_size=2, max_size=4))
def test_reading_arrays_at_once_agrees_with_reading_each(arrays: list[list[object]]) -> None:
    """from_arrays either reads what from_numbers reads, array by array, or leaves it to it
    (it reads two or more: one is from_numbers' own)."""
    at_once = WDBC_ROWS.from_arrays(arrays)
    try:
        each: list[tuple[float, ...]] | None = [WDBC_ROWS.from_numbers(a) for a in arrays]
    except (InvalidValue, WrongValueCount):
        each = None
    assert (at_once is None) == (each is None)
    assert at_once == each or at_once is None


@examples(100)
@given(st.lists(_arrays(), min_size=2, max_size=4), st.integers(0, 3))
def test_reading_records_at_once_agrees_with_reading_each(
    arrays: list[list[object]], change: int
) -> None:
    """from_records either reads what from_named reads, record by record, or leaves it to it:
    records of the names as the contract writes them, now and then one name left out or
    spelled in another case."""
    records = [dict(zip(FEATURE_NAMES, array, strict=False)) for array in arrays]
    if change == 1:
        del records[0][FEATURE_NAMES[0]]
    elif change == 2:
        records[-1][FEATURE_NAMES[-1].upper()] = records[-1].pop(FEATURE_NAMES[-1], 1.0)
    at_once = WDBC_ROWS.from_records(records)
    try:
        each: list[tuple[float, ...]] | None = [row_from_named(record) for record in records]
    except (InvalidPayload, InvalidValue, WrongValueCount):
        each = None
    assert at_once == each or (at_once is None and change in (1, 2))
    assert at_once is not None or each is None or change in (1, 2)
