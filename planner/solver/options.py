"""Solver settings (kept apart from the solver so that reading them imports nothing heavy)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

SOLVERS = ("simplex", "ipm", "pdlp", "choose")
"""HiGHS's LP algorithms: dual simplex (the default: fastest on the planner's models, see
docs/performance.md), interior point, first-order PDLP, or HiGHS's own choice."""


@dataclass
class SolveOptions:
    """Solver settings. `mip_gap` is relative (docs/model.md §7); `time_limit` in seconds."""

    mip_gap: float = 1e-4
    time_limit: float | None = None
    verbose: bool = False
    handoff: Literal["direct", "compile"] = "direct"
    """direct: the planner's arrays, plus compiled user additions; compile: everything
    through Pyomo's standard-form compiler (slower; the reference route)."""
    solver: Literal["simplex", "ipm", "pdlp", "choose"] = "simplex"
    threads: int | None = None
    """HiGHS's threads (None: its default). The setting is process-wide in HiGHS: keep one
    value per process."""
    reuse_windows: bool = False
    """Myopic foresight: build and solve each window afresh (False, the faster on the
    shipped and generated instances) or keep one HiGHS model warm across windows (True);
    see docs/performance.md."""
    tables: tuple[str, ...] | None = None
    """The result tables to build for an optimal solve (None: every table). A sweep point
    builds only those its row reads, a myopic window before the last none; a solve that
    stops early with a solution builds every table."""

    def describe(self) -> dict[str, Any]:
        """The settings as summary.json records them."""
        skip = ("verbose", "handoff", "tables")
        return {k: v for k, v in asdict(self).items() if k not in skip}
