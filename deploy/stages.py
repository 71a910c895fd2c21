"""A deployed stage as `.chalice/config.json` describes it: the one place for per-stage values.

Chalice reads its own keys there (environment, `lambda_timeout`, `reserved_concurrency`,
`log_retention_in_days`, `subnet_ids`, `security_group_ids`); `usage_plan`, `alarms` and `vpc_id`
are ours and Chalice ignores them. A bad value names its key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_FILE = PROJECT_DIR / ".chalice" / "config.json"
INVOKE = "sagemaker:InvokeEndpoint"


class StageConfigError(ValueError):
    """A stage's setting is missing or malformed; the message names the key."""


@dataclass(frozen=True)
class UsagePlan:
    rate_limit: float  # steady requests per second, per API key
    burst_limit: int  # requests API Gateway admits at once above the rate
    daily_quota: int  # requests per key per day


# The values CloudWatch Logs accepts for a log group's retention.
RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557}
    | {2922, 3288, 3653}
)


@dataclass(frozen=True)
class AlarmThresholds:
    """When a stage's alarms fire; each can be set in the stage's `alarms` block."""

    api_5xx_rate: float = 0.01  # share of the API's answers that are 5XX, over 5 minutes
    api_p99_latency_ms: float = 3000  # the API's p99 latency, over 5 minutes
    lambda_errors: int = 1  # unhandled errors or timeouts of the function, over 5 minutes
    lambda_throttles: int = 1  # refused invocations (reserved concurrency reached), 5 minutes
    endpoint_5xx_errors: int = 1  # the endpoint's own 5XX answers, over 5 minutes
    model_latency_p99_ms: float = 1000  # the model's p99 latency inside the endpoint, 5 minutes
    # Invocations per instance per minute beyond which the variant is saturated; autoscaling's
    # target (`--target-invocations`) should sit well below it.
    invocations_per_instance_per_minute: int = 1000


@dataclass(frozen=True)
class PrivateNetwork:
    """The opt-in private path: the function in these subnets, SageMaker through a VPC endpoint."""

    vpc_id: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


# For the checks on the private path's template only (`python -m deploy merge-template
# --example-network`): ids of the right shape that belong to no account.
EXAMPLE_NETWORK = PrivateNetwork(
    vpc_id="vpc-0a1b2c3d4e5f60718",
    subnet_ids=("subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"),
    security_group_ids=("sg-0a1b2c3d4e5f60718",),
)


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
    log_retention_in_days: int | None = None
    alarms: AlarmThresholds = AlarmThresholds()
    network: PrivateNetwork | None = None

    @property
    def function_name(self) -> str:
        """The name Chalice gives the API handler: `<app_name>-<stage>`."""
        return f"{self.app_name}-{self.name}"


def load_config(path: Path = CONFIG_FILE) -> dict[str, Any]:
    """`.chalice/config.json`, or a policy file beside it: a JSON object."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StageConfigError(f"{path} does not exist") from None
    except ValueError as error:
        raise StageConfigError(f"{path} is not JSON: {error}") from None
    if not isinstance(config, dict):
        raise StageConfigError(f"{path} must hold a JSON object")
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
        log_retention_in_days=_retention(
            setting("log_retention_in_days"), f"{where}.log_retention_in_days"
        ),
        alarms=_alarms(stage.get("alarms"), f"{where}.alarms"),
        network=_network(setting, where),
    )


def write_stage(
    stage: str,
    endpoint: str,
    endpoint_arn: str,
    card: Mapping[str, Any],
    project_dir: Path = PROJECT_DIR,
    model: str | None = None,
) -> tuple[Path, ...]:
    """After `python -m training deploy --stage`: point the stage at the endpoint, so `chalice
    deploy` follows with no hand edits. Checks everything before writing anything; returns the
    files: `.chalice/config.json` (the stage's ENDPOINT_NAME and MODEL_CARD, and MODEL, the
    contract it ships, where ``model`` names it), the stage's policy
    (the Resource of its one InvokeEndpoint statement: the endpoint's ARN in lower case, as IAM
    matches SageMaker ARNs) and `chalicelib/model_cards/<stage>.json`.
    """
    config_path = project_dir / ".chalice" / "config.json"
    config = load_config(config_path)
    policy_path = read_stage(config, stage, config_path.parent).policy_file
    policy = load_config(policy_path)
    statements = policy.get("Statement")
    invoke = [
        statement
        for statement in (statements if isinstance(statements, list) else [])
        if isinstance(statement, dict) and statement.get("Action") in (INVOKE, [INVOKE])
    ]
    if len(invoke) != 1:
        raise StageConfigError(f"{policy_path} must hold exactly one statement whose Action is "
                               f"{INVOKE}; it holds {len(invoke)}")  # fmt: skip
    card_name = f"{stage}.json"
    environment = config["stages"][stage].setdefault("environment_variables", {})
    environment.update({"ENDPOINT_NAME": endpoint, "MODEL_CARD": card_name})
    environment.update({"MODEL": model} if model else {})
    invoke[0]["Resource"] = endpoint_arn.lower()
    card_path = project_dir / "chalicelib" / "model_cards" / card_name
    card_path.parent.mkdir(parents=True, exist_ok=True)
    # json's own two-space layout is the one these files are kept in, so only the values change.
    for document, path in ((config, config_path), (policy, policy_path), (card, card_path)):
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return config_path, policy_path, card_path


def _retention(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or value not in RETENTION_DAYS:
        days = ", ".join(map(str, sorted(RETENTION_DAYS)))
        raise StageConfigError(f"{where} must be one of CloudWatch's retention days: {days}")
    return int(value)


def _alarms(block: Any, where: str) -> AlarmThresholds:
    if block is None:
        return AlarmThresholds()
    if not isinstance(block, dict):
        raise StageConfigError(f"{where} must be an object")
    defaults = AlarmThresholds()
    unknown = set(block) - set(defaults.__dict__)
    if unknown:
        known = ", ".join(sorted(defaults.__dict__))
        raise StageConfigError(f"{where}.{sorted(unknown)[0]} is not an alarm; known: {known}")
    values = {}
    for key, value in block.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise StageConfigError(f"{where}.{key} must be a positive number")
        values[key] = type(getattr(defaults, key))(value)
    return AlarmThresholds(**values)


def _network(setting: Any, where: str) -> PrivateNetwork | None:
    """Chalice's `subnet_ids` and `security_group_ids`, and our `vpc_id`: all three or none."""
    keys = ("vpc_id", "subnet_ids", "security_group_ids")
    values = {key: setting(key) for key in keys}
    if all(value in (None, []) for value in values.values()):
        return None
    for key in keys[1:]:
        listed = values[key]
        if (
            not isinstance(listed, list)
            or not listed
            or not all(isinstance(item, str) and item for item in listed)
        ):
            raise StageConfigError(f"{where}.{key} must be a non-empty list of ids")
    if not isinstance(values["vpc_id"], str) or not values["vpc_id"]:
        raise StageConfigError(
            f"{where}.vpc_id is not set: the SageMaker Runtime endpoint goes into the subnets' VPC"
        )
    return PrivateNetwork(
        vpc_id=values["vpc_id"],
        subnet_ids=tuple(values["subnet_ids"]),
        security_group_ids=tuple(values["security_group_ids"]),
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
