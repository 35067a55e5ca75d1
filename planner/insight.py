"""Why does the plan look as it does? Bottlenecks and marginal costs from any solve's tables.

`bottlenecks(results)` lists, for every year, the limits that bind and cost something:
resource limits, max_build / max_capacity / max_activity, build growth, budget, link
capacities, and builds that the lead time forbids in the first years. Each carries its
shadow price in that year's money (budget: discounted money per unit of undiscounted
budget, MODEL.md §9.9) and a sentence in the instance's own words.

Ranking within a year: by `rent` = shadow price x limit, the value of the whole limit at
the margin in money, which is comparable across units; limits at 0 (rent 0) follow, by
shadow price.

`marginal_costs(results)` is the price of every commodity (electricity, hosting, compute,
serving, tokens) per region and year, in stack order: what one more unit of demand would
cost in that year's money.

Everything here reads only the result tables (and, for lead-time-blocked builds, the
instance the results came from), so it works on `load_results(DIR)` as on `solve()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.schema import LAYERS

if TYPE_CHECKING:
    from planner.data import ModelData
    from planner.results import Results

COLUMNS = [
    "year",
    "rank",
    "constraint",
    "name",
    "region",
    "shadow_price",
    "unit",
    "value",
    "bound",
    "rent",
    "text",
]
KINDS = (
    "resource_limit",
    "max_build",
    "max_capacity",
    "max_activity",
    "build_growth",
    "budget_year",
    "budget_total",
    "link_capacity",
)
"""Constraint families that are limits a planner can argue about (not balances)."""

TOL = 1e-9
MONEY = "cost units"


def _fmt(value: float) -> str:
    """A number for a sentence: 41,200 / 0.3711 / 1.2e+06."""
    if value == 0 or not np.isfinite(value):
        return f"{value:g}"
    mag = abs(value)
    if 1e-3 <= mag < 1e6:
        return f"{value:,.4g}" if mag < 1e4 else f"{value:,.0f}"
    return f"{value:.3g}"


def _units(results: Results) -> dict[tuple[str, str], str]:
    """Unit of the limited quantity, by (constraint family, name)."""
    units: dict[tuple[str, str], str] = {}
    tables = results.tables
    res = tables.get("resources")
    if res is not None:
        for p, unit in res.groupby("resource")["unit"].first().items():
            units["resource_limit", str(p)] = str(unit) if pd.notna(unit) else ""
    sched = tables.get("schedule")
    if sched is not None:
        first = sched.groupby("technology")[["capacity_unit", "output_unit"]].first()
        for k, row in first.iterrows():
            cap = str(row["capacity_unit"]) if pd.notna(row["capacity_unit"]) else ""
            out = str(row["output_unit"]) if pd.notna(row["output_unit"]) else ""
            cap = cap or "unit of capacity"
            units["max_build", str(k)] = cap
            units["max_capacity", str(k)] = cap
            units["build_growth", str(k)] = cap
            units["lead_time", str(k)] = cap
            units["max_activity", str(k)] = out or "unit of output"
    com = tables.get("commodities")
    flows = tables.get("flows")
    if com is not None and flows is not None and len(flows):
        cunit = com.groupby("commodity")["unit"].first()
        for link, c in flows.groupby("link")["commodity"].first().items():
            units["link_capacity", str(link)] = str(cunit.get(c, "")) or "unit"
    return units


def _sentence(kind: str, name: str, region: str, price: float, unit: str, money: str) -> str:
    where = f" ({region})" if region else ""
    worth = f"worth {_fmt(price)} {money} per extra {unit}"
    if kind == "resource_limit":
        return f"{name}{where} limit binding, {worth}"
    if kind in ("max_build", "max_capacity", "max_activity"):
        return f"{name}{where} {kind} binding, {worth}"
    if kind == "build_growth":
        return f"{name}{where} build growth binding, {worth} of headroom"
    if kind == "link_capacity":
        return f"link {name}{where} capacity binding, {worth} carried"
    if kind == "budget_year":
        return (
            f"yearly budget binding: one more {money} of spending saves "
            f"{_fmt(price)} {money} (discounted)"
        )
    if kind == "budget_total":
        return (
            f"total budget binding: one more {money} of spending saves "
            f"{_fmt(price)} {money} (discounted)"
        )
    return f"{name}{where} {kind} binding, {worth}"


def bottlenecks(
    results: Results, data: ModelData | None = None, money: str = MONEY
) -> pd.DataFrame:
    """Binding, costly limits per year, ranked; see the module docstring.

    `data` (from `planner.prepare(instance)`) adds lead-time-blocked builds; without it the
    instance named in `results.summary["source"]` is loaded if it can be.
    """
    cons = results.tables.get("constraints")
    if cons is None or cons.empty:
        return pd.DataFrame(columns=COLUMNS)
    units = _units(results)
    keep = cons[
        cons["constraint"].isin(KINDS)
        & cons["binding"].astype(bool)
        & (cons["shadow_price"].fillna(0.0) > TOL)
    ]
    rows = []
    for r in keep.itertuples(index=False):
        kind = str(r.constraint)
        name = str(r.name)
        region = str(r.region) if pd.notna(r.region) else ""
        price = float(r.shadow_price)
        unit = money if kind.startswith("budget") else units.get((kind, name), "unit")
        year = int(r.year) if pd.notna(r.year) else None
        rows.append(
            {
                "year": year,
                "constraint": kind,
                "name": name,
                "region": region,
                "shadow_price": price,
                "unit": f"{money} per {unit}" if not kind.startswith("budget") else "-",
                "value": float(r.value),
                "bound": float(r.bound),
                "rent": price * abs(float(r.bound)),
                "text": _sentence(kind, name, region, price, unit, money),
            }
        )
    if data is None:
        data = _data_from_source(results)
    if data is not None:
        rows += _blocked(results, data, units, money)
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "rank"])
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    table["year"] = pd.array(table["year"], dtype="Int64")
    table = table.sort_values(
        ["year", "rent", "shadow_price"], ascending=[True, False, False], na_position="last"
    ).reset_index(drop=True)
    table["rank"] = table.groupby("year", dropna=False).cumcount() + 1
    return table[COLUMNS]


def _data_from_source(results: Results) -> ModelData | None:
    """The prepared instance the results came from, when its file can still be read."""
    source = results.summary.get("source")
    if not source or not Path(str(source)).is_file():
        return None
    from planner.data import prepare
    from planner.loader import load_instance

    try:
        return prepare(load_instance(str(source)))
    except Exception:  # the file changed or no longer validates: skip what needs it
        return None


def _lookup(table: pd.DataFrame | None, keys: list[str], value: str) -> dict[tuple, float]:
    if table is None or table.empty:
        return {}
    out: dict[tuple, float] = {}
    for row in table[[*keys, value]].itertuples(index=False):
        out[tuple(str(v) if i < len(keys) - 1 else int(v) for i, v in enumerate(row[:-1]))] = (
            float(row[-1]) if pd.notna(row[-1]) else 0.0
        )
    return out


def capacity_values(results: Results, data: ModelData) -> pd.DataFrame:
    """Value of one more unit of each technology's capacity in service in (region, year).

    In that year's money: output per capacity x shadow price of the activity bound (the
    margin of one more unit of output), less the per-capacity inputs at their prices,
    fixed O&M and the max_capacity shadow price. No capital cost: it prices capacity that
    is simply there, as residual capacity would be.
    """
    cons = results.tables.get("constraints")
    if cons is None or cons.empty:
        return pd.DataFrame(columns=["technology", "region", "year", "value"])
    ab = _lookup(
        cons[cons["constraint"] == "activity_bound"], ["name", "region", "year"], "shadow_price"
    )
    mc = _lookup(
        cons[cons["constraint"] == "max_capacity"], ["name", "region", "year"], "shadow_price"
    )
    price = _lookup(results.tables.get("commodities"), ["commodity", "region", "year"], "price")
    res_sp = _lookup(
        results.tables.get("resources"), ["resource", "region", "year"], "shadow_price"
    )
    rows = []
    for t in data.techs:
        per_cap = t.inputs.get("per_capacity", {})
        for i, r in enumerate(t.regions):
            for j, y in enumerate(int(v) for v in data.years):
                value = t.a[i, j] * ab.get((t.name, r, y), 0.0) - t.fixed_om[i, j]
                value -= mc.get((t.name, r, y), 0.0)
                for item, coef in per_cap.items():
                    if item in data.instance.commodities:
                        value -= coef * price.get((item, r, y), 0.0)
                    else:
                        where = "global" if data.is_global(item) else r
                        value -= coef * res_sp.get((item, where, y), 0.0)
                rows.append({"technology": t.name, "region": r, "year": y, "value": value})
    return pd.DataFrame(rows, columns=["technology", "region", "year", "value"])


def blocked_build_values(results: Results, data: ModelData) -> pd.DataFrame:
    """What one more unit of capacity commissioned in a year the lead time forbids would save.

    The reduced cost, with the sign flipped and in the commissioning year's money, of the
    build column that §4 fixes to 0: over the years it would serve within the horizon, the
    capacity value (`capacity_values`) less the annuity CRF x capex; less its per-build
    inputs at their prices and its spending at the budget shadow prices, for construction
    years inside the horizon. Build-growth rows are left out. Positive: building earlier
    would pay; the lead time is a bottleneck.
    """
    y0 = int(data.years[0])
    vals = capacity_values(results, data)
    cap = {
        (str(v.technology), str(v.region), int(v.year)): float(v.value)
        for v in vals.itertuples(index=False)
    }
    price = _lookup(results.tables.get("commodities"), ["commodity", "region", "year"], "price")
    res_sp = _lookup(
        results.tables.get("resources"), ["resource", "region", "year"], "shadow_price"
    )
    budget = results.tables.get("budget")
    year_sp: dict[int, float] = {}
    total_sp = 0.0
    if budget is not None and not budget.empty:
        for row in budget.itertuples(index=False):
            sp = float(row.shadow_price) if pd.notna(row.shadow_price) else 0.0
            if row.scope == "total":
                total_sp = sp
            else:
                year_sp[int(row.year)] = sp
    rows = []
    for t in data.techs:
        if t.lead_time == 0:
            continue
        per_build = t.inputs.get("per_build", {})
        for i, r in enumerate(t.regions):
            for b in range(min(t.lead_time, data.ny)):
                total = 0.0  # discounted to y0
                for j in range(b, min(b + t.lifetime, data.ny)):
                    y = y0 + j
                    total += data.df[j] * (cap[t.name, r, y] - t.crf * t.capex[i, b])
                for j in range(max(b - t.lead_time, 0), b):
                    y = y0 + j
                    for item, coef in per_build.items():
                        if item in data.instance.commodities:
                            unit_price = price.get((item, r, y), 0.0)
                        else:
                            where = "global" if data.is_global(item) else r
                            unit_price = res_sp.get((item, where, y), 0.0)
                        total -= data.df[j] * coef / t.lead_time * unit_price
                    total -= (year_sp.get(y, 0.0) + total_sp) * t.capex[i, b] / t.lead_time
                rows.append(
                    {
                        "technology": t.name,
                        "region": r,
                        "year": y0 + b,
                        "first_build": y0 + t.lead_time,
                        "lead_time": t.lead_time,
                        "value": total / data.df[b],
                    }
                )
    columns = ["technology", "region", "year", "first_build", "lead_time", "value"]
    return pd.DataFrame(rows, columns=columns)


def _blocked(
    results: Results, data: ModelData, units: dict[tuple[str, str], str], money: str
) -> list[dict]:
    """Bottleneck rows for builds fixed to 0 by the lead time that would have paid."""
    rows = []
    for v in blocked_build_values(results, data).itertuples(index=False):
        if v.value <= TOL:
            continue
        k, r, y = str(v.technology), str(v.region), int(v.year)
        unit = units.get(("lead_time", k), "unit of capacity")
        rows.append(
            {
                "year": y,
                "constraint": "lead_time",
                "name": k,
                "region": r,
                "shadow_price": float(v.value),
                "unit": f"{money} per {unit}",
                "value": 0.0,
                "bound": 0.0,
                "rent": 0.0,
                "text": (
                    f"{k} ({r}) cannot be commissioned before {v.first_build} "
                    f"(lead time {v.lead_time} y); one more {unit} commissioned in {y} "
                    f"would save {_fmt(float(v.value))} {money}"
                ),
            }
        )
    return rows


def marginal_costs(results: Results) -> pd.DataFrame:
    """Commodity prices per layer, commodity, region and year (that year's money per unit).

    Columns: layer, commodity, unit, region, year, price, demand, production; layers in
    stack order (energy first), commodities in instance order within a layer.
    """
    com = results.tables.get("commodities")
    cols = ["layer", "commodity", "unit", "region", "year", "price", "demand", "production"]
    if com is None or com.empty:
        return pd.DataFrame(columns=cols)
    table = com[cols].copy()
    order = {layer: i for i, layer in enumerate(LAYERS)}
    seen = {c: i for i, c in enumerate(dict.fromkeys(com["commodity"]))}
    table["_l"] = table["layer"].map(order).fillna(len(order))
    table["_c"] = table["commodity"].map(seen)
    table["price"] = table["price"].where(table["price"].abs() > TOL, 0.0)
    table = table.sort_values(["_l", "_c", "region", "year"]).drop(columns=["_l", "_c"])
    return table.reset_index(drop=True)


def explain_lines(results: Results, top: int = 5, money: str = MONEY) -> list[str]:
    """The bottleneck story, one line per year: '2029: a binding, worth ...; b ...'."""
    if results.status == "infeasible":
        causes = results.summary.get("cause") or ["no diagnosis available"]
        return ["infeasible: no plan meets every hard limit. Conflicting limits:"] + [
            f"  - {c}" for c in causes
        ]
    if not results.tables:
        return [f"{results.status}: no solution tables to explain"]
    table = bottlenecks(results, money=money)
    if table.empty:
        return ["no limit binds at a cost: demand is met at the technologies' own cost"]
    lines = []
    for year, group in table.groupby("year", dropna=False, sort=True):
        label = "whole horizon" if pd.isna(year) else str(year)
        shown = group.head(top)["text"].tolist()
        more = len(group) - len(shown)
        tail = f"; and {more} more" if more > 0 else ""
        lines.append(f"{label}: " + "; ".join(shown) + tail)
    return lines


def price_lines(results: Results, money: str = MONEY) -> list[str]:
    """Commodity prices over time, per layer: 'energy  electricity (TWh, world): 2026 ...'."""
    table = marginal_costs(results)
    lines = []
    for (layer, c, unit, region), g in table.groupby(
        ["layer", "commodity", "unit", "region"], sort=False
    ):
        series = ", ".join(
            f"{int(y)} {_fmt(p)}" for y, p in zip(g["year"], g["price"], strict=True)
        )
        lines.append(f"{layer:<15} {c} ({money} per {unit}, {region}): {series}")
    return lines
