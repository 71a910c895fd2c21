"""A stage's CloudWatch alarms, the SNS topic they notify and its dashboard, as template parts.

Seven alarms, each over figures that carry no patient data: the API's 5XX rate and p99 latency,
the function's errors and throttles, and the endpoint's own 5XX answers, model latency (p99)
and invocations per instance. SageMaker publishes the endpoint's figures per production
variant, and `python -m deploy endpoint host` names the variant after the model version, so the
variant is a stack parameter (`EndpointVariant`) set at each deploy. The topic is the stack's
own unless the `AlarmTopicArn` parameter names one.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from deploy.stages import Stage

TOPIC = "AlarmTopic"
TOPIC_PARAMETER = "AlarmTopicArn"
VARIANT_PARAMETER = "EndpointVariant"
CREATE_TOPIC = "CreateAlarmTopic"  # the condition: no topic given, so the stack makes one
DASHBOARD = "Dashboard"
PERIOD_SECONDS = 300


class Alarm(NamedTuple):
    logical_id: str
    title: str
    namespace: str
    metric: str
    statistic: str  # Sum, Average, or a percentile such as p99
    threshold: float
    period: int = PERIOD_SECONDS


def alarms(stage: Stage) -> list[Alarm]:
    limits = stage.alarms
    return [
        Alarm(
            "ApiServerErrorRateAlarm",
            "API 5XX rate",
            "AWS/ApiGateway",
            "5XXError",
            "Average",
            limits.api_5xx_rate,
        ),
        Alarm(
            "ApiLatencyP99Alarm",
            "API latency p99 (ms)",
            "AWS/ApiGateway",
            "Latency",
            "p99",
            limits.api_p99_latency_ms,
        ),
        Alarm(
            "FunctionErrorsAlarm",
            "Lambda errors",
            "AWS/Lambda",
            "Errors",
            "Sum",
            limits.lambda_errors,
        ),
        Alarm(
            "FunctionThrottlesAlarm",
            "Lambda throttles",
            "AWS/Lambda",
            "Throttles",
            "Sum",
            limits.lambda_throttles,
        ),
        Alarm(
            "EndpointServerErrorsAlarm",
            "Endpoint 5XX errors",
            "AWS/SageMaker",
            "Invocation5XXErrors",
            "Sum",
            limits.endpoint_5xx_errors,
        ),
        # SageMaker reports ModelLatency in microseconds.
        Alarm(
            "ModelLatencyP99Alarm",
            "Model latency p99 (us)",
            "AWS/SageMaker",
            "ModelLatency",
            "p99",
            limits.model_latency_p99_ms * 1000,
        ),
        Alarm(
            "InvocationsPerInstanceAlarm",
            "Invocations per instance per minute",
            "AWS/SageMaker",
            "InvocationsPerInstance",
            "Sum",
            limits.invocations_per_instance_per_minute,
            period=60,
        ),
    ]


def dimensions(stage: Stage, alarm: Alarm) -> list[dict[str, Any]]:
    by_namespace: dict[str, list[tuple[str, Any]]] = {
        "AWS/ApiGateway": [("ApiName", stage.function_name), ("Stage", stage.api_gateway_stage)],
        "AWS/Lambda": [("FunctionName", stage.function_name)],
        "AWS/SageMaker": [
            ("EndpointName", stage.endpoint_name),
            ("VariantName", {"Ref": VARIANT_PARAMETER}),
        ],
    }
    return [{"Name": name, "Value": value} for name, value in by_namespace[alarm.namespace]]


def alarm_resource(stage: Stage, alarm: Alarm) -> dict[str, Any]:
    topic = {"Fn::If": [CREATE_TOPIC, {"Ref": TOPIC}, {"Ref": TOPIC_PARAMETER}]}
    statistic = (
        {"ExtendedStatistic": alarm.statistic}
        if alarm.statistic.startswith("p")
        else {"Statistic": alarm.statistic}
    )
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": f"{stage.function_name}-{alarm.logical_id.removesuffix('Alarm')}",
            "AlarmDescription": f"{alarm.title} of {stage.function_name} above {alarm.threshold:g}",
            "Namespace": alarm.namespace,
            "MetricName": alarm.metric,
            "Dimensions": dimensions(stage, alarm),
            **statistic,
            "Period": alarm.period,
            # Two bad periods out of three: one slow minute does not page anyone.
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "Threshold": alarm.threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            # No traffic is no failure.
            "TreatMissingData": "notBreaching",
            "AlarmActions": [topic],
            "OKActions": [topic],
        },
    }


def monitoring_template(stage: Stage) -> dict[str, Any]:
    """Parameters, the condition, the topic, the alarms and the dashboard, to merge in."""
    resources: dict[str, Any] = {
        TOPIC: {
            "Type": "AWS::SNS::Topic",
            "Condition": CREATE_TOPIC,
            "Properties": {"TopicName": f"{stage.function_name}-alarms"},
            "Metadata": {
                "checkov": {
                    "skip": [
                        {
                            "id": "CKV_AWS_26",
                            "comment": "Alarm notices hold alarm names and figures, no patient "
                            "data; CloudWatch cannot publish to a topic under the AWS-managed "
                            "SNS key",
                        }
                    ]
                }
            },
        },
        DASHBOARD: {
            "Type": "AWS::CloudWatch::Dashboard",
            "Properties": {
                "DashboardName": stage.function_name,
                "DashboardBody": {"Fn::Sub": json.dumps(dashboard_body(stage))},
            },
        },
    }
    for alarm in alarms(stage):
        resources[alarm.logical_id] = alarm_resource(stage, alarm)
    return {
        "Parameters": {
            TOPIC_PARAMETER: {
                "Type": "String",
                "Default": "",
                "Description": "An SNS topic for the alarms; empty: the stack creates one",
            },
            VARIANT_PARAMETER: {
                "Type": "String",
                "AllowedPattern": "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
                "Description": f"The production variant of {stage.endpoint_name} the alarms "
                "watch (`python -m deploy status`, or `model.version` in the API's answers)",
            },
        },
        "Conditions": {CREATE_TOPIC: {"Fn::Equals": [{"Ref": TOPIC_PARAMETER}, ""]}},
        "Resources": resources,
        "Outputs": {
            "AlarmTopic": {
                "Description": "The SNS topic the alarms notify: subscribe to it",
                "Value": {"Fn::If": [CREATE_TOPIC, {"Ref": TOPIC}, {"Ref": TOPIC_PARAMETER}]},
            }
        },
    }


def dashboard_body(stage: Stage) -> dict[str, Any]:
    """One graph per alarm, its threshold drawn in; `${...}` is left to `Fn::Sub`."""
    widgets = []
    for position, alarm in enumerate(alarms(stage)):
        metric: list[Any] = [alarm.namespace, alarm.metric]
        for dimension in dimensions(stage, alarm):
            value = dimension["Value"]
            metric += [
                dimension["Name"],
                f"${{{value['Ref']}}}" if isinstance(value, dict) else value,
            ]
        widgets.append(
            {
                "type": "metric",
                "x": (position % 3) * 8,
                "y": (position // 3) * 6,
                "width": 8,
                "height": 6,
                "properties": {
                    "title": alarm.title,
                    "region": "${AWS::Region}",
                    "metrics": [metric],
                    "stat": alarm.statistic,
                    "period": alarm.period,
                    "annotations": {"horizontal": [{"label": "alarm", "value": alarm.threshold}]},
                },
            }
        )
    return {"widgets": widgets}
