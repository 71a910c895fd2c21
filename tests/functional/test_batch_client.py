"""`python -m client score`: the held-out rows through the real stack, a multiclass and a
regression model's rows, and each way a batch fails.

The stack is the run command's (the app behind Chalice's local gateway, the SageMaker stand-in)
on 127.0.0.1; the other models are served by the same gateway in front of twins of their
endpoints; the failures come from a scripted HTTP server, also on 127.0.0.1, that answers
`GET /model` with WDBC's contract and each POST with the next answer of its script, and records
what it was sent.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import urllib3
from click.testing import CliRunner, Result
from sklearn.datasets import load_breast_cancer

from chalicelib.contract import Contract
from client.api import ApiUnusable, BatchFailed, PredictionApi
from client.cli import cli
from client.files import HeaderError, read_input
from standin.model import LinearScorer
from tests.support.local_stack import PROJECT_DIR, RunningStack
from tests.support.rows import EXAMPLE_ROW, FEATURE_NAMES, WDBC, row_with
from tests.support.twin_app import MULTICLASS, RECORDS, REGRESSION, serve
from training.local import LocalTrainingResult


def _score(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "client", "score", *arguments]
    return subprocess.run(
        command, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60, check=False
    )


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _outside_range(line: Mapping[str, str]) -> str:
    """The oracle of `warnings`: an output line's features, each value against its range."""
    return " ".join(
        feature.name
        for feature in WDBC.features
        if not feature.training_range[0] <= float(line[feature.name]) <= feature.training_range[1]
    )


# --- Against the real stack -----------------------------------------------------------------


def test_the_held_out_rows_score_as_the_model_scores_them(
    trained: LocalTrainingResult, stack: RunningStack, tmp_path: Path
) -> None:

    test_part = trained.split.test
    columns = list(reversed(FEATURE_NAMES))  # a header may name the features in any order
    source = tmp_path / "held-out.csv"
    with source.open("w", encoding="utf-8") as stream:
        stream.write(",".join(columns) + "\n")
        for row in test_part.features.tolist():
            by_name = dict(zip(FEATURE_NAMES, row, strict=True))
            stream.write(",".join(repr(by_name[name]) for name in columns) + "\n")
    output = tmp_path / "scored.csv"

    result = _score(
        str(source), "--url", stack.api_url, "--batch-size", "50", "--output", str(output)
    )

    assert result.returncode == 0, result.stderr
    rows = len(test_part.labels)
    scored = _read_csv(output)
    # The held-out rows are not the training rows: a few lie outside their ranges.
    outside = sum(map(bool, map(_outside_range, scored)))
    assert 0 < outside < rows
    assert f"{rows} rows: {rows} scored ({outside} outside the training range), 0 errors; " in (
        result.stderr
    )
    assert [item["warnings"] for item in scored] == list(map(_outside_range, scored))
    expected = LinearScorer(trained.artifact).predict(test_part.features.tolist())
    assert [int(item["line"]) for item in scored] == list(range(2, rows + 2))
    assert list(scored[0]) == [
        "line", *columns, "prediction", "probability_malignant", "warnings", "error",
        "error_message",
    ]  # fmt: skip
    assert [item["prediction"] for item in scored] == [
        WDBC.classes[answer.predicted_label].code for answer in expected
    ]
    assert [float(item["probability_malignant"]) for item in scored] == pytest.approx(
        [answer.score for answer in expected], rel=1e-12
    )


