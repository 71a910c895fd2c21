from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy
import sklearn
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from tests.support.rows import FEATURE_NAMES
from training.artifact import ModelArtifact, load_artifact
from training.data import DEFAULT_SEED
from training.local import METRICS_FILE_NAME, LocalTrainingResult, train_local, write_outputs
from training.procedure import C_GRID, part_metrics
from training.threshold import ThresholdRule

MODEL_FILE_NAME, MODEL_NAME = "model.json", "wdbc-logistic-regression"
MALIGNANT, BENIGN = 1, 0


@pytest.fixture(scope="module")
def result() -> LocalTrainingResult:
    return train_local(seed=DEFAULT_SEED)


def artifact_probability_malignant(artifact: ModelArtifact, features: Any) -> Any:
    """The artifact's documented formula, written out in numpy from its fields alone."""
    standardised = (features - np.array(artifact.means)) / np.array(artifact.scales)
    logits = artifact.intercept + standardised @ np.array(artifact.weights)
    return 1.0 / (1.0 + np.exp(-logits))


# The trained model and its artifact.


def test_logistic_regression_classes_are_benign_then_malignant(
    result: LocalTrainingResult,
) -> None:
    assert [int(label) for label in result.fitted["classifier"].classes_] == [BENIGN, MALIGNANT]


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
    assert isinstance(result.artifact, ModelArtifact)
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
    test, threshold, contract = result.split.test, result.artifact.threshold, result.contract
    assert isinstance(result.artifact, ModelArtifact)
    probabilities = artifact_probability_malignant(result.artifact, test.features)
    recomputed = part_metrics(contract, test.labels, probabilities, threshold)
    assert recomputed == result.test_metrics
    development = result.split.development()
    assert result.metrics["out_of_fold"] == part_metrics(
        contract, development.labels, result.out_of_fold, threshold
    )
    assert result.test_metrics["rows"] == len(test.labels)
    malignant = int(np.count_nonzero(test.labels == MALIGNANT))
    assert result.test_metrics["malignant_rows"] == malignant
    counts = result.test_metrics["confusion_matrix"]
    assert counts["tp"] + counts["fn"] == malignant


def test_c_is_the_grid_value_with_the_lowest_cross_validated_log_loss(
    result: LocalTrainingResult,
) -> None:
    losses = result.metrics["cross_validation"]["mean_log_loss_by_C"]
    assert tuple(losses) == tuple(map(repr, C_GRID))
    assert result.training["C"] == float(min(losses, key=losses.__getitem__))
    assert result.training["C"] == result.fitted["classifier"].C


def test_out_of_fold_probabilities_come_from_models_that_never_saw_the_row(
    result: LocalTrainingResult,
) -> None:
    # Written out fold by fold: five fits of the chosen C, each scoring the fifth it left out.
    development = result.split.development()
    features, labels = development.features, development.labels
    expected = np.full(len(labels), np.nan)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=DEFAULT_SEED)
    for fit_rows, held_rows in folds.split(features, labels):
        scaler = StandardScaler().fit(features[fit_rows])
        classifier = LogisticRegression(
            C=result.training["C"], solver="newton-cholesky", tol=1e-12
        ).fit(scaler.transform(features[fit_rows]), labels[fit_rows])
        expected[held_rows] = classifier.predict_proba(scaler.transform(features[held_rows]))[:, 1]
    np.testing.assert_allclose(result.out_of_fold, expected, rtol=0, atol=1e-9)


def test_threshold_is_the_rule_applied_to_the_out_of_fold_probabilities(
    result: LocalTrainingResult,
) -> None:
    labels = result.split.development().labels
    assert result.artifact.threshold == ThresholdRule().choose(result.out_of_fold, labels)
    assert 0.0 < result.artifact.threshold < 0.5  # F2 flags more than a coin's threshold would


def test_the_fit_reaches_the_optimum_of_its_objective(result: LocalTrainingResult) -> None:
    # The gradient of C * (sum of log losses) + |w|^2 / 2, at the artifact's own parameters on
    # the rows it was fitted on: zero at the optimum. lbfgs, whose tolerance scikit-learn floors,
    # leaves about 2e-6 here at any tol, and 3e-2 at its default.
    artifact, development = result.artifact, result.split.development()
    assert isinstance(artifact, ModelArtifact)
    standardised = (development.features - np.array(artifact.means)) / np.array(artifact.scales)
    residuals = artifact_probability_malignant(artifact, development.features) - development.labels
    c = result.training["C"]
    gradient = np.r_[
        np.array(artifact.weights) + c * standardised.T @ residuals, c * residuals.sum()
    ]
    assert np.abs(gradient).max() <= 1e-8


def test_the_contract_gets_the_ranges_of_the_rows_the_model_was_fitted_on(
    result: LocalTrainingResult,
) -> None:
    fitted_on = result.split.development().features
    features = result.contract.features
    assert tuple(feature.name for feature in features) == FEATURE_NAMES
    assert [f.training_range[0] for f in features] == fitted_on.min(axis=0).tolist()
    assert [f.training_range[1] for f in features] == fitted_on.max(axis=0).tolist()
    assert result.contract.threshold == result.artifact.threshold


def test_training_record(result: LocalTrainingResult) -> None:
    training = result.training
    assert result.artifact.name == MODEL_NAME
    assert training["seed"] == DEFAULT_SEED
    assert training["C"] == result.fitted["classifier"].C
    assert training["split_sizes"] == {"train": 341, "validation": 114, "test": 114}
    assert training["fit_rows"] == 455
    assert training["threshold_rule"] == ThresholdRule().to_json()
    assert training["versions"] == {
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
        "numpy": np.__version__,
    }


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

    assert isinstance(result.artifact, ModelArtifact)
    assert_plain(result.artifact.to_json())
    assert_plain(result.record())


def test_metrics_file_names_the_model_and_the_held_out_rows(
    result: LocalTrainingResult, tmp_path: Path
) -> None:
    model_path, metrics_path, contract_path = write_outputs(result, tmp_path)
    assert (model_path.name, metrics_path.name) == (MODEL_FILE_NAME, METRICS_FILE_NAME)
    assert json.loads(contract_path.read_text(encoding="utf-8")) == result.document
    document = json.loads(metrics_path.read_text(encoding="utf-8"))
    assert document["model"] == {
        "name": MODEL_NAME,
        "version": result.artifact.version,
        "contract": "wdbc",
        "threshold": result.artifact.threshold,
    }
    assert document["training"] == result.training
    assert document["metrics"]["test"] == result.test_metrics
    split = document["split"]
    assert split["seed"] == DEFAULT_SEED
    assert split["test_rows"] == result.split.test.row_indices.tolist()
    assert split["validation_rows"] == result.split.validation.row_indices.tolist()
    assert split["train_rows"] == result.split.train.row_indices.tolist()


def test_same_seed_writes_a_byte_identical_model(tmp_path: Path) -> None:
    first = write_outputs(train_local(seed=DEFAULT_SEED), tmp_path / "first")
    second = write_outputs(train_local(seed=DEFAULT_SEED), tmp_path / "second")
    for one, other in zip(first, second, strict=True):
        assert one.read_bytes() == other.read_bytes(), one.name
