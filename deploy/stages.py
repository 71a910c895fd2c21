"""A deployed stage as `.chalice/config.json` describes it: the one place for per-stage values.

Chalice reads its own keys there (environment, `lambda_timeout`, `reserved_concurrency`,
`log_retention_in_days`, `subnet_ids`, `security_group_ids`); `usage_plan`, `alarms` and `vpc_id`
are ours and Chalice ignores them. What this tooling reads is a pydantic model, declared once:
strict types (no `"5"` for 5, no `true` for 1), no key it does not know inside our own blocks,
and every error naming its key (`stages.dev.usage_plan.rate_limit: ...`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_FILE = PROJECT_DIR / ".chalice" / "config.json"
INVOKE = "sagemaker:InvokeEndpoint"


class StageConfigError(ValueError):
    """A stage's setting is missing or malformed; the message names the key."""


class _Settings(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class UsagePlan(_Settings):
    rate_limit: PositiveFloat  # steady requests per second, per API key
    burst_limit: PositiveInt  # requests API Gateway admits at once above the rate
    daily_quota: PositiveInt  # requests per key per day


# The values CloudWatch Logs accepts for a log group's retention.
RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557}
    | {2922, 3288, 3653}
)


def _retention(days: int) -> int:
    if days not in RETENTION_DAYS:
        days_allowed = ", ".join(map(str, sorted(RETENTION_DAYS)))
        raise ValueError(f"must be one of CloudWatch's retention days: {days_allowed}")
    return days


class AlarmThresholds(_Settings):
    """When a stage's alarms fire; each can be set in the stage's `alarms` block."""

    api_5xx_rate: PositiveFloat = 0.01  # share of the API's answers that are 5XX, over 5 minutes
    api_p99_latency_ms: PositiveFloat = 3000  # the API's p99 latency, over 5 minutes
    lambda_errors: PositiveInt = 1  # unhandled errors or timeouts of the function, over 5 minutes
    lambda_throttles: PositiveInt = 1  # refused invocations (concurrency reached), 5 minutes
    endpoint_5xx_errors: PositiveInt = 1  # the endpoint's own 5XX answers, over 5 minutes
    model_latency_p99_ms: PositiveFloat = 1000  # the model's p99 inside the endpoint, 5 minutes
    # Invocations per instance per minute beyond which the variant is saturated; autoscaling's
    # target (`--target-invocations`) should sit well below it.
    invocations_per_instance_per_minute: PositiveInt = 1000


class PrivateNetwork(NamedTuple):
    """The opt-in private path: the function in these subnets, SageMaker through a VPC endpoint."""

    vpc_id: str
    subnet_ids: list[str]
    security_group_ids: list[str]


