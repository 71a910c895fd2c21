from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.model_selection import RepeatedStratifiedKFold

from chalicelib.contract import load_contract
from training.data import DEFAULT_SEED, SplitPart, take
from training.local import (
    CONFUSION_FILE_NAME,
    ROC_FILE_NAME,
    LocalTrainingResult,
    train_local,
    write_outputs,
)
from training.procedure import (
    fit_model,
    metric_labels,
    part_metrics,
    predict,
    repeated_nested_cv,
)
from training.threshold import ThresholdRule

WDBC = load_contract("wdbc")
SUMMARISED = tuple(metric_labels(WDBC))
MISSES = "misses_per_212_malignant"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SMALL = {"repeats": 2, "folds": 3}  # the whole procedure, on fewer folds: seconds, not tens


@pytest.fixture(scope="module")
def result() -> LocalTrainingResult:
    return train_local(seed=DEFAULT_SEED)


@pytest.fixture(scope="module")
def small(result: LocalTrainingResult) -> dict[str, Any]:
    return repeated_nested_cv(result.split, WDBC, ThresholdRule(), **SMALL)


def test_the_summary_names_its_repeats_folds_rows_and_rule(small: dict[str, Any]) -> None:
    assert (small["repeats"], small["folds"], small["rows"]) == (2, 3, 455)
    assert small["seed"] == DEFAULT_SEED
    assert small["threshold_rule"] == ThresholdRule().to_json()
    for metric in (*SUMMARISED, MISSES, "threshold"):
        assert set(small[metric]) == {"mean", "std"}
    recall = small["malignant_recall"]["mean"]
    assert small[MISSES]["mean"] == pytest.approx((1 - recall) * 212)


def test_each_outer_fold_runs_the_whole_procedure_on_the_others_alone(
    result: LocalTrainingResult, small: dict[str, Any]
) -> None:
    # The outer loop written out: each fold is scored at the threshold its own fit chose.
    development, rule = result.split.development(), ThresholdRule()
    outer = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=DEFAULT_SEED)
    folds = []
    for fit_rows, held_rows in outer.split(development.features, development.labels):
        model = fit_model(take(development, fit_rows), WDBC, rule, DEFAULT_SEED)
        held = take(development, held_rows)
        scores = predict(model.estimator, WDBC, held.features)
        folds.append(part_metrics(WDBC, held.labels, scores, model.threshold))
    assert len(folds) == 6
    for metric in SUMMARISED:
        values = [fold[metric] for fold in folds]
        assert small[metric]["mean"] == pytest.approx(np.mean(values), rel=1e-12)
        assert small[metric]["std"] == pytest.approx(np.std(values, ddof=1), rel=1e-12)


def test_the_test_rows_take_no_part(result: LocalTrainingResult, small: dict[str, Any]) -> None:
    # Test rows of NaN: scikit-learn refuses NaN, so any use of them would fail loudly.
    test = result.split.test
    poisoned = SplitPart(np.full_like(test.features, np.nan), test.labels, test.row_indices)
    split = result.split._replace(test=poisoned)
    assert repeated_nested_cv(split, WDBC, ThresholdRule(), **SMALL) == small


@pytest.fixture(scope="module")
def written(
    result: LocalTrainingResult, small: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ...]:
    return write_outputs(result, tmp_path_factory.mktemp("local"), small)


def test_run_local_writes_pictures_card_and_nested_cross_validation(
    written: tuple[Path, ...], result: LocalTrainingResult, small: dict[str, Any]
) -> None:
    tmp_path = written[0].parent
    names = [path.name for path in written]
    assert names == [
        "model.json",
        "metrics.json",
        "contract.json",
        ROC_FILE_NAME,
        CONFUSION_FILE_NAME,
        "model_card.md",
    ]
    for picture in (ROC_FILE_NAME, CONFUSION_FILE_NAME):
        assert (tmp_path / picture).read_bytes().startswith(PNG_SIGNATURE)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["metrics"]["repeated_nested_cv"] == small
    assert metrics["metrics"]["test"] == result.test_metrics
    card = (tmp_path / "model_card.md").read_text()
    for heading in ("## Data", "## Intended use", "## Metrics", "## Limits"):
        assert heading in card
    assert "not a diagnostic device" in card.lower()
    assert f"version {result.artifact.version}" in card
    assert f"decision threshold, {result.artifact.threshold:.4f}: the midpoint" in card
    assert "| 2 x 3 nested CV, mean ± std |" in card


def test_the_same_seed_writes_the_same_bytes_every_time(
    written: tuple[Path, ...], tmp_path: Path
) -> None:
    again = train_local(seed=DEFAULT_SEED)
    rewritten = write_outputs(
        again, tmp_path, repeated_nested_cv(again.split, WDBC, ThresholdRule(), **SMALL)
    )
    for one, other in zip(written, rewritten, strict=True):
        assert one.read_bytes() == other.read_bytes(), one.name
