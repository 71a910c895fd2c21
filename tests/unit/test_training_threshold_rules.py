from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from sklearn.metrics import fbeta_score

from tests.support.fuzzing import examples
from training.local import train_local
from training.model_card import RULE_LIMITS, card_document
from training.threshold import (
    ACCURACY_RULE,
    F_BETA_RULE,
    TARGET_RECALL_RULE,
    THRESHOLD_MARGIN,
    ThresholdRule,
)

B, M = 0, 1  # WDBC's benign and malignant
ACCURACY = ThresholdRule(ACCURACY_RULE)


def choose(rule: ThresholdRule, probabilities: list[float], labels: list[int]) -> float:
    return rule.choose(np.array(probabilities), np.array(labels))


# Each rule on scores small enough to work out by hand.


@pytest.mark.parametrize(
    ("probabilities", "labels", "expected"),
    [
        ([0.1, 0.3, 0.6, 0.8], [B, B, M, M], 0.45),  # the gap that separates the classes
        ([0.1, 0.65, 0.67, 0.92], [B, B, B, M], 0.795),  # up to the middle of the gap it needs
        ([0.1, 0.3, 0.4, 0.9], [B, M, M, M], 0.2),  # down below the lowest malignant row
        ([0.2, 0.45, 0.9], [B, M, M], 0.325),  # accuracy before closeness to 0.5
    ],
)
def test_accuracy_rule_takes_the_midpoint_of_the_most_accurate_gap(
    probabilities: list[float], labels: list[int], expected: float
) -> None:
    assert choose(ACCURACY, probabilities, labels) == pytest.approx(expected)


def test_f_beta_rule_weighs_recall_by_beta() -> None:
    # Flagging from 0.8 finds 2 of 3 malignant rows with no false alarm: F1 4/5, F2 10/14.
    # Flagging from 0.2 finds all 3 with 2 false alarms: F1 6/8, F2 15/17. So F1 keeps the gap
    # below 0.8, F2 the gap below 0.2.
    probabilities = [0.1, 0.2, 0.3, 0.4, 0.8, 0.9]
    labels = [B, M, B, B, M, M]
    assert choose(ThresholdRule(F_BETA_RULE, beta=1.0), probabilities, labels) == pytest.approx(0.6)
    assert choose(ThresholdRule(F_BETA_RULE, beta=2.0), probabilities, labels) == pytest.approx(
        0.15
    )


def test_recall_rule_takes_the_highest_gap_that_reaches_the_target() -> None:
    # Four malignant rows at 0.9, 0.8, 0.4, 0.2: 0.75 recall needs three, so the threshold sits
    # in the gap just below 0.4, halfway to the next row (0.3).
    probabilities = [0.1, 0.2, 0.3, 0.4, 0.8, 0.9]
    labels = [B, M, B, M, M, M]
    for target, expected in ((0.75, 0.35), (0.76, 0.15), (0.5, 0.6)):
        rule = ThresholdRule(TARGET_RECALL_RULE, target_recall=target)
        assert choose(rule, probabilities, labels) == pytest.approx(expected)


def test_recall_rule_counts_in_integers() -> None:
    # 0.98 of 50 rows is 49 rows exactly; a float product must not round it up to 50.
    probabilities = np.linspace(0.02, 0.99, 50)
    rule = ThresholdRule(TARGET_RECALL_RULE, target_recall=0.98)
    expected = (probabilities[0] + probabilities[1]) / 2
    assert rule.choose(probabilities, np.full(50, M)) == pytest.approx(expected)


# Every rule against an oracle written another way, on any scores.

_scored_rows = st.lists(
    st.tuples(st.floats(min_value=0.0, max_value=1.0), st.sampled_from([B, M])), max_size=39
)
# Any scored rows, one of them malignant (built in, not filtered for).
rows_with_a_malignant_one = st.builds(
    lambda rows, score, at: [*rows[:at], (score, M), *rows[at:]],
    _scored_rows,
    st.floats(min_value=0.0, max_value=1.0),
    st.integers(0, 39),
)


