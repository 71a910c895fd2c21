"""What the Lambda zip may hold: our code and Chalice's runtime, nothing else, in 96 KiB."""

from __future__ import annotations

import zipfile
from pathlib import Path

MAX_ZIP_BYTES = 96 * 1024
# Chalice adds its own runtime (the `chalice.app` module the Lambda imports) to every package.
CHALICE_RUNTIME = frozenset({"chalice/__init__.py", "chalice/app.py"})


def zip_problems(zip_path: Path) -> list[str]:
    problems = []
    size = zip_path.stat().st_size
    if size > MAX_ZIP_BYTES:
        problems.append(f"{zip_path.name} is {size} bytes; the budget is {MAX_ZIP_BYTES}")
    with zipfile.ZipFile(zip_path) as archive:
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
    if "app.py" not in names:
        problems.append(f"{zip_path.name} has no app.py")
    problems.extend(f"{zip_path.name} holds {name}" for name in names if not _expected(name))
    return problems


def _expected(name: str) -> bool:
    if name == "app.py" or name in CHALICE_RUNTIME:
        return True
    return name.startswith("chalicelib/") and "__pycache__" not in name
