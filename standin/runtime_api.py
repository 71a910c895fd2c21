"""SageMaker Runtime's front door for `POST /endpoints/{EndpointName}/invocations`.

What boto3's `invoke_endpoint` sees on AWS: rest-json errors whose `x-amzn-ErrorType` header names
the exception class (ValidationError, ModelError), the container's own 4xx wrapped in a 424
ModelError, and the serving variant in `x-Amzn-Invoked-Production-Variant`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import NamedTuple

from standin import container
from standin.errors import ConfigError
from standin.model import LinearScorer
from standin.replies import Reply, json_reply, message_reply
from training.artifact import ModelArtifact

ACCOUNT_ID = "000000000000"
REGION = "us-east-1"
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # BodyBlob's max in botocore's sagemaker-runtime model
_CORAL_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.sagemaker/"
# EndpointName and TargetVariantHeader share this pattern (and a 63-character limit).
_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
_NAME_MAX_LENGTH = 63

# Headers that address features a single-model, single-variant endpoint does not have. The first
# message is AWS's wording; the others are ours.
_UNSUPPORTED_HEADERS = {
    "x-amzn-sagemaker-target-model": "is not a multi-model endpoint and does not support "
    "target model header.",
    "x-amzn-sagemaker-target-container-hostname": "is not a multi-container endpoint and does "
    "not support target container hostname header.",
    "x-amzn-sagemaker-inference-component": "has no inference components.",
    "x-amzn-sagemaker-session-id": "does not support stateful sessions.",
    "x-amzn-sagemaker-enable-explanations": "has no explainer configured.",
}


@dataclass(frozen=True)
class Endpoint:
    """The one endpoint a stand-in serves."""

    name: str
    variant: str
    scorer: LinearScorer


class EndpointRequest(NamedTuple):
    endpoint_name: str
    body: bytes
    headers: Mapping[str, str]  # names in lower case


def new_endpoint(artifact: ModelArtifact, name: str, variant: str | None = None) -> Endpoint:
    """The variant defaults to the model version, so callers can report which model answered."""
    variant = artifact.version if variant is None else variant
    for setting, value in (("endpoint name", name), ("variant", variant)):
        if len(value) > _NAME_MAX_LENGTH or not _NAME.fullmatch(value):
            raise ConfigError(
                f"{setting} {value!r} must be 1-{_NAME_MAX_LENGTH} letters, digits and hyphens, "
                "starting and ending with a letter or digit"
            )
    return Endpoint(name, variant, LinearScorer(artifact))


def invoke_endpoint(endpoint: Endpoint, request: EndpointRequest) -> Reply:
    request_id = str(uuid.uuid4())
    if request.endpoint_name != endpoint.name:
        message = f"Endpoint {request.endpoint_name} of account {ACCOUNT_ID} not found."
        return _validation_error(request_id, message)
    refusal = _refuse_headers(endpoint, request.headers)
    if refusal is not None:
        return _validation_error(request_id, refusal)
    answer = container.invoke(
        endpoint.scorer,
        request.body,
        request.headers.get("content-type"),
        request.headers.get("accept"),
    )
    if answer.status != HTTPStatus.OK:
        return _model_error(endpoint, request_id, answer)
    identity = (("x-Amzn-Invoked-Production-Variant", endpoint.variant),)
    return answer._replace(headers=answer.headers + identity + _request_id(request_id))


def oversize_reply() -> Reply:
    request_id = str(uuid.uuid4())
    return _validation_error(request_id, f"Request {request_id} has oversize body.")


def unknown_operation_reply(status: HTTPStatus) -> Reply:
    """404 or 405; the error type makes boto3 raise a ClientError rather than fail to parse."""
    return _error(status, "UnknownOperationException", str(uuid.uuid4()), status.phrase)


def internal_failure_reply() -> Reply:
    return _error(
        HTTPStatus.INTERNAL_SERVER_ERROR, "InternalFailure", str(uuid.uuid4()), "Internal failure."
    )


def _refuse_headers(endpoint: Endpoint, headers: Mapping[str, str]) -> str | None:
    for header, complaint in _UNSUPPORTED_HEADERS.items():
        if header in headers:
            return f"Endpoint {endpoint.name} {complaint}"
    target_variant = headers.get("x-amzn-sagemaker-target-variant")
    if target_variant is not None and target_variant != endpoint.variant:
        return f"Variant {target_variant} is not a production variant of endpoint {endpoint.name}."
    return None


def _model_error(endpoint: Endpoint, request_id: str, answer: Reply) -> Reply:
    status = answer.status.value
    side = "client" if status < HTTPStatus.INTERNAL_SERVER_ERROR else "server"
    original = answer.body.decode("utf-8", errors="replace")
    log_group = f"/aws/sagemaker/Endpoints/{endpoint.name}"
    console = (
        f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
        f"#logEventViewer:group={log_group}"
    )
    document = {
        "ErrorCode": f"{side.upper()}_ERROR_FROM_MODEL",
        "LogStreamArn": f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{log_group}",
        "Message": f'Received {side} error ({status}) from primary with message "{original}". '
        f"See {console} in account {ACCOUNT_ID} for more information.",
        "OriginalMessage": original,
        "OriginalStatusCode": status,
    }
    return json_reply(
        HTTPStatus.FAILED_DEPENDENCY,
        document,
        (("x-amzn-ErrorType", f"ModelError:{_CORAL_NAMESPACE}"), *_request_id(request_id)),
    )


def _validation_error(request_id: str, message: str) -> Reply:
    return _error(HTTPStatus.BAD_REQUEST, "ValidationError", request_id, message)


def _error(status: HTTPStatus, error_type: str, request_id: str, message: str) -> Reply:
    headers = (("x-amzn-ErrorType", f"{error_type}:{_CORAL_NAMESPACE}"), *_request_id(request_id))
    return message_reply(status, message, headers)


def _request_id(request_id: str) -> tuple[tuple[str, str]]:
    return (("x-amzn-RequestId", request_id),)
