"""`python -m apispec`: write chalicelib/openapi.json; `--check`: fail if it is out of date."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from apispec.document import build_spec, render
from chalicelib.discovery import SPEC_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apispec", description=__doc__)
    parser.add_argument("--output", type=Path, default=SPEC_FILE, help="where to write the spec")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the file differs"
    )
    options = parser.parse_args(argv)
    text = render(build_spec())
    current = options.output.read_text(encoding="utf-8") if options.output.exists() else None
    if options.check:
        if current != text:
            print(f"{options.output} is out of date: run python -m apispec", file=sys.stderr)
            return 1
        return 0
    if current != text:
        options.output.write_text(text, encoding="utf-8")
    print(f"apispec: {options.output} {'unchanged' if current == text else 'written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
