"""What a training run reports back to the CLI, whichever target trained the model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
    test_metrics: ClassificationMetrics
    written_files: tuple[Path, ...]
