"""Call the SageMaker endpoint through boto3 and turn each way it can fail into one ApiError."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    HTTPClientError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from chalicelib import content_types
from chalicelib.errors import (
    ApiError,
    EndpointNotFound,
    EndpointNotReady,
    EndpointRejectedRequest,
    EndpointTimeout,
    EndpointUnavailable,
    EndpointUnreachable,
    InternalError,
    ModelFailed,
    Throttled,
)
from chalicelib.model_answer import EndpointAnswer

RUNTIME_SERVICE = "sagemaker-runtime"

# Bounded on purpose: 3 attempts x (1 s connect + 3 s read) plus standard mode's worst backoff
# (1 + 2 s, each up to 5 s more when SageMaker sends x-amz-retry-after) is 25 s, inside the
# Lambda's 27 s (tests/unit/test_security_time_budget.py). A Linear Learner scores a row in well
# under a millisecond, a 1,000-row batch in milliseconds.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=1,
    read_timeout=3,
    max_pool_connections=10,
)


class InvokesEndpoints(Protocol):
    """The one method of boto3's `sagemaker-runtime` client this API uses."""

    def invoke_endpoint(self, **kwargs: Any) -> dict[str, Any]: ...


def create_runtime_client(endpoint_url: str | None = None) -> Any:
    """boto3 also reads `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`: how the stand-in is reached."""
    return boto3.session.Session().client(
        RUNTIME_SERVICE, config=CLIENT_CONFIG, endpoint_url=endpoint_url
    )


class OnceClient:
    """Builds the client on first use, once per process, even with concurrent first requests."""

    def __init__(self, factory: Callable[[], InvokesEndpoints]) -> None:
        self._factory = factory
        self._client: InvokesEndpoints | None = None
        self._lock = threading.Lock()

    def __call__(self) -> InvokesEndpoints:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._factory()
        return self._client


def encode_csv(rows: Sequence[Sequence[float]]) -> bytes:
    written = getattr(rows, "csv", None)  # chalicelib.rows.Rows read from plain CSV text
    if written is not None:
        return str(written).encode("ascii")
    # repr() is the shortest text that reads back as the same float.
    return "\n".join([",".join(map(repr, row)) for row in rows]).encode("ascii")


class ModelEndpoint:
    def __init__(
        self,
        name: str,
        client: Callable[[], InvokesEndpoints],
        accept: str = content_types.JSON,  # what the model's container answers in (its contract)
    ) -> None:
        self.name = name
        self._client = client
        self._accept = accept

    def invoke(self, rows: Sequence[Sequence[float]]) -> EndpointAnswer:
        try:
            response = self._client().invoke_endpoint(
                EndpointName=self.name,
                ContentType=content_types.CSV,
                Accept=self._accept,
                Body=encode_csv(rows),
            )
            body = response["Body"].read()
        except ClientError as error:
            raise error_for_client_error(error) from None
        except BotoCoreError as error:
            raise error_for_transport_error(error) from None
        return EndpointAnswer(
            body=body,
            content_type=response.get("ContentType", ""),
            variant=response.get("InvokedProductionVariant", ""),
        )


_ERRORS_BY_CODE: dict[str, tuple[type[ApiError], str]] = {
    "ModelError": (ModelFailed, "the model failed to score the request"),
    "ModelNotReadyException": (EndpointNotReady, "the model endpoint is still starting"),
    "ServiceUnavailable": (EndpointUnavailable, "the model endpoint is unavailable"),
    "InternalFailure": (EndpointUnavailable, "the model endpoint had an internal failure"),
    "InternalDependencyException": (EndpointUnavailable, "the model endpoint is unavailable"),
    "ThrottlingException": (Throttled, "too many requests to the model endpoint"),
    "Throttling": (Throttled, "too many requests to the model endpoint"),
    "TooManyRequestsException": (Throttled, "too many requests to the model endpoint"),
}


def error_for_client_error(error: ClientError) -> ApiError:
    """Map by the error code SageMaker sends, as boto3 parsed it."""
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ValidationError":
        # SageMaker uses ValidationError both for a missing endpoint and for a bad request;
        # our requests are well-formed, so only the first is expected.
        message = error.response.get("Error", {}).get("Message", "")
        if "not found" in message.lower():
            return EndpointNotFound("the model endpoint does not exist (yet)")
        return EndpointRejectedRequest("the model endpoint rejected the request")
    known = _ERRORS_BY_CODE.get(code)
    if known is not None:
        error_class, message = known
        return error_class(message)
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code == str(status):
        # No x-amzn-ErrorType (a proxy's HTML page, an empty 503): botocore names the error by
        # its status alone. A throttle or the platform failing is not our configuration.
        if status == 429:
            return Throttled("too many requests to the model endpoint")
        if status >= 500:
            return EndpointUnavailable("the model endpoint is unavailable")
    # AccessDenied, expired credentials, unknown codes: our configuration, not the caller's.
    return InternalError("the API could not call its model endpoint")


def error_for_transport_error(error: BotoCoreError) -> ApiError:
    if isinstance(error, (ReadTimeoutError, ConnectTimeoutError)):
        return EndpointTimeout("the model endpoint did not answer in time")
    if isinstance(error, (ConnectionError, HTTPClientError, ResponseStreamingError)):
        # Refused, reset or cut off: the network path, not the model.
        return EndpointUnreachable("the model endpoint could not be reached")
    return InternalError("the API could not call its model endpoint")
