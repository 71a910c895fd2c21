"""In-memory endpoints for the service and route tests: they record rows and answer as told;
and the real runtime client, offline, for Stubber and the connection tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.endpoint import CLIENT_CONFIG
from chalicelib.errors import ApiError
from chalicelib.model_answer import EndpointAnswer


class AnsweringEndpoint:
    def __init__(self, score: float, label: int, name: str = "wdbc-twin") -> None:
        self.name = name
        self.calls: list[list[tuple[float, ...]]] = []
        self._item = {"score": score, "predicted_label": label}

    def invoke(self, rows: Sequence[Sequence[float]]) -> EndpointAnswer:
        self.calls.append([tuple(row) for row in rows])
        body = json.dumps({"predictions": [self._item] * len(rows)})
        return EndpointAnswer(body.encode(), "application/json", "variant-1")


class FailingEndpoint:
    def __init__(self, error: Exception, name: str = "wdbc-twin") -> None:
        self.name = name
        self._error = error

    def invoke(self, rows: Sequence[Sequence[float]]) -> EndpointAnswer:
        raise self._error


class RawEndpoint:
    """Answers with exactly these bytes: for untrusted-answer tests."""

    def __init__(self, body: bytes, content_type: str = "application/json") -> None:
        self.name = "wdbc-twin"
        self._answer = EndpointAnswer(body, content_type, "variant-1")

    def invoke(self, rows: Sequence[Sequence[float]]) -> EndpointAnswer:
        return self._answer


class LinearLearnerTwin:
    """Answers every row with one Linear Learner record (`{"score": ..., ...}`), as told."""

    def __init__(self, record: dict[str, object], name: str = "toy-twin") -> None:
        self.name = name
        self.calls: list[list[tuple[float, ...]]] = []
        self._record = record

    def invoke(self, rows: Sequence[Sequence[float]]) -> EndpointAnswer:
        self.calls.append([tuple(row) for row in rows])
        body = json.dumps({"predictions": [self._record] * len(rows)})
        return EndpointAnswer(body.encode(), "application/json", "variant-1")


__all__ = ["AnsweringEndpoint", "ApiError", "FailingEndpoint", "LinearLearnerTwin", "RawEndpoint"]


def offline_client(endpoint_url: str = "http://127.0.0.1:9", **config: Any) -> Any:
    """A real sagemaker-runtime client, with the production settings (and `config`'s changes)."""
    return boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=CLIENT_CONFIG.merge(Config(**config)) if config else CLIENT_CONFIG,
    )
