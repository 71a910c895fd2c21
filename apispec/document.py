"""The whole OpenAPI 3.1 document: paths, shared responses and headers, schemas, examples."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from apispec import catalogue, examples, schemas
from apispec.catalogue import ErrorClass, ErrorStatus
from apispec.schemas import Schema, ref
from chalicelib import content_types, cors, errors, oip, pages
from chalicelib.contract import load_contract
from chalicelib.limits import MAX_BODY_BYTES, MAX_ROWS
from chalicelib.web import REQUEST_ID_HEADER

_WDBC = load_contract("wdbc")  # until this module reads the stage's contract
FEATURE_NAMES, FEATURE_COUNT = _WDBC.feature_names, _WDBC.feature_count

OPENAPI_VERSION = "3.1.0"
PROJECT_FILE = Path(__file__).resolve().parent.parent / "pyproject.toml"
API_KEY_HEADER = "x-api-key"  # API Gateway's own name for it
API_KEY_SCHEME = "apiKey"
PREDICT_PATH = "/predictbreastcancer"
OIP_INFER_PATH = f"{oip.PREFIX}/models/{_WDBC.name}/infer"
OIP_PREFIX = "Oip"  # of the shared responses in OIP's error shape

DESCRIPTION = f"""\
Predicts whether a breast mass is benign (B) or malignant (M) from the {FEATURE_COUNT} \
measurements of the Wisconsin Diagnostic Breast Cancer data set, by calling a SageMaker endpoint.

*Research and teaching only: this is not a diagnostic device.*

Every answer of the API carries `{REQUEST_ID_HEADER}`. Every error it gives has one shape \
(`Error`) and never repeats an input value. A method a path does not take is answered 405 \
`{errors.MethodNotAllowed.CODE}` with an `Allow` header (the shared response \
`MethodNotAllowed`). Bodies are at most {MAX_BODY_BYTES} bytes and {MAX_ROWS} rows, in UTF-8 \
and uncompressed.

The `{oip.PREFIX}/` routes speak the Open Inference Protocol v2 (KServe, Triton, MLServer); \
their errors have OIP's shape (`OipError`, `{{"error": "..."}}`), with the same statuses and \
messages.

