"""What of a caller's key names an error message may repeat: names, never numbers or text.

A key can carry a measurement (`{"13.49": ...}`) or an identifier (`{"_134977777": ...}`, a
record number) as easily as a value can, so only keys of letters and underscores are quoted
back; any other, and any key holding a digit, is only counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import islice

_ECHOABLE = re.compile(r"[A-Za-z_]{1,40}")


def echoable(name: str) -> bool:
    return _ECHOABLE.fullmatch(name) is not None


def quote_names(names: Sequence[str], shown: int = 3) -> str:
    """`'colour', 'size' and 2 more`; `1 other name` when none may be repeated."""
    quoted = list(islice((repr(name) for name in names if echoable(name)), shown))
    rest = len(names) - len(quoted)
    if not quoted:
        return f"{rest} other name{'s' if rest != 1 else ''}"
    return ", ".join(quoted) + (f" and {rest} more" if rest else "")
