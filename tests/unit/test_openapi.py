"""The OpenAPI document each stage serves: valid, built from the routes and the contract, and
true to the answers the app gives, for WDBC and for a binary, a multiclass and a regression
contract (tests/support/contracts.py) in front of twins of their endpoints."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from chalice.app import Chalice
from chalice.test import Client
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from chalicelib import content_types, errors, openapi
from chalicelib.application import create_app
from chalicelib.contract import Contract
from chalicelib.errors import ApiError, InvalidHeader, InvalidValue
from chalicelib.model_answer import Prediction
from chalicelib.replies import ModelIdentity
from chalicelib.settings import Settings
from tests.support.apps import ENDPOINT_NAME
from tests.support.endpoint_twins import AnsweringEndpoint
from tests.support.fuzzing import FLOAT32_MAX, decimals, examples
from tests.support.local_stack import PROJECT_DIR
from tests.support.rows import (
    FEATURE_COUNT,
    WDBC,
    parse_csv_payload,
    predictions_reply,
    row_from_text,
)
from tests.support.twin_app import BINARY, MULTICLASS, REGRESSION, twin_app

CONTRACTS = [WDBC, BINARY, MULTICLASS, REGRESSION]
ACCEPTS = (
    content_types.JSON,
    content_types.CSV,
    content_types.JSON_LINES,
    content_types.PLAIN_TEXT,
)


def _app(contract: Contract) -> Chalice:
    if contract is WDBC:
        return create_app(Settings(ENDPOINT_NAME, "wdbc"), AnsweringEndpoint(0.9, 1))
    return twin_app(contract)


@pytest.fixture(params=CONTRACTS, ids=[contract.name for contract in CONTRACTS])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Contract, Client]]:
    contract = request.param
    with Client(_app(contract), stage_name="dev", project_dir=str(PROJECT_DIR)) as client:
        yield contract, client


def _document(client: Client) -> dict[str, Any]:
    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.body)
    return document


def _validator(document: dict[str, Any], schema: Any) -> Draft202012Validator:
    """A validator for `schema`, its references resolved within the document."""
    return Draft202012Validator({**schema, "components": document["components"]})


def _component(document: dict[str, Any], name: str) -> Draft202012Validator:
    return _validator(document, {"$ref": f"#/components/schemas/{name}"})


def test_the_document_is_built_once(
    monkeypatch: pytest.MonkeyPatch, served: tuple[Contract, Client]
) -> None:
    _, client = served
    built: list[str] = []
    original = openapi.openapi_document

    def counted(*arguments: Any) -> dict[str, Any]:
        built.append("built")
        return original(*arguments)

    monkeypatch.setattr(openapi, "openapi_document", counted)
    first, second = (client.http.get("/openapi.json").body for _ in range(2))
    assert first == second
    assert built == ["built"]


def test_the_document_is_valid_openapi_3_1(served: tuple[Contract, Client]) -> None:
    contract, client = served
    document = _document(client)
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["info"]["title"] == f"The {contract.name} model"
    assert contract.route in document["paths"]


def test_every_route_is_described_from_the_app_itself(served: tuple[Contract, Client]) -> None:
    contract, client = served
    document = _document(client)
    routes = _app(contract).routes
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert described == {(path, m.lower()) for path, methods in routes.items() for m in methods}
    for path, methods in routes.items():
        for method, entry in methods.items():
            operation = document["paths"][path][method.lower()]
            assert bool(operation.get("security")) == bool(entry.api_key_required), path
            assert operation["operationId"] == entry.view_name
            assert operation["summary"]
            taken = operation.get("requestBody", {}).get("content", {})
            assert set(taken) <= set(entry.content_types)


def test_every_error_class_says_when_it_is_given() -> None:
    classes = openapi.error_classes()
    assert {cls.__name__ for cls in classes} >= {"InvalidJson", "EndpointTimeout", "InternalError"}
    assert all(isinstance(value, type) for value in classes)
    for cls in classes:
        assert cls.__doc__, cls.__name__
    found = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, ApiError)
    ]
    assert len(found) == len(classes) + 1  # all but the base


def _responses(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in document["paths"].values():
        for operation in item.values():
            yield from operation["responses"].items()
    yield "405", document["components"]["responses"]["MethodNotAllowed"]
    yield "404", document["components"]["responses"]["NotFound"]


def _codes(response: dict[str, Any]) -> set[str]:
    return set(re.findall(r"^- `([a-z_]+)`", response["description"], flags=re.MULTILINE))


def catalogue(document: dict[str, Any]) -> set[tuple[int, str]]:
    """(status, code) of every error the document lists."""
    return {
        (int(status), code)
        for status, response in _responses(document)
        for code in _codes(response)
    }


def test_the_catalogue_is_every_api_error_under_its_own_status(
    served: tuple[Contract, Client],
) -> None:
    _, client = served
    document = _document(client)
    classes = openapi.error_classes()
    assert catalogue(document) == {(cls.STATUS_CODE, cls.CODE) for cls in classes}
    error = document["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["properties"]["code"]["enum"] == [cls.CODE for cls in classes]
    for cls in classes:
        for _, response in _responses(document):
            if cls.CODE in _codes(response):
                assert " ".join(cls.__doc__.split()) in response["description"]
                header = response["headers"].get("Retry-After")
                if cls.RETRY_AFTER is None:
                    assert header is None or f"for `{cls.CODE}`" not in header["description"]
                else:
                    assert f"{cls.RETRY_AFTER} for `{cls.CODE}`" in header["description"]
                    assert cls.RETRY_AFTER in header["schema"]["enum"]


def test_a_header_error_only_where_csv_is_read(served: tuple[Contract, Client]) -> None:
    contract, client = served
    document = _document(client)
    predict = document["paths"][contract.route]["post"]["responses"]["400"]
    infer = document["paths"][f"/v2/models/{contract.name}/infer"]["post"]["responses"]["400"]
    assert InvalidHeader.CODE in _codes(predict)
    assert InvalidHeader.CODE not in _codes(infer)
    assert infer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OipError"
    }


def test_every_answer_of_the_app_carries_the_request_id(served: tuple[Contract, Client]) -> None:
    _, client = served
    for status, response in _responses(_document(client)):
        header = response["headers"]["X-Request-Id"]
        if int(status) in openapi.GATEWAY_ANSWERS or status == str(errors.NotFound.STATUS_CODE):
            continue  # API Gateway's own answer may stand in for the app's
        assert header == {"$ref": "#/components/headers/RequestId"}, status


def test_the_docs_error_table_is_the_catalogue() -> None:
    reference = (PROJECT_DIR / "docs" / "api.md").read_text(encoding="utf-8")
    section = reference.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", section, flags=re.MULTILINE)
    listed = [(int(status), code) for status, code in rows]
    assert len(listed) == len(set(listed)), "a code is listed twice"
    assert set(listed) == {(cls.STATUS_CODE, cls.CODE) for cls in openapi.error_classes()}


def test_the_examples_are_the_contracts_and_valid_requests(
    served: tuple[Contract, Client],
) -> None:
    contract, client = served
    document = _document(client)
    seen = set()
    for item in document["paths"].values():
        for operation in item.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                for example in media["examples"].values():
                    _validator(document, media["schema"]).validate(example["value"])
                    seen.add(example["summary"])
    assert {example.summary for example in contract.examples} <= seen


def _validate_answer(document: dict[str, Any], path: str, media: str, body: str) -> None:
    """An answer of the route at `path` against the schema the document gives for `media`."""
    answer = document["paths"][path]["post"]["responses"]["200"]["content"][media]
    _validator(document, answer["schema"]).validate(
        body
        if media in (content_types.CSV, content_types.JSON_LINES, content_types.PLAIN_TEXT)
        else json.loads(body)
    )
    if media == content_types.JSON_LINES:
        for line in body.splitlines():
            _component(document, "Prediction").validate(json.loads(line))


@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_apps_answers_are_as_documented(served: tuple[Contract, Client], accept: str) -> None:
    contract, client = served
    document = _document(client)
    csv = "\n".join(",".join(map(repr, example.values)) for example in contract.examples)
    bodies = [
        ("application/json", json.dumps({"data": csv.split("\n")[0]})),
        ("text/csv", csv + "\n"),
    ]
    for content_type, body in bodies:
        headers = {"Content-Type": content_type, "Accept": accept}
        response = client.http.post(contract.route, headers=headers, body=body)
        if accept == content_types.PLAIN_TEXT and content_type == content_types.CSV:
            assert response.status_code == 406
            continue
        assert response.status_code == 200, response.body
        assert response.headers["Content-Type"] == accept
        _validate_answer(document, contract.route, accept, response.body.decode())


def test_the_oip_and_read_only_answers_are_as_documented(
    served: tuple[Contract, Client],
) -> None:
    contract, client = served
    document = _document(client)
    flat = document["paths"][f"/v2/models/{contract.name}/infer"]["post"]["requestBody"]
    for example in flat["content"]["application/json"]["examples"].values():
        response = client.http.post(
            f"/v2/models/{contract.name}/infer",
            headers={"Content-Type": "application/json"},
            body=json.dumps(example["value"]),
        )
        assert response.status_code == 200, response.body
        _component(document, "InferenceResponse").validate(json.loads(response.body))
    for path, schema in [
        ("/health", "Health"),
        ("/model", "Model"),
        ("/v2/health/ready", "Readiness"),
        (f"/v2/models/{contract.name}", "ModelMetadata"),
    ]:
        _component(document, schema).validate(json.loads(client.http.get(path).body))


def test_a_refusal_is_as_documented(served: tuple[Contract, Client]) -> None:
    contract, client = served
    document = _document(client)
    row = list(contract.examples[0].values)
    response = client.http.post(
        contract.route,
        headers={"Content-Type": "application/json"},
        body=json.dumps({"data": ["x", *row[1:]]}),
    )
    assert response.status_code == 400
    documented = document["paths"][contract.route]["post"]["responses"]["400"]
    _validator(document, documented["content"]["application/json"]["schema"]).validate(
        json.loads(response.body)
    )


def test_a_limit_of_the_contract_is_in_its_feature_schema() -> None:
    with Client(twin_app(REGRESSION)) as client:
        document = _document(client)
    alcohol, malic_acid, hue = document["components"]["schemas"]["FeatureValues"]["prefixItems"]
    assert (alcohol["minimum"], alcohol["maximum"]) == (0, 100)
    assert malic_acid["minimum"] == -FLOAT32_MAX
    assert alcohol["description"] == "alcohol: In training: 11.0 to 14.8 %."
    assert hue["description"] == "hue: colour hue. In training: 0.48 to 1.71."
    named = document["components"]["schemas"]["NamedFeatures"]["properties"]
    assert named["alcohol"] == alcohol


# --- The patterns against the readers they describe ------------------------------------------


def _wdbc_document() -> dict[str, Any]:
    with Client(_app(WDBC)) as client:
        return _document(client)


WDBC_SCHEMAS = _wdbc_document()["components"]["schemas"]
ROW_PATTERN = WDBC_SCHEMAS["RowText"]["properties"]["data"]["pattern"]


def _refusal(read: Callable[[], object]) -> str | None:
    """None if `read()` reads the input; else the refusal's code and message."""
    try:
        read()
    except ApiError as error:
        return f"{error.CODE}: {error.message}"
    return None


