from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer

from tests.rows import FEATURE_NAMES
from training import TrainingError
from training.artifact import ModelArtifact, load_artifact
from training.data import BENIGN, DEFAULT_SEED, MALIGNANT
from training.local import (
    C_GRID,
    METRICS_FILE_NAME,
    MODEL_FILE_NAME,
    MODEL_NAME,
    THRESHOLD_MARGIN,
    LocalTrainingResult,
    choose_threshold,
    classification_metrics,
    require_malignant_is_class_one,
    train_local,
    write_outputs,
)


@pytest.fixture(scope="module")
def result() -> LocalTrainingResult:
    return train_local(DEFAULT_SEED)


def artifact_probability_malignant(artifact: ModelArtifact, features: Any) -> Any:
    """The artifact's documented formula, written out in numpy from its fields alone."""
    standardised = (features - np.array(artifact.means)) / np.array(artifact.scales)
    logits = artifact.intercept + standardised @ np.array(artifact.weights)
    return 1.0 / (1.0 + np.exp(-logits))


# The threshold rule, on validation sets small enough to work out by hand.


def test_threshold_is_the_midpoint_of_the_gap_that_separates_the_classes() -> None:
    probabilities = np.array([0.1, 0.3, 0.6, 0.8])
    labels = np.array([0, 0, 1, 1])
    assert choose_threshold(probabilities, labels) == pytest.approx(0.45)


def test_threshold_moves_up_to_the_middle_of_the_gap_accuracy_needs() -> None:
    # Two benign rows above 0.5: only thresholds in (0.67, 0.92] get all four right.
    probabilities = np.array([0.1, 0.65, 0.67, 0.92])
    labels = np.array([0, 0, 0, 1])
    assert choose_threshold(probabilities, labels) == pytest.approx(0.795)


def test_threshold_moves_down_to_the_middle_below_the_lowest_malignant_row() -> None:
    # Malignant rows at 0.3 and 0.4: thresholds in (0.1, 0.3] get all four right.
    probabilities = np.array([0.1, 0.3, 0.4, 0.9])
    labels = np.array([0, 1, 1, 1])
    assert choose_threshold(probabilities, labels) == pytest.approx(0.2)


def test_threshold_prefers_accuracy_to_closeness() -> None:
    # The gap around 0.5 misclassifies the 0.45 malignant row; the gap below it gets all right.
    probabilities = np.array([0.2, 0.45, 0.9])
    labels = np.array([0, 1, 1])
    assert choose_threshold(probabilities, labels) == pytest.approx(0.325)


def test_threshold_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="as many"):
        choose_threshold(np.array([0.2, 0.4]), np.array([1]))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=1.0), st.sampled_from([BENIGN, MALIGNANT])),
        min_size=1,
        max_size=30,
    )
)
def test_threshold_is_inside_zero_one_and_no_other_threshold_is_more_accurate(
    rows: list[tuple[float, int]],
) -> None:
    probabilities = np.array([probability for probability, _ in rows])
    labels = np.array([label for _, label in rows])
    threshold = choose_threshold(probabilities, labels)
    assert THRESHOLD_MARGIN <= threshold <= 1.0 - THRESHOLD_MARGIN

    def correct(candidate: float) -> int:
        return int(np.count_nonzero((probabilities >= candidate) == (labels == MALIGNANT)))

    others = np.linspace(THRESHOLD_MARGIN, 1.0 - THRESHOLD_MARGIN, 101).tolist()
    others += [p for p in probabilities.tolist() if THRESHOLD_MARGIN <= p <= 1 - THRESHOLD_MARGIN]
    assert all(correct(threshold) >= correct(other) for other in others)


# The trained model and its artifact.


def test_logistic_regression_classes_are_benign_then_malignant(
    result: LocalTrainingResult,
) -> None:
    assert [int(label) for label in result.fitted["classifier"].classes_] == [BENIGN, MALIGNANT]


@pytest.mark.parametrize("classes", [[1, 0], [0, 1, 2], [-1, 1]])
def test_any_other_class_order_is_refused(classes: list[int]) -> None:
    with pytest.raises(TrainingError, match="1 = malignant"):
        require_malignant_is_class_one(np.array(classes))


def test_artifact_reproduces_sklearn_on_every_test_row(
    result: LocalTrainingResult, tmp_path: Path
) -> None:
    write_outputs(result, tmp_path)
    artifact = load_artifact(tmp_path / MODEL_FILE_NAME)
    test_features = result.split.test.features
    classifier, scaler = result.fitted["classifier"], result.fitted["scaler"]
    reference = classifier.predict_proba(scaler.transform(test_features))[:, 1]
    np.testing.assert_allclose(
        artifact_probability_malignant(artifact, test_features), reference, rtol=0, atol=1e-12
    )