def test_bad_lines_are_reported_by_line_number_and_the_rest_scored(
    stack: RunningStack, tmp_path: Path
) -> None:
    source = tmp_path / "mixed.csv"
    lines = [
        EXAMPLE_ROW,
        row_with(3, "eighty"),
        ",".join(EXAMPLE_ROW.split(",")[:29]),
        "",
        row_with(30, "1e999"),
        EXAMPLE_ROW,
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "scored.csv"

    result = _score(str(source), "--url", stack.api_url, "--output", str(output))

    assert result.returncode == 1
    assert f"{source}:2: value 3 of 30 (perimeter_mean) is not a plain decimal number" in (
        result.stderr
    )
    assert f"{source}:3: row must hold 30" in result.stderr
    assert f"{source}:5: value 30 of 30 (fractal_dimension_worst) is too large" in result.stderr
    assert "eighty" not in result.stderr
    assert "5 rows: 2 scored, 3 errors; 2 requests in " in result.stderr
    written = _read_csv(output)
    assert [item["line"] for item in written] == ["1", "2", "3", "5", "6"]
    assert [item["error"] for item in written] == [
        "", "invalid_value", "wrong_value_count", "invalid_value", ""
    ]  # fmt: skip
    assert written[1]["error_message"] == (
        "value 3 of 30 (perimeter_mean) is not a plain decimal number"
    )
    assert {item["prediction"] for item in written} == {"B", ""}
    assert "eighty" not in output.read_text()


def _post_csv(url: str, body: str) -> urllib3.BaseHTTPResponse:
    headers = {"Content-Type": "text/csv", "Accept": "application/json"}
    return urllib3.request("POST", url, body=body.encode(), headers=headers)


def _named_file(path: Path, columns: list[str], rows: list[dict[str, float]]) -> str:
    """`rows` under a header of `columns`, each the value of the feature at its place in WDBC's
    order; the file's text."""
    written = [",".join(columns)]
    written += [",".join(repr(row[name]) for name in FEATURE_NAMES) for row in rows]
    path.write_text("\n".join(written) + "\n", encoding="utf-8")
    return path.read_text(encoding="utf-8")


def test_a_header_the_api_takes_is_taken_and_scored_as_the_contracts_names(
    trained: LocalTrainingResult, stack: RunningStack, tmp_path: Path
) -> None:
    held_out = trained.split.test.features.tolist()[:20]
    rows = [dict(zip(FEATURE_NAMES, row, strict=True)) for row in held_out]
    scikit_learn = [str(name) for name in load_breast_cancer().feature_names]
    kaggle = [name.replace("concave_points_", "concave points_") for name in FEATURE_NAMES]
    headers = {
        "contract": list(FEATURE_NAMES),
        "scikit-learn": scikit_learn,
        "kaggle": kaggle,
        "quoted": [f'"{name.title()}"' for name in scikit_learn],
    }
    assert kaggle.count("concave points_mean") == 1
    route = stack.api_url + WDBC.route
    answers = {}
    for kind, columns in headers.items():
        source = tmp_path / f"{kind}.csv"
        assert _post_csv(route, _named_file(source, columns, rows)).status == 200, kind
        output = tmp_path / f"{kind}-scored.csv"
        result = _score(str(source), "--url", stack.api_url, "--output", str(output))
        assert result.returncode == 0, f"{kind}: {result.stderr}"
        scored = _read_csv(output)
        assert list(scored[0])[1:31] == [name.strip('"') for name in columns]  # as written
        answers[kind] = [(item["prediction"], item["probability_malignant"]) for item in scored]
    assert len(answers["contract"]) == len(rows)
    assert {kind: answers["contract"] for kind in headers} == answers


def test_a_header_with_other_columns_is_refused_with_the_apis_message(
    stack: RunningStack, tmp_path: Path
) -> None:
    source = tmp_path / "kaggle.csv"
    header = ",".join(["id", "diagnosis", *FEATURE_NAMES])
    source.write_text(f"{header}\n842302,M,{EXAMPLE_ROW}\n", encoding="utf-8")
    answer = _post_csv(stack.api_url + WDBC.route, source.read_text(encoding="utf-8"))
    assert answer.status == 400
    refusal = answer.json()["error"]
    assert refusal["code"] == "invalid_header"
    assert "send the features' columns only" in refusal["message"]

    result = _score(str(source), "--url", stack.api_url)

    assert result.returncode == 1
    assert f"{source}: line 1: {refusal['message']}" in result.stderr
    assert "842302" not in result.stderr + result.stdout


def test_a_row_outside_the_training_range_has_its_warning_on_its_own_line(
    stack: RunningStack, tmp_path: Path
) -> None:
    def with_values(changes: Mapping[int, str]) -> str:
        fields = EXAMPLE_ROW.split(",")
        for position, value in changes.items():
            fields[position] = value
        return ",".join(fields)

    area, fractal = FEATURE_NAMES.index("area_mean"), FEATURE_NAMES.index("fractal_dimension_worst")
    lines = [
        EXAMPLE_ROW,
        with_values({0: "30"}),  # radius_mean, above 28.11
        EXAMPLE_ROW,
        "1,2",  # not sent
        EXAMPLE_ROW,
        with_values({area: "2600", fractal: "0.25"}),  # the first row of the third batch
        with_values({0: "7.0"}),  # inside, near the low end (6.981)
    ]
    source = tmp_path / "ranges.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "scored.csv"

    result = _score(
        str(source), "--url", stack.api_url, "--batch-size", "2", "--output", str(output)
    )

    assert result.returncode == 1, result.stderr
    assert "7 rows: 6 scored (2 outside the training range), 1 errors; 4 requests" in (
        result.stderr
    )
    written = _read_csv(output)
    assert list(written[0])[-4:] == ["probability_malignant", "warnings", "error", "error_message"]
    scored = [item for item in written if not item["error"]]
    assert [item["line"] for item in scored] == ["1", "2", "3", "5", "6", "7"]
    assert [item["warnings"] for item in scored] == list(map(_outside_range, scored))
    assert [item["warnings"] for item in written] == [
        "", "radius_mean", "", "", "", "area_mean fractal_dimension_worst", ""
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("contract", "answers"),
    [
        (MULTICLASS, ["c2", *map(repr, RECORDS[MULTICLASS.name]["score"])]),
        (REGRESSION, [repr(RECORDS[REGRESSION.name]["score"])]),
    ],
    ids=["multiclass", "regression"],
)
def test_another_models_rows_are_read_and_answered_as_its_contract_says(
    tmp_path: Path, contract: Contract, answers: list[str]
) -> None:
    source = tmp_path / "rows.csv"
    # A header may name the features in any order and case; a limit is the feature's own.
    columns = [name.upper() for name in reversed(contract.feature_names)]
    rows = [list(reversed(example.values)) for example in contract.examples]
    lines = [",".join(map(repr, row)) for row in rows]
    bad = ["1,2", "0.96,2.3,101"]
    source.write_text("\n".join([",".join(columns), *lines, *bad]) + "\n", encoding="utf-8")
    output = tmp_path / "scored.csv"
    with serve(contract) as url:
        result = _score(str(source), "--url", url, "--output", str(output))
    assert result.returncode == 1, result.stderr
    first_bad = len(rows) + 2
    assert f"{source}:{first_bad}: row must hold 3 comma-separated" in result.stderr
    assert f"{source}:{first_bad + 1}: value 3 of 3 (alcohol) is above its upper limit 100" in (
        result.stderr
    )
    written = _read_csv(output)
    scored = [item for item in written if not item["error"]]
    extra = ["prediction"] + [f"probability_{c.code}" for c in contract.classes]
    assert list(scored[0]) == ["line", *columns, *extra, "warnings", "error", "error_message"]
    assert [item["error"] for item in written[len(rows) :]] == [
        "wrong_value_count", "invalid_value"
    ]  # fmt: skip
    assert [[item[key] for key in extra] for item in scored] == [answers] * len(rows)
    assert [[item[name] for name in columns] for item in scored] == [
        line.split(",") for line in lines
    ]


# --- Each way a batch can fail, from a scripted server --------------------------------------


class Scripted(NamedTuple):
    status: int
    body: Any  # a dict is sent as JSON
    headers: Mapping[str, str] = {}


class Received(NamedTuple):
    headers: dict[str, str]
    body: str


WDBC_MODEL = Scripted(200, {**WDBC.document, "version": "1", "card": None})


class ScriptedServer:
    def __init__(self, script: list[Scripted], model: Scripted = WDBC_MODEL) -> None:
        self.script = list(script)
        self.received: list[Received] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                assert self.path == "/model", self.path
                self.answer(model)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                owner.received.append(
                    Received(
                        {k.lower(): v for k, v in self.headers.items()},
                        self.rfile.read(length).decode(),
                    )
                )
                self.answer(owner.script.pop(0))

            def answer(self, answer: Scripted) -> None:
                body = answer.body
                payload = json.dumps(body).encode() if isinstance(body, dict) else body
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


StartServer = Callable[..., ScriptedServer]


@pytest.fixture
def scripted() -> Iterator[StartServer]:
    started: list[ScriptedServer] = []

    def start(script: list[Scripted], model: Scripted = WDBC_MODEL) -> ScriptedServer:
        server = ScriptedServer(script, model)
        server.thread.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.server.shutdown()
        server.server.server_close()


def _predictions(*letters: str) -> dict[str, Any]:
    items = [{"prediction": letter, "probability_malignant": 0.25} for letter in letters]
    return {"predictions": items, "model": {"name": "twin", "version": "1"}}


def _refusal(code: str, message: str = "refused", **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "request_id": "r", **details}}


