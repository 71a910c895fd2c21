from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from training.data import DEFAULT_SEED, SUMMARISED
from training.local import (
    CONFUSION_FILE_NAME,
    CROSS_VALIDATION_FOLDS,
    ROC_FILE_NAME,
    LocalTrainingResult,
    ThresholdRule,
    cross_validate,
    train_local,
    write_outputs,
)

pytestmark = pytest.mark.integration

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result() -> LocalTrainingResult:
    return train_local(DEFAULT_SEED)


Folds = list[dict[str, Any]]
Summary = dict[str, Any]


@pytest.fixture(scope="module")
def folds_and_summary(result: LocalTrainingResult) -> tuple[Folds, Summary]:
    return cross_validate(result.split, ThresholdRule())


@pytest.fixture(scope="module")
def folds(folds_and_summary: tuple[Folds, Summary]) -> Folds:
    return folds_and_summary[0]


@pytest.fixture(scope="module")
def cross_validation(folds_and_summary: tuple[Folds, Summary]) -> Summary:
    return folds_and_summary[1]


def test_ten_folds_score_every_train_and_validation_row_once_and_no_test_row(
    result: LocalTrainingResult, folds: Folds, cross_validation: Summary
) -> None:
    assert len(folds) == cross_validation["folds"] == CROSS_VALIDATION_FOLDS
    development_rows = len(result.split.train.labels) + len(result.split.validation.labels)
    assert sum(fold["rows"] for fold in folds) == cross_validation["rows"] == development_rows
    development_malignant = int(
        np.count_nonzero(result.split.train.labels)
        + np.count_nonzero(result.split.validation.labels)
    )
    assert sum(fold["malignant_rows"] for fold in folds) == development_malignant
    missed = sum(fold["confusion_matrix"]["fn"] for fold in folds)
    assert cross_validation["false_negatives"] == missed


def test_the_spread_is_the_mean_and_sample_deviation_over_folds(
    folds: Folds, cross_validation: Summary
) -> None:
    accuracies = [fold["accuracy"] for fold in folds]
    assert cross_validation["accuracy"]["mean"] == pytest.approx(np.mean(accuracies))
    assert cross_validation["accuracy"]["std"] == pytest.approx(np.std(accuracies, ddof=1))
    for metric in SUMMARISED:
        assert set(cross_validation[metric]) == {"mean", "std"}


def test_cross_validated_figures_for_seed_42(cross_validation: Summary) -> None:
    # The figures the README quotes; cross-validation never touches the test part.
    assert cross_validation["accuracy"]["mean"] == pytest.approx(0.9715, abs=5e-5)
    assert cross_validation["accuracy"]["std"] == pytest.approx(0.0147, abs=5e-5)
    assert cross_validation["roc_auc"]["mean"] == pytest.approx(0.9916, abs=5e-5)
    assert cross_validation["roc_auc"]["std"] == pytest.approx(0.0141, abs=5e-5)


def test_cross_validation_is_the_same_for_the_same_seed(
    result: LocalTrainingResult, folds_and_summary: tuple[Folds, Summary]
) -> None:
    assert cross_validate(result.split, ThresholdRule()) == folds_and_summary


@pytest.fixture(scope="module")
def written(
    result: LocalTrainingResult,
    cross_validation: Summary,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, ...]:
    return write_outputs(result, tmp_path_factory.mktemp("local"), cross_validation)


def test_run_local_writes_pictures_card_and_cross_validation(
    written: tuple[Path, ...], result: LocalTrainingResult, cross_validation: Summary
) -> None:
    tmp_path = written[0].parent
    names = [path.name for path in written]
    assert names == [
        "model.json",
        "metrics.json",
        ROC_FILE_NAME,
        CONFUSION_FILE_NAME,
        "model_card.md",
    ]
    for picture in (ROC_FILE_NAME, CONFUSION_FILE_NAME):
        assert (tmp_path / picture).read_bytes().startswith(PNG_SIGNATURE)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    summary = metrics["metrics"]["cross_validation_10_fold"]
    assert summary == cross_validation
    assert summary["threshold_rule"]["rule"] == "accuracy"
    card = (tmp_path / "model_card.md").read_text()
    for heading in ("## Data", "## Intended use", "## Metrics", "## Limits"):
        assert heading in card
    assert "not a diagnostic device" in card.lower()
    assert f"version {result.artifact.version}" in card
    assert "10-fold CV, mean ± std" in card


def test_the_same_seed_writes_the_same_bytes_every_time(
    written: tuple[Path, ...],
    result: LocalTrainingResult,
    cross_validation: Summary,
    tmp_path: Path,
) -> None:
    again = write_outputs(
        train_local(DEFAULT_SEED), tmp_path, cross_validate(result.split, ThresholdRule())[1]
    )
    for one, other in zip(written, again, strict=True):
        assert one.read_bytes() == other.read_bytes(), one.name
