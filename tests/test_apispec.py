"""The OpenAPI document: generated from the code, committed as generated, valid and complete."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from apispec import catalogue, document, examples, schemas
from apispec.__main__ import main
from chalicelib import content_types, errors
from chalicelib.application import create_app
from chalicelib.discovery import SPEC_FILE
from chalicelib.errors import ApiError, InvalidHeader, InvalidValue
from chalicelib.model_answer import Prediction
from chalicelib.model_card import CARDS_DIR
from chalicelib.replies import ModelIdentity
from chalicelib.rows import DECIMAL_PATTERN
from chalicelib.settings import Settings
from tests.conftest import ENDPOINT_NAME
from tests.rows import FEATURE_COUNT, parse_csv_payload, predictions_reply, row_from_text

PROJECT_DIR = Path(__file__).resolve().parent.parent
SPEC: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
OUT_OF_DATE = "chalicelib/openapi.json is out of date: run `python -m apispec` and commit it"


def _validator(schema_name: str) -> Draft202012Validator:
    """A validator for one component schema, its references resolved within the document."""
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    return Draft202012Validator(root)


def spec_error_catalogue(spec: dict[str, Any]) -> set[tuple[int, str]]:
    """(status, code) of every error the document lists, read from its shared responses."""
    status_by_name = {
        catalogue.ErrorStatus(int(status), ()).name: int(status) for status in HTTPStatus
    }
    pairs = set()
    for name, response in spec["components"]["responses"].items():
        schema = response["content"][content_types.JSON]["schema"]
        schema = schema.get("oneOf", [schema])[0]
        if "allOf" in schema:
            codes = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
            pairs |= {(status_by_name[name], code) for code in codes}
    return pairs


def test_the_committed_spec_is_the_generated_one() -> None:
    assert SPEC_FILE.read_text(encoding="utf-8") == document.render(document.build_spec()), (
        OUT_OF_DATE
    )


def test_the_spec_is_valid_openapi_3_1() -> None:
    assert SPEC["openapi"].startswith("3.1.")
    validate(SPEC, cls=OpenAPIV31SpecValidator)


def test_the_spec_describes_every_route_of_the_app_and_no_other() -> None:
    routes = create_app(Settings(ENDPOINT_NAME, "wdbc")).routes
    implemented = {(path, method.lower()) for path, methods in routes.items() for method in methods}
    described = {(path, method) for path, item in SPEC["paths"].items() for method in item}
    assert described == implemented
    for path, methods in routes.items():
        for method, entry in methods.items():
            operation = SPEC["paths"][path][method.lower()]
            assert bool(operation.get("security")) == bool(entry.api_key_required), (path, method)


def test_the_catalogue_is_every_api_error_under_its_own_status() -> None:
    classes = catalogue.error_classes()
    assert {cls.__name__ for cls in classes} >= {"InvalidJson", "EndpointTimeout", "InternalError"}
    assert spec_error_catalogue(SPEC) == {(cls.STATUS_CODE, cls.CODE) for cls in classes}
    assert SPEC["components"]["schemas"]["ErrorCode"]["enum"] == [cls.CODE for cls in classes]


def test_retry_after_is_described_where_an_error_class_sets_it() -> None:
    responses = SPEC["components"]["responses"]
    for status in catalogue.by_status(catalogue.error_classes()):
        header = responses[status.name]["headers"].get("Retry-After")
        waits = {cls.RETRY_AFTER for cls in status.classes} - {None}
        if not waits:
            assert header is None, status
            continue
        assert set(header["schema"]["enum"]) == waits
        for cls in status.classes:
            if cls.RETRY_AFTER is not None:
                assert f"{cls.RETRY_AFTER} for `{cls.CODE}`" in header["description"]


def test_every_answer_of_the_app_carries_the_request_id_header() -> None:
    for item in SPEC["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    response = SPEC["components"]["responses"][response["$ref"].rsplit("/")[-1]]
                headers = response.get("headers", {})
                if int(status) in catalogue.GATEWAY_ANSWERS:
                    continue  # API Gateway's own answer may stand in for the app's
                assert headers["X-Request-Id"] == {"$ref": "#/components/headers/RequestId"}


def test_the_readme_error_table_is_the_spec_catalogue() -> None:
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## The API\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", section, flags=re.MULTILINE)
    listed = [(int(status), code) for status, code in rows]
    assert len(listed) == len(set(listed)), "a code is listed twice"
    assert set(listed) == spec_error_catalogue(SPEC)


@pytest.mark.parametrize(
    ("schema_name", "example"),
    [
        *(("PredictionRequest", item["value"]) for item in examples.json_requests().values()),
        *(("CsvRows", item["value"]) for item in examples.csv_requests().values()),
        *(("InferenceRequest", item["value"]) for item in examples.oip_requests().values()),
    ],
)
def test_the_examples_are_valid_requests(schema_name: str, example: object) -> None:
    _validator(schema_name).validate(example)


def test_the_committed_model_card_has_the_card_shape() -> None:
    for card in CARDS_DIR.glob("*.json"):
        _validator("ModelCard").validate(json.loads(card.read_text(encoding="utf-8")))


def _refusal(read: Callable[[], object]) -> str | None:
    """None if `read()` reads the input; else the refusal's code and message."""
    try:
        read()
    except ApiError as error:
        return f"{error.CODE}: {error.message}"
    return None