def _rows(count: int) -> list[tuple[float, ...]]:
    return [tuple(float(value) for value in EXAMPLE_ROW.split(","))] * count


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """urllib3's Retry waits through time.sleep: each wait recorded, none slept."""
    slept: list[float] = []
    monkeypatch.setattr(urllib3.util.retry.time, "sleep", slept.append)
    return slept


def test_throttling_and_busy_answers_are_retried_after_retry_after(
    scripted: StartServer, waits: list[float]
) -> None:
    server = scripted(
        [
            Scripted(503, _refusal("endpoint_not_ready"), {"Retry-After": "5"}),
            Scripted(429, _refusal("throttled")),
            Scripted(200, _predictions("B", "M")),
        ]
    )
    api = PredictionApi(server.url, "k-1", max_attempts=3, contract=WDBC)
    answers = api.predict(_rows(2))
    assert answers == [("B", "0.25", ""), ("M", "0.25", "")]
    assert waits == [5.0, 1.0]  # the server's Retry-After, then the backoff of a second try
    assert api.requests == 3
    first = server.received[0]
    assert first.headers["x-api-key"] == "k-1"
    assert first.headers["content-type"] == "text/csv"
    assert first.body.count("\n") == 2


def test_retries_are_bounded(scripted: StartServer, waits: list[float]) -> None:
    server = scripted([Scripted(503, _refusal("endpoint_unavailable"))] * 3)
    api = PredictionApi(server.url, max_attempts=3, contract=WDBC)
    with pytest.raises(BatchFailed, match="HTTP 503 endpoint_unavailable on each of 3 attempts"):
        api.predict(_rows(1))
    assert waits == [1.0]  # urllib3's backoff: none before the first retry, then 0.5 * 2
    assert "x-api-key" not in server.received[0].headers