# For the checks on the private path's template only (`python -m deploy api template
# --example-network`): ids of the right shape that belong to no account.
EXAMPLE_NETWORK = PrivateNetwork(
    vpc_id="vpc-0a1b2c3d4e5f60718",
    subnet_ids=["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
    security_group_ids=["sg-0a1b2c3d4e5f60718"],
)

Name = Annotated[str, Field(min_length=1)]
Ids = Annotated[list[Name], Field(min_length=1)]


class Environment(_Settings):
    """The Lambda's environment: the endpoint is ours to check; the app checks the rest."""

    model_config = ConfigDict(extra="allow")
    ENDPOINT_NAME: Name


class Stage(_Settings):
    """One stage's settings, by the keys `.chalice/config.json` gives them."""

    name: str
    app_name: Name
    environment_variables: Environment
    policy_file: Path = Field(validation_alias="iam_policy_file")  # beside config.json
    lambda_timeout: PositiveInt = 60
    reserved_concurrency: PositiveInt | None = None
    usage_plan: UsagePlan | None = None
    api_gateway_stage: Name = "api"
    log_retention_in_days: Annotated[PositiveInt, AfterValidator(_retention)] | None = None
    alarms: AlarmThresholds = AlarmThresholds()
    # Chalice's `subnet_ids` and `security_group_ids`, and our `vpc_id`: all three or none.
    vpc_id: Name | None = None
    subnet_ids: Ids | None = None
    security_group_ids: Ids | None = None

    @field_validator("policy_file", mode="before")
    @classmethod
    def _beside_config(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str) or not value:
            raise ValueError("is not set: name the stage's IAM policy file, beside config.json")
        return Path((info.context or {})["chalice_dir"]) / value

    @model_validator(mode="after")
    def _whole_network(self) -> Stage:
        network = {"vpc_id": self.vpc_id, "subnet_ids": self.subnet_ids,
                   "security_group_ids": self.security_group_ids}  # fmt: skip
        missing = [key for key, value in network.items() if not value]
        if 0 < len(missing) < len(network):
            raise ValueError(
                f"{missing[0]} is not set: vpc_id, subnet_ids and security_group_ids go together "
                "(the function into the subnets, the SageMaker Runtime endpoint into their VPC)"
            )
        return self

    @property
    def endpoint_name(self) -> str:
        return self.environment_variables.ENDPOINT_NAME

    @property
    def network(self) -> PrivateNetwork | None:
        if self.vpc_id and self.subnet_ids and self.security_group_ids:
            return PrivateNetwork(self.vpc_id, self.subnet_ids, self.security_group_ids)
        return None

    @property
    def function_name(self) -> str:
        """The name Chalice gives the API handler: `<app_name>-<stage>`."""
        return f"{self.app_name}-{self.name}"

    def on_network(self, network: PrivateNetwork) -> Stage:
        return self.model_copy(update=network._asdict())


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


# Keys Chalice looks up in the stage, else at the top level; `usage_plan` and `alarms` are
# per stage.
INHERITED = ("app_name", "iam_policy_file", "lambda_timeout", "reserved_concurrency",
             "api_gateway_stage", "log_retention_in_days", "vpc_id", "subnet_ids",
             "security_group_ids")  # fmt: skip


def read_stage(config: Mapping[str, Any], name: str, chalice_dir: Path | None = None) -> Stage:
    stages = config.get("stages", {})
    if name not in stages:
        raise StageConfigError(f"stages.{name}: no such stage in .chalice/config.json")
    stage: Mapping[str, Any] = stages[name]
    settings = {key: stage.get(key, config.get(key)) for key in INHERITED}
    settings |= {key: stage[key] for key in ("usage_plan", "alarms") if key in stage}
    environment = {
        **config.get("environment_variables", {}),
        **stage.get("environment_variables", {}),
    }
    settings = {key: value for key, value in settings.items() if value is not None}
    try:
        return Stage.model_validate(
            {**settings, "name": name, "environment_variables": environment},
            context={"chalice_dir": chalice_dir or CONFIG_FILE.parent},
        )
    except ValidationError as error:
        raise StageConfigError(
            "; ".join(_problem(f"stages.{name}", e) for e in error.errors())
        ) from None


def _problem(where: str, error: ErrorDetails) -> str:
    """One error, its key first: pydantic's message, or the validator's own words."""
    key = ".".join([where, *map(str, error["loc"])])
    if error["type"] == "missing":
        return f"{key} is not set"
    if error["type"] == "extra_forbidden":
        return f"{key} is not a setting of this block (deploy/stages.py lists them)"
    if error["type"] == "value_error":
        return f"{key}{' ' if error['loc'] else '.'}{error.get('ctx', {}).get('error')}"
    return f"{key}: {error['msg']}"


def write_stage(
    stage: str,
    endpoint: str,
    endpoint_arn: str,
    card: Mapping[str, Any],
    project_dir: Path = PROJECT_DIR,
    model: str | None = None,
) -> tuple[Path, ...]:
    """After `python -m deploy endpoint host --stage`: point the stage at the endpoint, so `chalice
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
