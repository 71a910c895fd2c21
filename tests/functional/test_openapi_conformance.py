"""The OpenAPI document against the app it describes: schemathesis over real HTTP.

WDBC's stack runs as `make run` runs it (the dev server, Chalice's local gateway, the SageMaker
stand-in) on free ports of 127.0.0.1; a multiclass and a regression contract are served by the
same gateway in front of twins of their endpoints. Schemathesis generates requests from each
document (its examples, a deterministic coverage pass of boundaries, wrong types and other
methods, then seeded fuzzing, positive and negative) and checks every answer against it.
Bounded for CI's two cores: about 1,000 requests for WDBC, fewer for the others.
"""

from __future__ import annotations

import json
import urllib.request
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from chalice.test import Client
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
from chalicelib.application import create_app
from chalicelib.contract import Contract
from chalicelib.settings import Settings
from tests.support.local_stack import RunningStack
from tests.support.rows import WDBC
from tests.support.twin_app import MULTICLASS, REGRESSION, serve, twin_app

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
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)

# Send a CSV body as the text it is, and read CSV and JSON Lines answers as text to check their
# patterns.
schemathesis.serializer.alias(content_types.CSV, content_types.PLAIN_TEXT)


@schemathesis.deserializer(content_types.CSV, content_types.JSON_LINES)
def _csv_text(_context: Any, response: schemathesis.Response) -> str:
    return response.content.decode("utf-8")


def document(contract: Contract) -> dict[str, Any]:
    """The document an app for `contract` serves; WDBC's with the local stage's card."""
    wdbc = contract is WDBC
    app = create_app(Settings("any", "wdbc", "wdbc.json")) if wdbc else twin_app(contract)
    with Client(app) as client:
        served: dict[str, Any] = json.loads(client.http.get("/openapi.json").body)
    return served


def schema_of(contract: Contract, examples: int) -> Any:
    # Loaded at import, not from a fixture: schemathesis's lazy `from_fixture` schemas need a
    # pytest attribute that pytest 9 no longer has.
    config = {
        "seed": 20240611,
        "generation": {
            "mode": "all",
            "deterministic": True,
            "max-examples": examples,
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
    return schemathesis.openapi.from_dict(
        document(contract), config=schemathesis.Config.from_dict(config)
    )


wdbc_schema = schema_of(WDBC, 40)
multiclass_schema = schema_of(MULTICLASS, 10)
regression_schema = schema_of(REGRESSION, 10)


def _accept_for(case: schemathesis.Case) -> str:
    """One of ACCEPTS, the same for the same case: Hypothesis replays a failing case exactly."""
    return ACCEPTS[zlib.crc32(repr((case.media_type, case.body)).encode()) % len(ACCEPTS)]


def _call(case: schemathesis.Case, url: str) -> None:
    headers = {"Accept": _accept_for(case)} if case.operation.method.upper() == "POST" else None
    case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)


@pytest.fixture(scope="module")
def multiclass_api() -> Iterator[str]:
    with serve(MULTICLASS) as url:
        yield url


@pytest.fixture(scope="module")
def regression_api() -> Iterator[str]:
    with serve(REGRESSION) as url:
        yield url


def test_the_stack_serves_the_document_checked_here(stack: RunningStack) -> None:
    with urllib.request.urlopen(f"{stack.api_url}/openapi.json", timeout=10) as answer:
        assert json.load(answer) == document(WDBC)


@wdbc_schema.parametrize()
@SETTINGS
def test_wdbc_answers_as_its_document_says(case: schemathesis.Case, stack: RunningStack) -> None:
    _call(case, stack.api_url)


@multiclass_schema.parametrize()
@SETTINGS
def test_a_multiclass_model_answers_as_its_document_says(
    case: schemathesis.Case, multiclass_api: str
) -> None:
    _call(case, multiclass_api)


@regression_schema.parametrize()
@SETTINGS
def test_a_regression_model_answers_as_its_document_says(
    case: schemathesis.Case, regression_api: str
) -> None:
    _call(case, regression_api)
