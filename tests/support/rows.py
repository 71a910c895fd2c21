"""Rows shared by the tests: the README's example and helpers to build variants of it."""

from __future__ import annotations

import json

from chalicelib.contract import load_contract
from chalicelib.model_answer import AnswerReader
from chalicelib.oip import OpenInference
from chalicelib.payload import PayloadReader
from chalicelib.replies import PredictionWriter
from chalicelib.rows import RowReader

# The shipped default's contract, as the tests read WDBC's names from it, and its readers.
WDBC = load_contract("wdbc")
FEATURE_NAMES = WDBC.feature_names
FEATURE_COUNT = WDBC.feature_count
WDBC_ROWS = RowReader(WDBC)
row_from_text = WDBC_ROWS.from_text
row_from_numbers = WDBC_ROWS.from_numbers
row_from_named = WDBC_ROWS.from_named
rows_from_lines = WDBC_ROWS.from_lines
WDBC_PAYLOADS = PayloadReader(WDBC_ROWS)
parse_payload = WDBC_PAYLOADS.parse
parse_csv_payload = WDBC_PAYLOADS.parse_csv
read_predictions = AnswerReader(WDBC).read
predictions_reply = PredictionWriter(WDBC).reply
WDBC_OIP = OpenInference(WDBC, WDBC_ROWS)

EXAMPLE_ROW = (
    "13.49,22.3,86.91,561.0,0.08752,0.07698,0.04751,0.03384,0.1809,0.05718,0.2338,1.353,1.735,"
    "20.2,0.004455,0.01382,0.02095,0.01184,0.01641,0.001956,15.15,31.82,99.0,698.8,0.1162,"
    "0.1711,0.2282,0.1282,0.2871,0.06917"
)
EXAMPLE_VALUES = tuple(float(value) for value in EXAMPLE_ROW.split(","))


def row_with(position: int, text: str) -> str:
    """The example row with the value at `position` (1-based) replaced by `text`."""
    fields = EXAMPLE_ROW.split(",")
    fields[position - 1] = text
    return ",".join(fields)


def body_for(data: object) -> bytes:
    return json.dumps({"data": data}).encode()
