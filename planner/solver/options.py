"""Solver settings (kept apart from the solver so that reading them imports nothing heavy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass
class SolveOptions:
    """Solver settings. `mip_gap` is relative (docs/model.md §7); `time_limit` in seconds."""

    mip_gap: float = 1e-4
    time_limit: float | None = None
    verbose: bool = False
    handoff: Literal["direct", "compile"] = "direct"
    """direct: the planner's arrays, plus compiled user additions; compile: everything
    through Pyomo's standard-form compiler (slower; the reference route)."""
