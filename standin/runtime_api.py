"""SageMaker Runtime's front door for `POST /endpoints/{EndpointName}/invocations`.

What boto3's `invoke_endpoint` sees on AWS: rest-json errors whose `x-amzn-ErrorType` header names
the exception class (ValidationError, ModelError), the container's own 4xx wrapped in a 424
ModelError, and the serving variant in `x-Amzn-Invoked-Production-Variant`.
"""

from __future__ import annotations

import random
import re
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
_TARGET_VARIANT_HEADER = "x-amzn-sagemaker-target-variant"
_VARIANT_HEADER = "x-Amzn-Invoked-Production-Variant"
_REQUEST_ID_HEADER = "x-amzn-RequestId"
# A version 4 UUID: 122 random bits, then the version and variant bits set as RFC 4122 says.
_UUID4_KEPT_BITS = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID4_SET_BITS = (4 << 76) | (0x8000 << 48)

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
# Most requests carry none of these, which one set test tells.
_HEADERS_TO_JUDGE = frozenset((*_UNSUPPORTED_HEADERS, _TARGET_VARIANT_HEADER))


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
    request_id = _new_request_id()
    if request.endpoint_name != endpoint.name:
        message = f"Endpoint {request.endpoint_name} of account {ACCOUNT_ID} not found."
        return _validation_error(request_id, message)
    headers = request.headers
    if not _HEADERS_TO_JUDGE.isdisjoint(headers):
        refusal = _refuse_headers(endpoint, headers)
        if refusal is not None:
            return _validation_error(request_id, refusal)
    status, body, answer_headers = answer = container.invoke(
        endpoint.scorer, request.body, headers.get("content-type"), headers.get("accept")
    )
    if status != HTTPStatus.OK:
        return _model_error(endpoint, request_id, answer)
    identity = ((_VARIANT_HEADER, endpoint.variant), (_REQUEST_ID_HEADER, request_id))
    return Reply(status, body, answer_headers + identity)


def oversize_reply() -> Reply:
    request_id = _new_request_id()
    return _validation_error(request_id, f"Request {request_id} has oversize body.")


def unknown_operation_reply(status: HTTPStatus) -> Reply:
    """404 or 405; the error type makes boto3 raise a ClientError rather than fail to parse."""
    return _error(status, "UnknownOperationException", _new_request_id(), status.phrase)


def internal_failure_reply() -> Reply:
    return _error(
        HTTPStatus.INTERNAL_SERVER_ERROR, "InternalFailure", _new_request_id(), "Internal failure."
    )


def _refuse_headers(endpoint: Endpoint, headers: Mapping[str, str]) -> str | None:
    for header, complaint in _UNSUPPORTED_HEADERS.items():
        if header in headers:
            return f"Endpoint {endpoint.name} {complaint}"
    target_variant = headers.get(_TARGET_VARIANT_HEADER)
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


def _new_request_id() -> str:
    # Not uuid4(): its os.urandom() is a system call that releases the GIL on every request,
    # and with a thread per connection each release can hand the GIL to another thread. A
    # request id needs to be unique, not secret. Not uuid.UUID() either: it costs more than
    # formatting the digits by hand.
    digits = f"{random.getrandbits(128) & _UUID4_KEPT_BITS | _UUID4_SET_BITS:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _request_id(request_id: str) -> tuple[tuple[str, str]]:
    return ((_REQUEST_ID_HEADER, request_id),)
