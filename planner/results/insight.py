"""Why does the plan look as it does? Bottlenecks and marginal costs from the result tables.

`bottlenecks(results)` lists, for every year, the limits that bind and cost something:
every registry family of kind LIMIT (resource limits, max_build / max_capacity /
max_activity, build growth, budgets, link capacities, and builds that the lead time
forbids in the first years, priced by their reduced costs). Each carries its shadow price
in that year's money (budgets: discounted money per unit of undiscounted budget) and a
sentence in the instance's own words (the registry's `words`).

Ranking within a year: by `rent` = shadow price x limit, the value of the whole limit at
the margin in money, which is comparable across units; limits at 0 (rent 0) follow, by
shadow price.

`marginal_costs(results)` is the price of every commodity per region and year, in stack
order: what one more unit of demand would cost in that year's money.

Everything here reads the result tables and `results.info` (saved with the results), so
it works the same on `load_results(DIR)` as on `solve()`, and never reads the instance.
"""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd

from planner import fmt
from planner.instance.schema import LAYERS
from planner.model.info import ModelInfo
from planner.model.registry import ENTRIES, Kind, Phrase


class Results(Protocol):
    """What insight reads of a solve (`planner.results.base.Results` or one read back)."""

    status: str
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    info: ModelInfo | None


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
TOL = 1e-9
MONEY = "cost units"
LIMITS = [name for name, entry in ENTRIES.items() if entry.kind == Kind.LIMIT]


def bottlenecks(results: Results, money: str = MONEY) -> pd.DataFrame:
    """Binding, costly limits per year, ranked; see the module docstring."""
    cons = results.tables.get("constraints")
    if cons is None or cons.empty:
        return pd.DataFrame(columns=COLUMNS)
    keep = cons[
        cons["constraint"].isin(LIMITS)
        & cons["binding"].astype(bool)
        & (cons["shadow_price"].fillna(0.0) > TOL)
    ]
    rows = []
    for r in keep.to_dict("records"):
        entry = ENTRIES[str(r["constraint"])]
        name = str(r["name"])
        region = str(r["region"]) if pd.notna(r["region"]) else ""
        price = float(r["shadow_price"])
        year = int(r["year"]) if pd.notna(r["year"]) else None
        unit = _unit(results, entry.unit, name, money)
        at = f"{r['period']}/{r['slice']}" if pd.notna(r.get("period")) else ""
        phrase = Phrase(name, region, year, price, unit, money, results.info, at)
        rows.append(
            {
                "scenario": r.get("scenario"),
                "year": year,
                "constraint": entry.name,
                "name": name,
                "region": region,
                "shadow_price": price,
                "unit": "-" if entry.unit == "money" else f"{money} per {unit}",
                "value": float(r["value"]),
                "bound": float(r["bound"]),
                "rent": price * abs(float(r["bound"])),
                "text": entry.phrase(phrase),
            }
        )
    table = pd.DataFrame(rows, columns=["scenario", *[c for c in COLUMNS if c != "rank"]])
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    table["year"] = pd.array(table["year"], dtype="Int64")
    cases = "scenario" in cons
    by = ["scenario", "year"] if cases else ["year"]
    table = table.sort_values(
        [*by, "rent", "shadow_price"],
        ascending=[True] * len(by) + [False, False],
        na_position="last",
    ).reset_index(drop=True)
    table["rank"] = table.groupby(by, dropna=False).cumcount() + 1
    return table[["scenario", *COLUMNS]] if cases else table[COLUMNS]


def _unit(results: Results, kind: str, name: str, money: str) -> str:
    if results.info is not None:
        return results.info.unit(kind, name, money)
    return money if kind == "money" else "unit"


def marginal_costs(results: Results) -> pd.DataFrame:
    """Commodity prices per layer, commodity, region and year (that year's money per unit).

    Columns: layer, commodity, unit, region, year, price, demand, production; layers in
    stack order (energy first), commodities in instance order within a layer.
    """
    com = results.tables.get("commodities")
    cols = ["layer", "commodity", "unit", "region", "year", "price", "demand", "production"]
    if com is None or com.empty:
        return pd.DataFrame(columns=cols)
    if "extension" in com:
        com = com[~com["extension"].astype(bool)]
    if "scenario" in com:
        cols = ["scenario", *cols]
    table = com[cols].copy()
    order = {layer: i for i, layer in enumerate(LAYERS)}
    seen = {c: i for i, c in enumerate(dict.fromkeys(com["commodity"]))}
    table["_l"] = table["layer"].map(order).fillna(len(order))
    table["_c"] = table["commodity"].map(seen)
    table["price"] = table["price"].where(table["price"].abs() > TOL, 0.0)
    order = (["scenario"] if "scenario" in table else []) + ["_l", "_c", "region", "year"]
    table = table.sort_values(order, kind="stable").drop(columns=["_l", "_c"])
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
    cases = "scenario" in table
    by = ["scenario", "year"] if cases else ["year"]
    for key, group in table.groupby(by, dropna=False, sort=False):
        case, year = key if cases else (None, key[0] if isinstance(key, tuple) else key)
        label = "whole horizon" if pd.isna(year) else str(year)
        if case is not None:
            label = f"case {case}, {label}"
        shown = group.head(top)["text"].tolist()
        more = len(group) - len(shown)
        tail = f"; and {more} more" if more > 0 else ""
        lines.append(f"{label}: " + "; ".join(shown) + tail)
    return lines


def price_lines(results: Results, money: str = MONEY) -> list[str]:
    """Commodity prices over time, per layer: 'energy  electricity (TWh, world): 2026 ...'."""
    table = marginal_costs(results)
    lines = []
    keys = ["scenario"] if "scenario" in table else []
    for key, g in table.groupby([*keys, "layer", "commodity", "unit", "region"], sort=False):
        *case, layer, c, unit, region = key
        series = ", ".join(
            f"{int(y)} {fmt.number(p)}" for y, p in zip(g["year"], g["price"], strict=True)
        )
        label = f"case {case[0]}: " if case else ""
        lines.append(f"{label}{layer:<15} {c} ({money} per {unit}, {region}): {series}")
    return lines
