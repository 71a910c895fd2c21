"""Shared helpers for the stand-in's tests: a made-up model whose answers are known by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3
from botocore.config import Config

from tests.rows import FEATURE_COUNT
from training.artifact import ModelArtifact

ENDPOINT_NAME = "wdbc-test"
# A value that must never appear in an error message or a log line.
SENTINEL = "123.456789"


def make_artifact(
    *,
    weights: Sequence[float] | None = None,
    means: Sequence[float] | None = None,
    scales: Sequence[float] | None = None,
    intercept: float = 0.0,
    threshold: float = 0.5,
) -> ModelArtifact:
    """By default only the first feature counts: margin = x_0, so score = sigmoid(x_0)."""
    return ModelArtifact(
        name="made-up",
        means=tuple(means or (0.0,) * FEATURE_COUNT),
        scales=tuple(scales or (1.0,) * FEATURE_COUNT),
        weights=tuple(weights or (1.0,) + (0.0,) * (FEATURE_COUNT - 1)),
        intercept=intercept,
        threshold=threshold,
    )


def csv_row(first: float | str = 0.0, count: int = FEATURE_COUNT) -> str:
    """A CSV row whose first value is `first` and whose other values are 1."""
    return ",".join([str(first)] + ["1"] * (count - 1))


def bad_csv_row() -> str:
    """29 values, one of them the sentinel."""
    return csv_row(SENTINEL, FEATURE_COUNT - 1)


def runtime_client(endpoint_url: str | None) -> Any:
    """A sagemaker-runtime client that never retries, so each test sees exactly one answer."""
    session = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
    )
    return session.client(
        "sagemaker-runtime",
        endpoint_url=endpoint_url,
        config=Config(retries={"total_max_attempts": 1}),
    )
