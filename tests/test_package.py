"""`make package`: Chalice's SAM template with the usage plan, API key, policy, and a small zip.

The package is built once per stage and session, by the commands the Makefile runs, into a
temporary directory; the SAM expansion is the one CloudFormation's transform performs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from samtranslator.translator.transform import transform

from deploy.merge_template import API_KEY, API_KEY_OUTPUT, USAGE_PLAN, USAGE_PLAN_KEY
from deploy.package_check import MAX_ZIP_BYTES, zip_problems
from deploy.policy import stack_policy
from deploy.stages import Stage, StageConfigError, load_config, read_stage

PROJECT_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REGION = "us-east-1"
DEPLOYED_STAGES = ("dev", "prod")
BODY_METHODS = {"post", "put", "patch"}  # what can carry patient data in


class Package(NamedTuple):
    stage: Stage
    directory: Path

    @property
    def template(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.directory / "sam.json").read_text())
        return document

    @property
    def zip_path(self) -> Path:
        return self.directory / "deployment.zip"


def _run(command: list[str | Path]) -> None:
    environment = {**os.environ, "AWS_DEFAULT_REGION": REGION}
    result = subprocess.run(
        command, cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session", params=DEPLOYED_STAGES)
def package(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Package:
    stage = str(request.param)
    work = tmp_path_factory.mktemp(f"package-{stage}")
    merge_template = work / "merge-template.json"
    directory = work / stage
    _run(
        [
            sys.executable,
            "-m",
            "deploy",
            "merge-template",
            "--stage",
            stage,
            "--output",
            merge_template,
        ]
    )
    _run(
        [
            BIN / "chalice",
            "package",
            "--merge-template",
            merge_template,
            "--stage",
            stage,
            directory,
        ]
    )
    return Package(read_stage(load_config(), stage), directory)


def _paths(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = template["Resources"]["RestAPI"]["Properties"][
        "DefinitionBody"
    ]["paths"]
    return paths


# --- The zip ------------------------------------------------------------------------------


def test_the_zip_holds_our_code_and_chalices_runtime_only(package: Package) -> None:
    assert zip_problems(package.zip_path) == []
    with zipfile.ZipFile(package.zip_path) as archive:
        names = set(archive.namelist())
    assert {"app.py", "chalice/__init__.py", "chalice/app.py", "chalicelib/cors.py"} <= names
    assert {name.split("/")[0] for name in names} == {"app.py", "chalice", "chalicelib"}
    assert package.zip_path.stat().st_size <= MAX_ZIP_BYTES


def test_the_package_check_names_what_does_not_belong(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "deployment.zip", "w") as archive:
        archive.writestr("chalicelib/web.py", "")
        archive.writestr("tests/test_app_routes.py", "")
        archive.writestr("numpy/__init__.py", "x" * MAX_ZIP_BYTES * 2)
    problems = zip_problems(tmp_path / "deployment.zip")
    assert problems[0].startswith("deployment.zip is ")
    assert problems[1:] == [
        "deployment.zip has no app.py",
        "deployment.zip holds tests/test_app_routes.py",
        "deployment.zip holds numpy/__init__.py",
    ]
    command = [sys.executable, "-m", "deploy", "check-package", str(tmp_path)]
    result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "holds numpy/__init__.py" in result.stderr


# --- API keys -----------------------------------------------------------------------------


def test_the_prediction_route_requires_the_api_key(package: Package) -> None:
    definition = package.template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    post = definition["paths"]["/predictbreastcancer"]["post"]
    assert post["security"] == [{"api_key": []}]
    assert definition["securityDefinitions"]["api_key"] == {
        "type": "apiKey",
        "name": "x-api-key",
        "in": "header",
    }


def test_every_method_that_takes_a_body_is_keyed(package: Package) -> None:
    methods = [
        (path, method, operation)
        for path, operations in _paths(package.template).items()
        for method, operation in operations.items()
    ]
    assert {method for _path, method, _op in methods} & BODY_METHODS
    for path, method, operation in methods:
        if method in BODY_METHODS:
            assert operation.get("security") == [{"api_key": []}], (path, method)


def test_preflights_health_and_the_spec_stay_open(package: Package) -> None:
    paths = _paths(package.template)
    assert "options" in paths["/predictbreastcancer"]
    for path, operations in paths.items():
        if "options" in operations:
            assert "security" not in operations["options"], path
    for path in ("/health", "/openapi.json", "/"):
        for operation in paths.get(path, {}).values():
            assert "security" not in operation, path


# --- Usage plan, key and their link, on the stage SAM creates ----------------------------


def test_the_usage_plan_key_and_link_are_in_the_package(package: Package) -> None:
    resources = package.template["Resources"]
    plan = package.stage.usage_plan
    assert plan is not None
    usage_plan = resources[USAGE_PLAN]
    assert usage_plan["Type"] == "AWS::ApiGateway::UsagePlan"
    assert usage_plan["Properties"]["Throttle"] == {
        "RateLimit": plan.rate_limit,
        "BurstLimit": plan.burst_limit,
    }
    assert usage_plan["Properties"]["Quota"] == {"Limit": plan.daily_quota, "Period": "DAY"}
    assert resources[API_KEY]["Type"] == "AWS::ApiGateway::ApiKey"
    assert resources[API_KEY]["Properties"]["Enabled"] is True
    assert resources[USAGE_PLAN_KEY] == {
        "Type": "AWS::ApiGateway::UsagePlanKey",
        "Properties": {
            "KeyId": {"Ref": API_KEY},
            "KeyType": "API_KEY",
            "UsagePlanId": {"Ref": USAGE_PLAN},
        },
    }
    assert package.template["Outputs"][API_KEY_OUTPUT]["Value"] == {"Ref": API_KEY}


def test_the_usage_plan_is_on_the_apis_stage_after_the_sam_transform(package: Package) -> None:
    template = package.template
    # What `sam deploy` / `aws cloudformation package` does before the transform runs.
    template["Resources"]["APIHandler"]["Properties"]["CodeUri"] = "s3://bucket/deployment.zip"
    expanded = transform(template, {}, _NoManagedPolicies())["Resources"]
    (stage_stanza,) = expanded[USAGE_PLAN]["Properties"]["ApiStages"]
    assert stage_stanza["ApiId"] == {"Ref": "RestAPI"}
    stage_resource = expanded[stage_stanza["Stage"]["Ref"]]
    assert stage_resource["Type"] == "AWS::ApiGateway::Stage"
    assert stage_resource["Properties"]["StageName"] == package.stage.api_gateway_stage
    assert stage_resource["Properties"]["RestApiId"] == {"Ref": "RestAPI"}


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


# --- The function, its role, its limits ----------------------------------------------------


def test_the_function_is_named_configured_and_bounded_per_stage(package: Package) -> None:
    resources = package.template["Resources"]
    function = resources["APIHandler"]["Properties"]
    stage = package.stage
    assert function["FunctionName"] == f"wdbc-predictor-{stage.name}" == stage.function_name
    assert function["Environment"]["Variables"]["ENDPOINT_NAME"] == stage.endpoint_name
    assert function["Timeout"] == stage.lambda_timeout
    assert stage.reserved_concurrency is not None
    assert function["ReservedConcurrentExecutions"] == stage.reserved_concurrency
    assert resources["RestAPI"]["Properties"]["EndpointConfiguration"] == "REGIONAL"


def test_the_role_may_invoke_its_endpoint_and_write_its_functions_logs(package: Package) -> None:
    role = package.template["Resources"]["ApiHandlerRole"]["Properties"]
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"] == stack_policy(package.stage)
    function_name = package.template["Resources"]["APIHandler"]["Properties"]["FunctionName"]
    log_groups = [s["Resource"]["Fn::Sub"] for s in policy["PolicyDocument"]["Statement"][1:]]
    assert all(f":log-group:/aws/lambda/{function_name}" in arn for arn in log_groups)
    tracked = json.loads(package.stage.policy_file.read_text())
    assert tracked["Statement"][2]["Resource"].endswith(f"/aws/lambda/{function_name}")


# --- cfn-lint ------------------------------------------------------------------------------


def test_cfn_lint_finds_nothing(package: Package) -> None:
    command = [BIN / "cfn-lint", "--regions", REGION, "--", package.directory / "sam.json"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


# --- The one place per-stage values come from ---------------------------------------------


def _config_with(stage_block: dict[str, Any]) -> dict[str, Any]:
    config = load_config()
    config["stages"]["dev"] = {**config["stages"]["dev"], **stage_block}
    return config


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"usage_plan": {"rate_limit": 5}}, "stages.dev.usage_plan must hold exactly"),
        ({"usage_plan": [5, 10, 100]}, "stages.dev.usage_plan must be an object"),
        (
            {"usage_plan": {"rate_limit": 0, "burst_limit": 1, "daily_quota": 1}},
            "stages.dev.usage_plan.rate_limit must be a positive number",
        ),
        (
            {"usage_plan": {"rate_limit": 1, "burst_limit": 1.5, "daily_quota": 1}},
            "stages.dev.usage_plan.burst_limit must be a positive whole number",
        ),
        ({"reserved_concurrency": -1}, "stages.dev.reserved_concurrency must be a positive"),
        ({"lambda_timeout": True}, "stages.dev.lambda_timeout must be a positive"),
        ({"environment_variables": {}}, "stages.dev.environment_variables.ENDPOINT_NAME"),
        ({"iam_policy_file": ""}, "stages.dev.iam_policy_file is not set"),
    ],
)
def test_a_bad_stage_setting_names_its_key(block: dict[str, Any], message: str) -> None:
    with pytest.raises(StageConfigError, match=message):
        read_stage(_config_with(block), "dev")


def test_an_unknown_stage_is_named() -> None:
    with pytest.raises(StageConfigError, match=r"stages\.staging: no such stage"):
        read_stage(load_config(), "staging")


def test_a_stage_without_a_usage_plan_cannot_be_packaged(tmp_path: Path) -> None:
    output = tmp_path / "merge.json"
    command = [sys.executable, "-m", "deploy", "merge-template", "--stage", "local"]
    result = subprocess.run(
        [*command, "--output", str(output)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "stages.local.usage_plan is not set" in result.stderr
    assert not output.exists()
