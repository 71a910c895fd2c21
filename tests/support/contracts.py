"""Contracts for the tests, as documents: the shipped default's and small ones of each task."""

from __future__ import annotations

import copy
from typing import Any

from chalicelib.contract import Contract, parse_contract

FEATURES = [
    {"name": "alcohol", "unit": "%", "training_range": [11.0, 14.8], "limits": [0, 100]},
    {"name": "Malic_Acid", "training_range": [0.7, 5.8]},
    {"name": "hue", "description": "colour hue", "training_range": [0.48, 1.71]},
]
EXAMPLE = {"summary": "a typical row", "values": [13.0, 2.3, 0.96]}
BINARY_DOCUMENT: dict[str, Any] = {
    "name": "toy-binary",
    "task": "binary_classification",
    "target": "verdict",
    "features": FEATURES,
    "classes": [
        {"code": "no", "name": "not spoiled", "label": 0},
        {"code": "yes", "name": "spoiled", "label": 1},
    ],
    "positive_class": "yes",
    "threshold": 0.3,
    "answer": {"format": "linear-learner"},
    "examples": [EXAMPLE],
}
MULTICLASS_DOCUMENT: dict[str, Any] = {
    "name": "toy-multiclass",
    "task": "multiclass_classification",
    "target": "cultivar",
    "features": FEATURES,
    "classes": [
        {"code": "c0", "name": "Barolo", "label": 0},
        {"code": "c1", "name": "Grignolino", "label": 1},
        {"code": "c2", "name": "Barbera", "label": 2},
    ],
    "answer": {"format": "linear-learner"},
    "examples": [EXAMPLE],
}
REGRESSION_DOCUMENT: dict[str, Any] = {
    "name": "toy-regression",
    "task": "regression",
    "target": "progression",
    "route": "/score",
    "features": FEATURES,
    "answer": {"format": "linear-learner"},
    "examples": [EXAMPLE],
}


def document(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of `base` with top-level keys changed (None removes one)."""
    changed = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            changed.pop(key, None)
        else:
            changed[key] = value
    return changed


def contract(base: dict[str, Any], **changes: Any) -> Contract:
    return parse_contract(document(base, **changes), "test.json")
