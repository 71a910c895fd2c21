"""`make package`: Chalice's SAM template with the usage plan, API key, policy, and a small zip;
arm64 on Python 3.13, access logs, tracing, retention, alarms, a dashboard, the private path.

The package is built once per stage, with and without the private path (example ids), and
session, by the commands the Makefile runs, into a temporary directory; the SAM expansion is
the one CloudFormation's transform performs; cfn-lint and checkov run as `make package` runs them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from samtranslator.translator.transform import transform

from deploy.merge_template import (
    API_KEY,
    API_KEY_OUTPUT,
    USAGE_PLAN,
    USAGE_PLAN_KEY,
    merge_template,
)
from deploy.package_check import MAX_ZIP_BYTES, zip_problems
from deploy.policy import stack_policy
from deploy.stages import (
    EXAMPLE_NETWORK,
    Stage,
    StageConfigError,
    load_config,
    read_stage,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# `make` builds it on first use (requirements-checkov.txt); the tests use the same one.
CHECKOV = PROJECT_DIR / ".venv-checkov" / "bin" / "checkov"
REGION = "us-east-1"
DEPLOYED_STAGES = ("dev", "prod")
VARIANTS = [(stage, private) for stage in DEPLOYED_STAGES for private in (False, True)]
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


@pytest.fixture(
    scope="session",
    params=VARIANTS,
    ids=[f"{stage}-private" if private else stage for stage, private in VARIANTS],
)
def package(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Package:
    stage, private = request.param
    work = tmp_path_factory.mktemp(f"package-{stage}")
    merge_file = work / "merge-template.json"
    directory = work / stage
    example = ["--example-network"] if private else []
    _run([sys.executable, "-m", "deploy", "api", "template", "--stage", stage, *example,
          "--output", merge_file])  # fmt: skip
    _run([BIN / "chalice", "package", "--merge-template", merge_file, "--stage", stage,
          directory])  # fmt: skip
    _run([sys.executable, "-m", "deploy", "api", "check", directory])
    configured = read_stage(load_config(), stage)
    if private:
        configured = configured.on_network(EXAMPLE_NETWORK)
    return Package(configured, directory)


def _expanded(package: Package) -> dict[str, Any]:
    """The template after SAM's transform, as CloudFormation will create it."""
    template = package.template
    # What `sam deploy` / `aws cloudformation package` does before the transform runs.
    template["Resources"]["APIHandler"]["Properties"]["CodeUri"] = "s3://bucket/deployment.zip"
    expanded: dict[str, Any] = transform(template, {}, _NoManagedPolicies())
    return expanded


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


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
        archive.writestr("tests/unit/test_app_routes.py", "")
        archive.writestr("numpy/__init__.py", "x" * MAX_ZIP_BYTES * 2)
    problems = zip_problems(tmp_path / "deployment.zip")
    assert problems[0].startswith("deployment.zip is ")
    assert problems[1:] == [
        "deployment.zip has no app.py",
        "deployment.zip holds tests/unit/test_app_routes.py",
        "deployment.zip holds numpy/__init__.py",
    ]
    command = [sys.executable, "-m", "deploy", "api", "check", str(tmp_path)]
    result = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1  # one line
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
    expanded = _expanded(package)["Resources"]
    (stage_stanza,) = expanded[USAGE_PLAN]["Properties"]["ApiStages"]
    assert stage_stanza["ApiId"] == {"Ref": "RestAPI"}
    stage_resource = expanded[stage_stanza["Stage"]["Ref"]]
    assert stage_resource["Type"] == "AWS::ApiGateway::Stage"
    assert stage_resource["Properties"]["StageName"] == package.stage.api_gateway_stage
    assert stage_resource["Properties"]["RestApiId"] == {"Ref": "RestAPI"}


