"""A model artifact to the card `GET /model` serves: summaries only, never a row of data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chalicelib.model_card import CARD_FORMAT, CARDS_DIR
from training.artifact import ModelArtifact

INTENDED_USE = (
    "Research and teaching on the Wisconsin Diagnostic Breast Cancer data set. "
    "Not a diagnostic device: no clinical decision may rest on it."
)
DATA_LIMITS = (
    "Trained on 569 fine-needle-aspirate images from one clinic (1995); values outside the "
    "training ranges below are extrapolation"
)
LIMITS = f"{DATA_LIMITS}; the threshold favours accuracy, not recall."
RECALL_LIMITS = (
    f"{DATA_LIMITS}; the threshold was set to reach a target malignant recall on about 40 "
    "malignant validation rows, so one unusual row moves it and false alarms rise."
)
DEFAULT_CARD = CARDS_DIR / "local.json"
# Set in a model's training record only when its threshold came from the target-recall rule.
TARGET_RECALL_KEY = "target_recall"


def model_card(artifact: ModelArtifact) -> dict[str, Any]:
    return {
        "format": CARD_FORMAT,
        "name": artifact.name,
        "version": artifact.version,
        "intended_use": INTENDED_USE,
        "limits": limits_for(artifact.training),
        "labels": {"M": "malignant (model label 1)", "B": "benign (model label 0)"},
        "decision_threshold": artifact.threshold,
        "features": [
            {
                "position": position,
                "name": name,
                "training_range": list(artifact.feature_ranges.get(name, ())),
            }
            for position, name in enumerate(artifact.feature_names, start=1)
        ],
        "metrics": {
            part: artifact.metrics[part]
            for part in ("test", "validation")
            if part in artifact.metrics
        },
        "training": dict(artifact.training),
    }


def limits_for(training: Mapping[str, Any]) -> str:
    """The limits text for the threshold rule the model was trained with."""
    return RECALL_LIMITS if TARGET_RECALL_KEY in training else LIMITS


def write_model_card(artifact: ModelArtifact, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model_card(artifact), indent=2) + "\n", encoding="utf-8")
