"""The shadow-price convention, in one place (docs/model.md §8).

A dual becomes a shadow price in that year's money, signed so that it is >= 0 when the
row or bound costs something: rows `>=` (balances) dual / df(y), rows `<=` and upper
bounds -dual / df(y); families whose entry says `discounted=False` (the budgets) are not
divided by df: one more unit of (undiscounted) budget saves that much discounted cost.
"""

from __future__ import annotations

import numpy as np

from planner.model.assemble import Model
from planner.model.data import ModelData
from planner.model.registry import (
    BALANCE,
    RESERVE_MARGIN,
    SLICE_BALANCE,
    SLICE_RESERVE_MARGIN,
    Entry,
)


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


def written_duals(model: Model, name: str, duals: dict[str, np.ndarray]) -> np.ndarray | None:
    """A family's duals over every row its `define_` function wrote (0 for dropped rows),
    or None if the family has no rows or there are no duals."""
    block = model.blocks.get(name)
    if block is None or name not in duals:
        return None
    return block.written(duals[name])


def commodity_prices(model: Model, duals: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per commodity, (region, year[, slice]) prices: the shadow price of its balance
    (per slice for a slice commodity); NaN without duals."""
    d = model.data
    out = {}
    for entry, slices in ((BALANCE, False), (SLICE_BALANCE, True)):
        cs = [c for c in d.commodities if d.is_slice(c) == slices]
        n = d.nr * d.ny * (d.T if slices else 1)
        written = written_duals(model, entry.name, duals)
        years = np.repeat(_years(d, d.nr), d.T) if slices else _years(d, d.nr)
        for i, c in enumerate(cs):
            part = written[i * n : (i + 1) * n] if written is not None else None
            out[c] = (
                shadow_prices(entry, part, years, d) if part is not None else np.full(n, np.nan)
            )
    return out


def capacity_prices(model: Model, duals: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per commodity with a reserve, (region, year[, slice]) capacity prices (§13)."""
    d = model.data
    out = {}
    for entry, slices in ((RESERVE_MARGIN, False), (SLICE_RESERVE_MARGIN, True)):
        cs = [c for c in d.commodities if c in d.reserve and d.is_slice(c) == slices]
        n = d.nr * d.ny * (d.T if slices else 1)
        written = written_duals(model, entry.name, duals)
        years = np.repeat(_years(d, d.nr), d.T) if slices else _years(d, d.nr)
        for i, c in enumerate(cs):
            part = written[i * n : (i + 1) * n] if written is not None else None
            out[c] = (
                shadow_prices(entry, part, years, d) if part is not None else np.full(n, np.nan)
            )
    return out


def _years(d: ModelData, n: int) -> np.ndarray:
    return np.tile(d.years, n)
