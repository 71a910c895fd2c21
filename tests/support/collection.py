"""The committed Postman collection, read: its requests and how many assertions they hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from postman.collection import COLLECTION_FILE


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


COLLECTION = load(COLLECTION_FILE)


def requests_in(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The collection's requests, folders opened."""
    return [
        request
        for item in items
        for request in (requests_in(item["item"]) if "item" in item else [item])
    ]


def assertions_in(items: list[dict[str, Any]]) -> int:
    """How many `pm.test` assertions the requests' test scripts hold."""
    return sum(
        "\n".join(event["script"]["exec"]).count("pm.test(")
        for item in requests_in(items)
        for event in item.get("event", [])
        if event["listen"] == "test"
    )
