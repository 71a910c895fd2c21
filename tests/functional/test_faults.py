"""Each way SageMaker fails, through the real app, the real boto3 client and a real socket.

The route is called through `chalice.test.Client`; the app's endpoint is the production
`ModelEndpoint` with the production client (`create_runtime_client`), pointed at the SageMaker
stand-in serving the committed model, whose script (`Standin.script`) says how each attempt is
answered. For every fault: the documented status and error code reach the client, the stand-in
receives the designed number of attempts, the whole call stays inside the Lambda's timeout, and
the sentinel value in the row reaches the stand-in but no log record and no answer, although the
stand-in's scripted error messages quote the request back.

The attempt counts are botocore's standard retry mode (botocore/retries/standard.py,
`StandardRetryConditions`) with `total_max_attempts` 3. An attempt is retried when
  * its HTTP status is 500, 502, 503 or 504 (`TransientRetryableChecker`), or
  * it raised `ConnectionError` or `HTTPClientError`: refused, reset, read timeout
    (`TransientRetryableChecker`), or
  * its error code is a throttling code such as `ThrottlingException` (`ThrottledRetryableChecker`),
    or the operation's model marks the error `retryable` (`ModeledRetryableChecker`: none of
    InvokeEndpoint's six errors is marked), or
  * its status is 429 with an error the operation does not model (`ThrottlingStatusCodeChecker`).
So ServiceUnavailable (503), InternalFailure (500), ThrottlingException, a proxy's 502 and a bare
429 get 3 attempts, but ModelNotReadyException
(429, modelled), ModelError (424), ValidationError (400) and InternalDependencyException (530, not
in the transient list) get exactly 1; a 200 is never retried, however wrong its body. The body of
a 200 is read after botocore's retry loop (InvokeEndpoint's Body is a stream), so a body slower
than the read timeout costs one attempt.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

import boto3
import pytest
from botocore.config import Config
from botocore.retries import standard

from chalicelib.endpoint import (
    CLIENT_CONFIG,
    RUNTIME_SERVICE,
    ModelEndpoint,
    OnceClient,
    create_runtime_client,
)
from deploy.stages import load_config, read_stage, stage_names
from standin import RunningStandin, start_in_thread
from standin import app as faults
from standin.app import Fault
from standin.model import load_model
from tests.support.apps import ENDPOINT_NAME, MakeClient
from tests.support.log_capture import Records, all_records
from tests.support.rows import EXAMPLE_ROW, row_with

SENTINEL = "987.654321"
SENTINEL_ROW = row_with(7, SENTINEL)
JSON_HEADERS = {"Content-Type": "application/json"}
SHORT_READ_TIMEOUT = 0.3  # seconds; the production client waits 3
# The bounds are the client's own worst case (every timeout waited out, every backoff at its
# longest), so only a busy machine's scheduling adds to them; it is no latency aim.
SCHEDULING_SLACK = 5.0
LAMBDA_TIMEOUT = min(
    read_stage(load_config(), stage).lambda_timeout for stage in stage_names(load_config())
)


class Case(NamedTuple):
    faults: tuple[Fault, ...]  # attempt n is answered by faults[n], the last repeating
    status: int
    code: str | None
    attempts: int
    retry_after: str | None = None
    batch: bool = False  # send a four-row CSV batch instead of one JSON row
    read_timeout: float | None = None  # a shorter read timeout than production's
    throttled: bool = False  # the retries back off as botocore backs off throttling


CASES = {
    "503 ServiceUnavailable": Case(
        (faults.SERVICE_UNAVAILABLE,), 503, "endpoint_unavailable", 3, "1"
    ),
    "500 InternalFailure": Case((faults.INTERNAL_FAILURE,), 503, "endpoint_unavailable", 3, "1"),
    "429 ModelNotReadyException": Case(
        (faults.MODEL_NOT_READY,), 503, "endpoint_not_ready", 1, "5"
    ),
    "424 ModelError": Case((faults.MODEL_ERROR,), 502, "model_error", 1),
    "400 ValidationError, no such endpoint": Case(
        (faults.NO_SUCH_ENDPOINT,), 503, "endpoint_not_found", 1
    ),
    "530 InternalDependencyException": Case(
        (faults.INTERNAL_DEPENDENCY,), 503, "endpoint_unavailable", 1, "1"
    ),
    "400 ThrottlingException": Case((faults.THROTTLING,), 429, "throttled", 3, "1", throttled=True),
    "a reply slower than the read timeout": Case(
        (Fault("a slow reply", delay=10 * SHORT_READ_TIMEOUT),),
        504,
        "endpoint_timeout",
        3,
        read_timeout=SHORT_READ_TIMEOUT,
    ),
    "a body slower than the read timeout": Case(
        (Fault("a slow body", body_delay=10 * SHORT_READ_TIMEOUT),),
        504,
        "endpoint_timeout",
        1,
        read_timeout=SHORT_READ_TIMEOUT,
    ),
    "a 502 page from a proxy, no error type": Case(
        (faults.PROXY_502,), 503, "endpoint_unavailable", 3, "1"
    ),
    "a bare 429, no error type": Case((faults.BARE_429,), 429, "throttled", 3, "1", throttled=True),
    "a reset connection": Case((faults.RESET,), 503, "endpoint_unreachable", 3, "1"),
    "a garbage body": Case((faults.GARBAGE,), 502, "invalid_model_answer", 1),
    "a NaN score": Case((faults.NAN_SCORE,), 502, "invalid_model_answer", 1),
    "a label of 7": Case((faults.LABEL_7,), 502, "invalid_model_answer", 1),
    "an empty prediction list": Case((faults.NO_PREDICTIONS,), 502, "invalid_model_answer", 1),
    "the wrong number of predictions for a batch": Case(
        (faults.ONE_PREDICTION_SHORT,), 502, "invalid_model_answer", 1, batch=True
    ),
    "503, then 500, then an answer": Case(
        (faults.SERVICE_UNAVAILABLE, faults.INTERNAL_FAILURE, faults.ANSWER),
        200,
        None,
        3,
    ),
    "a reset, then an answer": Case((faults.RESET, faults.ANSWER), 200, None, 2),
}


@pytest.fixture
def records() -> Iterator[Records]:
    with all_records() as handler:
        yield handler


@pytest.fixture
def standin(local_model_file: Path) -> Iterator[RunningStandin]:
    with start_in_thread(load_model(local_model_file), ENDPOINT_NAME) as running:
        yield running


@contextmanager
def refused_url() -> Iterator[str]:
    """A port of 127.0.0.1, bound while the test runs, never listening: connecting is refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}"


