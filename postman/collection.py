"""The Postman collection (v2.1) for WDBC, from its contract: every request form, the OIP routes
and one request for each refusal a caller can cause, each with a test of what the API answers.

The route, the features, the classes and the rows come from `models/wdbc/contract.json`; the
one fact the contract does not hold is which of its examples shows which class, named here.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from chalicelib import content_types, oip, payload
from chalicelib.contract import Contract, load_contract
from chalicelib.errors import MAX_ROWS

COLLECTION_FILE = Path(__file__).resolve().parent / "wdbc.postman_collection.json"
# Postman's environment for `make run`: import it beside the collection, or copy it for a stage.
ENVIRONMENT_FILE = Path(__file__).resolve().parent / "local.postman_environment.json"
ENVIRONMENT_ID = "5b7e2d41-3c8a-4f0e-8d6b-1a9c2e4f7b30"
SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
POSTMAN_ID = "0f4e6a52-8d1c-4c1e-9a57-2b9d3c1e7a10"
# The contract's examples of its two classes, in class order: a benign and a malignant row held
# out from training (tests/unit/test_web_page.py checks both against the data and the model).
CLASS_EXAMPLES = (1, 2)
JSON = content_types.JSON
Item = dict[str, Any]


def render() -> str:
    return json.dumps(collection(load_contract("wdbc")), indent=2, ensure_ascii=False) + "\n"


def render_environment() -> str:
    """The collection's two variables as a Postman environment, set for `make run`."""
    environment = {
        "id": ENVIRONMENT_ID,
        "name": "make run (127.0.0.1:8000)",
        "values": [
            {
                "key": "baseUrl",
                "value": "http://127.0.0.1:8000",
                "type": "default",
                "enabled": True,
            },
            {"key": "apiKey", "value": "", "type": "secret", "enabled": True},
        ],
    }
    return json.dumps(environment, indent=2) + "\n"


def collection(contract: Contract) -> dict[str, Any]:
    route, count = contract.route, contract.feature_count
    return {
        "info": {
            "_postman_id": POSTMAN_ID,
            "name": f"The {contract.name} model's prediction API",
            "description": (
                f"POST {route} in each of its forms (the walk-through's, Linear Learner's, TF "
                "Serving's and KServe v1's instances, MLflow's dataframes, JSON Lines out), the "
                "Open Inference Protocol v2 routes, and one example of each kind of refusal. "
                "Set baseUrl to the API's address (`make run`: http://127.0.0.1:8000; AWS: the "
                "stack's EndpointURL without its trailing slash) and apiKey to the stage's key (a "
                "deployed stage answers 403 without it; `make run` ignores it). Each request's "
                "test asserts the status the API documents. Research and teaching only: not a "
                "diagnostic device. Written by `python -m postman` from the model's contract."
            ),
            "schema": SCHEMA,
        },
        "auth": {
            "type": "apikey",
            "apikey": [
                {"key": "key", "value": "x-api-key", "type": "string"},
                {"key": "value", "value": "{{apiKey}}", "type": "string"},
                {"key": "in", "value": "header", "type": "string"},
            ],
        },
        "variable": [
            {"key": "baseUrl", "value": "http://127.0.0.1:8000", "type": "string"},
            {"key": "apiKey", "value": "", "type": "string"},
        ],
        "item": [
            *_forms(contract),
            *_discovery(contract),
            *_oip(contract),
            *_refusals(contract, route, count),
        ],
    }


