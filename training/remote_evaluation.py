"""Score the held-out test rows through a real endpoint's InvokeEndpoint, in CSV batches.

The same client code the API uses (chalicelib.endpoint, chalicelib.model_answer): boto3's
``sagemaker-runtime``, which reaches the local stand-in through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME
or SageMaker itself. The labels are the endpoint's own ``predicted_label``, the AUC its scores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chalicelib.endpoint import ModelEndpoint
from chalicelib.errors import ApiError
from chalicelib.model_answer import MALIGNANT, read_predictions
from training.data import SplitPart, load_wdbc, split_wdbc
from training.errors import CloudError, TrainingError
from training.evaluate import ClassificationMetrics, metrics_of_predictions

DEFAULT_BATCH_ROWS = 100


@dataclass(frozen=True)
class RemoteEvaluation:
    metrics: ClassificationMetrics
    variants: tuple[str, ...]  # the production variants that answered
    calls: int
    seed: int


def held_out_rows(metrics_file: Path) -> tuple[SplitPart, int]:
    """The test rows a training run recorded, checked against the split its seed reproduces."""
    try:
        document = json.loads(metrics_file.read_text(encoding="utf-8"))
        split_record = document["split"]
        seed = int(split_record["seed"])
        recorded = [int(row) for row in split_record["test_rows"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TrainingError(
            f"{metrics_file} holds no split record (split.seed, split.test_rows): "
            f"{type(error).__name__}"
        ) from None
    test = split_wdbc(load_wdbc(), seed).test
    if test.row_indices.tolist() != recorded:
        raise TrainingError(
            f"{metrics_file} records other test rows than seed {seed} gives: not this data set"
        )
    return test, seed


def evaluate_endpoint(
    endpoint: ModelEndpoint, rows: SplitPart, seed: int, batch_rows: int = DEFAULT_BATCH_ROWS
) -> RemoteEvaluation:
    if batch_rows < 1:
        raise ValueError("a batch needs at least one row")
    labels: list[bool] = []
    scores: list[float] = []
    variants: list[str] = []
    calls = 0
    for start in range(0, len(rows.labels), batch_rows):
        batch = rows.features[start : start + batch_rows].tolist()
        try:
            answer = endpoint.invoke(batch)
            predictions = read_predictions(answer, len(batch))
        except ApiError as error:
            raise CloudError(
                f"endpoint {endpoint.name} failed on rows {start + 1}..{start + len(batch)}: "
                f"{error}"
            ) from None
        calls += 1
        if answer.variant and answer.variant not in variants:
            variants.append(answer.variant)
        labels.extend(prediction.label == MALIGNANT for prediction in predictions)
        scores.extend(prediction.probability_malignant for prediction in predictions)
    metrics = metrics_of_predictions(
        rows.labels, np.array(labels, dtype=np.bool_), np.array(scores, dtype=np.float64)
    )
    return RemoteEvaluation(metrics=metrics, variants=tuple(variants), calls=calls, seed=seed)


def runtime_endpoint(name: str, client: Any) -> ModelEndpoint:
    return ModelEndpoint(name, lambda: client)
