"""Tidy result tables of MODEL.md §8, computed from the solution vector and the duals."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from planner.data import ModelData
from planner.model import Layout, resource_use, spending
from planner.solver import Solution

TABLES = ("schedule", "commodities", "resources", "flows", "budget", "costs", "constraints")
UNDISCOUNTED = ("budget_year", "budget_total")
"""Families whose shadow prices are not divided by df(y) (MODEL.md §9.9)."""
COMPONENTS = ("annuity", "fixed", "variable", "unserved", "trade")


@dataclass
class Results:
    """A solve's outcome: status, objective, the tables of §8 and a summary dict."""

    status: str
    objective: float | None
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    def bottlenecks(self) -> pd.DataFrame:
        """Binding, costly limits per year with shadow prices in words (planner.insight)."""
        from planner.insight import bottlenecks

        return bottlenecks(self)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)


def extract(data: ModelData, lay: Layout, sol: Solution) -> dict[str, pd.DataFrame]:
    """All tables for a solution that has primal values."""
    assert sol.x is not None
    x = np.where(np.abs(sol.x) < 1e-12, 0.0, sol.x)  # no -0.0 or 1e-17 noise in the tables
    sol = replace(sol, x=x)
    tables = {
        "schedule": schedule_table(data, x),
        "commodities": commodity_table(data, x, sol.duals.get("balance"), lay),
        "resources": resource_table(data, x, sol.duals.get("resource_limit"), lay),
        "flows": flow_table(data, x),
        "budget": budget_table(data, x, sol.duals, lay),
        "costs": cost_table(data, x),
        "constraints": constraint_table(data, lay, sol),
    }
    for table in tables.values():
        floats = table.select_dtypes("float").columns
        table[floats] = table[floats] + 0.0  # -0.0 -> 0.0
    return tables


def _years(data: ModelData, n: int) -> np.ndarray:
    return np.tile(data.years, n)


def schedule_table(data: ModelData, x: np.ndarray) -> pd.DataFrame:
    """Per technology, region, year: build, capacity, activity (with layer and units)."""
    frames = []
    units = {c: com.unit for c, com in data.instance.commodities.items()}
    for t in data.techs:
        build = np.where(t.b_col >= 0, x[np.maximum(t.b_col, 0)], 0.0)
        cap = data.capacity(t)
        frames.append(
            pd.DataFrame(
                {
                    "technology": t.name,
                    "layer": t.layer,
                    "region": np.repeat(t.regions, data.ny),
                    "year": _years(data, len(t.regions)),
                    "build": build.ravel(),
                    "capacity": cap.A @ x + cap.const,
                    "activity": x[t.x_col.ravel()],
                    "capacity_unit": t.capacity_unit,
                    "output": t.output,
                    "output_unit": units[t.output],
                }
            )
        )
    return _concat(frames)


def _row_values(fam_keys: list[tuple], duals: np.ndarray | None) -> dict[tuple, float]:
    if duals is None:
        return {}
    return dict(zip(fam_keys, duals.tolist(), strict=True))


def commodity_table(
    data: ModelData, x: np.ndarray, duals: np.ndarray | None, lay: Layout
) -> pd.DataFrame:
    """Per commodity, region, year: production, consumption, trade, demand, unserved, price.

    price = dual of the balance / df(y): undiscounted cost of one more unit of demand (§9.9).
    """
    fam = lay.families.get("balance")
    dual = _row_values(fam.keys if fam else [], duals)
    frames = []
    n = data.nr * data.ny
    df = np.tile(data.df, data.nr)
    for c in data.commodities:
        production = np.zeros(n)
        consumption = np.zeros(n)
        for t in data.techs:
            idx = (t.region_idx[:, None] * data.ny + np.arange(data.ny)).ravel()
            if t.output == c:
                production[idx] += x[t.x_col.ravel()]
            use = data.use(t, c)
            if use is not None:
                consumption[idx] += use.A @ x + use.const
        imports = np.zeros(n)
        exports = np.zeros(n)
        for link in (lk for lk in data.links if lk.commodity == c):
            flow = x[link.col]
            dest = data.regions.index(link.dest) * data.ny
            origin = data.regions.index(link.origin) * data.ny
            imports[dest : dest + data.ny] += (1 - link.loss) * flow
            exports[origin : origin + data.ny] += flow
        unserved = np.zeros(n)
        if c in data.u_col:
            col = data.u_col[c].ravel()
            unserved[col >= 0] = x[col[col >= 0]]
        keys = [(c, r, int(y)) for r in data.regions for y in data.years]
        price = np.array([dual.get(k, 0.0) for k in keys]) / df if dual else np.full(n, np.nan)
        com = data.instance.commodities[c]
        frames.append(
            pd.DataFrame(
                {
                    "commodity": c,
                    "layer": com.layer,
                    "unit": com.unit,
                    "region": np.repeat(data.regions, data.ny),
                    "year": _years(data, data.nr),
                    "production": production,
                    "consumption": consumption,
                    "imports": imports,
                    "exports": exports,
                    "demand": data.demand[c].ravel(),
                    "unserved": unserved,
                    "price": price,
                }
            )
        )
    return _concat(frames)