# Finite values are all a pattern can not check: 1e309 matches it and is refused.
OVERFLOW = re.compile(rf"^{InvalidValue.CODE}: .*is too large \(beyond")


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.from_regex(schemas.row_text_pattern()))
def test_a_row_the_pattern_admits_is_read_unless_a_value_overflows(text: str) -> None:
    refusal = _refusal(lambda: row_from_text(text))
    assert refusal is None or OVERFLOW.match(refusal), refusal


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.from_regex(DECIMAL_PATTERN, fullmatch=True),
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
    assert re.search(schemas.row_text_pattern(), text)
    refusal = _refusal(lambda: row_from_text(text))
    assert refusal is None or OVERFLOW.match(refusal), refusal


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(st.from_regex(schemas.csv_body_pattern()))
def test_a_csv_body_the_pattern_admits_is_read_unless_its_header_repeats(text: str) -> None:
    # Nor can a pattern say "each name once"; the description does.
    refusal = _refusal(lambda: parse_csv_payload(text.encode("utf-8")))
    header = re.compile(rf"^{InvalidHeader.CODE}: ")
    assert refusal is None or OVERFLOW.match(refusal) or header.match(refusal), refusal


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.builds(Prediction, st.sampled_from([0, 1]), st.floats(min_value=0.0, max_value=1.0)),
        min_size=1,
        max_size=5,
    )
)
def test_a_csv_answer_matches_its_pattern(predictions: list[Prediction]) -> None:
    reply = predictions_reply(
        predictions, ModelIdentity("wdbc-test", "v1"), content_types.CSV, single=False
    )
    assert re.search(schemas.csv_answer_pattern(), reply.body)


@pytest.mark.slow
def test_python_m_apispec_writes_the_file_and_checks_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "openapi.json"
    assert main(["--check", "--output", str(output)]) == 1
    assert main(["--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == document.render(document.build_spec())
    assert main(["--check", "--output", str(output)]) == 0
    assert main(["--output", str(output)]) == 0
    assert capsys.readouterr().out.split("\n")[:2] == [
        f"apispec: {output} written",
        f"apispec: {output} unchanged",
    ]


def test_an_error_class_without_a_sentence_or_a_route_stops_the_generator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(catalogue.WHEN, errors.Throttled)
    with pytest.raises(LookupError, match="no sentence for Throttled"):
        catalogue.error_classes()
    monkeypatch.setitem(catalogue.WHEN, errors.Throttled, "throttled")
    kept = tuple(cls for cls in catalogue.PREDICT_ERRORS if cls is not errors.Throttled)
    monkeypatch.setattr(catalogue, "PREDICT_ERRORS", kept)
    with pytest.raises(LookupError, match="no route for Throttled"):
        catalogue.error_classes()


def test_a_route_giving_part_of_a_status_is_not_described_wrongly() -> None:
    with pytest.raises(ValueError, match="only some of the 400 errors"):
        document._error_responses((errors.InvalidJson,))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.builds(Prediction, st.sampled_from([0, 1]), st.floats(min_value=0.0, max_value=1.0)),
        min_size=1,
        max_size=5,
    )
)
def test_a_json_lines_answer_matches_its_pattern_and_reads_back(
    predictions: list[Prediction],
) -> None:
    reply = predictions_reply(
        predictions, ModelIdentity("wdbc-test", "v1"), content_types.JSON_LINES, single=False
    )
    assert re.search(schemas.json_lines_answer_pattern(), reply.body)
    lines = [json.loads(line) for line in reply.body.splitlines()]
    assert [line["probability_malignant"] for line in lines] == [
        item.probability for item in predictions
    ]
    assert [line["prediction"] for line in lines] == ["BM"[item.outcome] for item in predictions]
