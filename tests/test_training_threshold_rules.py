from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training.data import BENIGN, MALIGNANT
from training.local import (
    ACCURACY_RULE,
    DEFAULT_RULE,
    TARGET_RECALL_RULE,
    THRESHOLD_MARGIN,
    ThresholdRule,
    choose_threshold,
    choose_threshold_for_recall,
    train_local,
)
from training.model_card import LIMITS, RECALL_LIMITS, model_card


def test_recall_rule_takes_the_highest_gap_that_reaches_the_target() -> None:
    # Four malignant rows at 0.9, 0.8, 0.4, 0.2: 0.75 recall needs three, so the threshold sits
    # in the gap just below 0.4, halfway to the next row (0.3).
    probabilities = np.array([0.1, 0.2, 0.3, 0.4, 0.8, 0.9])
    labels = np.array([BENIGN, MALIGNANT, BENIGN, MALIGNANT, MALIGNANT, MALIGNANT])
    assert choose_threshold_for_recall(probabilities, labels, 0.75) == pytest.approx(0.35)
    assert choose_threshold_for_recall(probabilities, labels, 0.76) == pytest.approx(0.15)
    assert choose_threshold_for_recall(probabilities, labels, 0.5) == pytest.approx(0.6)


def test_recall_rule_counts_in_integers() -> None:
    # 0.98 of 50 rows is 49 rows exactly; a float product must not round it up to 50.
    probabilities = np.linspace(0.02, 0.99, 50)
    labels = np.full(50, MALIGNANT)
    expected = (probabilities[0] + probabilities[1]) / 2
    assert choose_threshold_for_recall(probabilities, labels, 0.98) == pytest.approx(expected)


def test_accuracy_rule_takes_the_midpoint_of_the_best_gap() -> None:
    # Perfect separation anywhere in (0.4, 0.7); the gap's midpoint, not either row's score.
    probabilities = np.array([0.1, 0.4, 0.7, 0.9])
    labels = np.array([BENIGN, BENIGN, MALIGNANT, MALIGNANT])
    assert choose_threshold(probabilities, labels) == pytest.approx(0.55)


@pytest.mark.parametrize(
    ("labels", "target", "message"),
    [
        ([BENIGN, BENIGN], 0.9, "no malignant row"),
        ([MALIGNANT, BENIGN], 0.0, "target recall"),
        ([MALIGNANT, BENIGN], 1.5, "target recall"),
    ],
)
def test_recall_rule_refuses_what_has_no_answer(
    labels: list[int], target: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        choose_threshold_for_recall(np.array([0.3, 0.6]), np.array(labels), target)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=1.0), st.sampled_from([BENIGN, MALIGNANT])),
        min_size=1,
        max_size=40,
    ).filter(lambda rows: any(label == MALIGNANT for _, label in rows)),
    target=st.floats(min_value=0.01, max_value=1.0),
)
def test_recall_rule_reaches_the_target_and_no_higher_threshold_does(
    rows: list[tuple[float, int]], target: float
) -> None:
    probabilities = np.array([probability for probability, _ in rows])
    labels = np.array([label for _, label in rows])
    threshold = choose_threshold_for_recall(probabilities, labels, target)
    assert THRESHOLD_MARGIN <= threshold <= 1.0 - THRESHOLD_MARGIN
    malignant = probabilities[labels == MALIGNANT]

    def recall(candidate: float) -> float:
        return float(np.count_nonzero(malignant >= candidate)) / len(malignant)

    if THRESHOLD_MARGIN < threshold < 1.0 - THRESHOLD_MARGIN:
        assert recall(threshold) >= target
        # No higher threshold keeps the target: the lowest flagged malignant row is needed.
        lowest_flagged = float(malignant[malignant >= threshold].min())
        assert recall(float(np.nextafter(lowest_flagged, 2.0))) < target


threshold_rows = st.lists(
    st.tuples(st.floats(min_value=0.0, max_value=1.0), st.sampled_from([BENIGN, MALIGNANT])),
    min_size=1,
    max_size=40,
).filter(lambda rows: any(label == MALIGNANT for _, label in rows))


@settings(max_examples=200, deadline=None)
@given(rows=threshold_rows, rule=st.sampled_from([ACCURACY_RULE, TARGET_RECALL_RULE]))
def test_no_rule_lands_on_a_rows_score(rows: list[tuple[float, int]], rule: str) -> None:
    probabilities = np.array([probability for probability, _ in rows])
    labels = np.array([label for _, label in rows])
    threshold = ThresholdRule(rule, 0.9).choose(probabilities, labels)
    if THRESHOLD_MARGIN < threshold < 1.0 - THRESHOLD_MARGIN:
        # Halfway between its neighbours: the nearest score below and above are equally far.
        below = probabilities[probabilities < threshold]
        above = probabilities[probabilities > threshold]
        low = float(below.max()) if below.size else 0.0
        high = float(above.min()) if above.size else 1.0
        assert threshold == pytest.approx((low + high) / 2, rel=1e-12, abs=1e-15)
        if np.nextafter(low, 2.0) < high:  # some float lies between the neighbours
            assert threshold not in probabilities


def test_rules_dispatch_and_describe_themselves() -> None:
    probabilities = np.array([0.1, 0.45, 0.7, 0.9])
    labels = np.array([BENIGN, MALIGNANT, BENIGN, MALIGNANT])
    accuracy = ThresholdRule(ACCURACY_RULE)
    recall = ThresholdRule(TARGET_RECALL_RULE, 1.0)
    assert accuracy.choose(probabilities, labels) == choose_threshold(probabilities, labels)
    # Both malignant rows flagged: halfway between 0.45 and the row below it, 0.1.
    assert recall.choose(probabilities, labels) == pytest.approx(0.275)
    assert "accuracy" in accuracy.describe()
    assert recall.to_json() == {
        "rule": TARGET_RECALL_RULE,
        "description": "the midpoint of the highest gap between validation scores whose "
        "validation malignant recall is >= 1",
        "target_recall": 1.0,
    }
    assert "target_recall" not in accuracy.to_json()


@pytest.mark.parametrize(("name", "target"), [("median", 0.9), (ACCURACY_RULE, 0.0)])
def test_a_rule_refuses_unknown_settings(name: str, target: float) -> None:
    with pytest.raises(ValueError, match=r"threshold rule|target recall"):
        ThresholdRule(name, target)


def test_the_default_is_the_accuracy_rule_decided_on_cross_validation() -> None:
    assert DEFAULT_RULE == ACCURACY_RULE
    assert ThresholdRule().name == ACCURACY_RULE


def test_a_target_recall_model_says_so_in_its_record_and_card() -> None:
    result = train_local(rule=ThresholdRule(TARGET_RECALL_RULE, 0.98))
    validation = result.validation_metrics
    assert validation["malignant_recall"] >= 0.98
    assert result.artifact.training["target_recall"] == 0.98
    assert "recall is >= 0.98" in result.artifact.training["threshold_rule"]
    card = model_card(result.artifact)
    assert card["limits"] == RECALL_LIMITS
    assert card["decision_threshold"] == result.artifact.threshold
    assert model_card(train_local().artifact)["limits"] == LIMITS
