"""What of a caller's key names (and media types) an error message may repeat: names, never
numbers or text.

A key can carry a measurement (`{"13.49": ...}`) or an identifier (`{"_134977777": ...}`, a
record number) as easily as a value can, so only keys of letters and underscores are quoted
back; any other, and any key holding a digit, is only counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import islice

_ECHOABLE = re.compile(r"[A-Za-z_]{1,40}")
# A media type is repeated only as letters, `.`, `+` and `-` (application/x-www-form-urlencoded):
# no digit, so no value and no record number, whatever a caller puts in Content-Type.
_ECHOABLE_MEDIA_TYPE = re.compile(r"[a-z]{1,20}/[a-z][a-z.+-]{0,60}")


def echoable_media_type(media_type: str) -> str | None:
    """`media_type`, lower-cased, where it may be repeated; else None."""
    lowered = media_type.lower()
    return lowered if _ECHOABLE_MEDIA_TYPE.fullmatch(lowered) else None


def echoable(name: str) -> bool:
    return _ECHOABLE.fullmatch(name) is not None


def quote_names(names: Sequence[str], shown: int = 3) -> str:
    """`'colour', 'size' and 2 more`; `1 other name` when none may be repeated."""
    quoted = list(islice((repr(name) for name in names if echoable(name)), shown))
    rest = len(names) - len(quoted)
    if not quoted:
        return f"{rest} other name{'s' if rest != 1 else ''}"
    return ", ".join(quoted) + (f" and {rest} more" if rest else "")
