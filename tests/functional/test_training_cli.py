from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from deploy.cli import cli as deploy_cli
from tests.support.rows import FEATURE_NAMES
from training import TrainingError, procedure
from training.artifact import load_artifact
from training.cli import cli


@pytest.fixture(autouse=True)
def fewer_outer_folds(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs cross-validate 2 x 3, not 10 x 5: the real process below runs it all."""
    small = functools.partial(procedure.repeated_nested_cv, repeats=2, folds=3)
    monkeypatch.setattr(procedure, "repeated_nested_cv", small)


PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_train_local_writes_both_files_and_reports_test_metrics(tmp_path: Path) -> None:
    output_dir = tmp_path / "local"
    result = CliRunner().invoke(
        cli, ["train", "--target", "local", "--output", str(output_dir), "--seed", "42"]
    )
    assert result.exit_code == 0, result.output
    model_path, metrics_path = output_dir / "model.json", output_dir / "metrics.json"
    artifact = load_artifact(model_path)
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    assert metrics["model"]["version"] == artifact.version
    for expected in ("accuracy", "malignant recall", "malignant precision", "ROC AUC"):
        assert expected in result.output
    assert artifact.version in result.output
    assert f"wrote {model_path}" in result.output
    assert f"wrote {metrics_path}" in result.output


def test_output_holds_no_row_of_data(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not any(name in result.output for name in FEATURE_NAMES)
    assert len(result.output.splitlines()) <= 35


def test_unknown_target_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--target", "cloud", "--output", str(tmp_path)])
    assert result.exit_code == 2
    assert "Invalid value for '--target'" in result.output
    assert not any(tmp_path.iterdir())


def test_the_sagemaker_target_needs_a_role_and_a_bucket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAGEMAKER_ROLE_ARN", raising=False)
    monkeypatch.delenv("WDBC_BUCKET", raising=False)
    result = CliRunner().invoke(cli, ["train", "--target", "sagemaker", "--output", str(tmp_path)])
    assert result.exit_code == 2
    assert "--target sagemaker needs --role and --bucket" in result.output
    assert not any(tmp_path.iterdir())


def test_negative_seed_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--seed", "-1", "--output", str(tmp_path)])
    assert result.exit_code == 2
    assert "Invalid value for '--seed'" in result.output


def test_a_training_failure_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def failing_target(*arguments: object) -> list[str]:
        raise TrainingError("labels must be 0 (benign) or 1 (malignant)")

    monkeypatch.setattr("training.cli.run_local", failing_target)
    result = CliRunner().invoke(cli, ["train", "--output", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == "Error: labels must be 0 (benign) or 1 (malignant)\n"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--help"], ["train", "evaluate", "card", "registry", "python -m deploy --help"]),
        (["card", "--help"], ["--model", "--output", "chalicelib/model_cards/"]),
        (["registry", "--help"], ["list", "approve", "reject", "delete"]),
        (["registry", "approve", "--help"], ["VERSION", "--reason", "--by", "--region"]),
        (
            ["train", "--help"],
            [
                "--model [wdbc|wdbc-xgboost|wine|diabetes]",
                "default: wdbc",
                "--target [local|sagemaker]",
                "--output",
                "--seed",
                "default: 42",
                "--threshold-rule [f-beta|accuracy|target-recall]",
                "default: f-beta",
                "--beta",
                "default: 2.0",
                "--target-recall",
                "--role",
                "--bucket",
                "--kms-key",
                "--timeout",
            ],
        ),
        (
            ["endpoint", "host", "--help"],
            [
                "--model-package",
                "--approved [latest]",
                "--training-job",
                "bypassing the Model Registry",
                "--endpoint",
                "--serverless",
                "--instance-type",
                "--instance-count",
                "--autoscale-min",
                "--autoscale-max",
                "--target-invocations",
                "--memory",
                "--max-concurrency",
                "--stage",
                "--timeout",
            ],
        ),
        (["evaluate", "--help"], ["--endpoint", "--metrics", "--batch-rows"]),
        (["deploy", "--help"], ["endpoint host", "api policy", "chalice deploy", "status"]),
        (["endpoint", "--help"], ["host", "delete"]),
        (["api", "--help"], ["policy", "template", "check"]),
        (["endpoint", "delete", "--help"], ["--endpoint", "--region"]),
        (["registry", "list", "--help"], ["--model", "<model>-predictor"]),
        (["registry", "delete", "--help"], ["--model", "--region", "--yes"]),
        (["status", "--help"], ["--region"]),
        (["api", "policy", "--help"], ["--stage", "--account", "--region", "--vpc-endpoint"]),
        (["api", "template", "--help"], ["--stage", "--output", "--example-network"]),
        (["api", "check", "--help"], ["DIRECTORY"]),
    ],
)
def test_help_explains_every_option(arguments: list[str], expected: list[str]) -> None:
    deploying = arguments[0] in ("endpoint", "status", "api", "deploy")
    arguments = arguments[1:] if arguments[0] == "deploy" else arguments
    result = CliRunner().invoke(deploy_cli if deploying else cli, arguments)
    assert result.exit_code == 0
    for text in expected:
        assert text in result.output


def test_the_local_report_is_a_short_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--seed", "42", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = result.output
    assert "341 train / 114 validation / 114 test rows, seed 42" in report
    assert "chosen     C 1  threshold 0.315291" in report
    assert (
        "threshold  the midpoint of the gap between out-of-fold scores with the best F2" in report
    )
    assert "accuracy             0.9825" in report
    assert "actual benign                   71                    1" in report
    assert "actual malignant                 1                   41" in report
    assert "2 x 3 repeated nested cross-validation on train + validation (mean ± std)" in report
    assert "misses per 212 M    " in report
    assert report.endswith(f"wrote {tmp_path / 'model_card.md'}\n")


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("wine", ["chosen     C 10", "macro F1", "confusion matrix", "predicted class_2",
                  "  actual class_1 ", "wrote {}/confusion_matrix.png"]),
        ("diabetes", ["chosen     alpha 10", "RMSE", "R²", "wrote {}/prediction_errors.png"]),
        ("wdbc-xgboost", ["threshold  the midpoint", "chosen     threshold 0.", "ROC AUC",
                          "misses per 212 M", "wrote {}/xgboost-model.json"]),
    ],
)  # fmt: skip
def test_each_example_trains_and_reports_its_tasks_figures(
    model: str, expected: list[str], tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, ["train", "--model", model, "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for text in expected:
        assert text.format(tmp_path) in result.output
    card = CliRunner().invoke(cli, ["card", "--model", str(tmp_path), "--output",
                                    str(tmp_path / "card.json")])  # fmt: skip
    assert card.exit_code == 0, card.output
    document = json.loads((tmp_path / "card.json").read_text())
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert document["version"] == metrics["model"]["version"]
    assert document["metrics"]["test"] == metrics["metrics"]["test"]


def test_an_unknown_model_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--model", "iris", "--output", str(tmp_path)])
    assert result.exit_code == 2
    assert "Invalid value for '--model'" in result.output
    assert not any(tmp_path.iterdir())


def test_python_dash_m_training_runs_as_a_real_process(tmp_path: Path) -> None:
    environment = {**os.environ, "PYTHONWARNINGS": "error"}
    completed = subprocess.run(
        [sys.executable, "-m", "training", "train", "--target", "local", "--output", str(tmp_path)],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang, not a speed test: the 10 x 5 runs take seconds
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "10 x 5 repeated nested cross-validation" in completed.stdout
    assert completed.stderr == ""
    for name in ("model.json", "metrics.json", "roc_curve.png", "confusion_matrix.png"):
        assert (tmp_path / name).is_file()


def test_python_dash_m_training_rejects_an_unknown_target(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "training", "train", "--target", "cloud", "--output", str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert "Usage: python -m training train" in completed.stderr


def test_card_writes_the_model_card_and_refuses_a_bad_artifact(tmp_path: Path) -> None:
    runner = CliRunner()
    trained = runner.invoke(cli, ["train", "--output", str(tmp_path)])
    assert trained.exit_code == 0, trained.output
    card_path = tmp_path / "cards" / "wdbc.json"
    result = runner.invoke(cli, ["card", "--model", str(tmp_path), "--output", str(card_path)])
    assert result.exit_code == 0, result.output
    card = json.loads(card_path.read_text())
    assert card["version"] == load_artifact(tmp_path / "model.json").version
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    metrics["model"]["version"] = "000000000000"
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    stale = runner.invoke(cli, ["card", "--model", str(tmp_path), "--output", str(card_path)])
    assert stale.exit_code == 1
    assert stale.output.startswith("Error: ")
    assert "describes version 000000000000, but" in stale.output
    (tmp_path / "metrics.json").write_text("[]")
    broken = runner.invoke(cli, ["card", "--model", str(tmp_path), "--output", str(card_path)])
    assert (broken.exit_code, broken.output.count("\n")) == (1, 1)
    assert "holds no training record" in broken.output
