"""What this project has on SageMaker: every resource carrying the project tag."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from training.aws_clients import AwsClients
from training.naming import BASE_JOB_NAME, VERSION_TAG_KEY, is_project_resource

# (kind, paginated list call, its result key, name key, ARN key, status key)
_KINDS = (
    ("training job", "list_training_jobs", "TrainingJobSummaries", "TrainingJobName",
     "TrainingJobArn", "TrainingJobStatus"),
    ("model", "list_models", "Models", "ModelName", "ModelArn", None),
    ("endpoint config", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName",
     "EndpointConfigArn", None),
    ("endpoint", "list_endpoints", "Endpoints", "EndpointName", "EndpointArn", "EndpointStatus"),
)  # fmt: skip


@dataclass(frozen=True)
class Resource:
    kind: str
    name: str
    status: str  # "" where SageMaker keeps none (models, endpoint configs)
    version: str  # the model version tag, "" on training jobs

    def line(self) -> str:
        details = "  ".join(
            part for part in (self.status, self.version and f"version {self.version}") if part
        )
        return f"{self.kind:<16} {self.name}  {details}".rstrip()


def project_resources(clients: AwsClients) -> list[Resource]:
    return [resource for kind in _KINDS for resource in _listed(clients.sagemaker, *kind)]


def _listed(
    sagemaker: Any,
    kind: str,
    operation: str,
    result_key: str,
    name_key: str,
    arn_key: str,
    status_key: str | None,
) -> Iterator[Resource]:
    arguments = {"NameContains": BASE_JOB_NAME} if kind == "training job" else {}
    for page in sagemaker.get_paginator(operation).paginate(**arguments):
        for summary in page.get(result_key, []):
            tags = sagemaker.list_tags(ResourceArn=summary[arn_key]).get("Tags", [])
            if not is_project_resource(tags):
                continue
            version = next((tag["Value"] for tag in tags if tag["Key"] == VERSION_TAG_KEY), "")
            yield Resource(
                kind=kind,
                name=summary[name_key],
                status=str(summary.get(status_key, "")) if status_key else "",
                version=version,
            )