def test_an_unreachable_api_stops_the_run_after_its_attempts(waits: list[float]) -> None:
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    host, port = closed.server_address[:2]
    closed.server_close()
    api = PredictionApi(f"http://{host!s}:{port}", max_attempts=3)
    with pytest.raises(ApiUnusable, match=r"cannot reach .*/model: .*Connection refused"):
        api.predict(_rows(1))
    assert waits == [1.0]


def test_a_row_the_api_refuses_is_reported_and_the_rest_resent(
    scripted: StartServer, tmp_path: Path
) -> None:
    server = scripted(
        [
            Scripted(400, _refusal("invalid_value", "row 2: value 1 of 30 is odd", row=2)),
            Scripted(200, _predictions("B", "B")),
        ]
    )
    source = tmp_path / "three.csv"
    source.write_text("\n".join([EXAMPLE_ROW] * 3) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", str(source), "--url", server.url])
    assert result.exit_code == 1
    assert f"{source}:2: refused by the API: row 2: value 1 of 30 is odd" in result.output
    assert "3 rows: 2 scored, 1 errors; 3 requests" in result.output
    assert [received.body.count("\n") for received in server.received] == [3, 2]
    written = list(csv.reader(io.StringIO(result.stdout)))
    assert [(line[0], line[-2]) for line in written[1:]] == [
        ("1", ""), ("2", "invalid_value"), ("3", "")
    ]  # fmt: skip
    assert written[2][1:31] == EXAMPLE_ROW.split(",")  # the refused row's fields, as written


def test_a_failed_batch_reports_its_rows_and_the_next_batch_goes_on(
    scripted: StartServer, tmp_path: Path
) -> None:
    server = scripted(
        [
            Scripted(502, _refusal("model_error")),
            Scripted(200, {"predictions": "not a list"}),
            Scripted(200, _predictions("M")),
        ]
    )
    source = tmp_path / "five.csv"
    source.write_text("\n".join([EXAMPLE_ROW] * 5) + "\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    arguments = ["score", str(source), "--url", server.url, "--batch-size", "2"]
    result = CliRunner().invoke(cli, [*arguments, "--output", str(output)])
    assert result.exit_code == 1
    assert f"{source}:1: not scored: HTTP 502 model_error: refused" in result.output
    assert f"{source}:4: not scored: the API's answer does not hold 2 predictions" in result.output
    written = _read_csv(output)
    assert [(item["line"], item["error"]) for item in written] == [
        ("1", "model_error"), ("2", "model_error"), ("3", "unreadable_answer"),
        ("4", "unreadable_answer"), ("5", ""),
    ]  # fmt: skip


def _range_warning(row: int, *features: str) -> dict[str, Any]:
    message = f"row {row}: ... outside ...; the prediction is an extrapolation"
    return {"code": "outside_training_range", "row": row, "features": list(features),
            "message": message}  # fmt: skip


def test_a_warning_goes_to_its_row_when_the_batch_is_resent_without_a_refused_row(
    scripted: StartServer, tmp_path: Path
) -> None:
    warning = _range_warning(2, "radius_mean", "area_mean")
    warned = _predictions("B", "M") | {"warnings": [warning]}
    server = scripted(
        [
            Scripted(400, _refusal("invalid_value", "row 1: value 1 of 30 is odd", row=1)),
            Scripted(200, warned),
        ]
    )
    source = tmp_path / "three.csv"
    source.write_text("\n".join([EXAMPLE_ROW] * 3) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", str(source), "--url", server.url])
    assert "3 rows: 2 scored (1 outside the training range), 1 errors; 3 requests" in (
        result.output
    )
    written = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(item["line"], item["warnings"]) for item in written] == [
        ("1", ""), ("2", ""), ("3", "radius_mean area_mean")
    ]  # fmt: skip


@pytest.mark.parametrize(
    "warning",
    [
        _range_warning(3, "radius_mean"),
        _range_warning(0, "radius_mean"),
        _range_warning(1, "13.49"),
        _range_warning(1, "radius_mean") | {"features": [["radius_mean"]]},
        {"code": "outside_training_range", "row": 1},
    ],
    ids=["row-not-sent", "row-0", "not-a-feature", "not-a-name", "no-features"],
)
def test_a_warning_the_batch_cannot_have_fails_it(
    scripted: StartServer, warning: dict[str, Any]
) -> None:
    server = scripted([Scripted(200, _predictions("B", "M") | {"warnings": [warning]})])
    with pytest.raises(BatchFailed, match="malformed prediction"):
        PredictionApi(server.url, contract=WDBC).predict(_rows(2))


def test_another_kind_of_warning_is_not_a_range_warning(scripted: StartServer) -> None:
    other = {"code": "model_drift", "row": 1, "message": "someday"}
    server = scripted([Scripted(200, _predictions("B") | {"warnings": [other]})])
    assert PredictionApi(server.url, contract=WDBC).predict(_rows(1)) == [("B", "0.25", "")]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Scripted(403, {"message": "Forbidden"}), "HTTP 403 (a deployed stage wants its key"),
        (
            Scripted(403, {"message": "Missing Authentication Token"}),
            "API Gateway has no route /predictbreastcancer there (is --url the API's base",
        ),
        (Scripted(415, _refusal("unsupported_media_type", "send JSON")), "send JSON"),
        (Scripted(406, _refusal("not_acceptable", "answer as JSON")), "answer as JSON"),
    ],
)
def test_what_no_batch_can_escape_stops_the_run(
    scripted: StartServer, tmp_path: Path, answer: Scripted, expected: str
) -> None:
    server = scripted([answer])
    source = tmp_path / "one.csv"
    source.write_text(EXAMPLE_ROW + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", str(source), "--url", server.url])
    assert result.exit_code == 1
    assert expected in result.output


def test_a_malformed_prediction_fails_its_batch(scripted: StartServer) -> None:
    server = scripted([Scripted(200, {"predictions": [{"prediction": "B"}]})])
    with pytest.raises(BatchFailed, match="malformed prediction"):
        PredictionApi(server.url, contract=WDBC).predict(_rows(1))


def _score_one_row(url: str, folder: Path) -> Result:
    """`python -m client score` of a file of the example row, against `url`."""
    source = folder / "one.csv"
    source.write_text(EXAMPLE_ROW + "\n", encoding="utf-8")
    return CliRunner().invoke(cli, ["score", str(source), "--url", url])


def test_a_refusal_of_a_row_the_batch_has_not_got_fails_the_batch(
    scripted: StartServer, tmp_path: Path
) -> None:
    server = scripted([Scripted(400, _refusal("invalid_value", row=7))])
    result = _score_one_row(server.url, tmp_path)
    assert "1: not scored: the API refused a row it has not got" in result.output


# --- The input file and the command line ----------------------------------------------------


def test_a_header_is_read_in_any_order_and_a_bom_is_ignored() -> None:
    columns = list(reversed(FEATURE_NAMES))
    values = EXAMPLE_ROW.split(",")
    text = "\ufeff" + ",".join(columns) + "\n" + ",".join(reversed(values)) + "\n"
    parsed = read_input(text, WDBC)
    assert parsed.has_header
    (row,) = parsed.rows
    assert row.line == 2
    assert row.values == tuple(float(value) for value in values)


def test_a_bad_header_names_what_is_wrong_but_no_value() -> None:
    def refusal(*columns: str) -> str:
        with pytest.raises(HeaderError) as refused:
            read_input(",".join(columns) + "\n" + EXAMPLE_ROW + "\n", WDBC)
        return str(refused.value)

    assert "unknown name(s) 'colour'; send the features' columns only" in refusal(
        *FEATURE_NAMES, "colour"
    )
    assert "missing radius_mean, texture_mean, perimeter_mean..." in refusal("area_mean")
    assert "1 unknown name(s); missing fractal_dimension_worst" in refusal(
        *FEATURE_NAMES[:-1], "patient_1349"
    )
    assert "repeated radius_mean" in refusal(*FEATURE_NAMES[:-1], "Mean Radius")


def test_a_header_is_read_as_the_api_reads_it() -> None:
    scikit_learn = [str(name) for name in load_breast_cancer().feature_names]
    quoted = [f' "{name.upper()}" ' for name in reversed(scikit_learn)]
    values = EXAMPLE_ROW.split(",")
    parsed = read_input(",".join(quoted) + "\r\n" + ",".join(reversed(values)) + "\n", WDBC)
    assert parsed.columns == tuple(name.upper() for name in reversed(scikit_learn))
    assert parsed.rows[0].values == tuple(map(float, values))


def test_the_command_line_refuses_a_bad_header_and_a_bad_url(
    scripted: StartServer, tmp_path: Path
) -> None:
    server = scripted([])
    source = tmp_path / "header.csv"
    source.write_text("radius_mean,colour\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", str(source), "--url", server.url])
    assert result.exit_code == 1
    assert "the header must name the 30 features" in result.output
    result = CliRunner().invoke(cli, ["score", str(source), "--url", "file:///etc/passwd"])
    assert result.exit_code == 2
    assert "is not an http:// or https:// address" in result.output


