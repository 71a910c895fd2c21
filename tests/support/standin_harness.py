"""Shared helpers for the stand-in's tests: a made-up model whose answers are known by hand."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from standin.model import BINARY, FORMAT, parameter_keys, version_of
from tests.support.contracts import FEATURES
from tests.support.rows import FEATURE_COUNT, FEATURE_NAMES
from training.artifact import ModelArtifact

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
        feature_names=FEATURE_NAMES,
        means=tuple(means or (0.0,) * FEATURE_COUNT),
        scales=tuple(scales or (1.0,) * FEATURE_COUNT),
        weights=tuple(weights or (1.0,) + (0.0,) * (FEATURE_COUNT - 1)),
        intercept=intercept,
        threshold=threshold,
    )


def linear_document(**changes: Any) -> dict[str, Any]:
    """A linear artifact of the features of tests/support/contracts.py (binary, margin = the first
    value, threshold 0.5), with keys changed (None removes one) and the version of what it then
    holds."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "predictor_type": BINARY,
        "feature_names": [feature["name"] for feature in FEATURES],
        "means": [0.0] * len(FEATURES),
        "scales": [1.0] * len(FEATURES),
        "weights": [1.0] + [0.0] * (len(FEATURES) - 1),
        "intercept": 0.0,
        "threshold": 0.5,
    }
    document |= changes
    document = {key: value for key, value in document.items() if value is not None}
    keys = parameter_keys(document.get("predictor_type"))
    parameters = {key: document[key] for key in keys if key in document}
    return {**document, "version": version_of(parameters)}


def xgboost_model(folder: Path, objective: str) -> Path:
    """A few trees of XGBoost's own training on wine's alcohol, malic acid and hue (the features
    of tests/support/contracts.py), saved in folder/xgboost-model.json: class 0 or not
    (binary:logistic), the cultivar (multi:softprob), the colour intensity (reg:squarederror)."""
    import xgboost
    from sklearn.datasets import load_wine

    wine = load_wine()
    targets = {
        "binary:logistic": wine.target == 0,
        "multi:softprob": wine.target,
        "reg:squarederror": wine.data[:, 9],
    }
    parameters = {"objective": objective, "max_depth": 2, "nthread": 1}
    if objective == "multi:softprob":
        parameters["num_class"] = 3
    data = xgboost.DMatrix(wine.data[:, [0, 1, 10]], label=targets[objective])
    xgboost.train(parameters, data, num_boost_round=4).save_model(folder / "xgboost-model.json")
    return folder


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
