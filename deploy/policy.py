"""A stage's least-privilege IAM policy, from the stage alone: one endpoint, its own logs, traces.

X-Ray's write actions have no resource-level permissions: `xray:PutTraceSegments` and
`xray:PutTelemetryRecords` on `*` are the one wildcard every stage has. A stage on the private
path also gets the network-interface actions Lambda needs to place the function in its subnets
(EC2's Describe actions, too, exist only on `*`), and may invoke its endpoint only through its
SageMaker Runtime VPC endpoint (`aws:SourceVpce`).

IAM policy variables cannot stand in for the region or the account: IAM substitutes them only
in the resource part of an ARN, after the fifth colon. So the ARNs are written out, either
literally (`make policy`, for `chalice deploy`) or as CloudFormation `Fn::Sub` strings that the
stack resolves (`make package`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from deploy.stages import Stage

POLICY_VERSION = "2012-10-17"  # the policy-language version; the only one with variables

_ACCOUNT = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")
_VPC_ENDPOINT = re.compile(r"vpce-[0-9a-f]{8,17}")

XRAY_WRITE_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
# What Lambda does with the function's role to attach it to its subnets (AWS's managed
# AWSLambdaVPCAccessExecutionRole grants the same, on `*`).
NETWORK_INTERFACE_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]
NETWORK_DESCRIBE_ACTIONS = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]

# CloudFormation pseudo parameters, resolved when the stack is created.
STACK_PARTITION = "${AWS::Partition}"
STACK_REGION = "${AWS::Region}"
STACK_ACCOUNT = "${AWS::AccountId}"


class PolicyInputError(ValueError):
    """An account id or region that cannot be part of an ARN."""


def endpoint_arn(stage: Stage, *, partition: str, region: str, account: str) -> str:
    # SageMaker writes endpoint ARNs in lower case whatever the endpoint name's case, and IAM
    # compares resources case-sensitively.
    return f"arn:{partition}:sagemaker:{region}:{account}:endpoint/{stage.endpoint_name.lower()}"


def log_group_arn(stage: Stage, *, partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:logs:{region}:{account}:log-group:/aws/lambda/{stage.function_name}"


def policy_document(
    stage: Stage, *, partition: str, region: str, account: str, vpc_endpoint: Any = None
) -> dict[str, Any]:
    """`vpc_endpoint`: the SageMaker Runtime VPC endpoint's id (or a reference to it) on a
    private stage, which may then invoke its endpoint only through it."""
    where = {"partition": partition, "region": region, "account": account}
    log_group = log_group_arn(stage, **where)
    invoke: dict[str, Any] = {
        "Sid": "InvokeThisStagesEndpointOnly",
        "Effect": "Allow",
        "Action": "sagemaker:InvokeEndpoint",
        "Resource": endpoint_arn(stage, **where),
    }
    if stage.network is not None:
        if vpc_endpoint is None:
            raise PolicyInputError(
                f"stages.{stage.name} is on the private path (subnet_ids): name its SageMaker "
                "Runtime VPC endpoint (VPC_ENDPOINT=vpce-...)"
            )
        invoke["Condition"] = {"StringEquals": {"aws:SourceVpce": vpc_endpoint}}
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            invoke,
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                # Log streams are named by Lambda at run time: the group's streams, no wider.
                "Resource": f"{log_group}:*",
            },
            {
                "Sid": "CreateOwnLogGroup",
                "Effect": "Allow",
                "Action": "logs:CreateLogGroup",
                "Resource": log_group,
            },
            {
                "Sid": "WriteTraces",
                "Effect": "Allow",
                "Action": XRAY_WRITE_ACTIONS,
                "Resource": "*",  # X-Ray has no resource-level permissions for these
            },
            *_network_statements(stage, **where),
        ],
    }


def _network_statements(
    stage: Stage, *, partition: str, region: str, account: str
) -> list[dict[str, Any]]:
    if stage.network is None:
        return []
    ec2 = f"arn:{partition}:ec2:{region}:{account}"
    return [
        {
            "Sid": "AttachToOwnSubnets",
            "Effect": "Allow",
            "Action": NETWORK_INTERFACE_ACTIONS,
            # Lambda names the interfaces it creates: the account's interfaces in this region,
            # created only in the stage's subnets with its security groups.
            "Resource": [
                f"{ec2}:network-interface/*",
                *(f"{ec2}:subnet/{subnet}" for subnet in stage.network.subnet_ids),
                *(f"{ec2}:security-group/{group}" for group in stage.network.security_group_ids),
            ],
        },
        {
            "Sid": "DescribeNetworkInterfaces",
            "Effect": "Allow",
            "Action": NETWORK_DESCRIBE_ACTIONS,
            "Resource": "*",  # EC2's Describe actions have no resource-level permissions
        },
    ]


def literal_policy(
    stage: Stage, *, account: str, region: str, vpc_endpoint: str | None = None
) -> dict[str, Any]:
    """The policy with this account's and region's ARNs, for `chalice deploy`."""
    if not _ACCOUNT.fullmatch(account):
        raise PolicyInputError(f"ACCOUNT must be a 12-digit AWS account id, not {account!r}")
    if not _REGION.fullmatch(region):
        raise PolicyInputError(f"REGION must be an AWS region such as eu-west-1, not {region!r}")
    if vpc_endpoint is not None and not _VPC_ENDPOINT.fullmatch(vpc_endpoint):
        raise PolicyInputError(
            f"VPC_ENDPOINT must be a VPC endpoint id (vpce-...), not {vpc_endpoint!r}"
        )
    return policy_document(
        stage,
        partition=partition_of(region),
        region=region,
        account=account,
        vpc_endpoint=vpc_endpoint,
    )


def stack_policy(stage: Stage, vpc_endpoint: Any = None) -> dict[str, Any]:
    """The policy with `Fn::Sub` ARNs that CloudFormation resolves to the stack's own."""
    document = policy_document(
        stage,
        partition=STACK_PARTITION,
        region=STACK_REGION,
        account=STACK_ACCOUNT,
        vpc_endpoint=vpc_endpoint,
    )
    for statement in document["Statement"]:
        statement["Resource"] = _substituted(statement["Resource"])
    return document


def _substituted(resource: Any) -> Any:
    if isinstance(resource, list):
        return [_substituted(item) for item in resource]
    return {"Fn::Sub": resource} if "${" in resource else resource


_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"))


def partition_of(region: str) -> str:
    for prefix, partition in _PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws-iso" if region.startswith("us-iso-") else "aws"


def write_policy(document: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
