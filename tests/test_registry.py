"""The family registry is the one home of every constraint family and bound kind
(docs/architecture.md, "Where to add things"): a family's name is written only in its
registry entry and its `define_` function."""

from __future__ import annotations

import ast
from pathlib import Path

from planner.instance.schema import Technology
from planner.model.registry import BOUNDS, CVAR_EXCESS, FAMILIES, entry

PACKAGE = Path(__file__).parent.parent / "planner"
HOMES = {"registry.py", "families.py", "slice_families.py"}
# words that name a family and also an instance field (`max_build` is both a technology's
# limit and the bound family it makes) or a column of the dispatch table
FIELDS = set(Technology.model_fields) | {"state_of_charge"}


def literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_family_name_is_written_outside_its_home() -> None:
    names = {e.name for e in (*FAMILIES, *BOUNDS, CVAR_EXCESS)}
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {value!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name not in HOMES
        for line, value in literals(path)
        if value in names - FIELDS
    ]
    assert not found, "family names outside the registry:\n" + "\n".join(found)


def test_every_entry_is_complete_and_found_by_name() -> None:
    entries = (*FAMILIES, *BOUNDS)
    assert len({e.name for e in entries}) == len(entries)  # one entry per name
    for e in entries:
        assert entry(e.name) is e
        assert e.sense in ("<=", ">=", "==")
        assert e.section.startswith("§")
