from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from training.artifact import (
    ARTIFACT_FORMAT,
    ArtifactError,
    ModelArtifact,
    load_artifact,
    save_artifact,
)


def valid_document() -> dict[str, Any]:
    artifact = ModelArtifact(
        name="made-up",
        means=(0.0,) * 30,
        scales=(1.0,) * 30,
        weights=(0.5,) * 30,
        intercept=0.1,
        threshold=0.5,
        feature_ranges={"radius_mean": (6.9, 28.1)},
    )
    return artifact.to_json()


def test_a_saved_artifact_loads_back_equal(tmp_path: Path) -> None:
    artifact = ModelArtifact.from_json(valid_document())
    save_artifact(artifact, tmp_path / "deep" / "model.json")
    assert load_artifact(tmp_path / "deep" / "model.json") == artifact


def _with(key: str, value: Any) -> dict[str, Any]:
    return {**valid_document(), key: value}


def _without(key: str) -> dict[str, Any]:
    document = valid_document()
    del document[key]
    return document


@pytest.mark.parametrize(
    ("document", "message_part"),
    [
        (_with("format", "other/1"), f"format must be {ARTIFACT_FORMAT!r}"),
        (_without("weights"), "missing key 'weights'"),
        (_with("name", 7), "key 'name' has the wrong type"),
        (_with("intercept", True), "key 'intercept' has the wrong type"),
        (_with("feature_names", ["x"] * 30), "feature_names must be the 30 WDBC features"),
        (_with("means", [0.0] * 29), "means must hold 30 numbers"),
        (_with("weights", [0.5] * 29 + ["0.5"]), "weights must hold finite numbers"),
        (_with("scales", [1.0] * 29 + [0.0]), "scales must be positive"),
        (_with("intercept", float("inf")), "intercept must be a finite number"),
        (_with("threshold", 1.0), "threshold must be a number strictly between 0 and 1"),
        (_with("feature_ranges", [1, 2]), "malformed artifact"),
        (_with("feature_ranges", {"radius_mean": ["a", "b"]}), "malformed artifact"),
        (_with("version", "000000000000"), "version does not match the parameters"),
    ],
)
def test_a_bad_artifact_says_what_is_wrong(document: dict[str, Any], message_part: str) -> None:
    with pytest.raises(ArtifactError, match=message_part):
        ModelArtifact.from_json(document)


@pytest.mark.parametrize(
    ("content", "message_part"),
    [
        (None, "no model artifact at"),
        (b"{", "is not JSON"),
        (b"[]", "must hold a JSON object"),
        (b"\xff\xfe", "cannot read"),
    ],
)
def test_a_bad_file_says_what_is_wrong(
    tmp_path: Path, content: bytes | None, message_part: str
) -> None:
    path = tmp_path / "model.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ArtifactError, match=message_part):
        load_artifact(path)


def test_a_directory_is_not_an_artifact(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="cannot read"):
        load_artifact(tmp_path)


def test_the_version_is_a_content_hash() -> None:
    document = valid_document()
    changed = ModelArtifact.from_json(_with("intercept", 0.2) | {"version": None})
    assert ModelArtifact.from_json(document).version == document["version"]
    assert changed.version != document["version"]
    assert json.loads(json.dumps(document)) == document
