"""A deployed stage as `.chalice/config.json` describes it: the one place for per-stage values.

Chalice reads its own keys there (environment, `lambda_timeout`, `reserved_concurrency`); the
`usage_plan` block of a stage is ours and Chalice ignores it. A bad value names its key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_FILE = PROJECT_DIR / ".chalice" / "config.json"


class StageConfigError(ValueError):
    """A stage's setting is missing or malformed; the message names the key."""


@dataclass(frozen=True)
class UsagePlan:
    rate_limit: float  # steady requests per second, per API key
    burst_limit: int  # requests API Gateway admits at once above the rate
    daily_quota: int  # requests per key per day


@dataclass(frozen=True)
class Stage:
    name: str
    app_name: str
    endpoint_name: str
    policy_file: Path
    lambda_timeout: int
    reserved_concurrency: int | None
    usage_plan: UsagePlan | None
    api_gateway_stage: str

    @property
    def function_name(self) -> str:
        """The name Chalice gives the API handler: `<app_name>-<stage>`."""
        return f"{self.app_name}-{self.name}"


def load_config(path: Path = CONFIG_FILE) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return config


def stage_names(config: Mapping[str, Any]) -> list[str]:
    return sorted(config.get("stages", {}))


def read_stage(config: Mapping[str, Any], name: str, chalice_dir: Path | None = None) -> Stage:
    stages = config.get("stages", {})
    if name not in stages:
        raise StageConfigError(f"stages.{name}: no such stage in .chalice/config.json")
    stage: Mapping[str, Any] = stages[name]
    where = f"stages.{name}"

    def setting(key: str, default: Any = None) -> Any:
        """Chalice's lookup order: the stage's value, else the top-level one."""
        return stage.get(key, config.get(key, default))

    environment = {
        **config.get("environment_variables", {}),
        **stage.get("environment_variables", {}),
    }
    endpoint_name = environment.get("ENDPOINT_NAME")
    if not isinstance(endpoint_name, str) or not endpoint_name:
        raise StageConfigError(f"{where}.environment_variables.ENDPOINT_NAME is not set")
    policy_file = setting("iam_policy_file")
    if not isinstance(policy_file, str) or not policy_file:
        raise StageConfigError(f"{where}.iam_policy_file is not set")
    return Stage(
        name=name,
        app_name=str(config["app_name"]),
        endpoint_name=endpoint_name,
        policy_file=(chalice_dir or CONFIG_FILE.parent) / policy_file,
        lambda_timeout=_positive_int(setting("lambda_timeout", 60), f"{where}.lambda_timeout"),
        reserved_concurrency=_optional_positive_int(
            setting("reserved_concurrency"), f"{where}.reserved_concurrency"
        ),
        usage_plan=_usage_plan(stage.get("usage_plan"), f"{where}.usage_plan"),
        api_gateway_stage=str(setting("api_gateway_stage", "api")),
    )


def _usage_plan(block: Any, where: str) -> UsagePlan | None:
    if block is None:
        return None
    if not isinstance(block, dict):
        raise StageConfigError(f"{where} must be an object")
    expected = {"rate_limit", "burst_limit", "daily_quota"}
    if set(block) != expected:
        raise StageConfigError(f"{where} must hold exactly {', '.join(sorted(expected))}")
    rate = block["rate_limit"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0:
        raise StageConfigError(f"{where}.rate_limit must be a positive number")
    return UsagePlan(
        rate_limit=float(rate),
        burst_limit=_positive_int(block["burst_limit"], f"{where}.burst_limit"),
        daily_quota=_positive_int(block["daily_quota"], f"{where}.daily_quota"),
    )


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise StageConfigError(f"{where} must be a positive whole number")
    return value


def _optional_positive_int(value: Any, where: str) -> int | None:
    return None if value is None else _positive_int(value, where)
