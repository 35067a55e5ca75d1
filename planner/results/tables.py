"""Tidy result tables (docs/model.md §10), from the solution vector and the duals.

Every quantity is one of the model's own expressions (`planner.model.expressions`, cost
blocks of `planner.model.costs`) evaluated at the solution; every price goes through
`planner.results.prices`.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from planner.model import expressions as ex
from planner.model.assemble import Model
from planner.model.costs import cost_blocks
from planner.model.data import ModelData
from planner.model.linear import Keys
from planner.model.registry import (
    BOUNDS,
    BUDGET_TOTAL,
    BUDGET_YEAR,
    ENTRIES,
    RESOURCE_LIMIT,
    Entry,
    Kind,
)
from planner.results.frames import stack
from planner.results.prices import capacity_prices, commodity_prices, shadow_prices, written_duals
from planner.solver.highs import Solution

BINDING = 1e-7
"""A row or bound binds when its slack is at most this, relative to max(1, |bound|)."""


def extract(
    model: Model, sol: Solution, names: Collection[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The tables `names` (None: all) for a solution that has primal values; the slice
    tables `slices` and `dispatch` exist only for a model with slice commodities."""
    from planner.results.slice_tables import dispatch_table, slice_table

    assert sol.x is not None
    d = model.data
    x = model.full(np.where(np.abs(sol.x) < 1e-12, 0.0, sol.x))  # no -0.0 or 1e-17 noise
    duals = sol.duals
    makers = {
        "schedule": lambda: schedule_table(d, x),
        "commodities": lambda: commodity_table(model, x, duals),
        "resources": lambda: resource_table(model, x, duals),
        "flows": lambda: flow_table(d, x),
        "budget": lambda: budget_table(model, x, duals),
        "costs": lambda: cost_table(d, x),
        "constraints": lambda: constraint_table(model, x, sol),
    }
    if any(d.slice_commodity.values()):
        makers["slices"] = lambda: slice_table(model, x, duals)
        makers["dispatch"] = lambda: dispatch_table(d, x)
    tables = {name: make() for name, make in makers.items() if names is None or name in names}
    for table in tables.values():
        floats = table.select_dtypes("float").columns
        table[floats] = table[floats] + 0.0  # -0.0 -> 0.0
        if d.extended and "year" in table:
            table["extension"] = (table["year"] > d.horizon_end).fillna(False).astype(bool)
    return tables


def _years(d: ModelData, n: int) -> np.ndarray:
    return np.tile(d.years, n)


def _regions(d: ModelData, names: list[str], repeat: int) -> np.ndarray:
    """Region names, each repeated `repeat` times."""
    return np.repeat(np.array(names, dtype=object), repeat)


def schedule_table(d: ModelData, x: np.ndarray) -> pd.DataFrame:
    """Per technology, region, year: build, capacity, activity (with layer and units)."""
    units = {c: com.unit for c, com in d.instance.commodities.items()}
    parts = [
        {
            "technology": t.name,
            "layer": t.layer,
            "region": _regions(d, t.regions, d.ny),
            "year": _years(d, len(t.regions)),
            "build": x[t.b_col.ravel()],
            "capacity": ex.capacity(d, t).value(x),
            "activity": x[t.x_col].sum(axis=2).ravel(),
            "capacity_unit": t.capacity_unit,
            "output": t.output,
            "output_unit": units[t.output],
        }
        for t in d.techs
    ]
    return stack(parts)


