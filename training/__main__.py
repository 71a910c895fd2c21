"""Entry point for ``python -m training``."""

from __future__ import annotations

from training.cli import cli

if __name__ == "__main__":
    cli(prog_name="python -m training")