def test_a_path_the_api_lacks_is_its_404_in_its_own_shape(package: Package) -> None:
    api = _expanded(package)["Resources"]["RestAPI"]["Properties"]["Body"]
    answer = api["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]
    assert answer["statusCode"] == "404"
    (template,) = answer["responseTemplates"].values()
    error = json.loads(template)["error"]
    assert (error["code"], error["request_id"]) == ("not_found", "$context.requestId")
    assert "openapi.json" in error["message"]


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
    private = package.stage.network is not None
    endpoint = {"Ref": "SageMakerRuntimeEndpoint"} if private else None
    assert policy["PolicyDocument"] == stack_policy(package.stage, endpoint)
    function_name = package.template["Resources"]["APIHandler"]["Properties"]["FunctionName"]
    statements = policy["PolicyDocument"]["Statement"]
    log_groups = [s["Resource"]["Fn::Sub"] for s in statements[1:3]]
    assert all(f":log-group:/aws/lambda/{function_name}" in arn for arn in log_groups)
    tracked = json.loads(package.stage.policy_file.read_text())
    assert tracked["Statement"][2]["Resource"].endswith(f"/aws/lambda/{function_name}")
    invoke = statements[0]
    if private:
        assert invoke["Condition"] == {"StringEquals": {"aws:SourceVpce": endpoint}}
    else:
        assert "Condition" not in invoke


# --- Runtime, architecture, tracing ---------------------------------------------------------


def test_the_function_runs_python_3_13_on_arm64_whatever_python_packaged_it(
    package: Package,
) -> None:
    function = package.template["Resources"]["APIHandler"]["Properties"]
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    expanded = _of_type(_expanded(package), "AWS::Lambda::Function")
    assert [f["Properties"]["Runtime"] for f in expanded.values()] == ["python3.13"]
    assert [f["Properties"]["Architectures"] for f in expanded.values()] == [["arm64"]]


def test_x_ray_traces_the_apis_stage_and_the_function(package: Package) -> None:
    expanded = _expanded(package)
    (function,) = _of_type(expanded, "AWS::Lambda::Function").values()
    assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}
    (stage,) = _of_type(expanded, "AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["TracingEnabled"] is True
    assert load_config()["xray"] is True  # so `chalice deploy` traces too


# --- Logs: access log, retention ------------------------------------------------------------

# What an operator needs from each request, API Gateway's own 403 and 429 included: request id,
# time, method, resource, status, latency, integration latency, API key id, caller IP.
ACCESS_LOG_NEEDS = {
    f"$context.{name}"
    for name in [
        "requestId",
        "requestTimeEpoch",
        "httpMethod",
        "resourcePath",
        "status",
        "responseLatency",
        "integrationLatency",
        "identity.apiKeyId",
        "identity.sourceIp",
    ]
}


def test_the_access_log_is_json_to_its_own_log_group_without_a_body(package: Package) -> None:
    expanded = _expanded(package)
    (stage,) = _of_type(expanded, "AWS::ApiGateway::Stage").values()
    setting = stage["Properties"]["AccessLogSetting"]
    group_id = setting["DestinationArn"]["Fn::GetAtt"][0]
    group = expanded["Resources"][group_id]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["LogGroupName"] != f"/aws/lambda/{package.stage.function_name}"
    fields = json.loads(setting["Format"])
    assert set(fields.values()) >= ACCESS_LOG_NEEDS
    assert all(re.fullmatch(r"\$context\.[a-zA-Z.]+", value) for value in fields.values())
    assert not [v for v in [*fields, *fields.values()] if re.search("body|payload", v, re.I)]
    # Execution logs (which can hold bodies) stay off.
    assert "DataTraceEnabled" not in json.dumps(expanded)


def test_every_log_group_keeps_its_stages_retention(package: Package) -> None:
    groups = _of_type(_expanded(package), "AWS::Logs::LogGroup")
    retention = load_config()["stages"][package.stage.name]["log_retention_in_days"]
    assert {"dev": 14, "prod": 90}[package.stage.name] == retention
    assert len(groups) == 2
    assert {g["Properties"]["RetentionInDays"] for g in groups.values()} == {retention}
    names = {g["Properties"]["LogGroupName"] for g in groups.values()}
    assert f"/aws/lambda/{package.stage.function_name}" in names


# --- Alarms, their topic, the dashboard -----------------------------------------------------

# (namespace, metric, statistic, the stage's threshold in the metric's own unit)
EXPECTED_ALARMS = {
    ("AWS/ApiGateway", "5XXError"): ("Average", lambda t: t.api_5xx_rate),
    ("AWS/ApiGateway", "Latency"): ("p99", lambda t: t.api_p99_latency_ms),
    ("AWS/Lambda", "Errors"): ("Sum", lambda t: t.lambda_errors),
    ("AWS/Lambda", "Throttles"): ("Sum", lambda t: t.lambda_throttles),
    ("AWS/SageMaker", "Invocation5XXErrors"): ("Sum", lambda t: t.endpoint_5xx_errors),
    ("AWS/SageMaker", "ModelLatency"): ("p99", lambda t: t.model_latency_p99_ms * 1000),
    ("AWS/SageMaker", "InvocationsPerInstance"): (
        "Sum",
        lambda t: t.invocations_per_instance_per_minute,
    ),
}


def _alarms_by_metric(package: Package) -> dict[tuple[str, str], dict[str, Any]]:
    alarms = _of_type(package.template, "AWS::CloudWatch::Alarm").values()
    return {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]): a for a in alarms}