def commodity_table(model: Model, x: np.ndarray, duals: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per commodity, region, year: production, consumption, trade, demand, unserved, price
    (the balance's shadow price: cost of one more unit of demand in that year's money; for
    a slice commodity the flat-load price sum_t w_t price_t, §11), and with storage the
    charge, with reserves the capacity price (the reserve rows' shadow prices, summed over
    slices)."""
    d = model.data
    prices = commodity_prices(model, duals)
    capacity = capacity_prices(model, duals)
    storage = any(t.storage is not None for t in d.techs)
    w = d.time.w
    parts = []
    for c in d.commodities:
        com = d.instance.commodities[c]
        price = prices[c]
        if d.is_slice(c):
            price = price.reshape(-1, d.T) @ w
        frame = {
            "commodity": c,
            "layer": com.layer,
            "unit": com.unit,
            "region": _regions(d, d.regions, d.ny),
            "year": _years(d, d.nr),
            "production": ex.production(d, c).value(x),
            "consumption": ex.consumption(d, c).value(x),
            "imports": ex.imports(d, c).value(x),
            "exports": ex.exports(d, c).value(x),
            "demand": d.demand[c].ravel(),
            "unserved": ex.unserved(d, c).value(x),
            "price": price,
        }
        if storage:
            frame["charge"] = ex.charging(d, c).value(x)
        if d.reserve:
            cap = capacity.get(c)
            frame["capacity_price"] = (
                cap.reshape(d.nr * d.ny, -1).sum(axis=1) if cap is not None else np.nan
            )
        parts.append(frame)
    return stack(parts)


def resource_table(model: Model, x: np.ndarray, duals: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per resource, region ("global" for global scope), year: use, limit, shadow price
    (the objective's decrease per unit of extra limit, in that year's money)."""
    d = model.data
    written = written_duals(model, RESOURCE_LIMIT.name, duals)
    parts = []
    start = 0
    for p in d.resources:
        regions = ["global"] if d.is_global(p) else d.regions
        n = len(regions) * d.ny
        years = _years(d, len(regions))
        shadow = (
            shadow_prices(RESOURCE_LIMIT, written[start : start + n], years, d)
            if written is not None
            else np.full(n, np.nan)
        )
        start += n
        res = d.instance.resources[p]
        parts.append(
            {
                "resource": p,
                "scope": res.scope,
                "unit": res.unit,
                "region": np.repeat(np.array(regions, dtype=object), d.ny),
                "year": years,
                "use": ex.resource_use(d, p).value(x),
                "limit": d.limits[p].ravel(),
                "shadow_price": np.broadcast_to(shadow, years.shape),
            }
        )
    columns = ["resource", "scope", "unit", "region", "year", "use", "limit", "shadow_price"]
    return stack(parts, columns)


def flow_table(d: ModelData, x: np.ndarray) -> pd.DataFrame:
    """Per directed link and year: amount sent (summed over slices), delivered, capacity."""
    parts = [
        {
            "link": link.name,
            "commodity": link.commodity,
            "from": link.origin,
            "to": link.dest,
            "year": d.years,
            "sent": x[link.col].sum(axis=1),
            "delivered": (1 - link.loss) * x[link.col].sum(axis=1),
            "capacity": link.capacity,
        }
        for link in d.links
    ]
    columns = ["link", "commodity", "from", "to", "year", "sent", "delivered", "capacity"]
    return stack(parts, columns)


def budget_table(model: Model, x: np.ndarray, duals: dict[str, np.ndarray]) -> pd.DataFrame:
    """Overnight spend per year and in total, with limits and shadow prices (discounted
    money per unit of extra, undiscounted budget)."""
    d = model.data
    per_year = ex.total_spending(d).value(x)
    horizon = d.years <= d.horizon_end
    if duals:
        year = written_duals(model, BUDGET_YEAR.name, duals)
        shadow = shadow_prices(BUDGET_YEAR, year, None, d) if year is not None else np.zeros(d.ny)
        total = written_duals(model, BUDGET_TOTAL.name, duals)
        total_shadow = (
            float(shadow_prices(BUDGET_TOTAL, total, None, d)[0]) if total is not None else 0.0
        )
    else:
        shadow, total_shadow = np.full(d.ny, np.nan), np.nan
    return pd.DataFrame(
        {
            "scope": ["year"] * d.ny + ["total"],
            "year": pd.array([*d.years.tolist(), None], dtype="Int64"),
            "spend": [*per_year.tolist(), float(per_year[horizon].sum())],
            "limit": [
                *d.budget_year.tolist(),
                d.budget_total if d.budget_total is not None else np.nan,
            ],
            "shadow_price": [*np.asarray(shadow, dtype=float).tolist(), total_shadow],
        }
    )


def cost_table(d: ModelData, x: np.ndarray) -> pd.DataFrame:
    """Cost per year, region, layer and component, undiscounted and discounted: the cost
    blocks of the objective evaluated at the solution (zero costs left out)."""
    parts = []
    for block in cost_blocks(d):
        cost = block.lin.value(x)
        keep = np.flatnonzero(cost != 0)
        if keep.size:
            parts.append(
                {
                    "year": _years(d, len(block.regions))[keep],
                    "region": _regions(d, block.regions, d.ny)[keep],
                    "layer": block.layer,
                    "component": block.component,
                    "cost": cost[keep],
                }
            )
    columns = ["year", "region", "layer", "component", "cost"]
    table = stack(parts, columns)
    keys = columns[:-1]
    table = table.groupby(keys, as_index=False, dropna=False, sort=True, observed=True)[
        "cost"
    ].sum()
    table["discounted"] = table["cost"] * d.df[d.year_index(table["year"].to_numpy())]
    return table


def constraint_table(model: Model, x: np.ndarray, sol: Solution) -> pd.DataFrame:
    """Every limit and balance row and every limit bound: value, bound, slack, dual, shadow
    price, binding. Bounds take their duals from the reduced costs where the column sits on
    the bound (for columns outside the LP: c - A^T y)."""
    d = model.data
    parts = []
    for name, block in model.blocks.items():
        body = block.A @ x[: model.n_lp]
        dual = sol.duals.get(name, np.full(len(block), np.nan))
        parts.append(_limit_part(d, ENTRIES[block.family], block.index, body, block.rhs, dual))
    reduced = (
        model.reduced_costs(sol.reduced_costs, sol.duals) if sol.reduced_costs is not None else None
    )
    for entry in BOUNDS:
        bounds = model.bounds.get(entry.name)
        if bounds is None or entry.kind != Kind.LIMIT or not len(bounds.cols):
            continue
        value = x[bounds.cols]
        # a reduced cost belongs to the bound (the limit) only where x sits on it
        at = np.abs(value - bounds.values) <= 1e-9 * np.maximum(1.0, np.abs(bounds.values))
        dual = np.where(at, reduced[bounds.cols], 0.0) if reduced is not None else np.nan
        dual = np.broadcast_to(dual, value.shape)
        parts.append(_limit_part(d, entry, bounds.keys, value, bounds.values, dual))
    columns = ["constraint", "name", "region", "year", "sense", "value", "bound", "slack"]
    tail = ["dual", "shadow_price", "binding"]
    if any("period" in p for p in parts):  # rows of time slices: period and slice after year
        return stack(parts, [*columns[:4], "period", "slice", *columns[4:], *tail])
    return stack(parts, [*columns, *tail])


def _limit_part(
    d: ModelData, entry: Entry, keys: Keys, body: np.ndarray, rhs: np.ndarray, dual: np.ndarray
) -> dict[str, object]:
    n = len(rhs)
    fields = keys.fields
    subject = entry.index[0]
    years = fields.get("year")
    if entry.sense == ">=":
        slack = body - rhs
    elif entry.sense == "<=":
        slack = rhs - body
    else:
        slack = np.zeros(n)
    return {
        "constraint": entry.name,
        "name": fields[subject] if subject not in ("year", "scope") else entry.label,
        "region": fields.get("region"),
        "year": years.astype(float) if years is not None else np.full(n, np.nan),
        **{k: fields[k] for k in ("period", "slice") if k in fields},
        "sense": entry.sense,
        "value": body,
        "bound": rhs,
        "slack": slack,
        "dual": dual,
        "shadow_price": shadow_prices(entry, dual, years, d),
        "binding": np.abs(slack) <= BINDING * np.maximum(1.0, np.abs(rhs)),
    }


def horizon_cost(model: Model, sol: Solution, tables: dict[str, pd.DataFrame]) -> float:
    """The discounted cost of the years y0..yN (extension years left out, §15): the whole
    objective without extension years, else from the cost blocks (the `costs` table)."""
    d = model.data
    assert sol.objective is not None
    if not d.extended:
        return float(sol.objective)
    costs = tables["costs"] if "costs" in tables else cost_table(d, model.full(sol.x))
    return float(costs.loc[costs["year"] <= d.horizon_end, "discounted"].sum())
