"""After a deploy with ``--stage``: point the stage at the endpoint, so `chalice deploy` follows
with no hand edits.

- ``.chalice/config.json``: the stage's ``ENDPOINT_NAME`` and ``MODEL_CARD``; nothing else.
- the stage's policy file: the Resource of the one statement whose Action is
  ``sagemaker:InvokeEndpoint``, as the endpoint's lower-case ARN (IAM matches SageMaker ARNs in
  lower case); every other statement is left as it is.
- ``chalicelib/model_cards/<stage>.json``: the card ``GET /model`` serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from training.errors import StageFileError
from training.json_files import read_json, write_json

PROJECT_DIR = Path(__file__).resolve().parent.parent
INVOKE_ACTION = "sagemaker:InvokeEndpoint"
ENDPOINT_SETTING = "ENDPOINT_NAME"
CARD_SETTING = "MODEL_CARD"


def write_stage(
    stage: str,
    endpoint: str,
    endpoint_arn: str,
    card: Mapping[str, Any],
    project_dir: Path = PROJECT_DIR,
) -> tuple[Path, ...]:
    """Write all three; returns the files written. Checks everything before writing anything."""
    chalice_dir = project_dir / ".chalice"
    config_path = chalice_dir / "config.json"
    config = read_json(config_path)
    stage_block = _stage_block(config, stage, config_path)
    policy_file = stage_block.get("iam_policy_file")
    if not isinstance(policy_file, str) or Path(policy_file).name != policy_file:
        raise StageFileError(f"stage {stage!r} in {config_path} names no iam_policy_file")
    policy_path = chalice_dir / policy_file
    policy = read_json(policy_path)
    statement = _invoke_statement(policy, policy_path)

    card_name = f"{stage}.json"
    environment = stage_block.setdefault("environment_variables", {})
    if not isinstance(environment, dict):
        raise StageFileError(f"stage {stage!r}: environment_variables must be an object")
    environment[ENDPOINT_SETTING] = endpoint
    environment[CARD_SETTING] = card_name
    statement["Resource"] = endpoint_arn.lower()
    return (
        write_json(config, config_path),
        write_json(policy, policy_path),
        write_json(dict(card), project_dir / "chalicelib" / "model_cards" / card_name),
    )


def _stage_block(config: Any, stage: str, path: Path) -> dict[str, Any]:
    stages = config.get("stages") if isinstance(config, dict) else None
    block = stages.get(stage) if isinstance(stages, dict) else None
    if not isinstance(block, dict):
        known = ", ".join(stages) if isinstance(stages, dict) else "none"
        raise StageFileError(f"{path} has no stage {stage!r} (stages: {known})")
    return block


def _invoke_statement(policy: Any, path: Path) -> dict[str, Any]:
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    matching = [
        statement
        for statement in (statements if isinstance(statements, list) else [])
        if isinstance(statement, dict)
        and statement.get("Action") in (INVOKE_ACTION, [INVOKE_ACTION])
    ]
    if len(matching) != 1:
        raise StageFileError(
            f"{path} must hold exactly one statement whose Action is {INVOKE_ACTION}; "
            f"it holds {len(matching)}"
        )
    return matching[0]
