"""Least privilege: each stage's Lambda may invoke its own endpoint, write its own logs and traces.

One wildcard is documented, and it is the only one on every stage: X-Ray's write actions have
no resource-level permissions, so they are granted on `*` (as AWS's AWSXRayDaemonWriteAccess
does). The private path adds what Lambda needs to attach the function to its subnets: EC2's
Describe actions exist only on `*`, and Lambda names the interfaces it creates.

IAM substitutes policy variables only after an ARN's fifth colon, so `${aws:RequestedRegion}`
or `${aws:PrincipalAccount}` cannot name the region or account: the ARNs are written out, by
`make policy` for `chalice deploy` and as `Fn::Sub` strings for the CloudFormation package.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from deploy.policy import (
    literal_policy,
)
from deploy.stages import load_config, read_stage, stage_names

PROJECT_DIR = Path(__file__).resolve().parents[2]
POLICY_FILES = sorted((PROJECT_DIR / ".chalice").glob("policy-*.json"))
STAGES = stage_names(load_config())
ACTIONS = {
    "sagemaker:InvokeEndpoint",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}
XRAY_WRITES = frozenset({"xray:PutTraceSegments", "xray:PutTelemetryRecords"})
# The private path's, beside it: (the statement's actions, the wildcard resource they may name).
EC2_DESCRIBES = frozenset({"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"})
ENI_CHANGES = frozenset(
    {
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    }
)
# The unrendered form the repository keeps: IAM (and cfn-lint) refuse it, so it cannot be
# deployed by mistake; `make policy` writes the real account and region in.
PLACEHOLDERS = {"partition": "aws", "region": "REGION", "account": "ACCOUNT_ID"}
_ARN = re.compile(r"arn:(?P<partition>[^:]+):sagemaker:(?P<region>[^:]+):(?P<account>[^:]+):")


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