def unzipped(rows: list[tuple[float, int]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([p for p, _ in rows]), np.array([label for _, label in rows])


def other_thresholds(probabilities: np.ndarray) -> list[float]:
    """Every labelling a threshold can make: flagging from each score, all, or none."""
    inside = [p for p in probabilities.tolist() if THRESHOLD_MARGIN <= p <= 1 - THRESHOLD_MARGIN]
    return [THRESHOLD_MARGIN, 1.0 - THRESHOLD_MARGIN, *inside]


@examples(200)
@given(rows=rows_with_a_malignant_one)
def test_no_threshold_is_more_accurate(rows: list[tuple[float, int]]) -> None:
    probabilities, labels = unzipped(rows)
    threshold = ACCURACY.choose(probabilities, labels)

    def correct(candidate: float) -> int:
        return int(np.count_nonzero((probabilities >= candidate) == (labels == M)))

    assert all(correct(threshold) >= correct(other) for other in other_thresholds(probabilities))


@examples(200)
@given(rows=rows_with_a_malignant_one, beta=st.sampled_from([0.5, 1.0, 2.0, 3.0]))
def test_no_threshold_has_a_better_f_beta_by_scikit_learn(
    rows: list[tuple[float, int]], beta: float
) -> None:
    probabilities, labels = unzipped(rows)
    threshold = ThresholdRule(F_BETA_RULE, beta=beta).choose(probabilities, labels)

    def f_beta(candidate: float) -> float:
        flagged = (probabilities >= candidate).astype(int)
        return float(fbeta_score(labels, flagged, beta=beta, pos_label=M, zero_division=0))

    best = f_beta(threshold)
    assert all(best >= f_beta(other) - 1e-12 for other in other_thresholds(probabilities))


@examples(200)
@given(rows=rows_with_a_malignant_one, target=st.floats(min_value=0.01, max_value=1.0))
def test_recall_rule_reaches_the_target_and_no_higher_threshold_does(
    rows: list[tuple[float, int]], target: float
) -> None:
    probabilities, labels = unzipped(rows)
    threshold = ThresholdRule(TARGET_RECALL_RULE, target_recall=target).choose(
        probabilities, labels
    )
    malignant = probabilities[labels == M]

    def recall(candidate: float) -> float:
        return float(np.count_nonzero(malignant >= candidate)) / len(malignant)

    inside = THRESHOLD_MARGIN < threshold < 1.0 - THRESHOLD_MARGIN
    event("a threshold between two scores" if inside else "flags all or none")
    if inside:
        assert recall(threshold) >= target
        # No higher threshold keeps the target: the lowest flagged malignant row is needed.
        lowest_flagged = float(malignant[malignant >= threshold].min())
        assert recall(float(np.nextafter(lowest_flagged, 2.0))) < target


@examples(200)
@given(
    rows=rows_with_a_malignant_one,
    name=st.sampled_from([F_BETA_RULE, ACCURACY_RULE, TARGET_RECALL_RULE]),
)
def test_no_rule_lands_on_a_rows_score(rows: list[tuple[float, int]], name: str) -> None:
    probabilities, labels = unzipped(rows)
    threshold = ThresholdRule(name, target_recall=0.9).choose(probabilities, labels)
    assert THRESHOLD_MARGIN <= threshold <= 1.0 - THRESHOLD_MARGIN
    if THRESHOLD_MARGIN < threshold < 1.0 - THRESHOLD_MARGIN:
        # Halfway between its neighbours: the nearest score below and above are equally far.
        below = probabilities[probabilities < threshold]
        above = probabilities[probabilities > threshold]
        low = float(below.max()) if below.size else 0.0
        high = float(above.min()) if above.size else 1.0
        assert threshold == pytest.approx((low + high) / 2, rel=1e-12, abs=1e-15)
        if np.nextafter(low, 2.0) < high:  # some float lies between the neighbours
            assert threshold not in probabilities


# Settings, records and cards.


@pytest.mark.parametrize(
    ("probabilities", "labels", "message"),
    [
        ([0.3, 0.6], [B, B], "a positive row"),
        ([0.3, 0.6], [M], "as many"),
    ],
)
def test_a_rule_refuses_scores_it_cannot_judge(
    probabilities: list[float], labels: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        choose(ThresholdRule(), probabilities, labels)


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "median"},
        {"target_recall": 0.0},
        {"target_recall": 1.5},
        {"beta": 0.0},
        {"beta": float("inf")},
        {"beta": float("nan")},
    ],
)
def test_a_rule_refuses_unknown_settings(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"threshold rule|target recall|beta"):
        ThresholdRule(**changes)  # type: ignore[arg-type]


def test_the_default_is_f2_and_each_rule_records_its_one_setting() -> None:
    assert (ThresholdRule().name, ThresholdRule().beta) == (F_BETA_RULE, 2.0)
    assert ThresholdRule().to_json() == {
        "rule": F_BETA_RULE,
        "beta": 2.0,
        "description": "the midpoint of the gap between out-of-fold scores with the best F2; "
        "among ties, the one closest to 0.5",
    }
    assert ThresholdRule(TARGET_RECALL_RULE, target_recall=1.0).to_json() == {
        "rule": TARGET_RECALL_RULE,
        "target_recall": 1.0,
        "description": "the midpoint of the highest gap between out-of-fold scores whose "
        "recall of the positive class is >= 1",
    }
    assert set(ACCURACY.to_json()) == {"rule", "description"}


@pytest.mark.parametrize(
    "rule", [ThresholdRule(ACCURACY_RULE), ThresholdRule(TARGET_RECALL_RULE, target_recall=0.98)]
)
def test_a_model_of_an_old_rule_says_so_in_its_record_and_card(rule: ThresholdRule) -> None:
    result = train_local(rule=rule)
    assert result.training["threshold_rule"] == rule.to_json()
    card = card_document(result.contract, result.record())
    assert card["limits"].endswith(RULE_LIMITS[rule.name].format("malignant"))
    assert card["decision_threshold"] == result.artifact.threshold
    assert card["decision_threshold"] == rule.choose(
        result.out_of_fold, result.split.development().labels
    )
    if rule.name == TARGET_RECALL_RULE:
        assert result.metrics["out_of_fold"]["malignant_recall"] >= 0.98
