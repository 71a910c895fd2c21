"""The threshold rules: how out-of-fold probabilities of the training rows become the threshold
the model ships with, and the one place the screening rule and its reason are declared.

Each rule is a Linear Learner ``binary_classifier_model_selection_criteria`` (``training.sagemaker``
sets it from the same ``ThresholdRule``), and each picks among the same candidates: a row is of
the positive class (WDBC's malignant) when its probability is >= the threshold, so every
threshold in a gap between two neighbouring scores gives the same labels, and the gap is
represented by its midpoint, as far as it allows from every row, so no row's label hangs on the
last bits of its score.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from training.data import POSITIVE, Features, Labels

F_BETA_RULE, ACCURACY_RULE, TARGET_RECALL_RULE = "f-beta", "accuracy", "target-recall"
RULE_NAMES = (F_BETA_RULE, ACCURACY_RULE, TARGET_RECALL_RULE)
# The screening rule. A missed cancer costs far more than a false alarm, so a threshold chosen
# for accuracy (0.80 before this rule) points the wrong way. F-beta with beta = 2 weighs malignant
# recall twice as much as precision: on 10 x 5 repeated nested cross-validation it misses 6.7 of
# 212 malignant rows where the accuracy rule misses 10.2, for 0.7 points of accuracy; higher
# betas and recall targets buy the last misses with many false alarms (docs/model.md, "The
# threshold").
DEFAULT_RULE = F_BETA_RULE
DEFAULT_BETA = 2.0
DEFAULT_TARGET_RECALL = 0.98
NEUTRAL_THRESHOLD = 0.5
# The stand-in requires 0 < threshold < 1; exactly 0 or 1 would also mean "always malignant" or
# "never malignant", which no set of scores should talk us into.
THRESHOLD_MARGIN = 1e-6


@dataclass(frozen=True)
class ThresholdRule:
    """How training turns out-of-fold probabilities into the shipped threshold."""

    name: str = DEFAULT_RULE
    beta: float = DEFAULT_BETA  # f-beta only
    target_recall: float = DEFAULT_TARGET_RECALL  # target-recall only

    def __post_init__(self) -> None:
        if self.name not in RULE_NAMES:
            raise ValueError(f"threshold rule must be one of {', '.join(RULE_NAMES)}")
        if not 0.0 < self.target_recall <= 1.0:
            raise ValueError("target recall must be in (0, 1]")
        if not 0.0 < self.beta < float("inf"):
            raise ValueError("beta must be a positive number")

    def choose(self, probabilities: Features, labels: Labels) -> float:
        """The midpoint of the best gap between these scores, by this rule; among equally good
        gaps (accuracy, F-beta) the one closest to 0.5, and of two as close, the lower."""
        if len(probabilities) != len(labels) or not np.any(labels == POSITIVE):
            raise ValueError("need as many probabilities as labels, and a positive row")
        edges = sorted({0.0, 1.0, *np.unique(probabilities).tolist()})
        # Clamped before counting, so the counts are those of the threshold that ships.
        candidates = np.array([_clamped(_midpoint(low, high)) for low, high in pairwise(edges)])
        flagged = probabilities[np.newaxis, :] >= candidates[:, np.newaxis]
        positive = labels == POSITIVE
        # Integer counts for every candidate at once: (candidates, rows) is small here.
        tp, fp = (np.count_nonzero(flagged & rows, axis=1) for rows in (positive, ~positive))
        positives = int(np.count_nonzero(positive))
        if self.name == TARGET_RECALL_RULE:
            # Recall only falls as the threshold rises: the highest gap that reaches the target
            # has the best precision the target allows (precision_at_target_recall).
            reaching = candidates[tp / positives >= self.target_recall].tolist()
            return max(reaching, default=THRESHOLD_MARGIN)  # none: positive rows at 0
        if self.name == ACCURACY_RULE:
            merit = tp - fp  # the correct rows, less the benign count every candidate shares
        else:
            weight = self.beta**2
            merit = (1 + weight) * tp / ((1 + weight) * tp + weight * (positives - tp) + fp)
        best: list[float] = candidates[merit == merit.max()].tolist()
        return min(best, key=lambda threshold: (abs(threshold - NEUTRAL_THRESHOLD), threshold))

    def describe(self) -> str:
        if self.name == TARGET_RECALL_RULE:
            return (
                "the midpoint of the highest gap between out-of-fold scores whose recall of the "
                f"positive class is >= {self.target_recall:g}"
            )
        best = "accuracy" if self.name == ACCURACY_RULE else f"F{self.beta:g}"
        return (
            f"the midpoint of the gap between out-of-fold scores with the best {best}; "
            "among ties, the one closest to 0.5"
        )

    def to_json(self) -> dict[str, object]:
        return {"rule": self.name, **self.setting, "description": self.describe()}

    @property
    def setting(self) -> dict[str, float]:
        """The rule's one number by name (beta, the target recall); none for accuracy."""
        if self.name == F_BETA_RULE:
            return {"beta": self.beta}
        return {"target_recall": self.target_recall} if self.name == TARGET_RECALL_RULE else {}


def _midpoint(low: float, high: float) -> float:
    """Halfway, or ``high`` when no float lies between them: a row at ``low`` stays below."""
    middle = (low + high) / 2
    return middle if low < middle else high


def _clamped(threshold: float) -> float:
    return min(max(threshold, THRESHOLD_MARGIN), 1.0 - THRESHOLD_MARGIN)
