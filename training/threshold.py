"""The decision threshold on the probability of malignancy, chosen on the validation part.

Two rules, the local counterparts of Linear Learner's model selection criteria: ``accuracy``
and ``target-recall`` (its ``precision_at_target_recall``: the highest threshold, so the best
precision, whose recall still reaches the target).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from training.data import MALIGNANT, Labels, Probabilities

NEUTRAL_THRESHOLD = 0.5
# ModelArtifact requires 0 < threshold < 1; a threshold of exactly 0 or 1 would also mean
# "always malignant" or "never malignant", which no validation set should talk us into.
THRESHOLD_MARGIN = 1e-6
ACCURACY_RULE, TARGET_RECALL_RULE = "accuracy", "target-recall"
RULE_NAMES = (ACCURACY_RULE, TARGET_RECALL_RULE)
THRESHOLD_RULE = (
    "maximise validation accuracy at the midpoint of a gap between validation scores; "
    "among ties, the midpoint closest to 0.5"
)
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
            f"the midpoint of the highest gap between validation scores whose validation malignant "
            f"recall is >= {self.target_recall:g}"
        )

    def to_json(self) -> dict[str, object]:
        recall = {"target_recall": self.target_recall} if self.name == TARGET_RECALL_RULE else {}
        return {"rule": self.name, "description": self.describe(), **recall}


def choose_threshold(probabilities: Probabilities, labels: Labels) -> float:
    """The threshold with the best accuracy on these rows; ties go to the one closest to 0.5.

    Every threshold in a gap between neighbouring probabilities predicts the same labels; each
    gap is represented by its midpoint, as far as the gap allows from every validation row, so
    no row's label hangs on the last bits of its score.
    """
    _require_matching(probabilities, labels)
    # Clamped before counting, so the accuracy compared is the one the shipped threshold gets.
    edges = sorted({0.0, 1.0, *np.unique(probabilities).tolist()})
    candidates = [_clamped(_midpoint(low, high)) for low, high in pairwise(edges)]
    # Counting correct rows in integers keeps ties exact, where float accuracies might not be.
    malignant = labels == MALIGNANT
    correct = {t: int(np.count_nonzero((probabilities >= t) == malignant)) for t in candidates}
    best = [threshold for threshold, count in correct.items() if count == max(correct.values())]
    # Should two be exactly as far from 0.5, the lower one flags more rows as malignant: a missed
    # cancer costs more than a false alarm.
    return min(best, key=lambda threshold: (abs(threshold - NEUTRAL_THRESHOLD), threshold))


def choose_threshold_for_recall(
    probabilities: Probabilities, labels: Labels, target_recall: float
) -> float:
    """The highest gap at which at least ``target_recall`` of the malignant rows are flagged.

    Recall only falls as the threshold rises, so the gap is the one just below the k-th most
    suspicious malignant row, k being the fewest rows that reach the target: the best precision
    the target allows.
    """
    _require_matching(probabilities, labels)
    if not 0.0 < target_recall <= 1.0:
        raise ValueError("target recall must be in (0, 1]")
    malignant = np.sort(probabilities[labels == MALIGNANT])[::-1]
    if len(malignant) == 0:
        raise ValueError("the rows hold no malignant row, so recall is undefined")
    # Counted in integers: the fewest flagged rows k with k / len(malignant) >= target.
    needed = next(k for k in range(1, len(malignant) + 1) if k / len(malignant) >= target_recall)
    lowest_flagged = float(malignant[needed - 1])
    below = probabilities[probabilities < lowest_flagged]
    return _clamped(_midpoint(float(below.max()) if below.size else 0.0, lowest_flagged))


def _require_matching(probabilities: Probabilities, labels: Labels) -> None:
    if len(probabilities) != len(labels) or len(labels) == 0:
        raise ValueError("need as many probabilities as labels, and at least one of each")


def _midpoint(low: float, high: float) -> float:
    """Halfway, or ``high`` when no float lies between them: a row at ``low`` stays below."""
    middle = (low + high) / 2
    return middle if low < middle else high


def _clamped(threshold: float) -> float:
    return min(max(threshold, THRESHOLD_MARGIN), 1.0 - THRESHOLD_MARGIN)
