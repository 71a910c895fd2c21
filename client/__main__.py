"""Entry point for ``python -m client``."""

from __future__ import annotations

from client.cli import cli

if __name__ == "__main__":
    cli(prog_name="python -m client")
