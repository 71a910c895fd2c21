"""Names and tags of what this project creates on SageMaker: one place, so status and delete
find exactly what deploy made.

A deployed model is owned by one endpoint: model ``<endpoint>-<version>``, endpoint config
``<endpoint>-<version>-<UTC time>``, production variant ``<version>``. The API reports the
variant that answered as the model version, so the variant is named exactly that: the same 12
hex digits the model card and the stand-in (whose variant defaults to the version) report.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime

from training.errors import BadName

PROJECT_TAG_KEY = "project"
PROJECT = "wdbc-predictor"  # the Chalice app_name
VERSION_TAG_KEY = "wdbc:model-version"
SEED_TAG_KEY = "wdbc:seed"
TRAINING_JOB_TAG_KEY = "wdbc:training-job"

BASE_JOB_NAME = "wdbc-linear-learner"
# Endpoint config names hold the endpoint name, the 12-digit version and a 14-digit time, and
# SageMaker allows 63 characters in all.
MAX_ENDPOINT_NAME = 35
_ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")


def check_endpoint_name(name: str) -> str:
    if not _ENDPOINT_NAME.match(name) or len(name) > MAX_ENDPOINT_NAME:
        raise BadName(
            f"endpoint name {name!r} must be at most {MAX_ENDPOINT_NAME} letters, digits and "
            "inner hyphens"
        )
    return name


def model_version(model_data_url: str) -> str:
    """A SageMaker model's version: a content address of where its trained artifact lives.

    The training job's name is unique, and the URL holds it, so each job gives a new version.
    """
    return hashlib.sha256(model_data_url.encode("utf-8")).hexdigest()[:12]


def variant_name(version: str) -> str:
    return version


def model_name(endpoint: str, version: str) -> str:
    return f"{endpoint}-{version}"


def endpoint_config_name(endpoint: str, version: str, now: datetime) -> str:
    return f"{endpoint}-{version}-{now:%Y%m%d%H%M%S}"


def project_tags(extra: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """The project tag every resource carries, plus any of the ``wdbc:`` tags above."""
    return [{"Key": PROJECT_TAG_KEY, "Value": PROJECT}] + [
        {"Key": key, "Value": value} for key, value in (extra or {}).items()
    ]


def is_project_resource(tags: list[dict[str, str]]) -> bool:
    return {"Key": PROJECT_TAG_KEY, "Value": PROJECT} in tags
