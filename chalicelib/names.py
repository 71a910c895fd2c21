"""Feature names as callers spell them: the contract's, its aliases, and the nearest of them to
a name it lacks ("did you mean").

A JSON key must be a name or an alias as the contract writes it; a CSV header's names match in
any case. A refusal quotes a caller's own name only as errors.echoable allows, and suggests the
contract's name; the model's target (`diagnosis`) is named as what the model predicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from typing import Any

from chalicelib.contract import Contract
from chalicelib.errors import InvalidPayload, echoable, quote_names

# Names looked at for a suggestion: as many as a message quotes, none longer than a name can be.
SUGGESTED = 3
_LONGEST = 64
_AROUND = ' \t\r\n"'  # what may surround a CSV header's name: blanks, a line end, quotes


class FeatureNames:
    def __init__(self, contract: Contract) -> None:
        self.names = contract.feature_names
        self.target = contract.target
        self.spelled: dict[str, str] = {name: name for name in self.names} | {
            alias: feature.name for feature in contract.features for alias in feature.aliases
        }
        self.any_case = {spelling.lower(): name for spelling, name in self.spelled.items()}

    def from_header(self, field: str) -> str:
        """A CSV header's field as the contract names it (in any case, blanks and double quotes
        around it ignored); a name the contract lacks, without them."""
        name = header_name(field)
        return self.any_case.get(name.lower(), name)

    def named(self, features: Mapping[str, Any], field: str) -> dict[str, Any]:
        """`features` keyed by the contract's names, its aliases replaced; a name it lacks, or
        one feature named twice (by its name and an alias), is refused."""
        named = {self.spelled.get(key, key): value for key, value in features.items()}
        unknown = [key for key in features if key not in self.spelled]
        if unknown:
            raise InvalidPayload(f"{field} has {self.unknown(unknown)}", field)
        if len(named) < len(features):
            twice = [name for name in self.names if self._spellings(name, features) > 1]
            shown = ", ".join(twice[:SUGGESTED])
            raise InvalidPayload(f"{field} names {shown} twice, by its name and an alias", field)
        return named

    def _spellings(self, name: str, features: Iterable[str]) -> int:
        return sum(1 for key in features if self.spelled.get(key) == name)

    def unknown(self, names: Sequence[str]) -> str:
        """`unknown name(s) 'concave_point_mean' (did you mean 'concave_points_mean'?)`: the
        names as echo allows, the target and an empty name said as such, the contract's names
        nearest to the first few."""
        notes = []
        if any(name.lower() == self.target.lower() for name in names):
            notes.append(f"{self.target!r} is what the model predicts")
        if "" in names:
            notes.append("an empty name is a trailing comma")
        nearest = dict.fromkeys(
            match for name in islice(names, SUGGESTED) if (match := self.nearest(name))
        )
        if nearest:
            notes.append(f"did you mean {' or '.join(map(repr, nearest))}?")
        if any(map(echoable, names)):
            listed = f"unknown name(s) {quote_names(names)}"
        else:
            listed = f"{len(names)} unknown name(s)"
        return listed + (f" ({'; '.join(notes)})" if notes else "")

    def nearest(self, name: str) -> str | None:
        """The contract's name nearest to `name` (in any case, by its names and aliases), if
        any is near (difflib's ratio, 0.6); a name longer than any can be is not compared."""
        if len(name) > _LONGEST:
            return None
        import difflib  # only when a name is unknown: not at every cold start

        close = difflib.get_close_matches(name.lower(), self.any_case, n=1)
        return self.any_case[close[0]] if close else None


def header_name(field: str) -> str:
    """A CSV header's field as a name: without the blanks, line end and double quotes around it."""
    return field.strip(_AROUND)
