"""The OpenAPI document against the app it describes: schemathesis over real HTTP.

The whole stack runs as `make run` runs it (the dev server, Chalice's local gateway, the
SageMaker stand-in) on free ports of 127.0.0.1. Schemathesis generates requests from the
document (its examples, a deterministic coverage pass of boundaries, wrong types and other
methods, then seeded fuzzing, positive and negative) and checks every answer against it.
Bounded for CI's two cores: about 1,000 requests, 20 to 40 s with coverage measured.
"""

from __future__ import annotations

import zlib
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from chalicelib import content_types
from chalicelib.discovery import SPEC_FILE
from tests.local_stack import RunningStack

pytestmark = pytest.mark.integration

# Each generated POST asks for one of these, so that every answer type is checked.
ACCEPTS = (
    content_types.JSON,
    content_types.CSV,
    content_types.PLAIN_TEXT,
    content_types.JSON_LINES,
)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    unsupported_method,
    negative_data_rejection,
]
FUZZ_EXAMPLES = 40
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20240611,
        "generation": {
            "mode": "all",
            "deterministic": True,
            "max-examples": FUZZ_EXAMPLES,
            # API Gateway checks the API key; the dev server, like `chalice local`, does not.
            "with-security-parameters": False,
        },
        "phases": {
            # API Gateway routes these methods to the Lambda; TRACE and QUERY never reach it
            # (the local gateway's stdlib server answers them 501 itself).
            "coverage": {"unexpected-methods": ["get", "put", "post", "delete", "patch"]},
            "stateful": {"enabled": False},
        },
        "checks": {
            "negative_data_rejection": {"expected-statuses": ["400", "405", "406", "413", "415"]}
        },
    }
)

# Send a CSV body as the text it is, and read CSV and JSON Lines answers as text to check their
# patterns.
schemathesis.serializer.alias(content_types.CSV, content_types.PLAIN_TEXT)


@schemathesis.deserializer(content_types.CSV, content_types.JSON_LINES)
def _csv_text(_context: Any, response: schemathesis.Response) -> str:
    return response.content.decode("utf-8")


# The committed file, which the app serves as it is (tests/test_discovery.py). Loaded at import,
# not from a fixture: schemathesis's lazy `from_fixture` schemas need a pytest attribute that
# pytest 9 no longer has.
schema = schemathesis.openapi.from_path(SPEC_FILE, config=CONFIG)


@schema.parametrize()
@settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_every_answer_is_as_the_spec_says(case: schemathesis.Case, stack: RunningStack) -> None:
    headers = {"Accept": _accept_for(case)} if case.operation.method.upper() == "POST" else None
    case.call_and_validate(base_url=stack.api_url, headers=headers, checks=CHECKS)


def _accept_for(case: schemathesis.Case) -> str:
    """One of ACCEPTS, the same for the same case: Hypothesis replays a failing case exactly."""
    return ACCEPTS[zlib.crc32(repr((case.media_type, case.body)).encode()) % len(ACCEPTS)]