def resource_table(
    data: ModelData, x: np.ndarray, duals: np.ndarray | None, lay: Layout
) -> pd.DataFrame:
    """Per resource, region ("global" for global scope), year: use, limit, shadow price.

    shadow_price = -dual / df(y): the objective's decrease per unit of extra limit (§9.9).
    """
    fam = lay.families.get("resource_limit")
    dual = _row_values(fam.keys if fam else [], duals)
    frames = []
    for p in data.resources:
        res = data.instance.resources[p]
        use = resource_use(data, p)
        regions = ["*"] if data.is_global(p) else data.regions
        keys = [(p, r, int(y)) for r in regions for y in data.years]
        df = np.tile(data.df, len(regions))
        shadow = -np.array([dual.get(k, 0.0) for k in keys]) / df if dual else np.nan
        frames.append(
            pd.DataFrame(
                {
                    "resource": p,
                    "scope": res.scope,
                    "unit": res.unit,
                    "region": np.repeat(["global"] if data.is_global(p) else data.regions, data.ny),
                    "year": _years(data, len(regions)),
                    "use": use.A @ x + use.const,
                    "limit": data.limits[p].ravel(),
                    "shadow_price": shadow,
                }
            )
        )
    columns = ["resource", "scope", "unit", "region", "year", "use", "limit", "shadow_price"]
    return _concat(frames, columns)


def flow_table(data: ModelData, x: np.ndarray) -> pd.DataFrame:
    """Per directed link and year: amount sent, amount delivered, capacity."""
    frames = [
        pd.DataFrame(
            {
                "link": link.name,
                "commodity": link.commodity,
                "from": link.origin,
                "to": link.dest,
                "year": data.years,
                "sent": x[link.col],
                "delivered": (1 - link.loss) * x[link.col],
                "capacity": link.capacity,
            }
        )
        for link in data.links
    ]
    return _concat(
        frames, ["link", "commodity", "from", "to", "year", "sent", "delivered", "capacity"]
    )


def budget_table(
    data: ModelData, x: np.ndarray, duals: dict[str, np.ndarray], lay: Layout
) -> pd.DataFrame:
    """Overnight spend per year and in total, with limits and shadow prices.

    shadow_price = -dual: decrease of the discounted objective per unit of extra
    (undiscounted) budget, not divided by df (§9.9).
    """
    spend = spending(data)
    per_year = spend.A @ x + spend.const
    shadow = np.zeros(data.ny)
    fam = lay.families.get("budget_year")
    if fam is not None and "budget_year" in duals:
        for key, value in zip(fam.keys, duals["budget_year"], strict=True):
            shadow[int(np.searchsorted(data.years, key[0]))] = -value
    total_shadow = 0.0
    if "budget_total" in duals and len(duals["budget_total"]):
        total_shadow = -float(duals["budget_total"][0])
    if not duals:
        shadow[:] = np.nan
        total_shadow = np.nan
    table = pd.DataFrame(
        {
            "scope": ["year"] * data.ny + ["total"],
            "year": pd.array([*data.years.tolist(), None], dtype="Int64"),
            "spend": [*per_year.tolist(), float(per_year.sum())],
            "limit": [
                *data.budget_year.tolist(),
                data.budget_total if data.budget_total is not None else np.nan,
            ],
            "shadow_price": [*shadow.tolist(), total_shadow],
        }
    )
    return table


def cost_table(data: ModelData, x: np.ndarray) -> pd.DataFrame:
    """Cost per year, region, layer and component, undiscounted and discounted (§7)."""
    frames: list[pd.DataFrame] = []

    def add(layer: str | None, component: str, regions: list[str], values: np.ndarray) -> None:
        """values: (region, year) block of costs for one layer and component."""
        frames.append(
            pd.DataFrame(
                {
                    "year": np.tile(data.years, len(regions)),
                    "region": np.repeat(regions, data.ny),
                    "layer": layer,
                    "component": component,
                    "cost": values.ravel(),
                }
            )
        )

    for t in data.techs:
        build = np.where(t.b_col >= 0, x[np.maximum(t.b_col, 0)], 0.0)
        cap = data.capacity(t)
        capacity = (cap.A @ x + cap.const).reshape(len(t.regions), data.ny)
        add(t.layer, "annuity", t.regions, t.crf * (t.capex * build) @ data.alive(t).T)
        add(t.layer, "fixed", t.regions, t.fixed_om * capacity)
        add(t.layer, "variable", t.regions, t.variable_om * x[t.x_col])
    for c, col in data.u_col.items():
        unserved = np.where(col >= 0, x[np.maximum(col, 0)], 0.0)
        add(
            data.instance.commodities[c].layer,
            "unserved",
            data.regions,
            unserved * data.unmet_cost[c],
        )
    for link in data.links:
        layer = data.instance.commodities[link.commodity].layer
        add(layer, "trade", [link.origin], (link.cost * x[link.col])[None, :])
    columns = ["year", "region", "layer", "component", "cost"]
    table = _concat(frames, columns)
    table = table[table["cost"] != 0]
    table = table.groupby(columns[:-1], as_index=False, dropna=False, sort=True)["cost"].sum()
    discount = dict(zip(data.years.tolist(), data.df.tolist(), strict=True))
    table["discounted"] = table["cost"] * table["year"].map(discount)
    return table


