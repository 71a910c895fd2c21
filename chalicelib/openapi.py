"""The OpenAPI 3.1 document a stage serves, from its model's contract and its app's own routes.

Paths, methods, API keys and request media types are read from `app.routes`, as Chalice's own
Swagger generator reads them, so no route is written twice; what each route does is looked up
by its name (OPERATIONS). Features, examples and answers come from the contract; the errors
from chalicelib.errors, each class's docstring saying when it is given. The document is built on
the first `GET /openapi.json`, never at a cold start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from chalicelib import content_types, cors, errors, extrapolation, oip, payload, rows
from chalicelib.contract import BINARY, REGRESSION, Contract, Feature
from chalicelib.errors import MAX_BODY_BYTES, MAX_ROWS, ApiError
from chalicelib.rows import MAX_MAGNITUDE, RowReader
from chalicelib.web import REQUEST_ID_HEADER

Schema = dict[str, Any]
ErrorClass = type[ApiError]
Routes = Mapping[str, Mapping[str, Any]]  # Chalice's app.routes: path -> method -> RouteEntry
API_KEY = "apiKey"
HTML = "text/html"
# What API Gateway answers itself on a keyed route, before the Lambda: `{"message": ...}`.
GATEWAY_ANSWERS = {
    403: "API Gateway: no `x-api-key`, or not a key of this stage's usage plan",
    429: "API Gateway: the usage plan throttled the key, or its daily quota is spent",
}
# Python's repr() of a finite float, which every answer writes its numbers with.
NUMBER = r"-?[0-9]+(?:\.[0-9]+)?(?:e[+-][0-9]+)?"
PROBABILITY = {"type": "number", "minimum": 0, "maximum": 1}
STRING = {"type": "string"}


def error_classes() -> list[ErrorClass]:
    """Every error the API answers with, in the order chalicelib.errors defines them."""
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, ApiError) and value is not ApiError
    ]


def openapi_document(contract: Contract, routes: Routes, version: str | None) -> dict[str, Any]:
    """The document of an app with these `routes` serving `contract`, whose deployed model
    is `version`."""
    bodies = _request_bodies(contract)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"The {contract.name} model",
            "version": version or "unversioned",
            "description": _description(contract),
        },
        # Relative to where the document is served: the API's root on every stage.
        "servers": [{"url": "./"}],
        "paths": {
            path: {method.lower(): _operation(path, entry, bodies) for method, entry in by.items()}
            for path, by in routes.items()
        },
        "components": {
            "schemas": {
                **_request_schemas(contract),
                **_answer_schemas(contract),
                **_other_schemas(contract),
            },
            "responses": {
                "MethodNotAllowed": _error_response([errors.MethodNotAllowed]),
                "NotFound": _error_response([errors.NotFound], gateway_only=True),
            },
            "headers": {
                "RequestId": {
                    "description": "This request's id, also in the access log and any error.",
                    "required": True,
                    "schema": STRING,
                },
                "Allow": {
                    "description": "The methods the path takes.",
                    "required": True,
                    "schema": STRING,
                },
                "OutsideTrainingRange": {
                    "description": "Only where a row has a value outside its feature's training "
                    "range (the prediction is an extrapolation): each such row (from 1) and its "
                    "features, `1: radius_mean area_mean; 5: texture_mean`; cut at a whole row "
                    f"to stay within {extrapolation.HEADER_BYTES} bytes, then ending `; ...` "
                    "(a JSON answer's `warnings` has them all).",
                    "schema": STRING,
                },
            },
            "securitySchemes": {
                API_KEY: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "x-api-key",
                    "description": "The stage's key, checked by API Gateway (not by `make run`).",
                }
            },
        },
    }


def _description(contract: Contract) -> str:
    names = contract.feature_names
    return (
        f"{contract.description or contract.name}\n\n"
        f"`POST {contract.route}` takes the model's {contract.feature_count} features "
        f"({names[0]} ... {names[-1]}) in every form the field uses, at most {MAX_BODY_BYTES} "
        f"bytes and {MAX_ROWS} rows, in UTF-8 and uncompressed; `{oip.model_path(contract)}` "
        "speaks the Open Inference Protocol v2 (KServe, Triton, MLServer), its errors in OIP's "
        f"shape (`OipError`).\n\nEvery answer carries `{REQUEST_ID_HEADER}`; every other error "
        "has one shape (`Error`) and never repeats an input value. A method a path does not "
        "take is answered 405 `method_not_allowed` with `Allow` (the shared response "
        "`MethodNotAllowed`), a path the API does not have 404 `not_found` (`NotFound`). "
        "Answers to an `Origin` the stage lists in "
        f"`{cors.CORS_ALLOWED_ORIGINS}` carry `Access-Control-Allow-Origin`; every answer says "
        "`Vary: Origin`."
    )


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: Schema, required: Sequence[str], **extra: Any) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
        **extra,
    }


def _array(items: Schema, low: int = 1, high: int = MAX_ROWS, **extra: Any) -> Schema:
    return {"type": "array", "items": items, "minItems": low, "maxItems": high, **extra}


def _csv(values: Sequence[float]) -> str:
    return ",".join(map(repr, values))


# --- Operations, from the routes ----------------------------------------------------------


class Operation(NamedTuple):
    summary: str
    answer: dict[str, Schema]  # a success's schema, by media type
    description: str = ""


def _json(name: str) -> dict[str, Schema]:
    return {content_types.JSON: ref(name)}


# What each route of the app does, by its name (its view's name, application.route_table's):
# the routes themselves (paths, methods, keys, the bodies they take) are read from app.routes.
OPERATIONS = {
    "predict": Operation(
        "Predict for one row or a batch",
        {
            **_json("PredictionAnswer"),
            content_types.PLAIN_TEXT: ref("PlainAnswer"),
            content_types.CSV: ref("CsvAnswer"),
            content_types.JSON_LINES: ref("JsonLinesAnswer"),
        },
        "One row (`RowText`, `RowNumbers`, `RowFeatures`, Linear Learner's `RowFeatureArray`), a "
        "batch (`instances`, MLflow's `dataframe_split` or `dataframe_records`), or CSV rows, "
        "answered in one endpoint call, in the media type `Accept` chooses: application/json "
        '(also for none and `*/*`; one object for a single JSON row, `{"predictions": [...], '
        '"model": ...}` for a batch or CSV), text/csv or application/jsonlines (a line a row), '
        "text/plain (the class code or value of a single JSON row); anything else is 406. A "
        "row with a value outside its feature's training range is predicted all the same, and "
        "named (never the value) in the `X-Outside-Training-Range` header and, in JSON, in "
        "`warnings`.",
    ),
    "oipInfer": Operation(
        "Open Inference Protocol v2: predict for an [N, features] tensor",
        _json("InferenceResponse"),
        "One input tensor (any name), FP32 or FP64, its `data` row-major, flat or one array a "
        "row, read as every other form is; one endpoint call. The answer holds the outputs "
        "`outputs` asks for, by default all of them, one value a row each. A row with a value "
        "outside its training range is named in the `X-Outside-Training-Range` header.",
    ),
    "oipReady": Operation("Open Inference Protocol v2: ready, from memory", _json("Readiness")),
    "oipModelMetadata": Operation(
        "Open Inference Protocol v2: the model's input, outputs and versions",
        _json("ModelMetadata"),
    ),
    "health": Operation(
        "Whether the API is up, the endpoint it calls and the model version it names",
        _json("Health"),
        "Answered from memory: it never calls the endpoint.",
    ),
    "model": Operation(
        "The model's contract as written, with its version and card",
        _json("Model"),
        "`version` and `card` are null on a stage that deploys no model card.",
    ),
    "openapiSpec": Operation("This document", _json("OpenApiDocument")),
    "demoPage": Operation(
        "A page that sends one row from a form and shows the answer",
        {HTML: STRING},
        "One HTML document, its style and script inline. Needs no key: the page asks for one, "
        "and its script sends it with the row.",
    ),
}
PREFLIGHT = Operation(
    "The methods the path takes; a browser's CORS preflight, answered without a key", {}
)


def _operation(path: str, entry: Any, bodies: Mapping[str, dict[str, Schema]]) -> dict[str, Any]:
    """The operation of one route (a Chalice RouteEntry) at `path`."""
    preflight = entry.method == "OPTIONS"
    what = PREFLIGHT if preflight else OPERATIONS[entry.view_name]
    operation: dict[str, Any] = {"operationId": entry.view_name, "summary": what.summary}
    if what.description:
        operation["description"] = what.description
    keyed = bool(entry.api_key_required)
    if keyed:
        operation["security"] = [{API_KEY: []}]
    if entry.view_name in bodies:
        content = {media: bodies[entry.view_name][media] for media in entry.content_types}
        operation["requestBody"] = {"required": True, "content": content}
    if preflight:
        responses = _preflight_answer()
    else:
        content = {media: {"schema": schema} for media, schema in what.answer.items()}
        headers = _request_id()
        if entry.view_name in bodies:
            headers[extrapolation.HEADER] = {"$ref": "#/components/headers/OutsideTrainingRange"}
        responses = {"200": {"description": "OK", "headers": headers, "content": content}}
    given = _route_errors(entry)
    if keyed:
        given.setdefault(403, [])  # API Gateway's own
    oip_shape = path.startswith(oip.PREFIX + "/")
    for status, classes in sorted(given.items()):
        gateway = GATEWAY_ANSWERS.get(status) if keyed else None
        responses[str(status)] = _error_response(classes, oip_shape, gateway)
    operation["responses"] = responses
    return operation


def _request_bodies(contract: Contract) -> dict[str, dict[str, Schema]]:
    """What each route that reads a body takes, by name and media type, with the contract's
    examples."""
    rows_ = [list(example.values) for example in contract.examples]
    first, lines = rows_[0], [_csv(row) for row in rows_]
    named = [dict(zip(contract.feature_names, row, strict=True)) for row in rows_]
    data, features = payload.DATA, payload.FEATURES
    split = {payload.COLUMNS: list(contract.feature_names), data: rows_}
    tensor = {"name": oip.INPUT_NAME, "shape": [len(rows_), contract.feature_count]}
    nested = {**tensor, "shape": [1, len(first)], "datatype": "FP32", "data": [first]}
    flat = {**tensor, "datatype": "FP64", "data": [value for row in rows_ for value in row]}
    return {
        "predict": {
            content_types.JSON: _body(
                "PredictionRequest",
                {
                    **{
                        f"example_{n}": (example.summary, {data: line})
                        for n, (example, line) in enumerate(
                            zip(contract.examples, lines, strict=True), 1
                        )
                    },
                    "numbers": ("The first example as numbers", {data: first}),
                    "named": ("The first example by feature name", {features: named[0]}),
                    "linear_learner": ("Linear Learner's JSON: by position", {features: first}),
                    "instances": (
                        "The examples in a batch, in each single-row form",
                        {payload.INSTANCES: [*lines, *rows_, *({features: n} for n in named)]},
                    ),
                    "split": ("MLflow's dataframe_split", {payload.DATAFRAME_SPLIT: split}),
                    "records": ("MLflow's dataframe_records", {payload.DATAFRAME_RECORDS: named}),
                },
            ),
            content_types.CSV: _body(
                "CsvRows",
                {
                    "rows": ("The examples, one a line", "\n".join(lines) + "\n"),
                    "header": (
                        "A header naming the features, then a row in its order",
                        f"{','.join(contract.feature_names)}\n{lines[0]}\n",
                    ),
                },
            ),
        },
        "oipInfer": {
            content_types.JSON: _body(
                "InferenceRequest",
                {
                    "flat": ("The examples, row-major", {"id": "req-one", "inputs": [flat]}),
                    "nested": ("The first example, nested, FP32", {"inputs": [nested]}),
                },
            )
        },
    }


def _body(schema: str, examples: Mapping[str, tuple[str, Any]]) -> Schema:
    return {
        "schema": ref(schema),
        "examples": {key: {"summary": s, "value": v} for key, (s, v) in examples.items()},
    }


def _route_errors(entry: Any) -> dict[int, list[ErrorClass]]:
    """The errors a route gives, by status. Chalice checks every route's Content-Type before
    its view runs; the routes that read a body give the rest, a CSV reader its header error
    too. Another method is the shared `MethodNotAllowed`, another path `NotFound`."""
    reads_body = entry.method == "POST"
    reads_csv = content_types.CSV in entry.content_types
    skipped = {errors.NotFound, errors.MethodNotAllowed}  # the shared responses
    if not reads_csv:
        skipped.add(errors.InvalidHeader)
    given: dict[int, list[ErrorClass]] = {}
    for cls in error_classes():
        if cls is errors.UnsupportedMediaType or (reads_body and cls not in skipped):
            given.setdefault(cls.STATUS_CODE, []).append(cls)
    return given


def _request_id(required: bool = True) -> dict[str, Any]:
    if required:
        return {REQUEST_ID_HEADER: {"$ref": "#/components/headers/RequestId"}}
    return {
        REQUEST_ID_HEADER: {
            "description": "This request's id; absent when API Gateway answers itself.",
            "schema": STRING,
        }
    }


def _error_response(
    classes: Sequence[ErrorClass],
    oip_shape: bool = False,
    gateway: str | None = None,
    gateway_only: bool = False,
) -> dict[str, Any]:
    """One status's answer: its errors, each with when it is given; API Gateway's own, where
    it may answer instead (`gateway_only`: in this shape, for the API)."""
    lines = [f"- `{cls.CODE}`: {' '.join((cls.__doc__ or '').split())}" for cls in classes]
    headers = _request_id(required=gateway is None and not gateway_only)
    waits = [cls for cls in classes if cls.RETRY_AFTER is not None]
    if waits:
        headers["Retry-After"] = {
            "description": "Seconds to wait: "
            + ", ".join(f"{cls.RETRY_AFTER} for `{cls.CODE}`" for cls in waits),
            "required": len(waits) == len(classes) and gateway is None,
            "schema": {"type": "integer", "enum": sorted({cls.RETRY_AFTER for cls in waits})},
        }
    if errors.MethodNotAllowed in classes:
        headers["Allow"] = {"$ref": "#/components/headers/Allow"}
    codes = [cls.CODE for cls in classes]
    ours = {
        "allOf": [
            ref("Error"),
            {"properties": {"error": {"properties": {"code": {"enum": codes}}}}},
        ]
    }
    shapes = [ref("OipError") if oip_shape else ours] if classes else []
    if gateway is not None:
        lines.append(f"- {gateway} (`GatewayMessage`)")
        shapes.append(ref("GatewayMessage"))
    return {
        "description": "\n".join(lines),
        "headers": headers,
        "content": {
            content_types.JSON: {"schema": shapes[0] if len(shapes) == 1 else {"oneOf": shapes}}
        },
    }


def _preflight_answer() -> dict[str, Any]:
    optional = {"schema": STRING}
    allowed = ", ".join(f"`{name}`" for name in cors.ALLOWED_HEADERS)
    return {
        "204": {
            "description": "No body. To a preflight from an origin the stage lists, the answer "
            f"also allows that origin, the path's methods and the request headers {allowed}.",
            "headers": {
                **_request_id(),
                "Allow": {"$ref": "#/components/headers/Allow"},
                "Access-Control-Allow-Origin": optional,
                "Access-Control-Allow-Methods": optional,
                "Access-Control-Allow-Headers": optional,
                "Access-Control-Max-Age": {
                    "schema": {"type": "integer", "const": cors.MAX_AGE_SECONDS}
                },
            },
        }
    }


# --- Schemas, from the contract -----------------------------------------------------------


def _characters(characters: str) -> str:
    """`" \\t"` -> `[ \\t]*`, in escapes both Python's and ECMA-262's regexes read."""
    return f"[{characters.encode('unicode_escape').decode('ascii')}]*"


def _row_pattern(count: int, ends: str) -> str:
    """`count` plain decimals, comma-separated, blanks around each, `ends` around the row: the
    syntax and the blanks rows.py reads."""
    blanks, value = _characters(rows.BLANKS), rows.DECIMAL_PATTERN
    around = _characters(ends)
    return f"{around}{value}{blanks}(?:,{blanks}{value}{blanks}){{{count - 1}}}{around}"


def _csv_body_pattern(contract: Contract) -> str:
    """An optional header naming the features (or their aliases) in any case, then 1 to
    MAX_ROWS rows, one a line; blanks and CR around each line, one newline after the last, a
    byte-order mark first."""
    ends = " \t\r"
    names = "|".join(
        "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in name)
        for feature in contract.features
        for name in (feature.name, *feature.aliases)
    )
    name = f"{_characters(ends)}(?:{names}){_characters(ends)}"
    header = f"{name}(?:,{name}){{{contract.feature_count - 1}}}\\n"
    row = _row_pattern(contract.feature_count, ends)
    last = f"(?:\\n{_characters(ends)})?"
    return f"^\\uFEFF?(?:{header})?{row}(?:\\n{row}){{0,{MAX_ROWS - 1}}}{last}$"


def _feature(feature: Feature) -> Schema:
    low, high = feature.limits
    about = f"{feature.description.rstrip('.')}. " if feature.description else ""
    unit = f" {feature.unit}" if feature.unit else ""
    trained = " to ".join(map(repr, feature.training_range))
    aliases = ", ".join(f"`{alias}`" for alias in feature.aliases)
    also = (
        f" Also named {aliases} (a CSV header, or a key in place of `{feature.name}`)."
        if aliases
        else ""
    )
    return {
        "type": "number",
        "minimum": -MAX_MAGNITUDE if low is None else low,
        "maximum": MAX_MAGNITUDE if high is None else high,
        "description": f"{feature.name}: {about}In training: {trained}{unit}.{also}",
    }


def _request_schemas(contract: Contract) -> dict[str, Schema]:
    data, features, count = payload.DATA, payload.FEATURES, contract.feature_count
    row_text = {
        "type": "string",
        "pattern": f"^{_row_pattern(count, rows.LINE_ENDS)}$",
        "description": f"{count} comma-separated plain decimals in the contract's order; blanks "
        "around each and line ends around the row are ignored.",
    }
    row_forms = [ref(name) for name in ("RowText", "RowNumbers", "RowFeatures", "RowFeatureArray")]
    columns = _array({"enum": list(contract.feature_names)}, count, count, uniqueItems=True)
    split = _object(
        {
            payload.COLUMNS: columns,
            data: _array(ref("FeatureValues")),
            payload.INDEX: {"type": "array", "description": "pandas' row labels; ignored."},
        },
        [payload.COLUMNS, data],
    )
    return {
        "FeatureValue": {"type": "number", "minimum": -MAX_MAGNITUDE, "maximum": MAX_MAGNITUDE},
        "FeatureValues": {
            "type": "array",
            "prefixItems": [_feature(feature) for feature in contract.features],
            "items": False,
            "minItems": count,
            "description": f"The {count} features' values, in the contract's order.",
        },
        "NamedFeatures": _object(
            {feature.name: _feature(feature) for feature in contract.features},
            contract.feature_names,
        ),
        "RowText": _object({data: row_text}, [data]),
        "RowNumbers": _object({data: ref("FeatureValues")}, [data]),
        "RowFeatures": _object({features: ref("NamedFeatures")}, [features]),
        "RowFeatureArray": _object({features: ref("FeatureValues")}, [features]),
        "Batch": _object(
            {payload.INSTANCES: _array({"oneOf": [*row_forms, ref("FeatureValues"), row_text]})},
            [payload.INSTANCES],
            description="Rows in any single-row form, as arrays of numbers or as CSV lines.",
        ),
        "DataframeSplit": _object({payload.DATAFRAME_SPLIT: split}, [payload.DATAFRAME_SPLIT]),
        "DataframeRecords": _object(
            {payload.DATAFRAME_RECORDS: _array(ref("NamedFeatures"))},
            [payload.DATAFRAME_RECORDS],
        ),
        "PredictionRequest": {
            "oneOf": [
                *row_forms,
                ref("Batch"),
                ref("DataframeSplit"),
                ref("DataframeRecords"),
            ]
        },
        "CsvRows": {
            "type": "string",
            "pattern": _csv_body_pattern(contract),
            "description": "Rows, one a line. A first line without a number is a header: it "
            "names the features once each (by name or alias), in any order and case, and orders "
            "every row.",
        },
    }


def _answer_schemas(contract: Contract) -> dict[str, Schema]:
    codes = [model_class.code for model_class in contract.classes]
    plain: Schema
    if contract.task == REGRESSION:
        value = {"type": "number", "description": f"The predicted {contract.target}."}
        properties: Schema = {"prediction": value}
        plain, line = {"type": "string", "pattern": f"^{NUMBER}$"}, NUMBER
    else:
        names = list(dict.fromkeys(model_class.name for model_class in contract.classes))
        properties = {"prediction": {"enum": codes}, contract.target: {"enum": names}}
        if contract.task == BINARY:
            positive = contract.classes[contract.positive_index].name
            properties[contract.probability_field] = {
                **PROBABILITY,
                "description": f"The probability of {positive}; "
                f"the threshold {contract.threshold!r} makes the class.",
            }
        else:
            properties["probabilities"] = _object(dict.fromkeys(codes, PROBABILITY), codes)
        plain = {"enum": codes}
        label = "|".join(code.replace(".", r"\.") for code in codes)
        line = f"(?:{label})(?:,{NUMBER}){{{1 if contract.task == BINARY else len(codes)}}}"
    identity = ref("ModelIdentity")
    warnings = _array(ref("Warning"), description="Only where a row is outside a training range.")
    return {
        "Prediction": _object(properties, list(properties)),
        "PredictionAnswer": {
            "oneOf": [
                _object(
                    {**properties, "model": identity, "warnings": warnings}, [*properties, "model"]
                ),
                _object(
                    {
                        "predictions": _array(ref("Prediction")),
                        "model": identity,
                        "warnings": warnings,
                    },
                    ["predictions", "model"],
                ),
            ]
        },
        "Warning": _object(
            {
                "code": {"const": extrapolation.CODE},
                "row": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS},
                "features": _array(
                    {"enum": list(contract.feature_names)},
                    1,
                    contract.feature_count,
                    uniqueItems=True,
                ),
                "message": {
                    **STRING,
                    "description": "Names the features and their ranges, never a value.",
                },
            },
            ["code", "row", "features", "message"],
            description="A row with a value outside its feature's training range: it is "
            "predicted all the same, as an extrapolation.",
        ),
        "ModelIdentity": _object(
            {"name": STRING, "version": STRING},
            ["name", "version"],
            description="The endpoint, and its variant that answered.",
        ),
        "PlainAnswer": plain,
        "CsvAnswer": {"type": "string", "pattern": f"^(?:{line}\\n){{1,{MAX_ROWS}}}$"},
        "JsonLinesAnswer": {
            "type": "string",
            "pattern": f"^(?:\\{{[^\\n]*\\}}\\n){{1,{MAX_ROWS}}}$",
            "description": "A `Prediction` a line, each line ended.",
        },
    }


def _other_schemas(contract: Contract) -> dict[str, Schema]:
    """The Open Inference Protocol's, the read-only routes' and the errors'."""
    metadata = oip.OpenInference(contract, RowReader(contract)).model_metadata(None)
    outputs = [output["name"] for output in metadata["outputs"]]
    count, name = contract.feature_count, {"const": contract.name}
    labels = [{"enum": [model_class.code for model_class in contract.classes]}]
    shape = {
        "type": "array",
        "prefixItems": [{"type": "integer", "minimum": 1, "maximum": MAX_ROWS}, {"const": count}],
        "items": False,
        "minItems": 2,
    }
    tensor = {
        "name": STRING,
        "shape": shape,
        "datatype": {"enum": list(oip.INPUT_DATATYPES)},
        "data": {"type": "array", "items": {"oneOf": [ref("FeatureValue"), ref("FeatureValues")]}},
        "parameters": {"type": "object"},
    }
    output = {
        "name": {"enum": outputs},
        "shape": _array({"type": "integer", "minimum": 1}, 1, 2),
        "datatype": {"enum": sorted({output["datatype"] for output in metadata["outputs"]})},
        "data": {
            "type": "array",
            "items": {"oneOf": [*labels, {"type": "number"}]}
            if contract.classes
            else {"type": "number"},
        },
    }
    wanted = _object({"name": {"enum": outputs}, "parameters": {"type": "object"}}, ["name"])
    return {
        "InferenceRequest": _object(
            {
                "id": {
                    **STRING,
                    "description": "Echoed if a UUID or letters, `-` and `_` alone: never a "
                    "value or a record number.",
                },
                "inputs": _array(_object(tensor, ["name", "shape", "datatype", "data"]), 1, 1),
                "outputs": {"type": "array", "items": wanted, "minItems": 1},
                "parameters": {"type": "object"},
            },
            ["inputs"],
        ),
        "InferenceResponse": _object(
            {
                "model_name": name,
                "model_version": STRING,
                "id": STRING,
                "outputs": _array(_object(output, list(output)), 1, len(outputs)),
            },
            ["model_name", "model_version", "outputs"],
        ),
        "ModelMetadata": _object(
            {
                "name": name,
                "versions": {"type": "array", "items": STRING},
                "platform": STRING,
                "inputs": {"const": metadata["inputs"]},
                "outputs": {"const": metadata["outputs"]},
            },
            list(metadata),
        ),
        "Readiness": _object({"ready": {"const": True}}, ["ready"]),
        "Health": _object(
            {
                "status": {"const": "ok"},
                "endpoint": STRING,
                "model_version": {"type": ["string", "null"]},
            },
            ["status", "endpoint", "model_version"],
        ),
        "Model": {
            "type": "object",
            "properties": {
                "name": name,
                "version": {"type": ["string", "null"]},
                "card": {"type": ["object", "null"]},
            },
            "required": [*contract.document, "version", "card"],
            "description": "The model's contract as written, and its card where one is deployed.",
        },
        "OpenApiDocument": {"type": "object", "required": ["openapi", "info", "paths"]},
        "OipError": _object({"error": STRING}, ["error"]),
        "Error": _object(
            {
                "error": _object(
                    {
                        "code": {"enum": [cls.CODE for cls in error_classes()]},
                        "message": {**STRING, "description": "Never repeats an input value."},
                        "request_id": STRING,
                        "field": STRING,
                        "position": {"type": "integer", "minimum": 1, "maximum": count},
                        "feature": {"enum": list(contract.feature_names)},
                        "expected": {"const": count},
                        "found": {"type": "integer", "minimum": 0},
                        "row": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS},
                    },
                    ["code", "message", "request_id"],
                )
            },
            ["error"],
        ),
        "GatewayMessage": {
            "type": "object",
            "properties": {"message": STRING},
            "required": ["message"],
            "description": "API Gateway's own answer, before the API sees the request.",
        },
    }