def _forms(contract: Contract) -> list[Item]:
    names, count = contract.feature_names, contract.feature_count
    first = list(contract.examples[0].values)
    rows = [list(contract.examples[n].values) for n in CLASS_EXAMPLES]
    lines = [_csv(row) for row in rows]
    codes = [model_class.code for model_class in contract.classes]
    one = _test(
        f"one prediction, {' or '.join(codes)}",
        f"pm.expect(pm.response.json().prediction).to.be.oneOf({json.dumps(codes)});",
    )
    in_order = _test(
        "two predictions, in order",
        "var letters = pm.response.json().predictions.map(function (p) { return p.prediction; });",
        f"pm.expect(letters).to.eql({json.dumps(codes)});",
    )
    reversed_names = list(reversed(names))
    _item = functools.partial(_request, path=contract.route)
    return [
        _item(
            "Walk-through: one row as a CSV string",
            f"The AWS walk-through's body: the {count} values in the model's order as one "
            "comma-separated string.",
            json.dumps({payload.DATA: _csv(first)}),
            [_status(200), one],
        ),
        _item(
            "Named features",
            f"The same row with each value named; any order, all {count} names, nothing else.",
            {payload.FEATURES: dict(zip(names, first, strict=True))},
            [_status(200), one],
        ),
        _item(
            "Batch: JSON instances",
            f"Up to {MAX_ROWS} rows in one request, in any of the single-row forms; the answers "
            "come back in order.",
            {payload.INSTANCES: [{payload.DATA: line} for line in lines]},
            [_status(200), in_order],
        ),
        _item(
            "Batch: CSV with a header",
            f"A text/csv body: a header naming the {count} features in any order, then one row "
            "a line.",
            "\n".join([",".join(names), *lines]) + "\n",
            [
                _status(200),
                _test(
                    "two predictions", "pm.expect(pm.response.json().predictions.length).to.eql(2);"
                ),
            ],
            content_type=content_types.CSV,
        ),
        _item(
            "Linear Learner: features by position",
            f"Linear Learner's own JSON request: `features` as an array of the {count} values "
            "in the model's order.",
            {payload.FEATURES: rows[0]},
            [
                _status(200),
                _test(
                    f"the {contract.classes[0].name} row is {codes[0]}",
                    f"pm.expect(pm.response.json().prediction).to.eql({json.dumps(codes[0])});",
                ),
            ],
        ),
        _item(
            "Batch: instances as arrays (TF Serving, KServe v1)",
            f"Each instance an array of the {count} values in the model's order.",
            {payload.INSTANCES: rows},
            [_status(200), in_order],
        ),
        _item(
            "Batch: instances as CSV lines",
            f"Each instance a CSV line of the {count} values, as in the walk-through's `data`.",
            {payload.INSTANCES: lines},
            [_status(200), in_order],
        ),
        _item(
            "MLflow: dataframe_split",
            f"MLflow's scoring protocol, a DataFrame split: `columns` name the {count} features "
            "in any order (here reversed), each row in that order.",
            {
                payload.DATAFRAME_SPLIT: {
                    payload.COLUMNS: reversed_names,
                    payload.DATA: [list(reversed(row)) for row in rows],
                }
            },
            [_status(200), in_order],
        ),
        _item(
            "MLflow: dataframe_records",
            f"MLflow's scoring protocol, a DataFrame as records: each names all {count} features.",
            {payload.DATAFRAME_RECORDS: [dict(zip(names, row, strict=True)) for row in rows]},
            [_status(200), in_order],
        ),
        _item(
            "JSON Lines answer",
            "Accept: application/jsonlines (Linear Learner's other answer format): one JSON "
            "object per row and line.",
            {payload.INSTANCES: lines},
            [
                _status(200),
                _test(
                    "application/jsonlines, one object a line, in order",
                    'pm.expect(pm.response.headers.get("Content-Type"))'
                    f".to.eql({json.dumps(content_types.JSON_LINES)});",
                    'var lines = pm.response.text().split("\\n").filter(function (line) '
                    "{ return line.length > 0; });",
                    "var letters = lines.map(function (line) "
                    "{ return JSON.parse(line).prediction; });",
                    f"pm.expect(letters).to.eql({json.dumps(codes)});",
                ),
            ],
            accept=content_types.JSON_LINES,
        ),
    ]


