"""`make policy` as a user runs it: literal ARNs for `chalice deploy`, a bad account named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from deploy.policy import (
    literal_policy,
)
from deploy.stages import load_config, read_stage

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_make_policy_writes_literal_arns(tmp_path: Path) -> None:
    output = tmp_path / "policy-dev.json"
    command = [sys.executable, "-m", "deploy", "api", "policy", "--stage", "dev"]
    arguments = ["--account", "123456789012", "--region", "eu-central-1", "--output", str(output)]
    result = subprocess.run(
        command + arguments, cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    stage = read_stage(load_config(), "dev")
    document = json.loads(output.read_text())
    assert document == literal_policy(stage, account="123456789012", region="eu-central-1")
    assert "arn:aws:sagemaker:eu-central-1:123456789012:endpoint/wdbc-dev" in output.read_text()


def test_make_policy_names_a_bad_account(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "deploy", "api", "policy", "--stage", "dev", "--account", "x"]
    command += ["--region", "eu-west-1", "--output", str(tmp_path / "p.json")]
    result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ACCOUNT must be a 12-digit AWS account id")
    assert not (tmp_path / "p.json").exists()
