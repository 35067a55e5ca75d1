"""The shadow-price convention, in one place (docs/model.md §8).

A dual becomes a shadow price in that year's money, signed so that it is >= 0 when the
row or bound costs something: rows `>=` (balances) dual / df(y), rows `<=` and upper
bounds -dual / df(y); families whose entry says `discounted=False` (the budgets) are not
divided by df: one more unit of (undiscounted) budget saves that much discounted cost.
"""

from __future__ import annotations

import numpy as np

from planner.model.data import ModelData
from planner.model.registry import Entry


def shadow_prices(
    entry: Entry, dual: np.ndarray, years: np.ndarray | None, d: ModelData
) -> np.ndarray:
    """Shadow prices of rows (or bounds) of `entry` with duals `dual` in the years `years`
    (None for rows without a year)."""
    sign = 1.0 if entry.sense in (">=", "==") else -1.0
    dual = np.asarray(dual, dtype=float)
    if not entry.discounted or years is None:
        return sign * dual
    return sign * dual / d.df[d.year_index(years)]
