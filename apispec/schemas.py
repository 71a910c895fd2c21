"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of every body the API reads or writes.

Each is built from the constant chalicelib itself uses: the feature names, the row limit, the
decimal syntax rows.py accepts, the letters and words replies.py writes.
"""

from __future__ import annotations

from typing import Any

from apispec.catalogue import ErrorClass
from chalicelib import oip, payload, rows
from chalicelib.features import FEATURE_COUNT, FEATURE_NAMES
from chalicelib.limits import MAX_BODY_BYTES, MAX_ROWS
from chalicelib.model_card import CARD_FORMAT
from chalicelib.replies import DIAGNOSES, LETTERS
from chalicelib.rows import MAX_MAGNITUDE

Schema = dict[str, Any]

# Where an error's `field` points; payload.py names the first three, the rest are the places
# rows and their parts are read from (the body, a batch item, a CSV row or its header line).
ERROR_FIELDS = (
    payload.DATA,
    payload.FEATURES,
    payload.INSTANCES,
    payload.DATAFRAME_SPLIT,
    payload.DATAFRAME_RECORDS,
    payload.COLUMNS,
    payload.INDEX,
    "body",
    "instance",
    "row",
    "header",
)

_REGEX_ESCAPES = {" ": " ", "\t": "\\t", "\r": "\\r", "\n": "\\n"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _char_class(characters: str) -> str:
    """`" \\t"` -> `[ \\t]*`, written with escapes both Python and ECMA-262 regexes read."""
    return "[" + "".join(_REGEX_ESCAPES[character] for character in characters) + "]*"


def _row_pattern(ends: str) -> str:
    """30 comma-separated plain decimals, blanks around each, `ends` around the whole row."""
    # The decimal syntax and the blanks rows.py strips are its own (private) constants, so that
    # the pattern cannot drift from the parser. `ends` includes the blanks.
    blanks, around = _char_class(rows.BLANKS), _char_class(ends)
    value = rows.DECIMAL_PATTERN
    more = f"(?:,{blanks}{value}{blanks}){{{FEATURE_COUNT - 1}}}"
    return f"{around}{value}{blanks}{more}{around}"


def row_text_pattern() -> str:
    """What `{"data": "<csv row>"}` takes: rows.py strips blanks and line ends around the row."""
    return f"^{_row_pattern(rows.LINE_ENDS)}$"


def _any_case(name: str) -> str:
    """`ab_c` -> `[aA][bB]_[cC]`: ECMA-262 patterns have no case-insensitive flag inline."""
    return "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in name)


def csv_body_pattern() -> str:
    """An optional header naming the 30 features, then 1 to MAX_ROWS rows, one per line."""
    # payload.py strips blanks and CRs around each header name and matches them in any case;
    # a byte-order mark may open the body, before a header or a row.
    name_ends = _char_class(" \t\r")
    names = "|".join(_any_case(name) for name in FEATURE_NAMES)
    name = f"{name_ends}(?:{names}){name_ends}"
    header = f"{name}(?:,{name}){{{FEATURE_COUNT - 1}}}\\n"
    # Each line loses its blanks and CR at both ends; one trailing newline ends the last row.
    line_ends = " \t\r"
    row = _row_pattern(line_ends)
    last_newline = f"(?:\\n{_char_class(line_ends)})?"
    return f"^\\uFEFF?(?:{header})?{row}(?:\\n{row}){{0,{MAX_ROWS - 1}}}{last_newline}$"


def csv_answer_pattern() -> str:
    """`<letter>,<probability>` per row, each line ended by a newline; Python's float repr."""
    letters = "".join(sorted(LETTERS.values()))
    probability = r"[0-9](?:\.[0-9]+)?(?:e-[0-9]+)?"
    return f"^(?:[{letters}],{probability}\\n){{1,{MAX_ROWS}}}$"


def json_lines_answer_pattern() -> str:
    """One prediction object per line, as replies.py writes them, each line ended."""
    probability = r"[0-9](?:\.[0-9]+)?(?:e-[0-9]+)?"
    item = (
        f'\\{{"prediction": "(?:{"|".join(LETTERS[label] for label in sorted(LETTERS))})", '
        f'"diagnosis": "(?:{"|".join(DIAGNOSES[label] for label in sorted(DIAGNOSES))})", '
        f'"probability_malignant": {probability}\\}}'
    )
    return f"^(?:{item}\\n){{1,{MAX_ROWS}}}$"


