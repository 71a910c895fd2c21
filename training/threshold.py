"""The decision threshold on the probability of malignancy, chosen on the validation part.

Two rules, the local counterparts of Linear Learner's model selection criteria:
``accuracy`` (its ``accuracy``) and ``target-recall`` (its ``precision_at_target_recall``: the
highest threshold, so the best precision, whose recall still reaches the target).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from training.data import MALIGNANT, Labels
from training.fit import Probabilities

NEUTRAL_THRESHOLD = 0.5

# ModelArtifact requires 0 < threshold < 1; a threshold of exactly 0 or 1 would also mean
# "always malignant" or "never malignant", which no validation set should talk us into.
THRESHOLD_MARGIN = 1e-6

ACCURACY_RULE = "accuracy"
TARGET_RECALL_RULE = "target-recall"
RULE_NAMES = (ACCURACY_RULE, TARGET_RECALL_RULE)

THRESHOLD_RULE = "maximise validation accuracy; among ties, the threshold closest to 0.5"

# Decided on 10-fold cross-validation of the whole training procedure over the train and
# validation rows, never on the test rows (README, "The local model"). With about 40 malignant
# validation rows a target up to 0.974 allows one miss and behaves like the accuracy rule; any
# higher target means "flag every validation malignant row", which one unusual row drags down:
# cross-validated recall rose from 0.94 to 0.96 while precision fell from 0.99 to 0.77 +- 0.23.
DEFAULT_RULE = ACCURACY_RULE
DEFAULT_TARGET_RECALL = 0.98


@dataclass(frozen=True)
class ThresholdRule:
    """How training turns validation probabilities into the shipped threshold."""

    name: str = DEFAULT_RULE
    target_recall: float = DEFAULT_TARGET_RECALL

    def __post_init__(self) -> None:
        if self.name not in RULE_NAMES:
            raise ValueError(f"threshold rule must be one of {', '.join(RULE_NAMES)}")
        if not 0.0 < self.target_recall <= 1.0:
            raise ValueError("target recall must be in (0, 1]")

    def choose(self, probabilities: Probabilities, labels: Labels) -> float:
        if self.name == ACCURACY_RULE:
            return choose_threshold(probabilities, labels)
        return choose_threshold_for_recall(probabilities, labels, self.target_recall)

    def describe(self) -> str:
        if self.name == ACCURACY_RULE:
            return THRESHOLD_RULE
        return (
            f"the highest threshold whose validation malignant recall is >= {self.target_recall:g}"
        )

    def to_json(self) -> dict[str, object]:
        document: dict[str, object] = {"rule": self.name, "description": self.describe()}
        if self.name == TARGET_RECALL_RULE:
            document["target_recall"] = self.target_recall
        return document


def choose_threshold(probabilities: Probabilities, labels: Labels) -> float:
    """The threshold with the best accuracy on these rows; ties go to the one closest to 0.5.

    A row is predicted malignant when its probability is >= the threshold, so every threshold in
    a gap (p_low, p_high] between neighbouring probabilities predicts the same labels. Each gap's
    point closest to 0.5 is 0.5 itself, its upper end p_high (a gap below 0.5), or the first float
    above p_low (a gap above 0.5); those are the only candidates that can win.
    """
    _require_matching(probabilities, labels)
    candidates = _candidate_thresholds(probabilities)
    malignant = labels == MALIGNANT
    # Counting correct rows in integers keeps ties exact, where float accuracies might not be.
    correct_counts = [
        int(np.count_nonzero((probabilities >= threshold) == malignant)) for threshold in candidates
    ]
    best_count = max(correct_counts)
    best = [
        threshold
        for threshold, count in zip(candidates, correct_counts, strict=True)
        if count == best_count
    ]
    # Should two be exactly as far from 0.5, the lower one flags more rows as malignant: a missed
    # cancer costs more than a false alarm.
    return min(best, key=lambda threshold: (abs(threshold - NEUTRAL_THRESHOLD), threshold))


def choose_threshold_for_recall(
    probabilities: Probabilities, labels: Labels, target_recall: float
) -> float:
    """The highest threshold at which at least ``target_recall`` of the malignant rows are flagged.

    Recall only falls as the threshold rises, so that threshold is the probability of the k-th most
    suspicious malignant row, k being the fewest rows that reach the target; every benign row
    below it stays benign, which is the best precision the target allows.
    """
    _require_matching(probabilities, labels)
    if not 0.0 < target_recall <= 1.0:
        raise ValueError("target recall must be in (0, 1]")
    malignant_probabilities = np.sort(probabilities[labels == MALIGNANT])[::-1]
    malignant_rows = len(malignant_probabilities)
    if malignant_rows == 0:
        raise ValueError("the rows hold no malignant row, so recall is undefined")
    # Counted in integers: the fewest flagged rows k with k / malignant_rows >= target.
    needed = next(k for k in range(1, malignant_rows + 1) if k / malignant_rows >= target_recall)
    threshold = float(malignant_probabilities[needed - 1])
    return min(max(threshold, THRESHOLD_MARGIN), 1.0 - THRESHOLD_MARGIN)


def _require_matching(probabilities: Probabilities, labels: Labels) -> None:
    if len(probabilities) != len(labels) or len(labels) == 0:
        raise ValueError("need as many probabilities as labels, and at least one of each")


def _candidate_thresholds(probabilities: Probabilities) -> list[float]:
    closest_to_neutral = {NEUTRAL_THRESHOLD}
    for probability in np.unique(probabilities).tolist():
        if probability < NEUTRAL_THRESHOLD:
            closest_to_neutral.add(probability)
        else:
            closest_to_neutral.add(math.nextafter(probability, math.inf))
    # Clamped before counting, so the accuracy compared is the one the shipped threshold gets.
    return sorted(
        min(max(threshold, THRESHOLD_MARGIN), 1.0 - THRESHOLD_MARGIN)
        for threshold in closest_to_neutral
    )