def _dimensions(package: Package, namespace: str) -> dict[str, Any]:
    stage = package.stage
    return {
        "AWS/ApiGateway": {"ApiName": stage.function_name, "Stage": stage.api_gateway_stage},
        "AWS/Lambda": {"FunctionName": stage.function_name},
        "AWS/SageMaker": {
            "EndpointName": stage.endpoint_name,
            "VariantName": {"Ref": "EndpointVariant"},
        },
    }[namespace]


@pytest.mark.parametrize("metric", list(EXPECTED_ALARMS), ids="/".join)
def test_each_alarm_watches_its_figure_and_notifies_the_topic(
    package: Package, metric: tuple[str, str]
) -> None:
    alarms = _alarms_by_metric(package)
    assert set(alarms) == set(EXPECTED_ALARMS)
    properties = alarms[metric]["Properties"]
    statistic, threshold = EXPECTED_ALARMS[metric]
    assert properties.get("ExtendedStatistic", properties.get("Statistic")) == statistic
    assert properties["Threshold"] == threshold(package.stage.alarms)
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    dimensions = {d["Name"]: d["Value"] for d in properties["Dimensions"]}
    assert dimensions == _dimensions(package, metric[0])
    topic = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}
    assert properties["AlarmActions"] == properties["OKActions"] == [topic]
    assert properties["AlarmName"].startswith(package.stage.function_name)


def test_the_api_metrics_name_this_stages_api(package: Package) -> None:
    api = package.template["Resources"]["RestAPI"]["Properties"]
    assert api["Name"] == package.stage.function_name  # the alarms' ApiName


def test_the_topic_is_created_unless_one_is_given(package: Package) -> None:
    template = package.template
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    assert template["Conditions"]["CreateAlarmTopic"] == {
        "Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]
    }
    topic = template["Resources"]["AlarmTopic"]
    assert (topic["Type"], topic["Condition"]) == ("AWS::SNS::Topic", "CreateAlarmTopic")


