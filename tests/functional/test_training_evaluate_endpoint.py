"""`evaluate` against the local stand-in: the real InvokeEndpoint through boto3, CSV batches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chalicelib.endpoint import ModelEndpoint, create_runtime_client
from standin import RunningStandin
from tests.support.apps import ENDPOINT_NAME
from training import TrainingError
from training.cli import cli, format_metrics
from training.data import held_out_rows
from training.local import LocalTrainingResult, evaluate_endpoint, write_outputs


@pytest.fixture
def metrics_file(trained: LocalTrainingResult, tmp_path: Path) -> Path:
    return write_outputs(trained, tmp_path)[1]


@pytest.fixture
def standin_url(local_standin: RunningStandin, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", local_standin.url)
    return local_standin.url


@pytest.mark.parametrize("batch_rows", [1000, 50, 7])
def test_the_endpoint_scores_the_held_out_rows_as_training_did(
    trained: LocalTrainingResult, metrics_file: Path, standin_url: str, batch_rows: int
) -> None:
    contract, rows, _ = held_out_rows(metrics_file)
    client = create_runtime_client(standin_url)
    endpoint = ModelEndpoint(ENDPOINT_NAME, lambda: client)
    result = evaluate_endpoint(endpoint, contract, rows, batch_rows)
    assert result.metrics == trained.test_metrics
    assert result.calls == -(-len(rows.labels) // batch_rows)
    assert result.variants == (trained.artifact.version,)


def test_the_cli_prints_the_metrics_training_reported(
    trained: LocalTrainingResult, metrics_file: Path, standin_url: str
) -> None:
    result = CliRunner().invoke(
        cli,
        ["evaluate", "--endpoint", ENDPOINT_NAME, "--metrics", str(metrics_file),
         "--batch-rows", "50"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    heading = "test (114 held-out rows)"
    expected = "\n".join(format_metrics(trained.contract, trained.test_metrics, heading))
    assert expected in result.output
    assert "3 InvokeEndpoint calls of at most 50 rows" in result.output
    assert "accuracy             0.9825" in result.output


def test_an_unknown_endpoint_is_one_line(metrics_file: Path, standin_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["evaluate", "--endpoint", "wdbc-missing", "--metrics", str(metrics_file)]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: endpoint wdbc-missing failed on rows 1..100:")
    assert result.output.count("\n") == 1


def test_rows_of_another_split_are_refused(metrics_file: Path, tmp_path: Path) -> None:
    document = json.loads(metrics_file.read_text())
    document["split"]["test_rows"] = document["split"]["test_rows"][1:]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document))
    with pytest.raises(TrainingError, match="other test rows than seed 42 gives"):
        held_out_rows(edited)
    edited.write_text("{}")
    with pytest.raises(TrainingError, match="holds no split record"):
        held_out_rows(edited)
    del document["model"]["contract"]
    edited.write_text(json.dumps(document))
    with pytest.raises(TrainingError, match=r"holds no split record \(model.contract, "):
        held_out_rows(edited)


def test_a_batch_needs_a_row(trained: LocalTrainingResult) -> None:
    endpoint = ModelEndpoint(ENDPOINT_NAME, object)
    with pytest.raises(ValueError, match="at least one row"):
        evaluate_endpoint(endpoint, trained.contract, trained.split.test, 0)
