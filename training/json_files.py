"""JSON files the way this project's hand-written ones look: two-space indent, lists of plain
values on one line. A write-back changes the values it must and leaves the layout alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training.errors import StageFileError


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StageFileError(f"{path} does not exist") from None
    except ValueError as error:
        raise StageFileError(f"{path} is not JSON: {error}") from None


def write_json(document: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(document) + "\n", encoding="utf-8")
    return path


def dumps(value: Any, indent: int = 0) -> str:
    inner = " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = [
            f"{inner}{json.dumps(key)}: {dumps(item, indent + 2)}" for key, item in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value and any(isinstance(item, (dict, list)) for item in value):
        items = [f"{inner}{dumps(item, indent + 2)}" for item in value]
        return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
    return json.dumps(value)
