"""`python -m postman`: write postman/wdbc.postman_collection.json from WDBC's contract, and
postman/local.postman_environment.json, its variables set for `make run`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from postman.collection import COLLECTION_FILE, ENVIRONMENT_FILE, render, render_environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m postman", description=__doc__)
    parser.add_argument("--output", type=Path, default=COLLECTION_FILE, help="the collection")
    parser.add_argument("--environment", type=Path, default=ENVIRONMENT_FILE, help="its variables")
    options = parser.parse_args(argv)
    for output, text in ((options.output, render()), (options.environment, render_environment())):
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != text:
            output.write_text(text, encoding="utf-8")
        print(f"postman: {output} {'unchanged' if current == text else 'written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
