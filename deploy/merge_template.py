"""What `chalice package --merge-template` adds to Chalice's SAM template for one stage.

Chalice's template has the API (`RestAPI`, an `AWS::Serverless::Api` whose stage SAM creates),
the function (`APIHandler`) and its role (`ApiHandlerRole`). Merged in here, from the stage's
block in `.chalice/config.json`:

- the usage plan (throttle and daily quota) on the API's stage, an API key and their link, and
  an output with the key's id, so that the `api_key_required` routes can be called at all;
- the function's name, `<app>-<stage>` as `chalice deploy` names it, which the role's log
  permissions name (SAM would otherwise make one up);
- the role's policy with ARNs that CloudFormation resolves to the stack's account and region.

Chalice merges dictionaries key by key; a list (the role's `Policies`) replaces its own.
"""

from __future__ import annotations

from typing import Any

from deploy.policy import stack_policy
from deploy.stages import Stage

API = "RestAPI"  # Chalice's logical id for the REST API
FUNCTION = "APIHandler"  # ... for the function behind every route
ROLE = "ApiHandlerRole"  # ... for its role
ROLE_POLICY_NAME = "ApiHandlerRolePolicy"  # the inline policy's name in Chalice's template
USAGE_PLAN = "UsagePlan"
API_KEY = "ApiKey"
USAGE_PLAN_KEY = "UsagePlanKey"
API_KEY_OUTPUT = "ApiKeyId"


def merge_template(stage: Stage) -> dict[str, Any]:
    if stage.usage_plan is None:
        raise ValueError(
            f"stages.{stage.name}.usage_plan is not set in .chalice/config.json: a stage with "
            "keyed routes needs a usage plan to be callable"
        )
    plan = stage.usage_plan
    name = stage.function_name
    return {
        "Resources": {
            FUNCTION: {"Properties": {"FunctionName": name}},
            ROLE: {
                "Properties": {
                    "Policies": [
                        {"PolicyName": ROLE_POLICY_NAME, "PolicyDocument": stack_policy(stage)}
                    ]
                }
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
        },
        "Outputs": {
            API_KEY_OUTPUT: {
                "Description": "aws apigateway get-api-key --include-value --api-key <this id>",
                "Value": {"Ref": API_KEY},
            },
        },
    }
