"""The Postman collection, run by Postman's own runner (newman) against the stack on 127.0.0.1.

newman sends every request with the collection's variables and API-key auth and runs each
request's test script; its JSON report says which assertions held. `make newman` installs the
pinned newman into node_modules/ (it needs node and npm); without it these tests skip. The
collection is written by `python -m postman` from WDBC's contract; the committed file must be
the written one.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from postman.collection import COLLECTION_FILE, ENVIRONMENT_FILE
from tests.support.collection import COLLECTION, assertions_in, load, requests_in
from tests.support.local_stack import PROJECT_DIR, RunningStack

NEWMAN = PROJECT_DIR / "node_modules" / ".bin" / "newman"
# Sent as on a deployed stage; the local gateway does not check it.
API_KEY = "local-key"


class NewmanRun(NamedTuple):
    returncode: int
    output: str  # newman's own report, for failure messages
    run: dict[str, Any]  # the JSON reporter's "run"

    def count(self, what: str) -> tuple[int, int]:
        """(total, failed) of newman's `requests`, `assertions`, ..."""
        stats = self.run["stats"][what]
        return stats["total"], stats["failed"]

    @property
    def failures(self) -> list[str]:
        return [
            f"{failure['source']['name']}: {failure['error']['message']}"
            for failure in self.run["failures"]
        ]

    def answers(self) -> Iterator[tuple[Mapping[str, Any], int, bytes]]:
        """Each request as newman sent it, with the status and body it got."""
        for execution in self.run["executions"]:
            response = execution["response"]
            yield execution["request"], response["code"], bytes(response["stream"]["data"])


def run_newman(newman: Path, collection: Path, stack: RunningStack, report: Path) -> NewmanRun:
    completed = subprocess.run(
        [
            str(newman),
            "run",
            str(collection),
            "--environment",  # the committed one, as a user imports it; the stack's address wins
            str(ENVIRONMENT_FILE),
            "--env-var",
            f"baseUrl={stack.api_url}",
            "--env-var",
            f"apiKey={API_KEY}",
            "--reporters",
            "cli,json",
            "--reporter-json-export",
            str(report),
            "--color",
            "off",
            "--timeout-request",
            "10000",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert report.exists(), completed.stdout + completed.stderr
    return NewmanRun(completed.returncode, completed.stdout, load(report)["run"])


@pytest.fixture(scope="module")
def newman() -> Path:
    if not NEWMAN.exists():
        pytest.skip("newman is not installed: `make newman` (needs node and npm)")
    return NEWMAN


@pytest.fixture(scope="module")
def collection_run(
    newman: Path, stack: RunningStack, tmp_path_factory: pytest.TempPathFactory
) -> NewmanRun:
    report = tmp_path_factory.mktemp("newman") / "run.json"
    return run_newman(newman, COLLECTION_FILE, stack, report)


def test_newman_runs_every_request_and_every_assertion_holds(collection_run: NewmanRun) -> None:
    assert collection_run.failures == [], collection_run.output
    assert collection_run.returncode == 0, collection_run.output
    assert collection_run.count("requests") == (len(requests_in(COLLECTION["item"])), 0)
    # Every script ran all its assertions: none was skipped by an error before it.
    total, failed = collection_run.count("assertions")
    assert (total, failed) == (assertions_in(COLLECTION["item"]), 0)
    assert total > 0


def test_the_api_key_goes_in_x_api_key(collection_run: NewmanRun) -> None:
    for request, _, _ in collection_run.answers():
        sent = {header["key"].lower(): header["value"] for header in request["header"]}
        assert sent["x-api-key"] == API_KEY


def _error_code(body: bytes) -> str | None:
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return None
    return error.get("code") if isinstance(error, dict) else None


def test_it_holds_the_forms_and_each_refusal_a_caller_can_cause(
    collection_run: NewmanRun,
) -> None:
    answered = {(status, _error_code(body)) for _, status, body in collection_run.answers()}
    assert answered >= {
        (200, None),
        (400, "invalid_value"),
        (400, "wrong_value_count"),
        (400, "invalid_payload"),
        (404, "not_found"),
        (406, "not_acceptable"),
        (413, "too_many_rows"),
        (415, "unsupported_media_type"),
    }
    forms = set()
    for request, status, _ in collection_run.answers():
        headers = {header["key"].lower(): header["value"] for header in request["header"]}
        if status == 200 and headers.get("content-type") == "application/json":
            forms.update(json.loads(request["body"]["raw"]))
        elif status == 200:
            forms.add(headers.get("content-type"))
    assert forms >= {"data", "features", "instances", "text/csv"}


def test_each_answer_is_one_the_openapi_document_gives(
    collection_run: NewmanRun, stack: RunningStack
) -> None:
    with urllib.request.urlopen(f"{stack.api_url}/openapi.json", timeout=10) as answer:
        spec = json.load(answer)
    for request, status, body in collection_run.answers():
        path = "/" + "/".join(request["url"]["path"])
        if path in spec["paths"]:
            response = spec["paths"][path][request["method"].lower()]["responses"][str(status)]
        else:  # a path the API does not have: the document's shared answer for those
            response = {"$ref": "#/components/responses/NotFound"}
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        code = _error_code(body)
        if code is not None:
            assert f"`{code}`" in json.dumps(response), (path, status, code)


def test_a_broken_expectation_fails_the_run(
    newman: Path, stack: RunningStack, tmp_path: Path
) -> None:
    """The check above can fail: one request expecting another status makes newman fail."""
    first, *_ = requests_in(load(COLLECTION_FILE)["item"])  # a copy, to change
    (script,) = [event["script"] for event in first["event"] if event["listen"] == "test"]
    broken = [line.replace("to.have.status(200)", "to.have.status(299)") for line in script["exec"]]
    assert broken != script["exec"], "the first request should expect a 200"
    script["exec"] = broken
    copy = tmp_path / "broken.postman_collection.json"
    copy.write_text(json.dumps({**COLLECTION, "item": [first]}), encoding="utf-8")
    run = run_newman(newman, copy, stack, tmp_path / "run.json")
    assert run.returncode != 0
    assert run.count("assertions") == (assertions_in([first]), 1)
    (failure,) = run.failures
    assert "expected response to have status code 299 but got 200" in failure, failure
