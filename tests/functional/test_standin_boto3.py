"""A real boto3 sagemaker-runtime client sees the exception classes and fields AWS gives it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from standin import RunningStandin, start_in_thread
from standin.app import MAX_PAYLOAD_BYTES
from standin.model import LinearLearner
from tests.support.apps import ENDPOINT_NAME
from tests.support.rows import FEATURE_COUNT
from tests.support.standin_harness import (
    SENTINEL,
    bad_csv_row,
    csv_row,
    make_artifact,
    runtime_client,
)

CODING = "http://internal.amazon.com/coral/com.amazon.sagemaker/"


@pytest.fixture(scope="module")
def standin() -> Iterator[RunningStandin]:
    with start_in_thread(LinearLearner(make_artifact()), ENDPOINT_NAME) as running:
        yield running


@pytest.fixture(scope="module")
def client(standin: RunningStandin) -> Any:
    return runtime_client(standin.url)


def test_success_returns_body_content_type_and_variant(client: Any) -> None:
    answer = client.invoke_endpoint(
        EndpointName=ENDPOINT_NAME, Body=f"{csv_row(0)}\n{csv_row(-9)}\n", ContentType="text/csv"
    )
    assert answer["ContentType"] == "application/json"
    assert answer["InvokedProductionVariant"] == make_artifact().version
    assert answer["ResponseMetadata"]["RequestId"]
    predictions = json.loads(answer["Body"].read())["predictions"]
    assert [p["predicted_label"] for p in predictions] == [1, 0]


ROWS = [[0.0] + [1.0] * (FEATURE_COUNT - 1), [-9.0] + [1.0] * (FEATURE_COUNT - 1)]
LINEAR_LEARNER_BODIES = {
    "text/csv": "".join(",".join(map(str, row)) + "\n" for row in ROWS),
    "application/json": json.dumps({"instances": [{"features": row} for row in ROWS]}),
    "application/jsonlines": "".join(json.dumps({"features": row}) + "\n" for row in ROWS),
}


@pytest.mark.parametrize("content_type", list(LINEAR_LEARNER_BODIES))
@pytest.mark.parametrize("accept", ["application/json", "application/jsonlines"])
def test_each_linear_learner_format_in_and_out(client: Any, content_type: str, accept: str) -> None:
    answer = client.invoke_endpoint(
        EndpointName=ENDPOINT_NAME,
        Body=LINEAR_LEARNER_BODIES[content_type],
        ContentType=content_type,
        Accept=accept,
    )
    assert answer["ContentType"] == accept
    text = answer["Body"].read().decode()
    if accept == "application/json":
        predictions = json.loads(text)["predictions"]
    else:
        predictions = [json.loads(line) for line in text.splitlines()]
    # The made-up model: score = sigmoid(first value), so 0 -> 0.5 (malignant at 0.5), -9 -> low.
    assert [p["predicted_label"] for p in predictions] == [1, 0]
    assert predictions[0]["score"] == 0.5
    assert set(predictions[1]) == {"score", "predicted_label"}


def test_a_body_without_a_content_type_is_refused_by_the_model(client: Any) -> None:
    # botocore sends no Content-Type for a blob payload, and Linear Learner wants one.
    body = json.dumps({"instances": [{"features": [1.0] * FEATURE_COUNT}]})
    with pytest.raises(client.exceptions.ModelError) as raised:
        client.invoke_endpoint(EndpointName=ENDPOINT_NAME, Body=body)
    assert raised.value.response["OriginalStatusCode"] == 415


def test_accept_with_wildcards_and_parameters_gets_json(client: Any) -> None:
    body = json.dumps({"instances": [{"features": [1.0] * FEATURE_COUNT}]})
    answer = client.invoke_endpoint(
        EndpointName=ENDPOINT_NAME,
        Body=body,
        ContentType="application/json; charset=utf-8",
        Accept="text/csv;q=0.9, application/*;q=0.5",
    )
    assert json.loads(answer["Body"].read())["predictions"][0]["predicted_label"] == 1


def test_the_environment_variable_points_boto3_at_the_standin(
    standin: RunningStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", standin.url)
    answer = runtime_client(None).invoke_endpoint(
        EndpointName=ENDPOINT_NAME, Body=csv_row(), ContentType="text/csv"
    )
    assert answer["InvokedProductionVariant"] == make_artifact().version


def test_an_unknown_endpoint_is_a_validation_error(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationError) as raised:
        client.invoke_endpoint(
            EndpointName="other-endpoint", Body=csv_row(), ContentType="text/csv"
        )
    error = raised.value.response
    assert error["Error"] == {
        "Code": "ValidationError",
        "Message": "Endpoint other-endpoint of account 000000000000 not found.",
    }
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"].endswith(CODING)


@pytest.mark.parametrize(
    ("body", "content_type", "accept", "original_status"),
    [
        (bad_csv_row(), "text/csv", None, 400),
        (csv_row(), "application/x-recordio-protobuf", None, 415),
        (csv_row(), "text/csv", "text/csv", 406),
    ],
)
def test_a_container_refusal_is_a_model_error(
    client: Any, body: str, content_type: str, accept: str | None, original_status: int
) -> None:
    extra = {} if accept is None else {"Accept": accept}
    with pytest.raises(client.exceptions.ModelError) as raised:
        client.invoke_endpoint(
            EndpointName=ENDPOINT_NAME, Body=body, ContentType=content_type, **extra
        )
    error = raised.value.response
    original_message = error["OriginalMessage"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["Error"]["Code"] == "ModelError"
    assert error["OriginalStatusCode"] == original_status
    assert set(json.loads(original_message)) == {"message"}
    assert error["Error"]["Message"].startswith(
        f'Received client error ({original_status}) from primary with message "{original_message}".'
    )
    assert error["LogStreamArn"] == (
        f"arn:aws:logs:us-east-1:000000000000:log-group:/aws/sagemaker/Endpoints/{ENDPOINT_NAME}"
    )
    assert SENTINEL not in json.dumps(error, default=str)


def test_the_model_error_names_the_row_and_position(client: Any) -> None:
    with pytest.raises(client.exceptions.ModelError) as raised:
        client.invoke_endpoint(
            EndpointName=ENDPOINT_NAME, Body=bad_csv_row(), ContentType="text/csv"
        )
    original = json.loads(raised.value.response["OriginalMessage"])
    assert original == {"message": "row 1 has 29 values, expected 30"}


def test_an_oversize_body_is_a_validation_error(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationError, match="has oversize body") as raised:
        client.invoke_endpoint(
            EndpointName=ENDPOINT_NAME, Body=b"1" * (MAX_PAYLOAD_BYTES + 1), ContentType="text/csv"
        )
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 0


@pytest.mark.parametrize(
    ("parameter", "value", "message"),
    [
        ("TargetModel", "model.tar.gz", "is not a multi-model endpoint"),
        ("TargetVariant", "AllTraffic", "Variant AllTraffic is not a production variant"),
        ("TargetContainerHostname", "second", "is not a multi-container endpoint"),
        ("InferenceComponentName", "component", "has no inference components"),
        ("SessionId", "NEW_SESSION", "does not support stateful sessions"),
        ("EnableExplanations", "`true`", "has no explainer configured"),
    ],
)
def test_headers_for_features_this_endpoint_lacks_are_validation_errors(
    client: Any, parameter: str, value: str, message: str
) -> None:
    with pytest.raises(client.exceptions.ValidationError, match=message):
        client.invoke_endpoint(
            EndpointName=ENDPOINT_NAME, Body=csv_row(), ContentType="text/csv", **{parameter: value}
        )


def test_headers_this_endpoint_can_honour_are_accepted(client: Any) -> None:
    answer = client.invoke_endpoint(
        EndpointName=ENDPOINT_NAME,
        Body=csv_row(),
        ContentType="text/csv",
        TargetVariant=make_artifact().version,
        InferenceId="request-7",
        CustomAttributes="trace=1",
    )
    assert answer["InvokedProductionVariant"] == make_artifact().version


def test_a_configured_variant_is_reported() -> None:
    with start_in_thread(
        LinearLearner(make_artifact()), ENDPOINT_NAME, variant="AllTraffic"
    ) as running:
        answer = runtime_client(running.url).invoke_endpoint(
            EndpointName=ENDPOINT_NAME, Body=csv_row(), ContentType="text/csv"
        )
    assert answer["InvokedProductionVariant"] == "AllTraffic"


def test_an_unknown_path_is_a_client_error_with_a_code(standin: RunningStandin) -> None:
    client = runtime_client(f"{standin.url}/prefix")
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.invoke_endpoint(EndpointName=ENDPOINT_NAME, Body=csv_row(), ContentType="text/csv")
    assert raised.value.response["Error"]["Code"] == "UnknownOperationException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