FINITE = (
    "A number within the model's float32 range (|x| <= 3.4028234663852886e38); JSON has no "
    "NaN or Infinity."
)


def _object(properties: dict[str, Schema], required: list[str], **extra: Any) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        **extra,
    }


def request_schemas() -> dict[str, Schema]:
    data, features, instances = payload.DATA, payload.FEATURES, payload.INSTANCES
    order = f"in WDBC order ({FEATURE_NAMES[0]} ... {FEATURE_NAMES[-1]})"
    return {
        "FeatureValue": {
            "type": "number",
            "minimum": -MAX_MAGNITUDE,
            "maximum": MAX_MAGNITUDE,
            "description": FINITE,
        },
        "RowText": _object(
            {
                data: {
                    "type": "string",
                    "pattern": row_text_pattern(),
                    "description": (
                        f"{FEATURE_COUNT} comma-separated plain ASCII decimals {order}, blanks "
                        "around each allowed, blanks and line ends around the row stripped; "
                        "each value must also be finite (1e309 is refused)."
                    ),
                }
            },
            [data],
            description="One row as the walk-through sends it: a CSV line in a string.",
        ),
        "RowNumbers": _object(
            {
                data: {
                    "type": "array",
                    "items": ref("FeatureValue"),
                    "minItems": FEATURE_COUNT,
                    "maxItems": FEATURE_COUNT,
                    "description": f"{FEATURE_COUNT} JSON numbers {order}.",
                }
            },
            [data],
            description="One row as an array of numbers.",
        ),
        "NamedFeatures": _object(
            {name: ref("FeatureValue") for name in FEATURE_NAMES},
            list(FEATURE_NAMES),
            description=f"All {FEATURE_COUNT} features by name, nothing else.",
        ),
        "FeatureArray": {
            "type": "array",
            "items": ref("FeatureValue"),
            "minItems": FEATURE_COUNT,
            "maxItems": FEATURE_COUNT,
            "description": f"{FEATURE_COUNT} JSON numbers {order}.",
        },
        "RowFeatures": _object(
            {features: ref("NamedFeatures")}, [features], description="One row as named values."
        ),
        "RowFeatureArray": _object(
            {features: ref("FeatureArray")},
            [features],
            description="One row as Linear Learner's JSON takes it: `features` by position.",
        ),
        "CsvLine": {
            "type": "string",
            "pattern": row_text_pattern(),
            "description": "One row as a CSV line, as in `RowText`.",
        },
        "Row": {
            "oneOf": [
                ref("RowText"),
                ref("RowNumbers"),
                ref("RowFeatures"),
                ref("RowFeatureArray"),
                ref("FeatureArray"),
                ref("CsvLine"),
            ]
        },
        "Batch": _object(
            {
                instances: {
                    "type": "array",
                    "items": ref("Row"),
                    "minItems": 1,
                    "maxItems": MAX_ROWS,
                    "description": (
                        "Rows in any of the single-row forms, as arrays of numbers (TF Serving, "
                        "KServe v1) or as CSV lines, mixed as you like."
                    ),
                }
            },
            [instances],
            description=f"1 to {MAX_ROWS} rows, answered in order.",
        ),
        "DataframeSplit": _object(
            {
                payload.DATAFRAME_SPLIT: _object(
                    {
                        payload.COLUMNS: {
                            "type": "array",
                            "items": {"enum": list(FEATURE_NAMES)},
                            "minItems": FEATURE_COUNT,
                            "maxItems": FEATURE_COUNT,
                            "uniqueItems": True,
                            "description": f"The {FEATURE_COUNT} features once each, any order.",
                        },
                        data: {
                            "type": "array",
                            "items": ref("FeatureArray"),
                            "minItems": 1,
                            "maxItems": MAX_ROWS,
                            "description": "Rows, each value in its column's place.",
                        },
                        payload.INDEX: {
                            "type": "array",
                            "description": "Row labels (pandas'), one per row; not used.",
                        },
                    },
                    [payload.COLUMNS, data],
                )
            },
            [payload.DATAFRAME_SPLIT],
            description="MLflow's scoring protocol: a pandas DataFrame in `orient='split'`.",
        ),
        "DataframeRecords": _object(
            {
                payload.DATAFRAME_RECORDS: {
                    "type": "array",
                    "items": ref("NamedFeatures"),
                    "minItems": 1,
                    "maxItems": MAX_ROWS,
                }
            },
            [payload.DATAFRAME_RECORDS],
            description="MLflow's scoring protocol: a pandas DataFrame in `orient='records'`.",
        ),
        "PredictionRequest": {
            "oneOf": [
                ref("RowText"),
                ref("RowNumbers"),
                ref("RowFeatures"),
                ref("RowFeatureArray"),
                ref("Batch"),
                ref("DataframeSplit"),
                ref("DataframeRecords"),
            ],
            "description": f"At most {MAX_BODY_BYTES} bytes.",
        },
        "CsvRows": {
            "type": "string",
            "pattern": csv_body_pattern(),
            "description": (
                f"1 to {MAX_ROWS} rows of {FEATURE_COUNT} comma-separated plain decimals, one "
                "per line (LF or CRLF; one newline may end the last row), optionally led by a "
                "header line: a first line without a number is one, and must name the "
                f"{FEATURE_COUNT} features once each, in any order and any case; the values of "
                "each row are then read in the header's order. A byte-order mark may open the "
                f"body. Values as in `RowText`; at most {MAX_BODY_BYTES} bytes."
            ),
        },
    }


