"""Starting and stopping a stand-in: in a background thread (tests, other code) or blocking."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from standin.runtime_api import new_endpoint
from standin.server import StandinServer, make_server
from training.artifact import ModelArtifact

# How often serve_forever looks for a stop request: the upper bound on how long stop() takes.
_STOP_POLL_SECONDS = 0.05


class RunningStandin:
    """A listening stand-in served by a daemon thread; `stop()` closes the listening socket."""

    def __init__(self, server: StandinServer) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _STOP_POLL_SECONDS},
            name=f"standin-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return _url(self._server)

    @property
    def endpoint_name(self) -> str:
        return self._server.endpoint.name

    @property
    def variant(self) -> str:
        return self._server.endpoint.variant

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> RunningStandin:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_in_thread(
    artifact: ModelArtifact,
    endpoint_name: str,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    variant: str | None = None,
    log_requests: bool = False,
) -> RunningStandin:
    """Listening when it returns; port 0 picks a free port (read it from `.port` or `.url`)."""
    endpoint = new_endpoint(artifact, endpoint_name, variant)
    return RunningStandin(make_server(endpoint, host, port, log_requests=log_requests))


def serve(
    artifact: ModelArtifact,
    endpoint_name: str,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    variant: str | None = None,
    log_requests: bool = False,
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Serve in this thread until an exception (KeyboardInterrupt, a signal handler's) ends it.

    `on_listening` receives the URL once the socket listens, with the real port if port was 0.
    """
    endpoint = new_endpoint(artifact, endpoint_name, variant)
    with make_server(endpoint, host, port, log_requests=log_requests) as server:
        if on_listening is not None:
            on_listening(_url(server))
        server.serve_forever()


def _url(server: StandinServer) -> str:
    host, port = str(server.server_address[0]), int(server.server_address[1])
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
