from __future__ import annotations

import numpy as np
import pytest

from chalicelib.contract import load_contract
from deploy.endpoint import DeployRequest, model_version
from tests.support.rows import WDBC
from training.aws import is_project_resource, project_tags
from training.data import DEFAULT_SEED, contract_split
from training.sagemaker import channel_csv, hyperparameters, job_metrics, metrics_with_counts
from training.threshold import ThresholdRule

MALIGNANT = 1


def test_channels_are_label_first_without_a_header() -> None:
    part = contract_split(WDBC, DEFAULT_SEED).test
    lines = channel_csv(part, WDBC).decode("ascii").splitlines()
    assert len(lines) == len(part.labels)
    first = lines[0].split(",")
    assert len(first) == 31
    assert first[0] == str(int(part.labels[0]))
    assert [float(value) for value in first[1:]] == part.features[0].tolist()
    assert {line.split(",")[0] for line in lines} == {"0", "1"}
    malignant = sum(line.startswith("1,") for line in lines)
    assert malignant == int(np.count_nonzero(part.labels == MALIGNANT))


@pytest.mark.parametrize(
    ("rule", "criterion", "setting"),
    [
        (ThresholdRule(), "f_beta", {"f_beta": "2.0"}),
        (ThresholdRule("f-beta", beta=1.5), "f_beta", {"f_beta": "1.5"}),
        (ThresholdRule("accuracy", beta=3.0), "accuracy", {}),
        (ThresholdRule("target-recall", target_recall=0.975), "precision_at_target_recall",
         {"target_recall": "0.975"}),
    ],
)  # fmt: skip
def test_linear_learner_is_set_to_the_same_rule(
    rule: ThresholdRule, criterion: str, setting: dict[str, str]
) -> None:
    values = hyperparameters(WDBC, rule)
    rest = {"predictor_type", "feature_dim", "normalize_data", "mini_batch_size"}
    assert {key: values[key] for key in set(values) - rest} == {
        "binary_classifier_model_selection_criteria": criterion,
        **setting,
    }
    assert all(isinstance(value, str) for value in values.values())


def test_a_regressions_channel_holds_its_values_as_they_are() -> None:
    diabetes = load_contract("diabetes")
    part = contract_split(diabetes, DEFAULT_SEED).train
    first = channel_csv(part, diabetes).decode("ascii").splitlines()[0].split(",")
    assert [float(value) for value in first] == [part.labels[0], *part.features[0].tolist()]
    assert len(first) == 11


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("wine", {"predictor_type": "multiclass_classifier", "feature_dim": "13",
                  "num_classes": "3", "normalize_data": "true", "mini_batch_size": "100"}),
        ("diabetes", {"predictor_type": "regressor", "feature_dim": "10",
                      "normalize_data": "true", "mini_batch_size": "100"}),
        ("wdbc-xgboost", {"objective": "binary:logistic", "num_round": "100", "max_depth": "3",
                          "eta": "0.1", "tree_method": "hist", "eval_metric": "logloss,auc"}),
    ],
)  # fmt: skip
def test_the_job_trains_the_task_its_contract_names(model: str, expected: dict[str, str]) -> None:
    # No threshold criterion but for a binary Linear Learner: the rule is not asked for.
    assert hyperparameters(load_contract(model), ThresholdRule("accuracy")) == expected


def test_final_metrics_are_renamed_and_other_parts_dropped() -> None:
    metrics = job_metrics(
        [
            {"MetricName": "test:binary_classification_accuracy", "Value": 0.97},
            {"MetricName": "validation:roc_auc_score", "Value": 0.99},
            {"MetricName": "train:progress", "Value": 100},
            {"MetricName": "test:dcg", "Value": 1.0},
            {"MetricName": "test:recall", "Value": "n/a"},
        ],
        WDBC,
    )
    assert metrics == {"test": {"accuracy": 0.97}, "validation": {"roc_auc": 0.99}}


def test_each_algorithms_metrics_are_named_for_the_task() -> None:
    final = [
        {"MetricName": "test:recall", "Value": 0.9},
        {"MetricName": "test:mse", "Value": 2500.0},
        {"MetricName": "test:absolute_loss", "Value": 40.0},
        {"MetricName": "validation:mlogloss", "Value": 0.1},
        {"MetricName": "validation:auc", "Value": 0.99},
        {"MetricName": "train:auc", "Value": 1.0},
    ]
    assert job_metrics(final, WDBC)["test"] == {"malignant_recall": 0.9, "rmse": 50.0, "mae": 40.0}
    # A multiclass or regression job's recall would be no positive class's: it is left out.
    assert job_metrics(final, load_contract("wine")) == {
        "test": {"rmse": 50.0, "mae": 40.0},
        "validation": {"log_loss": 0.1, "roc_auc": 0.99},
    }


def test_counts_are_implied_only_when_the_rates_agree() -> None:
    rates = {
        "accuracy": 110 / 114,
        "malignant_recall": 40 / 42,
        "malignant_precision": 40 / 42,
        "roc_auc": 0.99,
    }
    counted = metrics_with_counts(rates, 42, 72, WDBC)
    assert counted is not None
    assert counted["confusion_matrix"] == {"tn": 70, "fp": 2, "fn": 2, "tp": 40}
    assert metrics_with_counts({**rates, "accuracy": 0.5}, 42, 72, WDBC) is None
    assert metrics_with_counts({"accuracy": 1.0}, 42, 72, WDBC) is None
    no_positives = {
        **rates,
        "malignant_recall": 0.0,
        "malignant_precision": 0.0,
        "accuracy": 72 / 114,
    }
    assert metrics_with_counts(no_positives, 42, 72, WDBC) is not None


@pytest.mark.parametrize("name", ["wdbc-dev", "a", "W1-2-3"])
def test_endpoint_names_sagemaker_accepts(name: str) -> None:
    assert DeployRequest(name).endpoint == name


def test_names_and_tags() -> None:
    version = model_version("s3://b/out/job-1/output/model.tar.gz")
    assert len(version) == 12
    assert version != model_version("s3://b/out/job-2/output/model.tar.gz")
    tags = {tag["Key"]: tag["Value"] for tag in project_tags({"wdbc:seed": "1"})}
    assert is_project_resource(tags)
    assert tags["wdbc:seed"] == "1"
    assert not is_project_resource({"project": "other"})