Answers to an `Origin` the stage lists in `{cors.CORS_ALLOWED_ORIGINS}` carry \
`Access-Control-Allow-Origin` and `Access-Control-Expose-Headers`; every answer says \
`Vary: Origin`."""


def project_version() -> str:
    version = tomllib.loads(PROJECT_FILE.read_text(encoding="utf-8"))["project"]["version"]
    return str(version)


def build_spec() -> dict[str, Any]:
    classes = catalogue.error_classes()
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "WDBC breast-cancer prediction API",
            "version": project_version(),
            "description": DESCRIPTION,
        },
        # Relative to where this document is served: the API's root on every stage.
        "servers": [{"url": "./"}],
        "paths": {
            PREDICT_PATH: {"post": _predict_operation(), "options": _preflight_operation()},
            OIP_INFER_PATH: {
                "post": _infer_operation(),
                "options": _preflight_operation("oipInferPreflight"),
            },
            f"{oip.PREFIX}/health/ready": {"get": _ready_operation()},
            f"{oip.PREFIX}/models/{_WDBC.name}": {"get": _metadata_operation()},
            "/health": {"get": _health_operation()},
            "/model": {"get": _model_operation()},
            "/openapi.json": {"get": _spec_operation()},
            "/": {"get": _page_operation()},
        },
        "components": {
            "schemas": {
                **schemas.request_schemas(),
                **schemas.answer_schemas(),
                **schemas.discovery_schemas(),
                **schemas.oip_schemas(),
                **schemas.error_schemas(classes),
            },
            "responses": {
                **{status.name: _error_response(status) for status in catalogue.by_status(classes)},
                **{
                    OIP_PREFIX + status.name: _error_response(status, oip_shape=True)
                    for status in catalogue.by_status(catalogue.OIP_INFER_ERRORS)
                },
                "Forbidden": _gateway_response(catalogue.GATEWAY_ANSWERS[403]),
            },
            "headers": {
                "RequestId": {
                    "description": "This request's id, also in the access log and any error.",
                    "required": True,
                    "schema": {"type": "string"},
                },
                "Allow": {
                    "description": "The methods the path takes.",
                    "required": True,
                    "schema": {"type": "string"},
                },
            },
            "securitySchemes": {
                API_KEY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": API_KEY_HEADER,
                    "description": (
                        "The stage's API key, checked by API Gateway (not by `chalice local` "
                        "or `make run`)."
                    ),
                }
            },
        },
    }


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def _headers(*, request_id_always: bool = True) -> dict[str, Any]:
    if request_id_always:
        return {REQUEST_ID_HEADER: {"$ref": "#/components/headers/RequestId"}}
    return {
        REQUEST_ID_HEADER: {
            "description": "This request's id; absent when API Gateway answers itself.",
            "schema": {"type": "string"},
        }
    }


def _error_response(status: ErrorStatus, *, oip_shape: bool = False) -> dict[str, Any]:
    codes = [cls.CODE for cls in status.classes]
    gateway = catalogue.GATEWAY_ANSWERS.get(status.status)
    headers = _headers(request_id_always=gateway is None)
    if status.retry_after_values:
        waits = [f"{c.RETRY_AFTER} for `{c.CODE}`" for c in status.classes if c.RETRY_AFTER]
        retry_after: dict[str, Any] = {
            "description": f"Seconds to wait: {', '.join(waits)}.",
            "schema": {"type": "integer", "enum": status.retry_after_values},
        }
        if status.retry_after_always and gateway is None:
            retry_after["required"] = True
        headers["Retry-After"] = retry_after
    if errors.MethodNotAllowed in status.classes:
        headers["Allow"] = {"$ref": "#/components/headers/Allow"}
    schema: Schema = {
        "allOf": [
            ref("Error"),
            {"properties": {"error": {"properties": {"code": {"enum": codes}}}}},
        ]
    }
    if oip_shape:
        schema = ref("OipError")  # the code only in the access log
    lines = [f"- `{cls.CODE}`: {catalogue.WHEN[cls]}" for cls in status.classes]
    if gateway is not None:
        schema = {"oneOf": [schema, ref("GatewayMessage")]}
        lines.append(f"- {gateway} (`GatewayMessage`)")
    return {
        "description": "\n".join(lines),
        "headers": headers,
        "content": {content_types.JSON: {"schema": schema}},
    }


def _gateway_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {content_types.JSON: {"schema": ref("GatewayMessage")}},
    }


def _error_responses(
    route_errors: Sequence[ErrorClass], *, oip_shape: bool = False
) -> dict[str, Any]:
    """Each status the route can answer with, as the shared response of that status."""
    every = catalogue.OIP_INFER_ERRORS if oip_shape else catalogue.error_classes()
    shared = {group.status: group for group in catalogue.by_status(every)}
    prefix = OIP_PREFIX if oip_shape else ""
    responses = {}
    for status in catalogue.by_status(route_errors):
        if set(shared[status.status].classes) != set(status.classes):
            raise ValueError(
                f"a route gives only some of the {status.status} errors; "
                "apispec.document has no per-route response for that yet"
            )
        responses[str(status.status)] = {"$ref": f"#/components/responses/{prefix}{status.name}"}
    return responses


def _json_answer(description: str, schema_name: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _headers(),
        "content": {content_types.JSON: {"schema": ref(schema_name)}},
    }


def _predict_operation() -> dict[str, Any]:
    return {
        "operationId": "predictBreastCancer",
        "summary": "Predict benign or malignant for one row or a batch",
        "description": (
            "Send one row (`RowText`, `RowNumbers`, `RowFeatures` or Linear Learner's "
            '`RowFeatureArray`), a batch (`{"instances": [...]}`, MLflow\'s `dataframe_split` '
            f"or `dataframe_records`, up to {MAX_ROWS} rows), or CSV rows. The answer's type "
            "follows `Accept`: `application/json` (the default, also for `*/*`), `text/csv`, "
            "`application/jsonlines`, or `text/plain` for a single JSON row only; anything "
            "else is 406. A CSV body is always answered as a batch."
        ),
        "security": [{API_KEY_SCHEME: []}],
        "requestBody": {
            "required": True,
            "content": {
                content_types.JSON: {
                    "schema": ref("PredictionRequest"),
                    "examples": examples.json_requests(),
                },
                content_types.CSV: {
                    "schema": ref("CsvRows"),
                    "examples": examples.csv_requests(),
                },
            },
        },
        "responses": {
            "200": {
                "description": (
                    "The predictions, in the media type `Accept` chose: one object for a "
                    'single JSON row, `{"predictions": [...], "model": ...}` for a batch or '
                    "CSV; a bare letter as text/plain; one CSV line per row as text/csv; one "
                    "JSON object per row and line as application/jsonlines."
                ),
                "headers": _headers(),
                "content": {
                    content_types.JSON: {"schema": ref("PredictionAnswer")},
                    content_types.PLAIN_TEXT: {"schema": ref("Letter")},
                    content_types.CSV: {"schema": ref("CsvAnswer")},
                    content_types.JSON_LINES: {"schema": ref("JsonLinesAnswer")},
                },
            },
            "403": {"$ref": "#/components/responses/Forbidden"},
            **_error_responses(catalogue.PREDICT_ERRORS),
        },
    }


def _preflight_operation(operation_id: str = "predictBreastCancerPreflight") -> dict[str, Any]:
    optional = {"schema": {"type": "string"}}
    return {
        "operationId": operation_id,
        "summary": "The methods the path takes; a browser's CORS preflight",
        "description": (
            "Needs no API key. To a preflight (`Origin` and `Access-Control-Request-Method`) "
            f"from an origin the stage lists in `{cors.CORS_ALLOWED_ORIGINS}`, the answer also "
            "allows that origin, the path's methods and the request headers "
            f"{', '.join(f'`{name}`' for name in cors.ALLOWED_HEADERS)}."
        ),
        "responses": {
            "204": {
                "description": "No body.",
                "headers": {
                    **_headers(),
                    "Allow": {"$ref": "#/components/headers/Allow"},
                    "Access-Control-Allow-Origin": optional,
                    "Access-Control-Allow-Methods": optional,
                    "Access-Control-Allow-Headers": optional,
                    "Access-Control-Max-Age": {
                        "schema": {"type": "integer", "const": cors.MAX_AGE_SECONDS}
                    },
                },
            },
            **_error_responses(catalogue.ANY_ROUTE_ERRORS),
        },
    }


def _infer_operation() -> dict[str, Any]:
    return {
        "operationId": "oipInfer",
        "summary": "Open Inference Protocol v2: predict for an [N, 30] tensor",
        "description": (
            f"One input tensor of shape `[N, {FEATURE_COUNT}]` (N from 1 to {MAX_ROWS}), FP32 "
            "or FP64, its `data` row-major (flat or nested), read as every other form is; one "
            "endpoint call. The answer's outputs are `predicted_label` (BYTES: B or M) and "
            "`probability_malignant` (FP64), or those `outputs` asks for."
        ),
        "security": [{API_KEY_SCHEME: []}],
        "requestBody": {
            "required": True,
            "content": {
                content_types.JSON: {
                    "schema": ref("InferenceRequest"),
                    "examples": examples.oip_requests(),
                }
            },
        },
        "responses": {
            "200": _json_answer("The outputs, one value per row each.", "InferenceResponse"),
            "403": {"$ref": "#/components/responses/Forbidden"},
            **_error_responses(catalogue.OIP_INFER_ERRORS, oip_shape=True),
        },
    }


def _ready_operation() -> dict[str, Any]:
    return {
        "operationId": "oipReady",
        "summary": "Open Inference Protocol v2: whether the server is ready",
        "description": "Answered from memory, as `/health` is: it never calls the endpoint.",
        "responses": {
            "200": _json_answer("Ready.", "Readiness"),
            **_error_responses(catalogue.ANY_ROUTE_ERRORS, oip_shape=True),
        },
    }


def _metadata_operation() -> dict[str, Any]:
    return {
        "operationId": "oipModelMetadata",
        "summary": "Open Inference Protocol v2: the model's inputs, outputs and versions",
        "responses": {
            "200": _json_answer("The model's metadata.", "ModelMetadata"),
            **_error_responses(catalogue.ANY_ROUTE_ERRORS, oip_shape=True),
        },
    }


def _health_operation() -> dict[str, Any]:
    return {
        "operationId": "health",
        "summary": "Whether the API is up, and which endpoint and model it serves",
        "description": "Answered from memory: it never calls the endpoint.",
        "responses": {
            "200": _json_answer("The API is up.", "Health"),
            **_error_responses(catalogue.ANY_ROUTE_ERRORS),
        },
    }


def _model_operation() -> dict[str, Any]:
    return {
        "operationId": "modelCard",
        "summary": "The model card: features, training ranges, test metrics, intended use",
        "responses": {
            "200": _json_answer("The model card of this stage.", "ModelCard"),
            **_error_responses(catalogue.MODEL_CARD_ERRORS),
        },
    }


def _spec_operation() -> dict[str, Any]:
    return {
        "operationId": "openapiDocument",
        "summary": "This OpenAPI document",
        "responses": {
            "200": _json_answer("The document.", "OpenApiDocument"),
            **_error_responses(catalogue.ANY_ROUTE_ERRORS),
        },
    }


def _page_operation() -> dict[str, Any]:
    return {
        "operationId": "demoPage",
        "summary": "A page that sends one row from a form and shows the answer",
        "description": "Needs no API key: the page asks for one and its script sends it.",
        "responses": {
            "200": {
                "description": "One HTML document, its style and script inline.",
                "headers": _headers(),
                "content": {content_types.essence(pages.HTML): {"schema": {"type": "string"}}},
            },
            **_error_responses(catalogue.ANY_ROUTE_ERRORS),
        },
    }
