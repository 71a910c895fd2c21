"""Every failure a command can meet, as one line and exit status 1; never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from botocore.exceptions import BotoCoreError, ClientError

from training.aws_clients import cloud_error
from training.errors import TrainingError


@contextmanager
def reported_errors(action: str) -> Iterator[None]:
    try:
        yield
    except TrainingError as error:
        raise click.ClickException(str(error)) from None
    except (ClientError, BotoCoreError) as error:
        raise click.ClickException(str(cloud_error(action, error))) from None


@contextmanager
def usage_errors() -> Iterator[None]:
    """Settings that click's types cannot check alone (min <= max, allowed memory sizes)."""
    try:
        yield
    except ValueError as error:
        raise click.UsageError(str(error)) from None
