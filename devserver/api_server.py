"""Serve the Chalice app of a project directory through Chalice's own local gateway."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer, ThreadedHTTPServer

from devserver.fast_handler import FastChaliceRequestHandler


def build_api_server(
    project_dir: Path,
    stage: str,
    host: str,
    port: int,
    environment_overrides: Mapping[str, str],
) -> Any:
    """A threaded LocalDevServer for `stage`, with the stage's environment plus the overrides."""
    # As `chalice local` does: the stage's variables go into this process's os.environ.
    factory = CLIFactory(str(project_dir), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    environment = {**config.environment_variables, **environment_overrides}
    app = factory.load_chalice_app(environment)
    # What chalice.local.create_local_server does so that current_request is per thread.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(
        app,
        config,
        host,
        port,
        handler_cls=FastChaliceRequestHandler,
        server_cls=ThreadedHTTPServer,
    )


def stage_environment(project_dir: Path, stage: str) -> dict[str, str]:
    factory = CLIFactory(str(project_dir))
    return dict(factory.create_config_obj(chalice_stage_name=stage).environment_variables)


def local_credentials_defaults() -> dict[str, str]:
    """boto3 signs every request, even to the stand-in: give it harmless values if none are set."""
    defaults = {
        "AWS_ACCESS_KEY_ID": "local-stand-in",
        "AWS_SECRET_ACCESS_KEY": "local-stand-in",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    has_credentials = "AWS_ACCESS_KEY_ID" in os.environ or "AWS_PROFILE" in os.environ
    return {
        key: value
        for key, value in defaults.items()
        if key not in os.environ
        and not (has_credentials and key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))
    }