def test_the_dashboard_graphs_every_alarmed_figure(package: Package) -> None:
    (dashboard,) = _of_type(package.template, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == package.stage.function_name
    text = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    # What `Fn::Sub` fills in: the region and the parameter, nothing else.
    assert set(re.findall(r"\$\{([^}]*)\}", text)) == {"AWS::Region", "EndpointVariant"}
    body = json.loads(text.replace("${AWS::Region}", REGION).replace("${EndpointVariant}", "v1"))
    graphed = {tuple(w["properties"]["metrics"][0][:2]) for w in body["widgets"]}
    assert graphed == set(EXPECTED_ALARMS)
    for widget in body["widgets"]:
        (metric,) = widget["properties"]["metrics"]
        dimensions = dict(zip(metric[2::2], metric[3::2], strict=True))
        expected = _dimensions(package, metric[0])
        expected = {k: "v1" if isinstance(v, dict) else v for k, v in expected.items()}
        assert dimensions == expected
        assert widget["properties"]["region"] == REGION


# --- The private path -----------------------------------------------------------------------


def test_the_private_path_puts_the_function_and_sagemaker_runtime_in_the_vpc(
    package: Package,
) -> None:
    resources = package.template["Resources"]
    function = resources["APIHandler"]["Properties"]
    endpoints = _of_type(package.template, "AWS::EC2::VPCEndpoint")
    network = package.stage.network
    if network is None:
        assert "VpcConfig" not in function
        assert endpoints == {}
        assert _of_type(package.template, "AWS::EC2::SecurityGroup") == {}
        return
    assert function["VpcConfig"] == {
        "SubnetIds": list(network.subnet_ids),
        "SecurityGroupIds": list(network.security_group_ids),
    }
    (endpoint,) = endpoints.values()
    properties = endpoint["Properties"]
    assert properties["ServiceName"] == {
        "Fn::Sub": "com.amazonaws.${AWS::Region}.sagemaker.runtime"
    }
    assert properties["VpcEndpointType"] == "Interface"
    assert properties["PrivateDnsEnabled"] is True
    assert properties["VpcId"] == network.vpc_id
    assert properties["SubnetIds"] == list(network.subnet_ids)
    (group_id,) = (ref["Ref"] for ref in properties["SecurityGroupIds"])
    group = resources[group_id]["Properties"]
    assert [rule["SourceSecurityGroupId"] for rule in group["SecurityGroupIngress"]] == list(
        network.security_group_ids
    )
    assert {(r["FromPort"], r["ToPort"]) for r in group["SecurityGroupIngress"]} == {(443, 443)}
    (statement,) = properties["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sagemaker:InvokeEndpoint"
    assert statement["Resource"]["Fn::Sub"].endswith(f":endpoint/{package.stage.endpoint_name}")


def test_the_private_path_needs_all_three_keys() -> None:
    with pytest.raises(StageConfigError, match=r"stages\.dev\.vpc_id is not set"):
        read_stage(
            _config_with({"subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"]}), "dev"
        )
    with pytest.raises(StageConfigError, match=r"stages\.dev\.security_group_ids is not set"):
        read_stage(_config_with({"subnet_ids": ["subnet-1"], "vpc_id": "vpc-1"}), "dev")
    stage = read_stage(
        _config_with(
            {"subnet_ids": ["subnet-1"], "security_group_ids": ["sg-1"], "vpc_id": "vpc-1"}
        ),
        "dev",
    )
    assert stage.network is not None
    assert stage.network.subnet_ids == ["subnet-1"]


# --- cfn-lint ------------------------------------------------------------------------------


def test_cfn_lint_finds_nothing(package: Package) -> None:
    command = [BIN / "cfn-lint", "--regions", REGION, "--", package.directory / "sam.json"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


# --- checkov ---------------------------------------------------------------------------------

# Each skip sits on its resource in the template, with its reason; nothing is skipped globally.
EXPECTED_SKIPS = {
    ("CKV_AWS_116", "APIHandler"),  # no dead-letter queue for a synchronous invoke
    ("CKV_AWS_173", "APIHandler"),  # an environment of names, no secret
    ("CKV_AWS_120", "RestAPI"),  # no cache in front of a POST of patient rows
    ("CKV_AWS_158", "ApiHandlerLogGroup"),  # logs without patient data
    ("CKV_AWS_158", "ApiAccessLogGroup"),
    ("CKV_AWS_26", "AlarmTopic"),  # alarm notices
}


def test_checkov_fails_no_check(package: Package) -> None:
    assert CHECKOV.exists(), f"{CHECKOV} is missing: `make package` or `make test` builds it"
    command = [CHECKOV, "--compact", "--skip-download", "--framework",
               "cloudformation", "-o", "json", "-f", package.directory / "sam.json"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    report = json.loads(result.stdout)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert (result.returncode, failed) == (0, []), result.stderr
    assert report["summary"]["passed"] >= 15
    skipped = {
        (c["check_id"], c["resource"].split(".")[-1]): c["check_result"].get("suppress_comment")
        for c in report["results"]["skipped_checks"]
    }
    expected = set(EXPECTED_SKIPS)
    if package.stage.network is None:  # the private path is opt-in
        expected.add(("CKV_AWS_117", "APIHandler"))
    assert set(skipped) == expected
    assert all(len(reason or "") > 40 for reason in skipped.values()), skipped
    passed = {c["check_id"] for c in report["results"]["passed_checks"]}
    assert {"CKV_AWS_73", "CKV_AWS_76", "CKV_AWS_66"} <= passed  # tracing, access log, retention


# --- The one place per-stage values come from ---------------------------------------------


def _config_with(stage_block: dict[str, Any]) -> dict[str, Any]:
    config = load_config()
    config["stages"]["dev"] = {**config["stages"]["dev"], **stage_block}
    return config


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"usage_plan": {"rate_limit": 5}}, "stages.dev.usage_plan.burst_limit is not set"),
        ({"usage_plan": [5, 10, 100]}, "stages.dev.usage_plan: Input should be a valid dictionary"),
        (
            {"usage_plan": {"rate_limit": 0, "burst_limit": 1, "daily_quota": 1}},
            "stages.dev.usage_plan.rate_limit: Input should be greater than 0",
        ),
        (
            {"usage_plan": {"rate_limit": 1, "burst_limit": 1.5, "daily_quota": 1}},
            "stages.dev.usage_plan.burst_limit: Input should be a valid integer",
        ),
        (
            {"reserved_concurrency": -1},
            "stages.dev.reserved_concurrency: Input should be greater",
        ),
        ({"lambda_timeout": True}, "stages.dev.lambda_timeout: Input should be a valid integer"),
        ({"environment_variables": {}}, "stages.dev.environment_variables.ENDPOINT_NAME"),
        ({"iam_policy_file": ""}, "stages.dev.iam_policy_file is not set"),
        ({"log_retention_in_days": 10}, "stages.dev.log_retention_in_days must be one of"),
        (
            {"alarms": {"api_5xx_rate": 0}},
            "stages.dev.alarms.api_5xx_rate: Input should be greater",
        ),
        ({"alarms": {"cpu": 1}}, "stages.dev.alarms.cpu is not a setting of this block"),
        ({"alarms": [1]}, "stages.dev.alarms: Input should be a valid dictionary"),
        ({"subnet_ids": "subnet-1"}, "stages.dev.subnet_ids: Input should be a valid list"),
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
    command = [sys.executable, "-m", "deploy", "api", "template", "--stage", "local"]
    result = subprocess.run(
        [*command, "--output", str(output)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: stages.local.usage_plan is not set")
    assert result.stderr.count("\n") == 1
    assert not output.exists()


def test_a_deployed_stage_needs_a_log_retention() -> None:
    config = _config_with({})
    del config["stages"]["dev"]["log_retention_in_days"]
    stage = read_stage(config, "dev")
    with pytest.raises(ValueError, match=r"stages\.dev\.log_retention_in_days is not set"):
        merge_template(stage)


def test_alarm_thresholds_are_set_per_stage() -> None:
    stage = read_stage(_config_with({"alarms": {"api_p99_latency_ms": 1500}}), "dev")
    assert stage.alarms.api_p99_latency_ms == 1500
    assert stage.alarms.api_5xx_rate == read_stage(load_config(), "dev").alarms.api_5xx_rate
