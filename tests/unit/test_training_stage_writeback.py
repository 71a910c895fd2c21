"""`endpoint host --stage`: the write-back, always on a copy of .chalice/ and the card directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from chalicelib.model_card import CARD_FORMAT
from deploy.stages import StageConfigError, write_stage
from tests.support.rows import WDBC
from training.sagemaker import sagemaker_card

PROJECT_DIR = Path(__file__).resolve().parents[2]
ARN = "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/WDBC-Dev"
JOB: dict[str, Any] = {
    "TrainingJobName": "wdbc-linear-learner-20260101000000",
    "TrainingJobArn": "arn:aws:sagemaker:eu-west-1:123456789012:training-job/x",
    "AlgorithmSpecification": {"TrainingImage": "ll:1"},
    "ModelArtifacts": {"S3ModelArtifacts": "s3://b/wdbc/output/x/output/model.tar.gz"},
    "HyperParameters": {"predictor_type": "binary_classifier"},
    "FinalMetricDataList": [
        {"MetricName": "test:binary_classification_accuracy", "Value": 113 / 114},
        {"MetricName": "test:recall", "Value": 41 / 42},
        {"MetricName": "test:precision", "Value": 1.0},
        {"MetricName": "test:roc_auc_score", "Value": 0.998},
        {"MetricName": "validation:recall", "Value": 1.0},
    ],
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT_DIR / ".chalice", tmp_path / ".chalice", ignore=_no_deployments)
    return tmp_path


def _no_deployments(directory: str, names: list[str]) -> list[str]:
    return [name for name in names if name in {"deployments", "deployed"}]


def card() -> dict[str, Any]:
    return sagemaker_card(JOB, WDBC, "0123456789ab", 42)


def test_the_stage_points_at_the_endpoint_and_nothing_else_changes(project: Path) -> None:
    config_path = project / ".chalice" / "config.json"
    before = json.loads(config_path.read_text())
    write_stage("dev", "WDBC-Dev", ARN, card(), project)
    after = json.loads(config_path.read_text())
    environment = after["stages"]["dev"]["environment_variables"]
    assert environment["ENDPOINT_NAME"] == "WDBC-Dev"
    assert environment["MODEL_CARD"] == "dev.json"
    before["stages"]["dev"]["environment_variables"].update(environment)
    assert after == before
    assert list(after) == list(before)
    assert list(after["stages"]) == list(before["stages"])
    # The layout stays as the file keeps it: the same text but for the changed values.
    assert config_path.read_text() == json.dumps(after, indent=2) + "\n"


def test_only_the_invoke_statements_resource_changes_in_lower_case(project: Path) -> None:
    policy_path = project / ".chalice" / "policy-dev.json"
    text_before = policy_path.read_text()
    before = json.loads(text_before)
    write_stage("dev", "WDBC-Dev", ARN, card(), project)
    after = json.loads(policy_path.read_text())
    [invoke] = [s for s in after["Statement"] if s["Action"] == "sagemaker:InvokeEndpoint"]
    assert invoke["Resource"] == ARN.lower()
    others_before = [s for s in before["Statement"] if s["Action"] != "sagemaker:InvokeEndpoint"]
    others_after = [s for s in after["Statement"] if s["Action"] != "sagemaker:InvokeEndpoint"]
    assert others_after == others_before
    [old] = [s["Resource"] for s in before["Statement"] if s["Action"] == invoke["Action"]]
    assert policy_path.read_text() == text_before.replace(old, ARN.lower())
    # Other stages' files are untouched.
    assert (project / ".chalice" / "policy-prod.json").read_bytes() == (
        PROJECT_DIR / ".chalice" / "policy-prod.json"
    ).read_bytes()


def test_the_card_is_written_for_the_stage(project: Path) -> None:
    written = write_stage("dev", "WDBC-Dev", ARN, card(), project)
    card_path = project / "chalicelib" / "model_cards" / "dev.json"
    assert written[-1] == card_path
    document = json.loads(card_path.read_text())
    assert document["format"] == CARD_FORMAT
    assert document["version"] == "0123456789ab"
    assert len(document["features"]) == 30
    test = document["metrics"]["test"]
    assert test["confusion_matrix"] == {"tn": 72, "fp": 0, "fn": 1, "tp": 41}
    assert test["rows"] == 114
    # Validation reported recall alone: too little for counts, so no made-up metrics.
    assert "validation" not in document["metrics"]
    assert document["training"]["job_metrics"]["validation"] == {"malignant_recall": 1.0}
    assert document["training"]["algorithm"] == "Linear Learner"
    assert document["decision_threshold"] is None  # Linear Learner keeps its own


def test_the_stage_is_told_which_contract_it_ships(project: Path) -> None:
    write_stage("dev", "wine-dev", ARN, card(), project, model="wine")
    config = json.loads((project / ".chalice" / "config.json").read_text())
    assert config["stages"]["dev"]["environment_variables"]["MODEL"] == "wine"


def test_policy_variables_elsewhere_survive(project: Path) -> None:
    policy_path = project / ".chalice" / "policy-dev.json"
    policy = json.loads(policy_path.read_text())
    policy["Statement"][1]["Resource"] = (
        "arn:aws:logs:${aws:RequestedRegion}:${aws:PrincipalAccount}:log-group:x:*"
    )
    policy["Statement"][0]["Resource"] = (
        "arn:aws:sagemaker:${aws:RequestedRegion}:${aws:PrincipalAccount}:endpoint/wdbc-dev"
    )
    policy_path.write_text(json.dumps(policy))
    write_stage("dev", "wdbc-dev", ARN, card(), project)
    after = json.loads(policy_path.read_text())
    assert after["Statement"][0]["Resource"] == ARN.lower()
    assert after["Statement"][1]["Resource"] == policy["Statement"][1]["Resource"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda config, policy: config["stages"].pop("dev"), "stages.dev: no such stage"),
        (
            lambda config, policy: config["stages"]["dev"].pop("iam_policy_file"),
            "stages.dev.iam_policy_file is not set",
        ),
        (lambda config, policy: policy["Statement"].pop(0), "holds 0"),
        (
            lambda config, policy: policy["Statement"].append(dict(policy["Statement"][0])),
            "holds 2",
        ),
    ],
)
def test_a_config_the_write_back_cannot_follow_changes_nothing(
    project: Path, edit: Any, message: str
) -> None:
    config_path = project / ".chalice" / "config.json"
    policy_path = project / ".chalice" / "policy-dev.json"
    config, policy = json.loads(config_path.read_text()), json.loads(policy_path.read_text())
    edit(config, policy)
    config_path.write_text(json.dumps(config))
    policy_path.write_text(json.dumps(policy))
    with pytest.raises(StageConfigError, match=message):
        write_stage("dev", "wdbc-dev", ARN, card(), project)
    assert json.loads(config_path.read_text()) == config
    assert not (project / "chalicelib").exists()


def test_missing_and_broken_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(StageConfigError, match="does not exist"):
        write_stage("dev", "wdbc-dev", ARN, card(), tmp_path)
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text("{")
    with pytest.raises(StageConfigError, match="is not JSON"):
        write_stage("dev", "wdbc-dev", ARN, card(), tmp_path)