def _prediction_properties() -> dict[str, Schema]:
    return {
        "prediction": {
            "enum": [LETTERS[label] for label in sorted(LETTERS)],
            "description": "B benign, M malignant: the model's own label.",
        },
        "diagnosis": {
            "enum": [DIAGNOSES[label] for label in sorted(DIAGNOSES)],
            "description": "The same, as a word.",
        },
        "probability_malignant": {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "description": (
                "The model's probability of malignancy. The label is M when it is >= the model's "
                "decision threshold (GET /model, decision_threshold), not 0.5."
            ),
        },
    }


def answer_schemas() -> dict[str, Schema]:
    prediction = _prediction_properties()
    return {
        "Model": _object(
            {
                "name": {"type": "string", "description": "The SageMaker endpoint."},
                "version": {
                    "type": "string",
                    "description": "The production variant that answered.",
                },
            },
            ["name", "version"],
        ),
        "Prediction": _object(prediction, list(prediction)),
        "SinglePrediction": _object(
            {**prediction, "model": ref("Model")},
            [*prediction, "model"],
            description="The answer to one of the single-row JSON forms.",
        ),
        "BatchPredictions": _object(
            {
                "predictions": {
                    "type": "array",
                    "items": ref("Prediction"),
                    "minItems": 1,
                    "maxItems": MAX_ROWS,
                },
                "model": ref("Model"),
            },
            ["predictions", "model"],
            description="The answer to a batch or a CSV body: one prediction per row, in order.",
        ),
        "PredictionAnswer": {"oneOf": [ref("SinglePrediction"), ref("BatchPredictions")]},
        "Letter": {"enum": prediction["prediction"]["enum"]},
        "CsvAnswer": {
            "type": "string",
            "pattern": csv_answer_pattern(),
            "description": "One `prediction,probability_malignant` line per row, no header.",
        },
        "JsonLinesAnswer": {
            "type": "string",
            "pattern": json_lines_answer_pattern(),
            "description": "One `Prediction` object per row, one a line, each line ended.",
        },
    }


