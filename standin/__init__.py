"""A local stand-in for the SageMaker Runtime InvokeEndpoint API, serving a model's folder.

Standard library and uvicorn only for a linear model: a laptop without an AWS account (or numpy)
runs the stack; xgboost only for an XGBoost model.
"""

from __future__ import annotations

from standin.app import Fault, Standin
from standin.model import Container
from standin.serving import Server


class RunningStandin(Server):
    """A listening stand-in on a daemon thread: `script` its faults, `stop()` it."""

    def __init__(self, app: Standin, host: str, port: int) -> None:
        super().__init__(app, host, port)
        self.app, self.endpoint_name, self.variant = app, app.endpoint_name, app.variant

    def script(self, *faults: Fault) -> None:
        self.app.script(*faults)


def start_in_thread(
    model: Container, endpoint_name: str, host: str = "127.0.0.1", port: int = 0, *,
    variant: str | None = None,
) -> RunningStandin:  # fmt: skip
    """Listening when it returns; port 0 picks a free port (read it from `.port` or `.url`)."""
    running = RunningStandin(Standin(model, endpoint_name, variant), host, port)
    running.start()
    return running
