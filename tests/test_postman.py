"""The Postman collection, replayed against the real stack on 127.0.0.1.

A small replayer does what Postman does with this collection: substitutes its variables, adds
the collection's API-key header, sends each request, and checks the status and error code that
the request's own test script asserts. Each asserted pair must also be one the OpenAPI document
gives for the route.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from chalicelib.discovery import SPEC_FILE
from tests.local_stack import PROJECT_DIR, RunningStack, running_stack

COLLECTION_FILE = PROJECT_DIR / "postman" / "wdbc.postman_collection.json"
SCHEMA_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
_VARIABLE = re.compile(r"\{\{(\w+)\}\}")
_STATUS = re.compile(r"pm\.response\.to\.have\.status\((\d{3})\)")
_CODE = re.compile(r"error\.code\)\.to\.eql\(\"(\w+)\"\)")


class Documented(NamedTuple):
    status: int
    code: str | None


def _load() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(COLLECTION_FILE.read_text(encoding="utf-8"))
    return document


COLLECTION = _load()
ITEMS = COLLECTION["item"]


def documented(item: Mapping[str, Any]) -> Documented:
    """What the request's test script asserts: its status and, for an error, its code."""
    (event,) = [event for event in item["event"] if event["listen"] == "test"]
    script = "\n".join(event["script"]["exec"])
    (status,) = _STATUS.findall(script)
    codes = _CODE.findall(script)
    return Documented(int(status), codes[0] if codes else None)


def substitute(text: str, variables: Mapping[str, str]) -> str:
    return _VARIABLE.sub(lambda match: variables[match[1]], text)


def replay(item: Mapping[str, Any], variables: Mapping[str, str]) -> tuple[int, bytes]:
    request = item["request"]
    headers = {
        header["key"]: substitute(header["value"], variables) for header in request["header"]
    }
    auth = {entry["key"]: entry["value"] for entry in COLLECTION["auth"]["apikey"]}
    key_value = substitute(auth["value"], variables)
    if auth["in"] == "header" and key_value:
        headers[auth["key"]] = key_value
    body = substitute(request["body"]["raw"], variables).encode("utf-8")
    url = substitute(request["url"]["raw"], variables)
    sent = urllib.request.Request(url, data=body, headers=headers, method=request["method"])
    try:
        with urllib.request.urlopen(sent, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


@pytest.fixture(scope="module")
def stack(local_model_file: Path) -> Iterator[RunningStack]:
    with running_stack(local_model_file) as running:
        yield running


def test_the_collection_is_v21_with_base_url_and_api_key_variables() -> None:
    assert COLLECTION["info"]["schema"] == SCHEMA_V21
    variables = {variable["key"]: variable["value"] for variable in COLLECTION["variable"]}
    assert variables == {"baseUrl": "http://127.0.0.1:8000", "apiKey": ""}
    assert COLLECTION["auth"]["type"] == "apikey"
    for item in ITEMS:
        assert item["request"]["url"]["raw"].startswith("{{baseUrl}}/")


def test_it_holds_the_forms_and_one_example_of_each_error_class() -> None:
    assert sorted(documented(item) for item in ITEMS) == [
        Documented(200, None),
        Documented(200, None),
        Documented(200, None),
        Documented(200, None),
        Documented(400, "invalid_value"),
        Documented(400, "wrong_value_count"),
        Documented(406, "not_acceptable"),
        Documented(413, "too_many_rows"),
        Documented(415, "unsupported_media_type"),
    ]
    bodies = [json.loads(item["request"]["body"]["raw"]) for item in ITEMS[:3]]
    assert [list(body) for body in bodies] == [["data"], ["features"], ["instances"]]


def test_each_asserted_answer_is_in_the_openapi_document() -> None:
    spec = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    responses = spec["paths"]["/predictbreastcancer"]["post"]["responses"]
    for item in ITEMS:
        status, code = documented(item)
        response = responses[str(status)]
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        if code is not None:
            assert f"`{code}`" in json.dumps(response), (item["name"], code)


@pytest.mark.parametrize("item", ITEMS, ids=[item["name"] for item in ITEMS])
def test_each_request_gives_its_documented_answer(
    item: Mapping[str, Any], stack: RunningStack
) -> None:
    # A key is sent as on a deployed stage; the local gateway does not check it.
    variables = {"baseUrl": stack.api_url, "apiKey": "local-key"}
    status, body = replay(item, variables)
    expected = documented(item)
    assert status == expected.status, body[:300]
    document = json.loads(body)
    if expected.code is None:
        assert "error" not in document
    else:
        assert document["error"]["code"] == expected.code