def test_the_output_goes_to_standard_output_by_default(
    scripted: StartServer, tmp_path: Path
) -> None:
    server = scripted([Scripted(200, _predictions("B"))])
    source = tmp_path / "one.csv"
    source.write_text(EXAMPLE_ROW + "\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["score", str(source), "--url", server.url])
    assert result.exit_code == 0
    lines = list(csv.reader(io.StringIO(result.stdout)))
    assert lines[0][:2] == ["line", "radius_mean"]
    assert lines[1][0] == "1"
    assert lines[1][-5:] == ["B", "0.25", "", "", ""]


def test_a_busy_answer_that_is_not_json_is_still_retried_and_named(
    scripted: StartServer,
) -> None:
    server = scripted([Scripted(503, b"busy")])
    with pytest.raises(BatchFailed, match=r"HTTP 503 \(no error code\) on each of 1 attempts"):
        PredictionApi(server.url, max_attempts=1, contract=WDBC).predict(_rows(1))


def test_a_batch_whose_every_row_is_refused_scores_nothing(
    scripted: StartServer, tmp_path: Path
) -> None:
    server = scripted([Scripted(400, _refusal("invalid_value", row=1))])
    result = _score_one_row(server.url, tmp_path)
    assert result.exit_code == 1
    assert "1 rows: 0 scored, 1 errors; 2 requests in " in result.output


def test_bad_lines_are_found_before_anything_is_sent() -> None:
    parsed = read_input(f"1,2\n\n{EXAMPLE_ROW}\n{row_with(2, '')}\n", WDBC)
    assert not parsed.has_header
    assert [row.line for row in parsed.rows] == [3]
    assert [bad.line for bad in parsed.failed] == [1, 4]
    assert parsed.failed[1].message == "value 2 of 30 (texture_mean) is empty"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://[::1", "is not a well-formed URL"),
        ("http://127.0.0.1:99999", "is not a well-formed URL"),
        ("http://127.0.0.1:port", "is not a well-formed URL"),
        ("http://", "no host"),
        ("http://exa mple.org", "blanks in it"),
        ("https://example.org/api?stage=dev", "has a query or fragment"),
        ("ftp://example.org", "is not an http:// or https:// address"),
    ],
)
def test_a_malformed_url_is_a_usage_error(tmp_path: Path, url: str, problem: str) -> None:
    source = tmp_path / "one.csv"
    source.write_text(EXAMPLE_ROW + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", str(source), "--url", url])
    assert result.exit_code == 2, result.output
    assert problem in result.output
    assert "Traceback" not in result.output


def test_line_numbers_count_newlines_only() -> None:
    odd = "\x0c\x85\u2028\x1c"
    text = f"{EXAMPLE_ROW}\n{row_with(2, '1' + odd)}\n{EXAMPLE_ROW}\r\n{row_with(3, 'x')}\n"
    parsed = read_input(text, WDBC)
    assert [row.line for row in parsed.rows] == [1, 3]
    assert [bad.line for bad in parsed.failed] == [2, 4]


def test_a_file_that_is_not_utf8_names_its_first_bad_line(tmp_path: Path) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes(f"{EXAMPLE_ROW}\n{EXAMPLE_ROW}\n".encode() + b"13.49\xe9,1\n\xff\n")
    result = CliRunner().invoke(cli, ["score", str(source)])
    assert result.exit_code == 1
    assert f"{source}: line 3 is not UTF-8 text" in result.output


def test_a_header_in_any_case_is_the_apis_header_and_is_written_back_as_given() -> None:
    columns = [name.upper() for name in FEATURE_NAMES]
    parsed = read_input(",".join(columns) + "\n" + EXAMPLE_ROW + "\n", WDBC)
    assert parsed.has_header
    assert parsed.columns == tuple(columns)
    assert parsed.rows[0].values == tuple(float(value) for value in EXAMPLE_ROW.split(","))


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Scripted(404, {"message": "Missing Authentication Token"}), "no route /model there"),
        (Scripted(200, {"name": "wdbc"}), "the API's answer is not a model contract: "),
        (Scripted(200, b"<html>"), "the API's answer is not a model contract: "),
        (Scripted(503, {"error": {"code": "x"}}), "GET /model: HTTP 503 x on each of 1 attempts"),
    ],
)
def test_an_api_that_does_not_say_its_model_stops_the_run_before_any_row(
    scripted: StartServer, tmp_path: Path, model: Scripted, expected: str
) -> None:
    server = scripted([], model)
    source = tmp_path / "one.csv"
    source.write_text(EXAMPLE_ROW + "\n", encoding="utf-8")
    arguments = ["score", str(source), "--url", server.url, "--max-attempts", "1"]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 1
    assert expected in result.output
    assert server.received == []


def test_a_prediction_that_is_not_a_class_of_the_contract_fails_its_batch(
    scripted: StartServer,
) -> None:
    server = scripted([Scripted(200, _predictions("X"))])
    with pytest.raises(BatchFailed, match="malformed prediction"):
        PredictionApi(server.url).predict(_rows(1))