def oip_schemas() -> dict[str, Schema]:
    """The Open Inference Protocol v2's JSON, as far as this model takes and gives it."""
    datatypes = list(oip.OUTPUT_DATATYPES.values())
    names = list(oip.OUTPUT_DATATYPES)
    tensor_metadata = _object(
        {
            "name": {"type": "string"},
            "datatype": {"type": "string"},
            "shape": {"type": "array", "items": {"type": "integer"}},
        },
        ["name", "datatype", "shape"],
    )
    return {
        "InferenceRequest": _object(
            {
                "id": {
                    "type": "string",
                    "description": (
                        "Echoed in the answer if it is a plain identifier (letters, digits, "
                        "`-`, `_`, at most 64, not only digits)."
                    ),
                },
                "inputs": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 1,
                    "items": _object(
                        {
                            "name": {"type": "string"},
                            "shape": {
                                "type": "array",
                                "prefixItems": [
                                    {"type": "integer", "minimum": 1, "maximum": MAX_ROWS},
                                    {"const": FEATURE_COUNT},
                                ],
                                "items": False,
                                "minItems": 2,
                                "description": f"`[N, {FEATURE_COUNT}]`: N rows.",
                            },
                            "datatype": {"enum": list(oip.INPUT_DATATYPES)},
                            "data": {
                                "type": "array",
                                "items": {"oneOf": [ref("FeatureValue"), ref("FeatureArray")]},
                                "description": (
                                    f"N x {FEATURE_COUNT} numbers, row-major: flat, or one "
                                    f"array of {FEATURE_COUNT} per row."
                                ),
                            },
                            "parameters": {"type": "object"},
                        },
                        ["name", "shape", "datatype", "data"],
                    ),
                },
                "outputs": {
                    "type": "array",
                    "minItems": 1,
                    "items": _object(
                        {"name": {"enum": names}, "parameters": {"type": "object"}}, ["name"]
                    ),
                    "description": "The outputs wanted (default: both), in this order.",
                },
                "parameters": {"type": "object"},
            },
            ["inputs"],
            description="One input tensor of the rows; any name.",
        ),
        "InferenceResponse": _object(
            {
                "model_name": {"const": oip.MODEL_NAME},
                "model_version": {
                    "type": "string",
                    "description": "The production variant that answered.",
                },
                "id": {"type": "string", "description": "The request's `id`, if echoed."},
                "outputs": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": len(names),
                    "items": _object(
                        {
                            "name": {"enum": names},
                            "shape": {
                                "type": "array",
                                "items": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS},
                                "minItems": 1,
                                "maxItems": 1,
                            },
                            "datatype": {"enum": datatypes},
                            "data": {
                                "type": "array",
                                "items": {
                                    "oneOf": [
                                        ref("Letter"),
                                        {"type": "number", "minimum": 0, "maximum": 1},
                                    ]
                                },
                            },
                        },
                        ["name", "shape", "datatype", "data"],
                        description=(
                            f"`{oip.LABEL_OUTPUT}`: BYTES, B or M per row; "
                            f"`{oip.PROBABILITY_OUTPUT}`: FP64 in [0, 1] per row."
                        ),
                    ),
                },
            },
            ["model_name", "model_version", "outputs"],
        ),
        "ModelMetadata": _object(
            {
                "name": {"const": oip.MODEL_NAME},
                "versions": {"type": "array", "items": {"type": "string"}},
                "platform": {"type": "string"},
                "inputs": {"type": "array", "items": tensor_metadata},
                "outputs": {"type": "array", "items": tensor_metadata},
            },
            ["name", "versions", "platform", "inputs", "outputs"],
            description="The model card's version in `versions`; none where no card is deployed.",
        ),
        "Readiness": _object({"ready": {"const": True}}, ["ready"]),
        "OipError": _object(
            {"error": {"type": "string", "description": "For people; never an input value."}},
            ["error"],
            description="OIP's error shape; the code is in the access log, the id in X-Request-Id.",
        ),
    }


def _metrics() -> Schema:
    share = {"type": "number", "minimum": 0, "maximum": 1}
    count = {"type": "integer", "minimum": 0}
    return _object(
        {
            "accuracy": share,
            "malignant_recall": share,
            "malignant_precision": share,
            "roc_auc": share,
            "confusion_matrix": _object(
                {cell: count for cell in ("tn", "fp", "fn", "tp")}, ["tn", "fp", "fn", "tp"]
            ),
            "rows": count,
            "malignant_rows": count,
            "benign_rows": count,
        },
        [
            "accuracy",
            "malignant_recall",
            "malignant_precision",
            "roc_auc",
            "confusion_matrix",
            "rows",
            "malignant_rows",
            "benign_rows",
        ],
    )


