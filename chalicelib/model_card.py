"""What `GET /model` tells: the model's features, their training ranges, its test metrics.

A card is a JSON file in `chalicelib/model_cards/`, shipped with the Lambda and named per stage
by the MODEL_CARD setting; training writes it (`python -m training card`). It holds summaries of
the training data (per-feature minimum and maximum), never a row of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chalicelib.errors import ConfigurationError

CARDS_DIR = Path(__file__).resolve().parent / "model_cards"
CARD_FORMAT = "model-card/1"


def load_model_card(file_name: str, feature_names: Sequence[str]) -> dict[str, Any]:
    """Read and check a card at start-up; any problem names the setting and the file."""
    path = CARDS_DIR / file_name
    if path.parent != CARDS_DIR:
        raise ConfigurationError("MODEL_CARD must be a file name in chalicelib/model_cards/")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigurationError(
            f"MODEL_CARD {file_name!r} cannot be read: {type(error).__name__}"
        ) from None
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
        raise ConfigurationError(f"MODEL_CARD {file_name!r} is not a {CARD_FORMAT} document")
    names = [feature.get("name") for feature in card.get("features", [])]
    if names != list(feature_names):
        raise ConfigurationError(
            f"MODEL_CARD {file_name!r} does not list the model contract's {len(feature_names)} "
            "features in its order"
        )
    return card
