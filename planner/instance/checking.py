"""The checker that every cross-check writes into: problems (errors), warnings, spelling
suggestions and region maps (shared by `planner.instance.checks` and
`planner.instance.check_extensions`)."""

from __future__ import annotations

import difflib

from planner.errors import Problem
from planner.instance.schema import Instance

MAX_LISTED = 20
"""Most names listed in a message (and compared for a spelling suggestion: 20 * 50)."""


def unknown_name(name: str, kind: str, known: list[str], suggest: bool = True) -> str:
    if not known:
        return f"define '{name}' first: the instance has no {kind}"
    close = []
    if suggest and len(known) <= 50 * MAX_LISTED and len(name) <= 100:
        close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}use one of the {kind}: {listed(known)}"


def listed(names: list[str]) -> str:
    """Names joined by commas, at most MAX_LISTED of them."""
    text = ", ".join(names[:MAX_LISTED])
    if len(names) > MAX_LISTED:
        text += f", ... ({len(names) - MAX_LISTED:,} more)"
    return text


class Checker:
    """Collects the problems (errors) and warnings of one schema-valid instance."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.regions = list(inst.regions)
        self.region_set = set(self.regions)

    def unknown(self, name: str, kind: str, known: list[str]) -> str:
        # spelling suggestions for the first problems only: difflib is slow on many names
        return unknown_name(name, kind, known, suggest=len(self.problems) < MAX_LISTED)
