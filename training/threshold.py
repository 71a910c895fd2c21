"""The decision threshold on the probability of malignancy, chosen on the validation part."""

from __future__ import annotations

import math

import numpy as np

from training.data import MALIGNANT, Labels
from training.fit import Probabilities

NEUTRAL_THRESHOLD = 0.5

# ModelArtifact requires 0 < threshold < 1; a threshold of exactly 0 or 1 would also mean
# "always malignant" or "never malignant", which no validation set should talk us into.
THRESHOLD_MARGIN = 1e-6

THRESHOLD_RULE = "maximise validation accuracy; among ties, the threshold closest to 0.5"


def choose_threshold(probabilities: Probabilities, labels: Labels) -> float:
    """The threshold with the best accuracy on these rows; ties go to the one closest to 0.5.

    A row is predicted malignant when its probability is >= the threshold, so every threshold in
    a gap (p_low, p_high] between neighbouring probabilities predicts the same labels. Each gap's
    point closest to 0.5 is 0.5 itself, its upper end p_high (a gap below 0.5), or the first float
    above p_low (a gap above 0.5); those are the only candidates that can win.
    """
    if len(probabilities) != len(labels) or len(labels) == 0:
        raise ValueError("need as many probabilities as labels, and at least one of each")
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
