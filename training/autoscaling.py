"""Application Auto Scaling for an instance-backed production variant: a target-tracking policy
on SageMaker's predefined invocations-per-instance metric."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
METRIC = "SageMakerVariantInvocationsPerInstance"


@dataclass(frozen=True)
class Autoscaling:
    min_capacity: int
    max_capacity: int
    # Invocations per instance per minute that the policy holds the variant at.
    target_invocations_per_instance: float
    scale_in_cooldown_seconds: int = 300
    scale_out_cooldown_seconds: int = 60

    def __post_init__(self) -> None:
        if not 1 <= self.min_capacity <= self.max_capacity:
            raise ValueError("autoscaling needs 1 <= min capacity <= max capacity")
        if self.target_invocations_per_instance <= 0:
            raise ValueError("the target invocations per instance must be positive")


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def policy_name(endpoint: str, variant: str) -> str:
    return f"{endpoint}-{variant}-invocations"


def enable(client: Any, endpoint: str, variant: str, scaling: Autoscaling) -> None:
    target = {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": resource_id(endpoint, variant),
        "ScalableDimension": DIMENSION,
    }
    client.register_scalable_target(
        **target, MinCapacity=scaling.min_capacity, MaxCapacity=scaling.max_capacity
    )
    client.put_scaling_policy(
        **target,
        PolicyName=policy_name(endpoint, variant),
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": scaling.target_invocations_per_instance,
            "PredefinedMetricSpecification": {"PredefinedMetricType": METRIC},
            "ScaleInCooldown": scaling.scale_in_cooldown_seconds,
            "ScaleOutCooldown": scaling.scale_out_cooldown_seconds,
        },
    )


def disable(client: Any, endpoint: str, variants: Iterable[str]) -> list[str]:
    """Delete the policies and deregister the targets of these variants; returns what it removed.

    Needed before an update that drops a scaled variant or changes its instance type, and
    explicitly on delete, so nothing is left behind whatever IAM allows SageMaker to do.
    """
    removed = []
    for variant in variants:
        target = {
            "ServiceNamespace": NAMESPACE,
            "ResourceId": resource_id(endpoint, variant),
            "ScalableDimension": DIMENSION,
        }
        policies = client.describe_scaling_policies(**target).get("ScalingPolicies", [])
        for policy in policies:
            client.delete_scaling_policy(**target, PolicyName=policy["PolicyName"])
            removed.append(f"scaling policy {policy['PolicyName']}")
        targets = client.describe_scalable_targets(
            ServiceNamespace=NAMESPACE, ResourceIds=[target["ResourceId"]]
        ).get("ScalableTargets", [])
        if targets:
            client.deregister_scalable_target(**target)
            removed.append(f"scalable target {target['ResourceId']}")
    return removed
