"""Fixtures of the tests against real local servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from standin import RunningStandin, start_in_thread
from standin.model import load_model
from tests.support.apps import ENDPOINT_NAME
from tests.support.local_stack import LOCAL_MODEL


@pytest.fixture(scope="session")
def local_model_file() -> Path:
    return LOCAL_MODEL


@pytest.fixture
def local_standin(local_model_file: Path) -> Iterator[RunningStandin]:
    """The SageMaker Runtime stand-in serving the committed model on 127.0.0.1, a free port."""
    with start_in_thread(load_model(local_model_file), ENDPOINT_NAME) as running:
        yield running
