"""The Lambda's timeout covers the SageMaker client's worst case and ends before API Gateway's.

Worst case = attempts x (connect + read timeout) + the backoff before every retry, the backoff
computed by botocore's own standard-mode code fed its worst inputs: jitter at its maximum, a
throttling error (the larger base) and an `x-amz-retry-after` header beyond what it honours.
Not covered, as no client setting bounds them: DNS resolution, and a host name whose several
addresses each take the connect timeout.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest
from botocore.retries import standard

from chalicelib.endpoint import CLIENT_CONFIG, create_runtime_client
from deploy.stages import load_config, read_stage, stage_names

# API Gateway REST APIs give up on an integration after 29 s; the Lambda must finish first.
LAMBDA_TIMEOUT_CEILING = 28
THROTTLING = SimpleNamespace(is_throttling_error_from_context=lambda _context: True)


def worst_backoff_after(attempt: int) -> float:
    backoff = standard.ExponentialBackoff(
        random=lambda: 1.0, service_name="sagemaker-runtime", throttling_detector=THROTTLING
    )
    retry_after_ms = str(3_600_000)  # an hour: far more than botocore adds
    context = SimpleNamespace(
        attempt_number=attempt,
        http_response=SimpleNamespace(headers={"x-amz-retry-after": retry_after_ms}),
    )
    return float(backoff.delay_amount(context))


def client_worst_case_seconds() -> float:
    attempts = int(CLIENT_CONFIG.retries["total_max_attempts"])
    per_attempt = CLIENT_CONFIG.connect_timeout + CLIENT_CONFIG.read_timeout
    # A delay follows every attempt but the last.
    return attempts * per_attempt + sum(worst_backoff_after(n) for n in range(1, attempts))


def test_the_worst_backoff_is_what_botocores_constants_say() -> None:
    constants = standard.ExponentialBackoff
    # The client builds its backoff with the default cap, which is the class constant.
    default_cap = inspect.signature(constants.__init__).parameters["max_backoff"].default
    assert default_cap == constants._MAX_BACKOFF == 20
    # Throttling has the largest base: the worst case is a throttled attempt.
    largest_base = max(constants._DEFAULT_BACKOFF_CONFIG.values())
    assert largest_base == constants._DEFAULT_BACKOFF_CONFIG["throttling_base_scale"] == 1
    for attempt in (1, 2, 3, 6):
        capped = min(largest_base * constants._BASE ** (attempt - 1), constants._MAX_BACKOFF)
        expected = capped + constants._RETRY_AFTER_MAX_ADDITIONAL
        assert worst_backoff_after(attempt) == pytest.approx(expected)


def test_the_client_is_the_one_the_budget_is_computed_for() -> None:
    client = create_runtime_client(endpoint_url="http://127.0.0.1:9")
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert client.meta.config.connect_timeout == CLIENT_CONFIG.connect_timeout
    assert client.meta.config.read_timeout == CLIENT_CONFIG.read_timeout


def test_the_worst_case_is_25_seconds() -> None:
    # 3 x (1 + 3) + (1 + 5) + (2 + 5): the figure endpoint.py and docs/api.md quote.
    assert client_worst_case_seconds() == pytest.approx(25.0)


@pytest.mark.parametrize("stage", stage_names(load_config()))
def test_each_stage_waits_for_the_client_and_ends_before_api_gateway(stage: str) -> None:
    timeout = read_stage(load_config(), stage).lambda_timeout
    assert client_worst_case_seconds() <= timeout <= LAMBDA_TIMEOUT_CEILING
