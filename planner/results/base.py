"""`Results`: the status, objective, summary and tables of one solve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from planner.model.info import ModelInfo

if TYPE_CHECKING:  # pandas loads with the tables, while HiGHS solves (solver/pipeline.py)
    import numpy as np
    import pandas as pd

TABLES = ("schedule", "commodities", "resources", "flows", "budget", "costs", "constraints")
"""The tables of every solve; a model with slice commodities adds SLICE_TABLES."""
SLICE_TABLES = ("slices", "dispatch")


@dataclass
class Results:
    """What a solve returns (and `planner.results.io.load_results` reads back): the status,
    the objective, the summary written to summary.json, the result tables (also as
    attributes: `results.schedule`), and what the results need to know about the model."""

    status: str
    objective: float | None
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    info: ModelInfo | None = None
    x: np.ndarray | None = field(default=None, repr=False)
    """The solved LP columns (in memory only: what a myopic window hands the next)."""

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    def bottlenecks(self, money: str | None = None) -> pd.DataFrame:
        """Binding, costly limits per year with shadow prices in words (planner.results.insight)."""
        from planner.results.insight import MONEY, bottlenecks

        return bottlenecks(self, money=money or MONEY)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)
