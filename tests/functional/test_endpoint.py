"""Endpoint invocation's transport failures against real sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from chalicelib.endpoint import (
    ModelEndpoint,
)
from chalicelib.errors import (
    EndpointTimeout,
    EndpointUnreachable,
)
from tests.support.endpoint_twins import offline_client
from tests.support.rows import EXAMPLE_VALUES


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_is_503_unreachable() -> None:
    client = offline_client(f"http://127.0.0.1:{_free_port()}", retries={"total_max_attempts": 1})
    with pytest.raises(EndpointUnreachable) as caught:
        ModelEndpoint("wdbc-test", lambda: client).invoke([EXAMPLE_VALUES])
    assert caught.value.STATUS_CODE == 503


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections, reads the request, never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_an_endpoint_slower_than_the_read_timeout_is_504(silent_server: str) -> None:
    client = offline_client(silent_server, read_timeout=0.2, retries={"total_max_attempts": 1})
    with pytest.raises(EndpointTimeout) as caught:
        ModelEndpoint("wdbc-test", lambda: client).invoke([EXAMPLE_VALUES])
    assert caught.value.STATUS_CODE == 504
