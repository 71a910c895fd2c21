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
from pathlib import Path
from typing import Any

import pytest

from deploy.policy import (
    PolicyInputError,
    literal_policy,
    partition_of,
    policy_document,
    stack_policy,
)
from deploy.stages import EXAMPLE_NETWORK, Environment, Stage, load_config, read_stage, stage_names

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


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _text(resource: Any) -> str:
    return resource["Fn::Sub"] if isinstance(resource, dict) else str(resource)


def wildcard_problems(
    document: dict[str, Any], function_name: str, *, private: bool = False
) -> list[str]:
    """Every `*` in an action or resource, but the documented exceptions.

    Lambda names each log stream at run time (date, version, instance id), so the only way to
    name them is the function's own log group followed by `:*`; that `*` reaches nothing
    outside the group. X-Ray's two write actions take `*` only. On the private path, EC2's
    Describe actions take `*` only, and the interfaces Lambda creates are the account's
    `network-interface/*` in the region (created only in the stage's named subnets).
    """
    own_streams = f":log-group:/aws/lambda/{function_name}:*"
    problems = []
    for statement in document["Statement"]:
        assert "NotAction" not in statement
        assert "NotResource" not in statement
        actions = frozenset(_listed(statement["Action"]))
        for action in sorted(actions, key=_listed(statement["Action"]).index):
            if "*" in action or "?" in action:
                problems.append(f"{statement['Sid']}: action {action}")
        for resource in map(_text, _listed(statement["Resource"])):
            if resource == "*" and (
                actions == XRAY_WRITES or (private and actions == EC2_DESCRIBES)
            ):
                continue
            stripped = resource.removesuffix(own_streams)
            if private and actions == ENI_CHANGES:
                stripped = stripped.removesuffix(":network-interface/*")
            if "*" in stripped or "?" in stripped:
                problems.append(f"{statement['Sid']}: resource {resource}")
    return problems


def _wildcards(document: dict[str, Any]) -> list[str]:
    return [
        statement["Sid"]
        for statement in document["Statement"]
        if any("*" in _text(resource) for resource in _listed(statement["Resource"]))
        and statement["Sid"] != "WriteOwnLogs"
    ]


def _stage_of(policy_file: Path) -> Stage:
    name = policy_file.stem.removeprefix("policy-")
    stage = read_stage(load_config(), name)
    assert stage.policy_file == policy_file, "the stage's iam_policy_file is this file"
    return stage


def test_every_stage_has_its_own_policy_file() -> None:
    assert {read_stage(load_config(), name).policy_file for name in STAGES} == set(POLICY_FILES)
    assert load_config()["autogen_policy"] is False


@pytest.mark.parametrize("policy_file", POLICY_FILES, ids=lambda path: path.name)
def test_a_policy_file_grants_no_wildcard(policy_file: Path) -> None:
    stage = _stage_of(policy_file)
    document = json.loads(policy_file.read_text())
    assert wildcard_problems(document, stage.function_name) == []
    assert _wildcards(document) == ["WriteTraces"]  # the one exception
    assert {a for s in document["Statement"] for a in _listed(s["Action"])} == ACTIONS
    assert {s["Effect"] for s in document["Statement"]} == {"Allow"}


@pytest.mark.parametrize("policy_file", POLICY_FILES, ids=lambda path: path.name)
def test_a_policy_file_names_its_stages_endpoint_and_log_group(policy_file: Path) -> None:
    stage = _stage_of(policy_file)
    document = json.loads(policy_file.read_text())
    match = _ARN.match(document["Statement"][0]["Resource"])
    assert match is not None
    where = match.groupdict()
    assert document == policy_document(stage, **where)
    if where != PLACEHOLDERS:  # rendered by `make policy`
        assert document == literal_policy(stage, account=where["account"], region=where["region"])
    invoke, streams, group, traces = (_text(s["Resource"]) for s in document["Statement"])
    assert traces == "*"
    assert invoke.endswith(f":endpoint/{stage.endpoint_name.lower()}")
    assert streams.endswith(f":log-group:/aws/lambda/{stage.function_name}:*")
    assert group.endswith(f":log-group:/aws/lambda/{stage.function_name}")


@pytest.mark.parametrize("stage", STAGES)
def test_the_packaged_policy_has_no_wildcard_either(stage: str) -> None:
    configured = read_stage(load_config(), stage)
    document = stack_policy(configured)
    assert wildcard_problems(document, configured.function_name) == []
    assert _wildcards(document) == ["WriteTraces"]
    endpoint = _text(document["Statement"][0]["Resource"])
    assert endpoint == (
        "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:"
        f"endpoint/{configured.endpoint_name}"
    )


