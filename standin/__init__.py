"""A local stand-in for the SageMaker Runtime InvokeEndpoint API, serving the JSON model artifact.

Standard library only: a laptop without an AWS account (or numpy) can run the whole stack.
"""

from __future__ import annotations

from standin.running import RunningStandin, serve, start_in_thread

__all__ = ["RunningStandin", "serve", "start_in_thread"]
