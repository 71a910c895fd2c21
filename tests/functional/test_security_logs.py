"""No input value and no model answer reaches a log record through the real boto3 client and a
stand-in on 127.0.0.1 (tests/unit/test_security_logs.py: every other path, in process)."""

from __future__ import annotations

import json

from chalicelib.endpoint import ModelEndpoint, OnceClient, create_runtime_client
from standin import RunningStandin
from tests.support.apps import MakeClient
from tests.support.log_capture import all_records
from tests.support.rows import row_with

SENTINEL = "987.654321"
JSON_HEADERS = {"Content-Type": "application/json"}
SENTINEL_ROW = row_with(4, SENTINEL)  # a valid row holding the sentinel (as its area_mean)


def test_the_real_client_logs_neither_rows_nor_scores(
    make_client: MakeClient, local_standin: RunningStandin
) -> None:
    """botocore at DEBUG logs request and response bodies: here it must not get the chance."""
    with all_records() as records:
        client = OnceClient(lambda: create_runtime_client(endpoint_url=local_standin.url))
        api = make_client(ModelEndpoint(local_standin.endpoint_name, client))
        body = json.dumps({"data": SENTINEL_ROW}).encode()
        answer = api.http.post("/predictbreastcancer", headers=JSON_HEADERS, body=body)
    assert answer.status_code == 200
    probability = json.loads(answer.body)["probability_malignant"]
    # A probability of many digits: a saturated 1.0 could be found in any latency by chance.
    assert 1e-6 < probability < 1 - 1e-6
    assert records.holding(SENTINEL) == []
    assert records.holding(repr(probability)) == []
    assert records.holding(repr(probability)[:8]) == []  # nor a rounded one
