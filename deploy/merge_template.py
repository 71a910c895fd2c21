"""What `chalice package --merge-template` adds to Chalice's SAM template for one stage.

Chalice's template has the API (`RestAPI`, an `AWS::Serverless::Api` whose stage SAM creates),
the function (`APIHandler`) and its role (`ApiHandlerRole`). Merged in here, from the stage's
block in `.chalice/config.json`:

- the usage plan (throttle and daily quota) on the API's stage, an API key and their link, and
  an output with the key's id, so that the `api_key_required` routes can be called at all;
- the function's name, `<app>-<stage>` as `chalice deploy` names it, which the role's log
  permissions name (SAM would otherwise make one up);
- the role's policy with ARNs that CloudFormation resolves to the stack's account and region;
- Python 3.13 whatever Python runs `chalice package` (Chalice would take the local one; the zip
  is pure Python), X-Ray on the API's stage (the function's comes from Chalice's `xray`);
- the API's access log, JSON without a body field, in a log group of its own, and the retention
  of both log groups (Chalice makes the function's from `log_retention_in_days`);
- API Gateway's answer to a path (or a method of a path) the API does not have, its 403
  "Missing Authentication Token", as the API's own 404 `not_found`, with the request id;
- the alarms, their topic and the dashboard (`deploy.monitoring`);
- on the private path (`subnet_ids`, `security_group_ids`, `vpc_id`), the function in those
  subnets and an interface endpoint for SageMaker Runtime with private DNS, which the role's
  `sagemaker:InvokeEndpoint` then requires;
- checkov's skips for the checks that do not apply, each with its reason, on its resource.

Chalice merges dictionaries key by key; a list (the role's `Policies`) replaces its own.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import content_types
from chalicelib.errors import NotFound
from chalicelib.replies import error_document
from deploy.monitoring import monitoring_template
from deploy.policy import (
    STACK_ACCOUNT,
    STACK_PARTITION,
    STACK_REGION,
    endpoint_arn,
    stack_policy,
)
from deploy.stages import PrivateNetwork, Stage

API = "RestAPI"  # Chalice's logical id for the REST API
# API Gateway's response type for a request no resource and method of the API matches.
NO_ROUTE_RESPONSE = "MISSING_AUTHENTICATION_TOKEN"
NO_ROUTE = (
    "the API has no such path, or the path does not take this method; openapi.json, at the "
    "API's root, lists its paths and their methods"
)
FUNCTION = "APIHandler"  # ... for the function behind every route
ROLE = "ApiHandlerRole"  # ... for its role
ROLE_POLICY_NAME = "ApiHandlerRolePolicy"  # the inline policy's name in Chalice's template
USAGE_PLAN = "UsagePlan"
API_KEY = "ApiKey"
USAGE_PLAN_KEY = "UsagePlanKey"
API_KEY_OUTPUT = "ApiKeyId"
LOG_GROUP = "ApiHandlerLogGroup"  # Chalice's logical id for the function's log group
ACCESS_LOG_GROUP = "ApiAccessLogGroup"
VPC_ENDPOINT = "SageMakerRuntimeEndpoint"
VPC_ENDPOINT_SECURITY_GROUP = "SageMakerRuntimeEndpointSecurityGroup"
RUNTIME = "python3.13"

# One JSON object per request, API Gateway's own 403s and 429s included; `$context` has the
# request's body nowhere, and nothing here names it.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTimeEpoch",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "apiKeyId": "$context.identity.apiKeyId",
    "sourceIp": "$context.identity.sourceIp",
    "errorType": "$context.error.responseType",
    "xrayTraceId": "$context.xrayTraceId",
}
ACCESS_LOG_FORMAT = json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))

_NO_PATIENT_DATA_IN_LOGS = (
    "The logs hold request ids, routes, statuses and latencies, never bodies or values; "
    "CloudWatch Logs encrypts them at rest"
)
LOG_GROUP_SKIPS = {"CKV_AWS_158": _NO_PATIENT_DATA_IN_LOGS}
API_SKIPS = {
    "CKV_AWS_120": "A cache would serve one caller's prediction to another: the keyed route "
    "is a POST of patient rows, and the open routes are small and cheap",
}
FUNCTION_SKIPS = {
    "CKV_AWS_116": "API Gateway invokes the function synchronously and gets every error as "
    "the answer; a dead-letter queue only receives failed asynchronous events",
    "CKV_AWS_173": "The environment holds names only (endpoint, model card, allowed "
    "origins), no secret; Lambda encrypts it at rest with its service key",
}
PUBLIC_PATH_SKIPS = {
    "CKV_AWS_117": "This stage reaches SageMaker Runtime over its public HTTPS endpoint with "
    "SigV4; the private path is opt-in per stage (subnet_ids, security_group_ids, vpc_id)",
}


def merge_template(stage: Stage) -> dict[str, Any]:
    if stage.usage_plan is None:
        raise ValueError(
            f"stages.{stage.name}.usage_plan is not set in .chalice/config.json: a stage with "
            "keyed routes needs a usage plan to be callable"
        )
    if stage.log_retention_in_days is None:
        raise ValueError(
            f"stages.{stage.name}.log_retention_in_days is not set in .chalice/config.json: "
            "every log group of a deployed stage needs a retention"
        )
    plan = stage.usage_plan
    name = stage.function_name
    network = stage.network
    function: dict[str, Any] = {"FunctionName": name, "Runtime": RUNTIME}
    if network is not None:
        function["VpcConfig"] = {
            "SecurityGroupIds": list(network.security_group_ids),
            "SubnetIds": list(network.subnet_ids),
        }
    vpc_endpoint = None if network is None else {"Ref": VPC_ENDPOINT}
    function_skips = FUNCTION_SKIPS if network is not None else FUNCTION_SKIPS | PUBLIC_PATH_SKIPS
    resources: dict[str, Any] = {
        FUNCTION: {"Properties": function, "Metadata": _skips(function_skips)},
        ROLE: {
            "Properties": {
                "Policies": [
                    {
                        "PolicyName": ROLE_POLICY_NAME,
                        "PolicyDocument": stack_policy(stage, vpc_endpoint),
                    }
                ]
            }
        },
        API: {
            "Properties": {
                # API Gateway's metrics name the API: one name per stage, not the app's.
                "Name": name,
                "TracingEnabled": True,
                "AccessLogSetting": {
                    "DestinationArn": {"Fn::GetAtt": [ACCESS_LOG_GROUP, "Arn"]},
                    "Format": ACCESS_LOG_FORMAT,
                },
                # SAM writes them into the API's definition, so a change redeploys the stage.
                "GatewayResponses": {NO_ROUTE_RESPONSE: _not_found_response()},
            },
            "Metadata": _skips(API_SKIPS),
        },
        # Chalice names it after `${ApiHandler}`, a logical id its own template renames.
        LOG_GROUP: {
            "Properties": {"LogGroupName": f"/aws/lambda/{name}"},
            "Metadata": _skips(LOG_GROUP_SKIPS),
        },
        ACCESS_LOG_GROUP: {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": f"/aws/apigateway/{name}/access",
                "RetentionInDays": stage.log_retention_in_days,
            },
            "Metadata": _skips(LOG_GROUP_SKIPS),
        },
        USAGE_PLAN: {
            "Type": "AWS::ApiGateway::UsagePlan",
            "Properties": {
                "UsagePlanName": name,
                "Description": f"Throttle and daily quota per API key for {name}",
                # `RestAPI.Stage` is SAM's reference to the stage it creates; it also
                # orders the plan after the stage.
                "ApiStages": [{"ApiId": {"Ref": API}, "Stage": {"Ref": f"{API}.Stage"}}],
                "Throttle": {"RateLimit": plan.rate_limit, "BurstLimit": plan.burst_limit},
                "Quota": {"Limit": plan.daily_quota, "Period": "DAY"},
            },
        },
        API_KEY: {
            "Type": "AWS::ApiGateway::ApiKey",
            "Properties": {
                "Name": name,
                "Description": f"The client key for {name}; its value stays in API Gateway",
                "Enabled": True,
            },
        },
        USAGE_PLAN_KEY: {
            "Type": "AWS::ApiGateway::UsagePlanKey",
            "Properties": {
                "KeyId": {"Ref": API_KEY},
                "KeyType": "API_KEY",
                "UsagePlanId": {"Ref": USAGE_PLAN},
            },
        },
    }
    if network is not None:
        resources |= _private_path(stage, network)
    monitoring = monitoring_template(stage)
    return {
        "Parameters": monitoring["Parameters"],
        "Conditions": monitoring["Conditions"],
        "Resources": resources | monitoring["Resources"],
        "Outputs": {
            API_KEY_OUTPUT: {
                "Description": "aws apigateway get-api-key --include-value --api-key <this id>",
                "Value": {"Ref": API_KEY},
            },
            **monitoring["Outputs"],
        },
    }


def _not_found_response() -> dict[str, Any]:
    """The API's 404 in its own error shape; the request id is API Gateway's, as the function's
    answers have it."""
    document = error_document(NotFound(NO_ROUTE), "$context.requestId")
    return {
        "StatusCode": str(NotFound.STATUS_CODE),
        "ResponseTemplates": {content_types.JSON: json.dumps(document)},
    }


def _private_path(stage: Stage, network: PrivateNetwork) -> dict[str, Any]:
    """SageMaker Runtime inside the VPC; its security group admits the function's groups only."""
    where = {"partition": STACK_PARTITION, "region": STACK_REGION, "account": STACK_ACCOUNT}
    endpoint = {"Fn::Sub": endpoint_arn(stage, **where)}
    return {
        VPC_ENDPOINT_SECURITY_GROUP: {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": f"SageMaker Runtime endpoint of {stage.function_name}",
                "VpcId": network.vpc_id,
                "SecurityGroupIngress": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "SourceSecurityGroupId": group,
                        "Description": f"HTTPS from {stage.function_name}",
                    }
                    for group in network.security_group_ids
                ],
                # An endpoint answers and never calls out: the rule CDK writes for no egress.
                "SecurityGroupEgress": [
                    {
                        "IpProtocol": "icmp",
                        "FromPort": 252,
                        "ToPort": 86,
                        "CidrIp": "255.255.255.255/32",
                        "Description": "Disallow all traffic",
                    }
                ],
            },
        },
        VPC_ENDPOINT: {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "VpcEndpointType": "Interface",
                "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.sagemaker.runtime"},
                "VpcId": network.vpc_id,
                "SubnetIds": list(network.subnet_ids),
                "SecurityGroupIds": [{"Ref": VPC_ENDPOINT_SECURITY_GROUP}],
                "PrivateDnsEnabled": True,
                # Through this endpoint: this account's callers, the stage's endpoint, nothing
                # else. (Naming the role here would make a cycle: its policy names the endpoint.)
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "sagemaker:InvokeEndpoint",
                            "Resource": endpoint,
                            "Condition": {
                                "StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}
                            },
                        }
                    ],
                },
            },
        },
    }


def _skips(reasons: dict[str, str]) -> dict[str, Any]:
    """checkov's own place for a resource's skipped checks, each with why it does not apply."""
    return {
        "checkov": {
            "skip": [{"id": check, "comment": reason} for check, reason in sorted(reasons.items())]
        }
    }
