from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from training.data import DEFAULT_SEED
from training.local import (
    CONFUSION_FILE_NAME,
    CROSS_VALIDATION_FOLDS,
    ROC_FILE_NAME,
    SUMMARISED,
    CrossValidation,
    LocalTrainingResult,
    cross_validate,
    train_local,
    write_outputs,
)
from training.threshold import ThresholdRule

pytestmark = pytest.mark.integration

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result() -> LocalTrainingResult:
    return train_local(DEFAULT_SEED)


@pytest.fixture(scope="module")
def cross_validation(result: LocalTrainingResult) -> CrossValidation:
    return cross_validate(result.split, ThresholdRule())


def test_ten_folds_score_every_train_and_validation_row_once_and_no_test_row(
    result: LocalTrainingResult, cross_validation: CrossValidation
) -> None:
    assert len(cross_validation.folds) == CROSS_VALIDATION_FOLDS
    development_rows = len(result.split.train.labels) + len(result.split.validation.labels)
    assert sum(fold.rows for fold in cross_validation.folds) == development_rows
    development_malignant = int(
        np.count_nonzero(result.split.train.labels)
        + np.count_nonzero(result.split.validation.labels)
    )
    assert sum(fold.malignant_rows for fold in cross_validation.folds) == development_malignant


def test_the_spread_is_the_mean_and_sample_deviation_over_folds(
    cross_validation: CrossValidation,
) -> None:

    accuracies = [fold.accuracy for fold in cross_validation.folds]
    spread = cross_validation.spread("accuracy")
    assert spread.mean == pytest.approx(np.mean(accuracies))
    assert spread.std == pytest.approx(np.std(accuracies, ddof=1))
    document = cross_validation.to_json()
    for metric in SUMMARISED:
        assert set(document[metric]) == {"mean", "std"}
    assert document["folds"] == CROSS_VALIDATION_FOLDS


def test_cross_validated_figures_for_seed_42(cross_validation: CrossValidation) -> None:
    # The figures the README quotes; cross-validation never touches the test part.
    assert cross_validation.spread("accuracy").mean == pytest.approx(0.9715, abs=5e-5)
    assert cross_validation.spread("accuracy").std == pytest.approx(0.0147, abs=5e-5)
    assert cross_validation.spread("roc_auc").mean == pytest.approx(0.9916, abs=5e-5)
    assert cross_validation.spread("roc_auc").std == pytest.approx(0.0141, abs=5e-5)


def test_cross_validation_is_the_same_for_the_same_seed(
    result: LocalTrainingResult, cross_validation: CrossValidation
) -> None:
    assert cross_validate(result.split, ThresholdRule()) == cross_validation


@pytest.fixture(scope="module")
def written(
    result: LocalTrainingResult,
    cross_validation: CrossValidation,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, ...]:
    return write_outputs(result, tmp_path_factory.mktemp("local"), cross_validation)


def test_run_local_writes_pictures_card_and_cross_validation(
    written: tuple[Path, ...], result: LocalTrainingResult, cross_validation: CrossValidation
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
    assert summary["accuracy"]["mean"] == pytest.approx(cross_validation.spread("accuracy").mean)
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
    cross_validation: CrossValidation,
    tmp_path: Path,
) -> None:
    again = write_outputs(
        train_local(DEFAULT_SEED), tmp_path, cross_validate(result.split, ThresholdRule())
    )
    for one, other in zip(written, again, strict=True):
        assert one.read_bytes() == other.read_bytes(), one.name
