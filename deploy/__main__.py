"""Entry point for ``python -m deploy``."""

from __future__ import annotations

from deploy.cli import cli

if __name__ == "__main__":
    cli(prog_name="python -m deploy")