def discovery_schemas() -> dict[str, Schema]:
    text = {"type": "string"}
    return {
        "Health": _object(
            {
                "status": {"const": "ok"},
                "endpoint": {"type": "string", "description": "The SageMaker endpoint called."},
                "model_version": {
                    "type": ["string", "null"],
                    "description": "The model card's version; null where no card is deployed.",
                },
            },
            ["status", "endpoint", "model_version"],
        ),
        "Metrics": _metrics(),
        "ModelCard": _object(
            {
                "format": {"const": CARD_FORMAT},
                "name": text,
                "version": text,
                "intended_use": text,
                "limits": text,
                "labels": _object(
                    {letter: text for letter in sorted(LETTERS.values())},
                    sorted(LETTERS.values()),
                ),
                "decision_threshold": {
                    "type": ["number", "null"],
                    "minimum": 0,
                    "maximum": 1,
                    "description": (
                        "A row is malignant when its probability_malignant is >= this. Null for "
                        "Linear Learner, which keeps the threshold it chose inside its model."
                    ),
                },
                "features": {
                    "type": "array",
                    "minItems": FEATURE_COUNT,
                    "maxItems": FEATURE_COUNT,
                    "description": "In WDBC order, with the range each took in training.",
                    "items": _object(
                        {
                            "position": {"type": "integer", "minimum": 1, "maximum": FEATURE_COUNT},
                            "name": {"enum": list(FEATURE_NAMES)},
                            "training_range": {
                                "type": "array",
                                "items": {"type": "number"},
                                "minItems": 2,
                                "maxItems": 2,
                                "description": "[minimum, maximum] over the training rows.",
                            },
                        },
                        ["position", "name", "training_range"],
                    ),
                },
                "metrics": _object(
                    {part: ref("Metrics") for part in ("test", "validation", "out_of_fold")},
                    [],
                    description=(
                        "Results at the threshold: on the held-out test rows; on Linear Learner's "
                        "validation channel; on the local model's out-of-fold predictions of the "
                        "rows it was fitted on, where its threshold was chosen."
                    ),
                ),
                "training": {
                    "type": "object",
                    "description": (
                        "How the model was trained; the keys depend on the training target "
                        "(the local one: seed, C, C_grid, cv_folds, cv_scoring, solver, tolerance, "
                        "threshold_rule with its rule, beta or target_recall and description, "
                        "split_sizes, fit_rows, versions)."
                    ),
                },
            },
            [
                "format",
                "name",
                "version",
                "intended_use",
                "limits",
                "labels",
                "decision_threshold",
                "features",
                "metrics",
                "training",
            ],
            description="Summaries of the training data, never a row of it.",
        ),
        "OpenApiDocument": {
            "type": "object",
            "required": ["openapi", "info", "paths"],
            "description": "This document.",
        },
    }


def error_schemas(classes: list[ErrorClass]) -> dict[str, Schema]:
    return {
        "ErrorCode": {
            "type": "string",
            "enum": [cls.CODE for cls in classes],
            "description": "Stable: clients may switch on it. The responses list each one.",
        },
        "Error": _object(
            {
                "error": _object(
                    {
                        "code": ref("ErrorCode"),
                        "message": {
                            "type": "string",
                            "description": "For people; never repeats an input value.",
                        },
                        "request_id": {
                            "type": "string",
                            "description": "The same as the X-Request-Id header.",
                        },
                        "field": {
                            "type": "string",
                            "enum": list(ERROR_FIELDS),
                            "description": "Where the problem is.",
                        },
                        "position": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": FEATURE_COUNT,
                            "description": "Which value of the row, counting from 1.",
                        },
                        "feature": {
                            "type": "string",
                            "enum": list(FEATURE_NAMES),
                            "description": "The feature at that position.",
                        },
                        "expected": {
                            "const": FEATURE_COUNT,
                            "description": "How many values a row must hold.",
                        },
                        "found": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "How many it holds.",
                        },
                        "row": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_ROWS,
                            "description": "Which row of a batch or CSV body, counting from 1.",
                        },
                    },
                    ["code", "message", "request_id"],
                )
            },
            ["error"],
            description="Every error answer of the API has this shape.",
        ),
        "GatewayMessage": {
            "type": "object",
            "properties": {"message": {"type": "string"}},
            "required": ["message"],
            "description": "What API Gateway answers itself, before the API sees the request.",
        },
    }
