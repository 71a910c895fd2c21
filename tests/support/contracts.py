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


def toy_document(name: str, task: str, target: str, **keys: Any) -> dict[str, Any]:
    """A contract document of `task` over FEATURES, answered in Linear Learner's format."""
    return {
        "name": name,
        "task": task,
        "target": target,
        "features": FEATURES,
        **keys,
        "answer": {"format": "linear-learner"},
        "examples": [EXAMPLE],
    }


def class_list(*classes: tuple[str, str, int | None]) -> list[dict[str, Any]]:
    """A document's `classes`, from (code, name, label) triples."""
    return [{"code": code, "name": name, "label": label} for code, name, label in classes]


BINARY_DOCUMENT = toy_document(
    "toy-binary",
    "binary_classification",
    "verdict",
    classes=class_list(("no", "not spoiled", 0), ("yes", "spoiled", 1)),
    positive_class="yes",
    threshold=0.3,
)
MULTICLASS_DOCUMENT = toy_document(
    "toy-multiclass",
    "multiclass_classification",
    "cultivar",
    classes=class_list(("c0", "Barolo", 0), ("c1", "Grignolino", 1), ("c2", "Barbera", 2)),
)
REGRESSION_DOCUMENT = toy_document("toy-regression", "regression", "progression", route="/score")


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
