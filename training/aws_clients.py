"""The boto3 clients the SageMaker commands use, built once and handed in (tests hand in moto's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from training.errors import CloudError


@dataclass(frozen=True)
class AwsClients:
    sagemaker: Any
    autoscaling: Any  # application-autoscaling
    region: str

    @classmethod
    def create(cls, region: str | None = None) -> AwsClients:
        session = boto3.session.Session(region_name=region)
        if session.region_name is None:
            raise CloudError("no AWS region: pass --region or set AWS_REGION")
        return cls(
            sagemaker=session.client("sagemaker"),
            autoscaling=session.client("application-autoscaling"),
            region=session.region_name,
        )


def is_not_found(error: ClientError) -> bool:
    """SageMaker answers a missing resource with ValidationException "Could not find ..."."""
    details = error.response.get("Error", {})
    return details.get("Code") in {"ValidationException", "ValidationError"} and (
        "could not find" in details.get("Message", "").lower()
    )


def cloud_error(action: str, error: ClientError | BotoCoreError) -> CloudError:
    """One line for the CLI: which step, AWS's error code and message."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return CloudError(f"{action}: {details.get('Code', 'error')}: {details.get('Message', '')}")
    return CloudError(f"{action}: {type(error).__name__}: {error}")