def test_a_large_malignant_tumour_in_the_test_part_is_labelled_1(
    result: LocalTrainingResult,
) -> None:
    # Malignant here is scikit-learn's own coding (target 0), so a relabelling slip cannot hide.
    sklearn_target = load_breast_cancer().target
    test_rows = result.split.test.row_indices
    area_worst = result.split.test.features[:, FEATURE_NAMES.index("area_worst")]
    sklearn_malignant = sklearn_target[test_rows] == 0
    largest_malignant = int(np.argmax(np.where(sklearn_malignant, area_worst, -np.inf)))
    smallest_benign = int(np.argmin(np.where(~sklearn_malignant, area_worst, np.inf)))
    probabilities = artifact_probability_malignant(result.artifact, result.split.test.features)
    threshold = result.artifact.threshold
    assert probabilities[largest_malignant] >= threshold
    assert probabilities[smallest_benign] < threshold


def test_test_metrics_are_those_of_a_sound_model(result: LocalTrainingResult) -> None:
    # A floor, not the README's figures: a relabelling or scaling slip lands far below it.
    assert result.test_metrics["accuracy"] >= 0.95
    assert result.test_metrics["roc_auc"] >= 0.99


def test_metrics_agree_with_the_artifact_and_the_threshold(result: LocalTrainingResult) -> None:
    test = result.split.test
    probabilities = artifact_probability_malignant(result.artifact, test.features)
    recomputed = classification_metrics(
        test.labels, probabilities >= result.artifact.threshold, probabilities
    )
    assert recomputed == result.test_metrics
    assert result.artifact.metrics["test"] == result.test_metrics
    assert result.artifact.metrics["validation"] == result.validation_metrics
    assert result.test_metrics["rows"] == len(test.labels)
    malignant = int(np.count_nonzero(test.labels == MALIGNANT))
    assert result.test_metrics["malignant_rows"] == malignant
    counts = result.test_metrics["confusion_matrix"]
    assert counts["tp"] + counts["fn"] == malignant


def test_c_is_the_grid_value_with_the_lowest_cross_validated_log_loss(
    result: LocalTrainingResult,
) -> None:
    losses = result.artifact.metrics["cross_validation"]["mean_log_loss_by_C"]
    assert tuple(losses) == tuple(map(repr, C_GRID))
    assert result.artifact.training["C"] == float(min(losses, key=losses.__getitem__))
    assert result.artifact.training["C"] == result.fitted["classifier"].C


def test_threshold_is_the_validation_rule_applied(result: LocalTrainingResult) -> None:
    validation = result.split.validation
    expected = choose_threshold(
        result.fitted.predict_proba(validation.features)[:, 1], validation.labels
    )
    assert result.artifact.threshold == expected
    assert 0.0 < result.artifact.threshold < 1.0


def test_feature_ranges_span_the_train_rows_only(result: LocalTrainingResult) -> None:
    train_features = result.split.train.features
    ranges = result.artifact.feature_ranges
    assert tuple(ranges) == FEATURE_NAMES
    assert [low for low, _ in ranges.values()] == train_features.min(axis=0).tolist()
    assert [high for _, high in ranges.values()] == train_features.max(axis=0).tolist()


def test_training_record(result: LocalTrainingResult) -> None:
    artifact = result.artifact
    assert artifact.name == MODEL_NAME
    assert artifact.training["seed"] == DEFAULT_SEED
    assert artifact.training["C"] == result.fitted["classifier"].C
    assert artifact.training["split_sizes"] == {"train": 341, "validation": 114, "test": 114}
    assert artifact.training["sklearn_version"] == sklearn.__version__


def test_artifact_holds_only_plain_json_values(result: LocalTrainingResult) -> None:
    def assert_plain(value: object) -> None:
        if isinstance(value, dict):
            assert all(type(key) is str for key in value)
            for item in value.values():
                assert_plain(item)
        elif isinstance(value, list):
            for item in value:
                assert_plain(item)
        else:
            assert type(value) in (str, int, float, bool), type(value)
            if type(value) is float:
                assert math.isfinite(value)

    assert_plain(result.artifact.to_json())


def test_metrics_file_names_the_model_and_the_held_out_rows(
    result: LocalTrainingResult, tmp_path: Path
) -> None:
    model_path, metrics_path = write_outputs(result, tmp_path)
    assert (model_path.name, metrics_path.name) == (MODEL_FILE_NAME, METRICS_FILE_NAME)
    document = json.loads(metrics_path.read_text(encoding="utf-8"))
    assert document["model"] == {"name": MODEL_NAME, "version": result.artifact.version}
    assert document["metrics"]["test"] == result.test_metrics
    split = document["split"]
    assert split["seed"] == DEFAULT_SEED
    assert split["test_rows"] == result.split.test.row_indices.tolist()
    assert split["validation_rows"] == result.split.validation.row_indices.tolist()
    assert split["train_rows"] == result.split.train.row_indices.tolist()


def test_same_seed_writes_a_byte_identical_model(tmp_path: Path) -> None:
    first_model, first_metrics = write_outputs(train_local(DEFAULT_SEED), tmp_path / "first")
    second_model, second_metrics = write_outputs(train_local(DEFAULT_SEED), tmp_path / "second")
    assert first_model.read_bytes() == second_model.read_bytes()
    assert first_metrics.read_bytes() == second_metrics.read_bytes()