class CountingClients:
    """The production client factory, counting the attempts the client sends (`before-send`)."""

    def __init__(self, url: str, read_timeout: float | None = None) -> None:
        self.url = url
        self.read_timeout = read_timeout
        self.sent = 0
        self.clients: list[Any] = []

    def __call__(self) -> Any:
        if self.read_timeout is None:
            client = create_runtime_client(endpoint_url=self.url)
        else:
            config = CLIENT_CONFIG.merge(Config(read_timeout=self.read_timeout))
            client = boto3.session.Session().client(
                RUNTIME_SERVICE, config=config, endpoint_url=self.url
            )
        client.meta.events.register(f"before-send.{RUNTIME_SERVICE}.InvokeEndpoint", self._count)
        self.clients.append(client)
        return client

    def _count(self, **_: object) -> None:
        self.sent += 1

    def close(self) -> None:
        for client in self.clients:
            client.close()


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: str
    seconds: float

    @property
    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = json.loads(self.body)["error"]
        return error


Call = Callable[[CountingClients, bool], Answer]


@pytest.fixture
def call(make_client: MakeClient) -> Iterator[Call]:
    """POST the sentinel row (or a four-row CSV batch holding it) through the real app."""
    factories: list[CountingClients] = []

    def post(clients: CountingClients, batch: bool) -> Answer:
        factories.append(clients)
        endpoint = ModelEndpoint(ENDPOINT_NAME, OnceClient(clients))
        test_client = make_client(endpoint)
        if batch:
            headers, body = {"Content-Type": "text/csv"}, f"{EXAMPLE_ROW}\n{SENTINEL_ROW}\n" * 2
        else:
            headers, body = JSON_HEADERS, json.dumps({"data": SENTINEL_ROW})
        started = time.monotonic()
        response = test_client.http.post("/predictbreastcancer", headers=headers, body=body)
        seconds = time.monotonic() - started
        answer_headers = {key: str(value) for key, value in response.headers.items()}
        return Answer(response.status_code, answer_headers, response.body.decode(), seconds)

    yield post
    for clients in factories:
        clients.close()


