"""Every tier: never real AWS, no skip in the full gate; the fixtures more than one tier uses."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from chalice.test import Client

from chalicelib.application import create_app
from chalicelib.contract import load_contract
from chalicelib.service import Endpoint
from chalicelib.settings import Settings
from tests.support.apps import ENDPOINT_NAME, MakeClient
from tests.support.local_stack import LOCAL_MODEL, PROJECT_DIR, RunningStack, running_stack
from training.artifact import ModelArtifact, load_artifact

if TYPE_CHECKING:  # training needs scikit-learn: imported by the fixture that trains
    from training.local import LocalTrainingResult

# Harmless credentials, no shared config files, no instance metadata lookups, no endpoint URL
# but the ones a test gives: whatever boto3 client a test builds never reaches AWS.
AWS_SANDBOX = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
AWS_UNSET = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
)

# `make test` sets it: the full gate runs every test, so a skip (an optional dependency missing:
# the SageMaker SDK, Chromium, newman) fails there, naming what is missing.
REQUIRE_OPTIONAL = os.environ.get("REQUIRE_OPTIONAL") == "1"
Report = TypeVar("Report", pytest.TestReport, pytest.CollectReport)


def _no_skip(report: Report) -> Report:
    if REQUIRE_OPTIONAL and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        reason = str(reason).removeprefix("Skipped: ")
        report.longrepr = f"REQUIRE_OPTIONAL=1 runs every test, and this one skipped: {reason}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport() -> Generator[None, pytest.TestReport, pytest.TestReport]:
    return _no_skip((yield))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report() -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    return _no_skip((yield))


@pytest.fixture(scope="session", autouse=True)
def aws_sandbox() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for variable in AWS_UNSET:
            patch.delenv(variable, raising=False)
        for variable, value in AWS_SANDBOX.items():
            patch.setenv(variable, value)
        yield


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """`make_client(endpoint, **settings)`: Chalice's test client of an app built for the test.

    The endpoint is a twin (tests/support/endpoint_twins.py) or a ModelEndpoint of a local stand-in;
    the settings are Settings' fields, `endpoint_name` defaulting to ENDPOINT_NAME.
    """
    with ExitStack() as clients:

        def make(endpoint: Endpoint | None = None, **settings: Any) -> Client:
            defaults = {"endpoint_name": ENDPOINT_NAME, "model": "wdbc"}
            app = create_app(Settings(**{**defaults, **settings}), endpoint)
            return clients.enter_context(
                Client(app, stage_name="dev", project_dir=str(PROJECT_DIR))
            )

        yield make


@pytest.fixture(scope="session")
def trained() -> LocalTrainingResult:
    """The real local model, trained once per test session (about a second)."""
    from training.local import train_local

    return train_local()


@pytest.fixture(scope="session")
def local_model() -> ModelArtifact:
    """The committed local model: what `make run` serves, and what the local card describes."""
    return load_artifact(LOCAL_MODEL, load_contract("wdbc").feature_names)


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    """`python -m devserver` as `make run` starts it, on free ports: one for the whole session."""
    with running_stack() as running:
        yield running