def _discovery(contract: Contract) -> list[Item]:
    count = contract.feature_count
    return [
        _request(
            "Health",
            "Whether the API is up, the endpoint it calls and the model version it serves; "
            "needs no key and never calls the endpoint.",
            None,
            [_status(200), _test("ok", 'pm.expect(pm.response.json().status).to.eql("ok");')],
            path="/health",
        ),
        _request(
            "The model: contract and card",
            "The model's contract (features, training ranges, classes, threshold, examples), "
            "its version and its model card; needs no key.",
            None,
            [
                _status(200),
                _test(
                    f"the {contract.name} model, {count} features",
                    "var model = pm.response.json();",
                    f"pm.expect(model.name).to.eql({json.dumps(contract.name)});",
                    f"pm.expect(model.features.length).to.eql({count});",
                ),
            ],
            path="/model",
        ),
        _request(
            "OpenAPI document",
            "The API's OpenAPI 3.1 description, written from the model's contract; needs no key.",
            None,
            [
                _status(200),
                _test(
                    f"OpenAPI 3.1 with {contract.route}",
                    "var spec = pm.response.json();",
                    "pm.expect(spec.openapi).to.match(/^3\\.1\\./);",
                    f"pm.expect(spec.paths).to.have.property({json.dumps(contract.route)});",
                ),
            ],
            path="/openapi.json",
        ),
    ]


def _oip(contract: Contract) -> list[Item]:
    count, path = contract.feature_count, oip.model_path(contract)
    rows = [list(contract.examples[n].values) for n in CLASS_EXAMPLES]
    outputs = [oip.LABEL_OUTPUT, contract.probability_field]
    tensor = {"name": oip.INPUT_NAME, "shape": [len(rows), count], "datatype": "FP64"}
    name = f"pm.expect(answer.model_name).to.eql({json.dumps(contract.name)});"
    return [
        _request(
            "OIP v2: infer",
            "The Open Inference Protocol v2 (KServe, Triton, MLServer): one FP64 tensor of "
            f"shape [{len(rows)}, {count}], row-major; the key is needed as on the main route.",
            {"id": "postman-run", "inputs": [{**tensor, "data": [v for row in rows for v in row]}]},
            [
                _status(200),
                _test(
                    "both outputs, labels in order, the id echoed",
                    "var answer = pm.response.json();",
                    name,
                    'pm.expect(answer.id).to.eql("postman-run");',
                    "var names = answer.outputs.map(function (o) { return o.name; });",
                    f"pm.expect(names).to.eql({json.dumps(outputs)});",
                    "pm.expect(answer.outputs[0].data)"
                    f".to.eql({json.dumps([c.code for c in contract.classes])});",
                    'pm.expect(answer.outputs[1].datatype).to.eql("FP64");',
                ),
            ],
            path=f"{path}/infer",
        ),
        _request(
            "OIP v2: server ready",
            "Needs no key; never calls the endpoint.",
            None,
            [_status(200), _test("ready", "pm.expect(pm.response.json().ready).to.eql(true);")],
            path=f"{oip.PREFIX}/health/ready",
        ),
        _request(
            "OIP v2: model metadata",
            "Inputs, outputs and versions of the model; needs no key.",
            None,
            [
                _status(200),
                _test(
                    f"an [N, {count}] input and {len(outputs)} outputs",
                    "var metadata = pm.response.json();",
                    name.replace("answer.model_name", "metadata.name"),
                    f"pm.expect(metadata.inputs[0].shape).to.eql([-1, {count}]);",
                    f"pm.expect(metadata.outputs.length).to.eql({len(outputs)});",
                ),
            ],
            path=path,
        ),
        _request(
            "OIP v2: 400 in OIP's error shape",
            f"A shape that is not [N, {count}]: OIP's own error shape, a message and nothing else.",
            {"inputs": [{**tensor, "shape": [1, count - 1], "data": rows[0][:-1]}]},
            [
                _status(400),
                _test(
                    "OIP error shape",
                    "var answer = pm.response.json();",
                    'pm.expect(Object.keys(answer)).to.eql(["error"]);',
                    'pm.expect(answer.error).to.be.a("string");',
                ),
            ],
            path=f"{path}/infer",
        ),
    ]


