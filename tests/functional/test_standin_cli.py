"""`python -m standin` as another process runs it, plus its failure paths in-process."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from standin.__main__ import main
from standin.model import ModelFileError, load_model
from tests.support.apps import ENDPOINT_NAME
from tests.support.standin_harness import (
    csv_row,
    make_artifact,
    runtime_client,
    xgboost_model,
)
from training.artifact import save_artifact

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ANNOUNCEMENT = re.compile(
    rf"standin: serving endpoint {ENDPOINT_NAME} \(model (?P<version>[0-9a-f]{{12}})\) "
    r"on (?P<url>http://127\.0\.0\.1:(?P<port>[0-9]+))\n"
)


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    path = tmp_path / "model.json"
    save_artifact(make_artifact(), path)
    return path


@pytest.fixture
def standin_process(model_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "standin", "--model", str(model_path), "--port", "0",
         "--endpoint-name", ENDPOINT_NAME, "--log-requests"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=10)


def first_line(process: subprocess.Popen[str]) -> str:
    """The first line the process prints: waited for, however long loading takes; none if it
    exits first."""
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, f"the stand-in exited ({process.wait()}) without printing a line"
    return line


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_serves_on_the_printed_port_and_stops_cleanly_on_a_signal(
    standin_process: subprocess.Popen[str], stop_signal: signal.Signals
) -> None:
    announced = ANNOUNCEMENT.fullmatch(first_line(standin_process))
    assert announced is not None
    assert announced["version"] == make_artifact().version
    assert int(announced["port"]) > 0

    answer = runtime_client(announced["url"]).invoke_endpoint(
        EndpointName=ENDPOINT_NAME, Body=csv_row(), ContentType="text/csv"
    )
    assert answer["InvokedProductionVariant"] == make_artifact().version

    standin_process.send_signal(stop_signal)
    stdout, stderr = standin_process.communicate(timeout=10)
    assert standin_process.returncode == 0
    assert stdout == ""
    assert "Traceback" not in stderr
    assert "POST /endpoints/{name}/invocations 200 " in stderr


def test_serves_an_xgboost_folder_as_its_container(tmp_path: Path) -> None:
    folder = xgboost_model(tmp_path, "binary:logistic")
    content = (folder / "xgboost-model.json").read_bytes()
    process = subprocess.Popen(
        [sys.executable, "-m", "standin", "--model", str(folder), "--port", "0",
         "--endpoint-name", ENDPOINT_NAME, "--stop-with-stdin"],
        cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        announced = ANNOUNCEMENT.fullmatch(first_line(process))
        assert announced is not None
        assert announced["version"] == hashlib.sha256(content).hexdigest()[:12]
        answer = runtime_client(announced["url"]).invoke_endpoint(
            EndpointName=ENDPOINT_NAME, Body="13.0,2.3,0.96\n12.2,1.1,1.3\n", ContentType="text/csv"
        )
    finally:
        process.communicate("", timeout=10)
    assert process.returncode == 0
    assert answer["ContentType"] == "text/csv; charset=utf-8"
    assert [0 < float(line) < 1 for line in answer["Body"].read().decode().splitlines()] == [
        True, True
    ]  # fmt: skip


def test_serving_a_linear_model_imports_neither_xgboost_nor_numpy() -> None:
    script = (
        "import sys; from pathlib import Path; from standin.model import load_model; "
        "load_model(Path('models/wdbc')); print(sorted({'xgboost', 'numpy'} & set(sys.modules)))"
    )
    finished = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
        timeout=30, check=True,
    )  # fmt: skip
    assert finished.stdout == "[]\n"


def test_an_xgboost_model_without_xgboost_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "xgboost-model.json").write_text("{}")
    monkeypatch.delitem(sys.modules, "standin.xgboost_model", raising=False)
    monkeypatch.setitem(sys.modules, "xgboost", None)  # import xgboost raises ImportError
    with pytest.raises(ModelFileError, match="needs xgboost: pip install -r requirements-xgboost"):
        load_model(tmp_path)


def test_a_missing_artifact_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "standin", "--model", str(tmp_path / "absent.json"), "--port", "0"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert finished.stderr.splitlines() == [
        f"standin: cannot load the model: no model artifact at {tmp_path / 'absent.json'}"
    ]


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        ("not json", "JSONDecodeError"),
        ('{"format": "other"}', "is not a linear-model/1 artifact"),
        ('{"format": "linear-model/1", "means": []}', "do not describe a linear model"),
        (None, "must hold one model: model.json or xgboost-model.json"),
        (b"\xff\xfe", "UnicodeDecodeError"),
    ],
)
def test_a_bad_artifact_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contents: str | bytes | None, message: str
) -> None:
    path = tmp_path / "model.json"
    if contents is None:
        path.mkdir()
    elif isinstance(contents, bytes):
        path.write_bytes(contents)
    else:
        path.write_text(contents)
    assert main(["--model", str(path)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("standin: cannot load the model: ")
    assert message in line


def test_a_bad_endpoint_name_exits_2(model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", str(model_path), "--endpoint-name", "no spaces", "--port", "0"]) == 2
    assert "endpoint name 'no spaces': 1-63 letters" in capsys.readouterr().err


def test_a_port_in_use_exits_1(model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Whatever this process inherited (a background job starts with SIGINT ignored) comes back.
    inherited = signal.getsignal(signal.SIGINT)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--model", str(model_path), "--port", str(port)]) == 1
    assert f"standin: cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is inherited


@pytest.mark.parametrize("port", ["-1", "65536", "eighty"])
def test_a_bad_port_is_a_usage_error(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--port", port])
    assert raised.value.code == 2
    assert "--port: must be an integer from 0 to 65535" in capsys.readouterr().err


def test_an_edited_artifact_is_refused_by_its_version(
    model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(model_path.read_text())
    document["intercept"] += 1.0
    model_path.write_text(json.dumps(document))
    assert main(["--model", str(model_path), "--port", "0"]) == 2
    assert "its version is not the hash of its parameters" in capsys.readouterr().err
