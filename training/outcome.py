"""What a training run reports back to the CLI, whichever target trained the model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from training.cross_validation import Spread
from training.evaluate import ClassificationMetrics


@dataclass(frozen=True)
class TrainingOutcome:
    model_name: str
    model_version: str
    seed: int
    # Rows in each part of the split, keyed "train", "validation", "test".
    split_sizes: Mapping[str, int]
    # The settings training picked for itself, such as C and the threshold, by display name.
    chosen_settings: Mapping[str, float]
    threshold_rule: str
    # None when the target reports rates only (Linear Learner logs no confusion matrix).
    test_metrics: ClassificationMetrics | None
    written_files: tuple[Path, ...]
    cross_validation: Mapping[str, Spread] = field(default_factory=dict)
    # Metrics by the target's own names, for targets that do not give ClassificationMetrics.
    reported_metrics: Mapping[str, float] = field(default_factory=dict)
