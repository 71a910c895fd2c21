"""The Open Inference Protocol v2 (KServe, Triton, MLServer): its JSON in and out, our rows inside.

`POST /v2/models/<model>/infer` takes one input tensor of shape `[N, features]` (FP32 or FP64,
its `data` row-major, flat or nested) and answers by task: `predicted_label` (BYTES, the class
codes) and the positive class's probability (FP64) for binary, `predicted_label` and
`probabilities` (FP64, `[N, classes]`) for multiclass, `prediction` (FP64) for regression. Rows
go through rows.py, the limits in errors.py and the one endpoint call like every other form;
errors are OIP's `{"error": "<message>"}`, messages as elsewhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from chalicelib import content_types
from chalicelib.contract import BINARY, MULTICLASS, Contract
from chalicelib.errors import MAX_ROWS, ApiError, InvalidPayload, TooManyRows, quote_names
from chalicelib.json_body import load_json
from chalicelib.model_answer import Prediction
from chalicelib.replies import ModelIdentity, Reply
from chalicelib.rows import Row, RowReader, json_type_name

PREFIX = "/v2"
INPUT_NAME = "features"  # what the metadata calls it; a request may name its tensor as it likes
INPUT_DATATYPES = ("FP32", "FP64")
LABEL_OUTPUT, PROBABILITIES_OUTPUT, VALUE_OUTPUT = "predicted_label", "probabilities", "prediction"
READY_BODY = json.dumps({"ready": True})
REQUEST_KEYS = ("id", "inputs", "outputs", "parameters")
TENSOR_KEYS = ("name", "shape", "datatype", "data", "parameters")
# A request id is echoed only if it can be neither a value nor a record's number: a UUID (random,
# as clients make them), or letters, `-` and `_` alone. No digit otherwise, so no number
# (`-1349`, `13e49`), no digits in groups (`123-45-6789`) and no record number (`mrn-0012345`).
_PLAIN_IDENTIFIER = re.compile(
    r"[A-Za-z_-]{1,64}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
)


def model_path(contract: Contract) -> str:
    return f"{PREFIX}/models/{contract.name}"


class InferRequest(NamedTuple):
    rows: list[Row]
    request_id: str | None  # the caller's `id`, when it may be echoed
    outputs: tuple[str, ...]  # the outputs asked for, in the order asked


class OpenInference:
    """One contract's model as OIP sees it: its input tensor and its outputs."""

    def __init__(self, contract: Contract, rows: RowReader) -> None:
        self.model_name = contract.name
        self.rows = rows
        self.count = rows.count
        self.codes = [model_class.code for model_class in contract.classes]
        self.task = contract.task
        if contract.task == BINARY:
            self.outputs = {LABEL_OUTPUT: "BYTES", contract.probability_field: "FP64"}
        elif contract.task == MULTICLASS:
            self.outputs = {LABEL_OUTPUT: "BYTES", PROBABILITIES_OUTPUT: "FP64"}
        else:
            self.outputs = {VALUE_OUTPUT: "FP64"}

    def parse_infer_request(self, body: bytes, content_type: str | None) -> InferRequest:
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
        rows = self._rows_from_tensor(inputs[0])
        return InferRequest(rows, _echoable_id(document.get("id")), self._requested(document))

    def _rows_from_tensor(self, tensor: dict[str, Any]) -> list[Row]:
        _only(tensor, TENSOR_KEYS, "the input tensor")
        if not isinstance(tensor.get("name"), str):
            raise InvalidPayload('the input tensor must have a "name" string', "inputs")
        datatype = tensor.get("datatype")
        if datatype not in INPUT_DATATYPES:
            raise InvalidPayload(
                f'the input tensor\'s "datatype" must be {" or ".join(INPUT_DATATYPES)}',
                "datatype",
            )
        width = self.count
        shape = tensor.get("shape")
        if (
            not isinstance(shape, list)
            or len(shape) != 2
            or not all(type(size) is int for size in shape)
            or shape[0] < 1
            or shape[1] != width
        ):
            raise InvalidPayload(
                f'the input tensor\'s "shape" must be [N, {width}], N from 1 to {MAX_ROWS}',
                "shape",
            )
        count = shape[0]
        if count > MAX_ROWS:  # the caller's own number, not repeated
            raise TooManyRows(f"the input tensor's shape asks for more than {MAX_ROWS} rows")
        data = tensor.get("data")
        if not isinstance(data, list):
            raise InvalidPayload(
                f'the input tensor\'s "data" must be an array, not {json_type_name(data)}', "data"
            )
        if len(data) == count * width and not (data and isinstance(data[0], list)):
            nested = [data[start : start + width] for start in range(0, len(data), width)]
        elif len(data) == count and all(isinstance(row, list) for row in data):
            nested = data
        else:
            raise InvalidPayload(
                f'the input tensor\'s "data" must hold {count} x {width} numbers, flat or '
                f"as {count} arrays of {width}, for its shape; it holds {len(data)} items",
                "data",
            )
        fast = self.rows.from_arrays(nested)
        if fast is not None:
            return fast
        rows = []
        for number, values in enumerate(nested, start=1):
            try:
                rows.append(self.rows.from_numbers(values, "data"))
            except ApiError as error:
                raise error.in_row(number) from None
        return rows

    def _requested(self, document: Mapping[str, Any]) -> tuple[str, ...]:
        """The outputs the request names; all where it names none (`"outputs": null` is no list)."""
        if "outputs" not in document:
            return tuple(self.outputs)
        requested = document["outputs"]
        refused = InvalidPayload(
            '"outputs" must list objects naming ' + " or ".join(self.outputs), "outputs"
        )
        if not isinstance(requested, list) or not requested:
            raise refused
        names = []
        for item in requested:
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or name not in self.outputs:
                raise refused
            _only(item, ("name", "parameters"), "an output")
            names.append(name)
        return tuple(dict.fromkeys(names))

    def infer_reply(
        self,
        request: InferRequest,
        predictions: Sequence[Prediction],
        model: ModelIdentity,
        headers: Mapping[str, str],
    ) -> Reply:
        rows = len(predictions)
        document: dict[str, Any] = {"model_name": self.model_name, "model_version": model.version}
        if request.request_id is not None:
            document["id"] = request.request_id
        document["outputs"] = [self._output(name, predictions) for name in request.outputs]
        return Reply(200, json.dumps(document), content_types.JSON, headers, rows=rows)

    def _output(self, name: str, predictions: Sequence[Prediction]) -> dict[str, Any]:
        rows = len(predictions)
        shape = [rows]
        if name == LABEL_OUTPUT:
            data: list[Any] = [self.codes[p.outcome] for p in predictions]  # type: ignore[index]
        elif name == VALUE_OUTPUT:
            data = [p.outcome for p in predictions]
        elif name == PROBABILITIES_OUTPUT:
            data = [value for p in predictions for value in p.probability]  # type: ignore[union-attr]
            shape = [rows, len(self.codes)]
        else:
            data = [p.probability for p in predictions]
        return {"name": name, "shape": shape, "datatype": self.outputs[name], "data": data}

    def model_metadata(self, version: str | None) -> dict[str, Any]:
        return {
            "name": self.model_name,
            "versions": [version] if version else [],
            "platform": "sagemaker",
            "inputs": [{"name": INPUT_NAME, "datatype": "FP64", "shape": [-1, self.count]}],
            "outputs": [
                {"name": name, "datatype": datatype, "shape": self._shape(name)}
                for name, datatype in self.outputs.items()
            ],
        }

    def _shape(self, name: str) -> list[int]:
        return [-1, len(self.codes)] if name == PROBABILITIES_OUTPUT else [-1]


def _only(document: Mapping[str, Any], keys: Sequence[str], where: str) -> None:
    """Only `keys`; OIP's `parameters`, where allowed, an object (none is read)."""
    others = [key for key in document if key not in keys]
    if others:
        raise InvalidPayload(f"{where} holds unknown key(s) {quote_names(others)}", "inputs")
    if not isinstance(document.get("parameters", {}), dict):
        raise InvalidPayload(f'"parameters" of {where} must be an object', "parameters")


def _echoable_id(request_id: Any) -> str | None:
    if isinstance(request_id, str) and _PLAIN_IDENTIFIER.fullmatch(request_id):
        return request_id
    return None


def error_reply(error: ApiError, request_id: str = "", rows: int = 0) -> Reply:
    """OIP's error shape: the message only; the code goes to the access log, the id in a header
    (`request_id` is not in the body)."""
    return Reply(
        status=error.STATUS_CODE,
        body=json.dumps({"error": error.message}),
        content_type=content_types.JSON,
        headers=error.headers,
        rows=rows,
        error_code=error.CODE,
    )