# Finite values are all a pattern can not check: 1e309 matches it and is refused.
OVERFLOW = re.compile(rf"^{InvalidValue.CODE}: .*is too large \(beyond")


@examples(60)
@given(st.from_regex(ROW_PATTERN))
def test_a_row_the_pattern_admits_is_read_unless_a_value_overflows(text: str) -> None:
    refusal = _refusal(lambda: row_from_text(text))
    assert refusal is None or OVERFLOW.match(refusal), refusal


@examples(60)
@given(
    st.lists(
        decimals,  # tests/support/fuzzing.py's, not chalicelib's pattern
        min_size=FEATURE_COUNT,
        max_size=FEATURE_COUNT,
    ),
    st.lists(
        st.sampled_from(["", " ", "\t", " \t "]),
        min_size=2 * FEATURE_COUNT,
        max_size=2 * FEATURE_COUNT,
    ),
    st.sampled_from(["", "\n", "\r\n", " \n "]),
)
def test_a_row_the_server_reads_the_pattern_admits(
    values: list[str], blanks: list[str], around: str
) -> None:
    spaced = (f"{blanks[2 * i]}{value}{blanks[2 * i + 1]}" for i, value in enumerate(values))
    text = f"{around}{','.join(spaced)}{around}"
    assert re.search(ROW_PATTERN, text)
    refusal = _refusal(lambda: row_from_text(text))
    assert refusal is None or OVERFLOW.match(refusal), refusal


@examples(12)
@given(st.from_regex(WDBC_SCHEMAS["CsvRows"]["pattern"]))
def test_a_csv_body_the_pattern_admits_is_read_unless_its_header_repeats(text: str) -> None:
    # Nor can a pattern say "each name once"; the description does.
    refusal = _refusal(lambda: parse_csv_payload(text.encode("utf-8")))
    header = re.compile(rf"^{InvalidHeader.CODE}: ")
    assert refusal is None or OVERFLOW.match(refusal) or header.match(refusal), refusal


@examples(40)
@given(
    st.lists(
        st.builds(Prediction, st.sampled_from([0, 1]), st.floats(min_value=0.0, max_value=1.0)),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from([content_types.CSV, content_types.JSON_LINES]),
)
def test_a_csv_or_json_lines_answer_matches_its_pattern(
    predictions: list[Prediction], media_type: str
) -> None:
    reply = predictions_reply(predictions, ModelIdentity("wdbc-test", "v1"), media_type, False)
    schema = WDBC_SCHEMAS["CsvAnswer" if media_type == content_types.CSV else "JsonLinesAnswer"]
    assert re.search(schema["pattern"], reply.body)
