"""The time-slice tables (docs/model.md §11-§14): per slice balances with prices, and the
dispatch of slice technologies, storage and flexible load."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.model import expressions as ex
from planner.model.assemble import Model
from planner.model.data import ModelData, Tech
from planner.results.frames import stack
from planner.results.prices import capacity_prices, commodity_prices


def _slice_frame(d: ModelData, n_regions: list[str]) -> dict[str, np.ndarray]:
    """Index columns of (region, year, slice) rows, last varying fastest."""
    periods = np.array([p for p, _ in d.time.names], dtype=object)
    slices = np.array([s for _, s in d.time.names], dtype=object)
    n = len(n_regions) * d.ny
    return {
        "region": np.repeat(n_regions, d.ny * d.T),
        "year": np.tile(np.repeat(d.years, d.T), len(n_regions)),
        "period": np.tile(periods, n),
        "slice": np.tile(slices, n),
    }


def slice_table(model: Model, x: np.ndarray, duals: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per slice commodity, region, year, period, slice: weight and hours of the slice,
    demand (λ w D), production, consumption (after flexibility), charge of storage, trade,
    unserved, price (that year's money per unit delivered in the slice), and with a reserve
    its capacity price, the load it counts and the firm capacity that covers it."""
    d = model.data
    prices = commodity_prices(model, duals)
    capacity = capacity_prices(model, duals)
    frames: list[dict[str, object]] = []
    rows = d.nr * d.ny
    for c in (c for c in d.commodities if d.is_slice(c)):
        frame: dict[str, object] = {"commodity": c, **_slice_frame(d, d.regions)}
        frame["weight"] = np.tile(d.time.w, rows)
        frame["hours"] = np.tile(d.time.hours, rows)
        frame["demand"] = ex.demand_rows(d, c)
        for name, expr in (
            ("production", ex.production),
            ("consumption", ex.consumption),
            ("charge", ex.charging),
            ("imports", ex.imports),
            ("exports", ex.exports),
            ("unserved", ex.unserved),
        ):
            frame[name] = expr(d, c, slices=True).value(x)
        frame["price"] = prices[c]
        if c in d.reserve:
            margin, peak = d.reserve[c]
            frame["capacity_price"] = capacity[c]
            frame["load"] = frame["demand"] + frame["consumption"]  # type: ignore[operator]
            frame["required_firm"] = (
                np.repeat(np.tile((1 + margin) * peak, d.nr), d.T) * frame["load"] / frame["weight"]  # type: ignore[operator]
            )
            frame["firm_capacity"] = np.repeat(ex.firm_capacity(d, c).value(x), d.T)
        frames.append(frame)
    return stack(frames)


def _values(d: ModelData, x: np.ndarray, cols: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Values of a (region, year, slice) column array; NaN where the technology has none."""
    return x[cols].ravel() if cols.size else np.full(int(np.prod(shape)), np.nan)


def _dispatch_rows(d: ModelData, t: Tech, x: np.ndarray) -> dict[str, object]:
    shape = (len(t.regions), d.ny, d.T)
    frame: dict[str, object] = {
        "technology": t.name,
        "layer": t.layer,
        **_slice_frame(d, t.regions),
    }
    frame["activity"] = x[t.x_col].ravel() if t.slice else np.full(int(np.prod(shape)), np.nan)
    frame["charge"] = _values(d, x, t.q_col, shape)
    frame["state_of_charge"] = _values(d, x, t.e_col, shape)
    if t.flex is not None:
        frame["use"] = ex.flexed_use(d, t, t.flex.commodity).value(x)  # type: ignore[union-attr]
    else:
        frame["use"] = np.full(int(np.prod(shape)), np.nan)
    frame["shifted_down"] = _values(d, x, t.sd_col, shape)
    frame["shifted_up"] = _values(d, x, t.su_col, shape)
    frame["curtailed"] = _values(d, x, t.cu_col, shape)
    return frame


def dispatch_table(d: ModelData, x: np.ndarray) -> pd.DataFrame:
    """Per slice technology and flexible technology, region, year, period, slice: activity
    (output; discharge for storage), charge and state of charge of storage, the flexible
    use of its commodity after shifting and curtailment, and how much was shifted down, up
    and curtailed. NaN where a column does not apply."""
    frames = [_dispatch_rows(d, t, x) for t in d.techs if t.slice or t.flex is not None]
    columns = [
        "technology", "layer", "region", "year", "period", "slice", "activity", "charge",
        "state_of_charge", "use", "shifted_down", "shifted_up", "curtailed",
    ]  # fmt: skip
    return stack(frames, columns)