def worst_backoff(attempts: int, throttled: bool) -> float:
    """botocore's own backoff before each retry, with its jitter at the maximum."""
    backoff = standard.ExponentialBackoff(
        random=lambda: 1.0,
        service_name=RUNTIME_SERVICE,
        throttling_detector=SimpleNamespace(
            is_throttling_error_from_context=lambda _context: throttled
        ),
    )
    return sum(
        float(backoff.delay_amount(SimpleNamespace(attempt_number=n, http_response=None)))
        for n in range(1, attempts)
    )


def worst_case_seconds(config: Config, attempts: int, throttled: bool) -> float:
    """Every attempt waits out both timeouts, every retry waits the longest backoff."""
    per_attempt = float(config.connect_timeout) + float(config.read_timeout)
    return attempts * per_attempt + worst_backoff(attempts, throttled)


@pytest.mark.parametrize("name", list(CASES))
def test_each_fault_reaches_the_client_as_documented(
    name: str, standin: RunningStandin, call: Call, records: Records
) -> None:
    case = CASES[name]
    standin.script(*case.faults)
    clients = CountingClients(standin.url, case.read_timeout)
    answer = call(clients, case.batch)

    assert answer.status == case.status, answer
    if case.code is not None:
        assert answer.error["code"] == case.code
        assert answer.error["request_id"] == answer.headers["X-Request-Id"]
        assert answer.headers.get("Retry-After") == case.retry_after
    assert (len(standin.app.bodies), clients.sent) == (case.attempts, case.attempts)
    assert all(SENTINEL.encode() in body for body in standin.app.bodies), "the value went upstream"

    config = clients.clients[0].meta.config
    assert answer.seconds < LAMBDA_TIMEOUT
    assert (
        answer.seconds
        <= worst_case_seconds(config, case.attempts, case.throttled) + SCHEDULING_SLACK
    )

    assert SENTINEL not in answer.body
    assert records.holding(SENTINEL) == []
    assert logging.getLogger("botocore").getEffectiveLevel() == logging.INFO
    assert records.holding('"event": "request"'), "the access line is there, without values"


def test_a_refused_connection_is_tried_three_times(call: Call, records: Records) -> None:
    # ConnectionError (EndpointConnectionError) is transient: retried, quickly (50 ms, 100 ms).
    with refused_url() as url:
        clients = CountingClients(url)
        answer = call(clients, False)
    assert (answer.status, answer.error["code"]) == (503, "endpoint_unreachable")
    assert answer.headers["Retry-After"] == "1"
    assert clients.sent == 3
    assert answer.seconds < LAMBDA_TIMEOUT
    assert records.holding(SENTINEL) == []
    assert SENTINEL not in answer.body


def test_the_slow_reply_with_the_production_client_stays_in_the_budget(
    standin: RunningStandin, call: Call
) -> None:
    """Measured with a short read timeout; computed, not waited for, with the production one."""
    case = CASES["a reply slower than the read timeout"]
    standin.script(*case.faults)
    answer = call(CountingClients(standin.url, SHORT_READ_TIMEOUT), False)
    assert answer.status == 504
    attempts = len(standin.app.bodies)
    assert attempts == 3
    # Production: 3 x (1 s connect + 3 s read) + 50 ms + 100 ms of backoff = 12.15 s.
    production = worst_case_seconds(CLIENT_CONFIG, attempts, throttled=False)
    assert production == pytest.approx(12.15)
    assert production < LAMBDA_TIMEOUT
    # The measured run fits the same formula with its own timeouts.
    short = CLIENT_CONFIG.merge(Config(read_timeout=SHORT_READ_TIMEOUT))
    assert attempts * SHORT_READ_TIMEOUT <= answer.seconds
    assert answer.seconds <= worst_case_seconds(short, attempts, throttled=False) + SCHEDULING_SLACK


def test_the_retries_resend_the_same_body(standin: RunningStandin, call: Call) -> None:
    standin.script(faults.SERVICE_UNAVAILABLE)
    call(CountingClients(standin.url), False)
    first, *others = standin.app.bodies
    assert others == [first, first]
