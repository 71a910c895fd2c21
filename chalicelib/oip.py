"""The Open Inference Protocol v2 (KServe, Triton, MLServer): its JSON in and out, our rows inside.

`POST /v2/models/wdbc/infer` takes one input tensor of shape `[N, 30]` (FP32 or FP64, its `data`
row-major, flat or nested) and answers the outputs `predicted_label` (BYTES, `B`/`M`) and
`probability_malignant` (FP64). Rows go through rows.py, limits.py and the one endpoint call
like every other form; errors are OIP's `{"error": "<message>"}`, messages as elsewhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from chalicelib import content_types
from chalicelib.echo import quote_names
from chalicelib.errors import ApiError, InvalidPayload
from chalicelib.features import FEATURE_COUNT
from chalicelib.json_body import load_json
from chalicelib.limits import MAX_ROWS, check_row_count
from chalicelib.model_answer import Prediction
from chalicelib.replies import LETTERS, ModelIdentity, Reply
from chalicelib.rows import Row, json_type_name, row_from_numbers

MODEL_NAME = "wdbc"
PREFIX = "/v2"
INPUT_NAME = "features"  # what the metadata calls it; a request may name its tensor as it likes
INPUT_DATATYPES = ("FP32", "FP64")
LABEL_OUTPUT, PROBABILITY_OUTPUT = "predicted_label", "probability_malignant"
OUTPUT_DATATYPES = {LABEL_OUTPUT: "BYTES", PROBABILITY_OUTPUT: "FP64"}
READY_BODY = json.dumps({"ready": True})
REQUEST_KEYS = ("id", "inputs", "outputs", "parameters")
TENSOR_KEYS = ("name", "shape", "datatype", "data", "parameters")
# A request id is echoed only if it cannot be a value: letters, digits, `-` and `_`, with a letter
# other than `e`, so no number (`-1349`, `13e49`) and no digits in groups (`123-45-6789`) is.
_PLAIN_IDENTIFIER = re.compile(r"(?=[0-9eE_-]*+[A-DF-Za-df-z])[A-Za-z0-9_-]{1,64}")


class InferRequest(NamedTuple):
    rows: list[Row]
    request_id: str | None  # the caller's `id`, when it may be echoed
    outputs: tuple[str, ...]  # the outputs asked for, in the order asked


def parse_infer_request(body: bytes, content_type: str | None) -> InferRequest:
    content_types.body_media_type(content_type, (content_types.JSON,))
    document = load_json(body)
    if not isinstance(document, dict):
        raise InvalidPayload(
            f"the body must be a JSON object, not {json_type_name(document)}", "body"
        )
    _only(document, REQUEST_KEYS, "the request")
    inputs = document.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
        raise InvalidPayload('"inputs" must be an array of exactly one tensor object', "inputs")
    if not isinstance(document.get("id", ""), str):
        raise InvalidPayload('"id" must be a string', "id")
    rows = _rows_from_tensor(inputs[0])
    return InferRequest(rows, _echoable_id(document.get("id")), _outputs(document.get("outputs")))


def _only(document: Mapping[str, Any], keys: Sequence[str], where: str) -> None:
    """Only `keys`; OIP's `parameters`, where allowed, an object (none is read)."""
    others = [key for key in document if key not in keys]
    if others:
        raise InvalidPayload(f"{where} holds unknown key(s) {quote_names(others)}", "inputs")
    if not isinstance(document.get("parameters", {}), dict):
        raise InvalidPayload(f'"parameters" of {where} must be an object', "parameters")


