"""A stage's least-privilege IAM policy, from the stage alone: one endpoint, its own logs.

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


def policy_document(stage: Stage, *, partition: str, region: str, account: str) -> dict[str, Any]:
    where = {"partition": partition, "region": region, "account": account}
    log_group = log_group_arn(stage, **where)
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "InvokeThisStagesEndpointOnly",
                "Effect": "Allow",
                "Action": "sagemaker:InvokeEndpoint",
                "Resource": endpoint_arn(stage, **where),
            },
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
        ],
    }


def literal_policy(stage: Stage, *, account: str, region: str) -> dict[str, Any]:
    """The policy with this account's and region's ARNs, for `chalice deploy`."""
    if not _ACCOUNT.fullmatch(account):
        raise PolicyInputError(f"ACCOUNT must be a 12-digit AWS account id, not {account!r}")
    if not _REGION.fullmatch(region):
        raise PolicyInputError(f"REGION must be an AWS region such as eu-west-1, not {region!r}")
    return policy_document(stage, partition=partition_of(region), region=region, account=account)


def stack_policy(stage: Stage) -> dict[str, Any]:
    """The policy with `Fn::Sub` ARNs that CloudFormation resolves to the stack's own."""
    document = policy_document(
        stage, partition=STACK_PARTITION, region=STACK_REGION, account=STACK_ACCOUNT
    )
    for statement in document["Statement"]:
        statement["Resource"] = {"Fn::Sub": statement["Resource"]}
    return document


_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"))


def partition_of(region: str) -> str:
    for prefix, partition in _PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws-iso" if region.startswith("us-iso-") else "aws"


def write_policy(document: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