def test_the_checker_finds_wildcards() -> None:
    stage = read_stage(load_config(), "dev")
    document = policy_document(stage, partition="aws", region="*", account="123456789012")
    document["Statement"].append({"Sid": "Broad", "Action": "sagemaker:*", "Resource": "*"})
    group = "arn:aws:logs:*:123456789012:log-group:/aws/lambda/wdbc-predictor-dev"
    document["Statement"].append({"Sid": "Traces", "Action": "xray:*", "Resource": "*"})
    document["Statement"].append(
        {"Sid": "Describe", "Action": sorted(EC2_DESCRIBES), "Resource": "*"}
    )
    assert wildcard_problems(document, stage.function_name) == [
        "InvokeThisStagesEndpointOnly: resource arn:aws:sagemaker:*:123456789012:endpoint/wdbc-dev",
        f"WriteOwnLogs: resource {group}:*",
        f"CreateOwnLogGroup: resource {group}",
        "Broad: action sagemaker:*",
        "Broad: resource *",
        "Traces: action xray:*",
        "Traces: resource *",
        "Describe: resource *",  # only the private path may describe
    ]
    other_function = policy_document(stage, partition="aws", region="eu-west-1", account="1" * 12)
    assert wildcard_problems(other_function, "another-function") != []


def test_endpoint_names_are_lower_case_in_arns() -> None:
    stage = read_stage(load_config(), "dev")
    upper = stage.model_copy(
        update={"environment_variables": Environment(ENDPOINT_NAME="WDBC-Dev")}
    )
    document = literal_policy(upper, account="123456789012", region="eu-west-1")
    assert document["Statement"][0]["Resource"] == (
        "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/wdbc-dev"
    )


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("eu-west-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
    ],
)
def test_the_partition_follows_the_region(region: str, partition: str) -> None:
    assert partition_of(region) == partition


@pytest.mark.parametrize(
    ("account", "region", "message"),
    [
        ("ACCOUNT_ID", "eu-west-1", "ACCOUNT must be a 12-digit"),
        ("12345678901", "eu-west-1", "ACCOUNT must be a 12-digit"),
        ("123456789012", "REGION", "REGION must be an AWS region"),
        ("123456789012", "eu-west", "REGION must be an AWS region"),
    ],
)
def test_make_policy_refuses_what_is_not_an_account_or_region(
    account: str, region: str, message: str
) -> None:
    stage = read_stage(load_config(), "dev")
    with pytest.raises(PolicyInputError, match=message):
        literal_policy(stage, account=account, region=region)


def _private(stage: Stage) -> Stage:
    return stage.on_network(EXAMPLE_NETWORK)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_private_path_invokes_through_its_vpc_endpoint_only(stage: str) -> None:
    private = _private(read_stage(load_config(), stage))
    document = stack_policy(private, {"Ref": "SageMakerRuntimeEndpoint"})
    assert wildcard_problems(document, private.function_name, private=True) == []
    assert _wildcards(document) == [
        "WriteTraces",
        "AttachToOwnSubnets",
        "DescribeNetworkInterfaces",
    ]
    invoke = document["Statement"][0]
    assert invoke["Condition"] == {
        "StringEquals": {"aws:SourceVpce": {"Ref": "SageMakerRuntimeEndpoint"}}
    }
    (attach,) = (s for s in document["Statement"] if s["Sid"] == "AttachToOwnSubnets")
    named = [_text(r).rsplit(":", 1)[-1] for r in attach["Resource"]]
    assert named == [
        "network-interface/*",
        *(f"subnet/{subnet}" for subnet in EXAMPLE_NETWORK.subnet_ids),
        *(f"security-group/{group}" for group in EXAMPLE_NETWORK.security_group_ids),
    ]
    assert wildcard_problems(document, private.function_name) != []  # not on a public stage


def test_make_policy_on_a_private_stage_needs_its_vpc_endpoint() -> None:
    private = _private(read_stage(load_config(), "dev"))
    with pytest.raises(PolicyInputError, match="VPC_ENDPOINT=vpce-"):
        literal_policy(private, account="123456789012", region="eu-west-1")
    with pytest.raises(PolicyInputError, match="VPC_ENDPOINT must be a VPC endpoint id"):
        literal_policy(private, account="123456789012", region="eu-west-1", vpc_endpoint="x")
    document = literal_policy(
        private, account="123456789012", region="eu-west-1", vpc_endpoint="vpce-0123456789abcdef0"
    )
    assert document["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}
    }
    assert "arn:aws:ec2:eu-west-1:123456789012:network-interface/*" in json.dumps(document)