def _rows_from_tensor(tensor: dict[str, Any]) -> list[Row]:
    _only(tensor, TENSOR_KEYS, "the input tensor")
    if not isinstance(tensor.get("name"), str):
        raise InvalidPayload('the input tensor must have a "name" string', "inputs")
    datatype = tensor.get("datatype")
    if datatype not in INPUT_DATATYPES:
        raise InvalidPayload(
            f'the input tensor\'s "datatype" must be {" or ".join(INPUT_DATATYPES)}', "datatype"
        )
    shape = tensor.get("shape")
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or not all(type(size) is int for size in shape)
        or shape[0] < 1
        or shape[1] != FEATURE_COUNT
    ):
        raise InvalidPayload(
            f'the input tensor\'s "shape" must be [N, {FEATURE_COUNT}], N from 1 to {MAX_ROWS}',
            "shape",
        )
    count = shape[0]
    check_row_count(count)
    data = tensor.get("data")
    if not isinstance(data, list):
        raise InvalidPayload(
            f'the input tensor\'s "data" must be an array, not {json_type_name(data)}', "data"
        )
    if len(data) == count * FEATURE_COUNT and not (data and isinstance(data[0], list)):
        nested = [
            data[start : start + FEATURE_COUNT] for start in range(0, len(data), FEATURE_COUNT)
        ]
    elif len(data) == count and all(isinstance(row, list) for row in data):
        nested = data
    else:
        raise InvalidPayload(
            f'the input tensor\'s "data" must hold {count} x {FEATURE_COUNT} numbers, flat or '
            f"as {count} arrays of {FEATURE_COUNT}, for its shape; it holds {len(data)} items",
            "data",
        )
    rows = []
    for number, values in enumerate(nested, start=1):
        try:
            rows.append(row_from_numbers(values, "data"))
        except ApiError as error:
            raise error.in_row(number) from None
    return rows


def _echoable_id(request_id: Any) -> str | None:
    if isinstance(request_id, str) and _PLAIN_IDENTIFIER.fullmatch(request_id):
        return request_id
    return None


def _outputs(requested: Any) -> tuple[str, ...]:
    if requested is None:
        return tuple(OUTPUT_DATATYPES)
    refused = InvalidPayload(
        '"outputs" must list objects naming ' + " or ".join(OUTPUT_DATATYPES), "outputs"
    )
    if not isinstance(requested, list) or not requested:
        raise refused
    names = []
    for item in requested:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or name not in OUTPUT_DATATYPES:
            raise refused
        _only(item, ("name", "parameters"), "an output")
        names.append(name)
    return tuple(dict.fromkeys(names))


def infer_reply(
    request: InferRequest, predictions: Sequence[Prediction], model: ModelIdentity
) -> Reply:
    rows = len(predictions)
    data: dict[str, list[Any]] = {
        LABEL_OUTPUT: [LETTERS[label] for label, _ in predictions],
        PROBABILITY_OUTPUT: [probability for _, probability in predictions],
    }
    document: dict[str, Any] = {"model_name": MODEL_NAME, "model_version": model.version}
    if request.request_id is not None:
        document["id"] = request.request_id
    document["outputs"] = [
        {"name": name, "shape": [rows], "datatype": OUTPUT_DATATYPES[name], "data": data[name]}
        for name in request.outputs
    ]
    return Reply(200, json.dumps(document), content_types.JSON, rows=rows)


def error_reply(error: ApiError, rows: int = 0) -> Reply:
    """OIP's error shape: the message only; the code goes to the access log, the id in a header."""
    return Reply(
        status=error.STATUS_CODE,
        body=json.dumps({"error": error.message}),
        content_type=content_types.JSON,
        headers=error.headers,
        rows=rows,
        error_code=error.CODE,
    )


def model_metadata(version: str | None) -> dict[str, Any]:
    return {
        "name": MODEL_NAME,
        "versions": [version] if version else [],
        "platform": "sagemaker",
        "inputs": [{"name": INPUT_NAME, "datatype": "FP64", "shape": [-1, FEATURE_COUNT]}],
        "outputs": [
            {"name": name, "datatype": datatype, "shape": [-1]}
            for name, datatype in OUTPUT_DATATYPES.items()
        ],
    }
