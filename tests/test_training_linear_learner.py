from __future__ import annotations

import numpy as np
import pytest

from deploy.endpoint import DeployRequest, is_project_resource, model_version, project_tags
from tests.rows import WDBC
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