def _refusals(contract: Contract, route: str, count: int) -> list[Item]:
    names = contract.feature_names
    values = contract.examples[0].values
    first = _csv(values).split(",")
    held_out = _csv(contract.examples[CLASS_EXAMPLES[0]].values)
    bad = ",".join([*first[:2], "abc", *first[3:]])
    _item = functools.partial(_request, path=route)
    return [
        _item(
            "400 invalid value",
            "Value 3 is not a plain decimal: the error names its position and feature, never "
            "the value.",
            json.dumps({payload.DATA: bad}),
            [
                _status(400),
                _code("invalid_value"),
                _test(
                    "the error names the feature",
                    f"pm.expect(pm.response.json().error.feature).to.eql({json.dumps(names[2])});",
                ),
            ],
        ),
        _item(
            "400 wrong value count",
            f"{count - 1} values instead of {count}.",
            json.dumps({payload.DATA: ",".join(first[:-1])}),
            [_status(400), _code("wrong_value_count")],
        ),
        _item(
            "400 invalid header",
            "A CSV first line without a number is a header; this one names a column that is "
            "not a feature.",
            f"{','.join([*names[:-1], 'patient'])}\n{held_out}\n",
            [_status(400), _code("invalid_header")],
            content_type=content_types.CSV,
        ),
        _item(
            "400 unknown name, with the nearest",
            f"A misspelled feature name: the error suggests the nearest, {names[0]!r}.",
            {payload.FEATURES: dict(zip((names[0][:-1], *names[1:]), values, strict=True))},
            [
                _status(400),
                _code("invalid_payload"),
                _test(
                    "did you mean",
                    "pm.expect(pm.response.json().error.message)"
                    f".to.include({json.dumps(f'did you mean {names[0]!r}')});",
                ),
            ],
        ),
        _item(
            "406 not acceptable",
            "The API answers JSON, text/plain (single rows) or text/csv, not an image.",
            json.dumps({payload.DATA: ",".join(first)}),
            [_status(406), _code("not_acceptable")],
            accept="image/png",
        ),
        _item(
            "413 too many rows",
            f"{MAX_ROWS + 1} instances, one over the limit: the API counts the rows before it "
            "reads any of them.",
            '{"instances":[' + ",".join(["{}"] * (MAX_ROWS + 1)) + "]}",
            [_status(413), _code("too_many_rows")],
        ),
        _item(
            "415 unsupported media type",
            "A body that is neither application/json nor text/csv.",
            ",".join(first),
            [_status(415), _code("unsupported_media_type")],
            content_type=content_types.PLAIN_TEXT,
        ),
        _item(
            "415 charset other than UTF-8",
            "Every body is read as UTF-8; another charset is refused rather than misread.",
            json.dumps({payload.DATA: held_out}),
            [_status(415), _code("unsupported_media_type")],
            content_type=f"{JSON}; charset=iso-8859-1",
        ),
        _request(
            "404 a path the API does not have",
            "A misspelled route: the API's 404, in its error shape (on AWS, API Gateway's own "
            "answer, in the same shape).",
            None,
            [_status(404), _code("not_found")],
            path=f"{route}s",
        ),
    ]


def _csv(values: Any) -> str:
    return ",".join(map(repr, values))


def _test(title: str, *lines: str) -> list[str]:
    return [
        f"pm.test({json.dumps(title)}, function () {{",
        *(f"    {line}" for line in lines),
        "});",
    ]


def _status(status: int) -> list[str]:
    return _test(f"status is {status}", f"pm.response.to.have.status({status});")


def _code(code: str) -> list[str]:
    return _test(
        f"error code is {code}",
        f"pm.expect(pm.response.json().error.code).to.eql({json.dumps(code)});",
    )


def _request(
    name: str,
    description: str,
    body: Any,
    tests: list[list[str]],
    *,
    content_type: str = JSON,
    accept: str | None = None,
    path: str,
) -> Item:
    """One request to `path`; a POST of `body`, or a GET where it is None."""
    request: dict[str, Any] = {"description": description, "method": "GET", "header": []}
    if body is not None:
        raw = body if isinstance(body, str) else json.dumps(body, indent=2)
        language = "json" if content_type.startswith(JSON) else "text"
        request["method"] = "POST"
        request["header"] = [{"key": "Content-Type", "value": content_type}]
        request["body"] = {"mode": "raw", "raw": raw, "options": {"raw": {"language": language}}}
    if accept is not None:
        request["header"].append({"key": "Accept", "value": accept})
    request["url"] = {
        "raw": "{{baseUrl}}" + path,
        "host": ["{{baseUrl}}"],
        "path": path.strip("/").split("/"),
    }
    script = {"type": "text/javascript", "exec": [line for test in tests for line in test]}
    return {
        "name": name,
        "event": [{"listen": "test", "script": script}],
        "request": request,
        "response": [],
    }
