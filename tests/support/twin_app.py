"""The app for a test contract of each task (tests/support/contracts.py) in front of a twin of its
endpoint, which answers every row in Linear Learner's format for that task: in process, or on a
free port of 127.0.0.1 behind Chalice's local gateway, as `make run` serves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import LocalGateway

from chalicelib.application import create_app
from chalicelib.contract import Contract
from chalicelib.settings import Settings
from devserver.gateway import GatewayApp
from standin.serving import Server
from tests.support.contracts import (
    BINARY_DOCUMENT,
    MULTICLASS_DOCUMENT,
    REGRESSION_DOCUMENT,
    contract,
)
from tests.support.endpoint_twins import LinearLearnerTwin

BINARY, MULTICLASS, REGRESSION = (
    contract(document) for document in (BINARY_DOCUMENT, MULTICLASS_DOCUMENT, REGRESSION_DOCUMENT)
)
# What each twin answers for every row.
RECORDS: dict[str, dict[str, Any]] = {
    BINARY.name: {"score": 0.75, "predicted_label": 1},
    MULTICLASS.name: {"score": [0.1, 0.2, 0.7], "predicted_label": 2},
    REGRESSION.name: {"score": 3.61},
}


def twin_app(model: Contract) -> Chalice:
    twin = LinearLearnerTwin(RECORDS[model.name], name=f"{model.name}-twin")
    return create_app(Settings(twin.name, model.name), twin, model)


@contextmanager
def serve(model: Contract) -> Iterator[str]:
    """`twin_app(model)` on a free port of 127.0.0.1; yields its URL."""
    with serve_app(twin_app(model)) as url:
        yield url


@contextmanager
def serve_app(app: Chalice) -> Iterator[str]:
    """`app` on a free port of 127.0.0.1, behind Chalice's local gateway; yields its URL."""
    config = Config.create(chalice_stage="dev", app_name=app.app_name)
    gateway = GatewayApp(LocalGateway(app, config), frozenset(app.routes))
    with Server(gateway, "127.0.0.1", 0) as server:
        server.start()
        yield server.url
