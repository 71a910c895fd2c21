"""Delete an endpoint and everything deploy made for it: scaling, endpoint, config, model."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from training import autoscaling
from training.aws_clients import AwsClients, is_not_found
from training.errors import CloudError
from training.waiting import Echo


def delete_endpoint(clients: AwsClients, endpoint: str, echo: Echo) -> list[str]:
    """Remove all of it; returns what was deleted. The endpoint goes first, as SageMaker needs
    its config and model no longer in use. Model and config are this endpoint's own: deploy
    names them after it."""
    sagemaker = clients.sagemaker
    try:
        description = sagemaker.describe_endpoint(EndpointName=endpoint)
    except ClientError as error:
        if is_not_found(error):
            raise CloudError(f"there is no endpoint {endpoint}") from None
        raise
    config_name = description["EndpointConfigName"]
    config = _describe_config(sagemaker, config_name)
    variants = [variant["VariantName"] for variant in description.get("ProductionVariants", [])]
    deleted = autoscaling.disable(clients.autoscaling, endpoint, variants)
    sagemaker.delete_endpoint(EndpointName=endpoint)
    deleted.append(f"endpoint {endpoint}")
    if config is not None:
        sagemaker.delete_endpoint_config(EndpointConfigName=config_name)
        deleted.append(f"endpoint config {config_name}")
        for variant in config.get("ProductionVariants", []):
            model = variant["ModelName"]
            if _delete_model(sagemaker, model):
                deleted.append(f"model {model}")
    for line in deleted:
        echo(f"deleted {line}")
    return deleted


def _describe_config(sagemaker: Any, name: str) -> dict[str, Any] | None:
    try:
        return dict(sagemaker.describe_endpoint_config(EndpointConfigName=name))
    except ClientError as error:
        if is_not_found(error):
            return None
        raise


def _delete_model(sagemaker: Any, name: str) -> bool:
    try:
        sagemaker.delete_model(ModelName=name)
    except ClientError as error:
        if is_not_found(error):
            return False
        raise
    return True