def constraint_table(data: ModelData, lay: Layout, sol: Solution) -> pd.DataFrame:
    """Every limit row and limit bound: value, bound, slack, dual and shadow price.

    shadow_price is in that year's money (dual / df(y)), signed so that it is >= 0 when the
    limit costs something: >= rows dual / df, <= rows and upper bounds -dual / df; budget
    rows are not divided by df (§9.9). Upper bounds (max_build, max_activity, link
    capacity) take their duals from the reduced costs.
    """
    x = sol.x
    assert x is not None
    frames = []
    for name, fam in lay.families.items():
        body = fam.A @ x
        dual = sol.duals.get(name, np.full(len(fam.keys), np.nan))
        years = [k[-1] if isinstance(k[-1], int) else None for k in fam.keys]
        frames.append(
            _limit_frame(
                data,
                name,
                [str(k[0]) if len(k) > 1 else "budget" for k in fam.keys],
                [("global" if k[1] == "*" else k[1]) if len(k) == 3 else None for k in fam.keys],
                years,
                fam.sense,
                body,
                fam.rhs,
                dual,
            )
        )
    reduced = sol.reduced_costs
    for name, entries in _bounds(data).items():
        if not entries:
            continue
        cols = np.array([e[0] for e in entries])
        bound = np.array([e[4] for e in entries])
        # a reduced cost belongs to the upper bound (the limit) only where x sits on it
        at_bound = x[cols] >= bound - 1e-9 * np.maximum(1.0, bound)
        frames.append(
            _limit_frame(
                data,
                name,
                [e[1] for e in entries],
                [e[2] for e in entries],
                [e[3] for e in entries],
                "<=",
                x[cols],
                bound,
                np.where(at_bound, reduced[cols], 0.0)
                if reduced is not None
                else np.full(cols.size, np.nan),
            )
        )
    columns = ["constraint", "name", "region", "year", "sense", "value", "bound", "slack"]
    return _concat(frames, [*columns, "dual", "shadow_price", "binding"])


def _limit_frame(
    data: ModelData,
    name: str,
    names: list[str],
    regions: list[str | None],
    years: list[int | None],
    sense: str,
    body: np.ndarray,
    rhs: np.ndarray,
    dual: np.ndarray,
) -> pd.DataFrame:
    idx = [int(y - data.years[0]) if y is not None else 0 for y in years]
    df = np.where([y is None for y in years], 1.0, data.df[idx])
    if name in UNDISCOUNTED:
        df = np.ones(len(years))
    sign = 1.0 if sense in (">=", "==") else -1.0
    slack = body - rhs if sense == ">=" else rhs - body
    if sense == "==":
        slack = np.zeros(len(rhs))
    return pd.DataFrame(
        {
            "constraint": name,
            "name": names,
            "region": regions,
            "year": pd.array(years, dtype="Int64"),
            "sense": sense,
            "value": body,
            "bound": rhs,
            "slack": slack,
            "dual": dual,
            "shadow_price": sign * dual / df,
            "binding": np.abs(slack) <= 1e-7 * np.maximum(1.0, np.abs(rhs)),
        }
    )


def _bounds(data: ModelData) -> dict[str, list[tuple[int, str, str, int, float]]]:
    """Columns with a finite upper bound that is a limit: (column, name, region, year, bound)."""
    out: dict[str, list[tuple[int, str, str, int, float]]] = {
        "max_build": [],
        "max_activity": [],
        "link_capacity": [],
    }
    for t in data.techs:
        for kind, cols, limit in (
            ("max_build", t.b_col, t.max_build),
            ("max_activity", t.x_col, t.max_activity),
        ):
            for i, j in np.argwhere((cols >= 0) & ~np.isnan(limit)):
                out[kind].append(
                    (int(cols[i, j]), t.name, t.regions[i], int(data.years[j]), float(limit[i, j]))
                )
    for link in data.links:
        for j in np.flatnonzero(~np.isnan(link.capacity)):
            out["link_capacity"].append(
                (
                    int(link.col[j]),
                    link.name,
                    f"{link.origin}->{link.dest}",
                    int(data.years[j]),
                    float(link.capacity[j]),
                )
            )
    return out


def _concat(frames: list[pd.DataFrame], columns: list[str] | None = None) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)
