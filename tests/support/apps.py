"""The app every in-process test builds: the endpoint name its settings give, the client's type."""

from __future__ import annotations

from collections.abc import Callable

from chalice.test import Client

ENDPOINT_NAME = "wdbc-test"
# `make_client(endpoint, **settings)`, the fixture in tests/conftest.py.
MakeClient = Callable[..., Client]
