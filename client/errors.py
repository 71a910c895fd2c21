"""What can go wrong talking to the API, by what the client does about it."""

from __future__ import annotations


class RowRefused(Exception):
    """The API refused one row of a batch (its `error.row`, from 1): report it, send the rest."""

    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


class BatchFailed(Exception):
    """This batch could not be scored (retries spent, a server error): report its rows, go on."""


class ApiUnusable(Exception):
    """No batch can succeed (no server, a refused key, a wrong URL): stop the run."""
