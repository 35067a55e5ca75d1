"""Why is an instance infeasible? An elastic relaxation names the conflicting limits.

Every hard demand row, resource limit, capacity/build/activity limit, build-growth row,
link capacity and budget gets a penalised slack; minimising total violation leaves
positive slack only on a small set of limits that cannot all hold. They are reported in
the instance's own words, with the fix that is most often right.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from planner.data import LIMIT_BOUNDS, ModelData
from planner.model import Layout
from planner.solver import Handoff, new_highs

RELAXED = (
    "balance",
    "resource_limit",
    "max_capacity",
    "build_growth",
    "budget_year",
    "budget_total",
)


@dataclass(frozen=True)
class Conflict:
    """One limit that must give way, by how much, in words, with a suggested fix."""

    constraint: str
    key: tuple
    violation: float
    message: str
    suggestion: str

    def render(self) -> str:
        return f"{self.message} (short by {self.violation:.4g}). Fix: {self.suggestion}"


def diagnose(data: ModelData, lay: Layout, hand: Handoff) -> list[Conflict]:
    """Solve the elastic relaxation of the loaded LP and describe the violated limits."""
    lp = hand.highs.getLp()
    h = new_highs()
    h.passModel(lp)
    n = lp.num_col_
    h.changeColsCost(n, np.arange(n), np.zeros(n))
    if hand.integer.size:
        h.changeColsIntegrality(
            hand.integer.size, hand.integer, [highspy.HighsVarType.kContinuous] * hand.integer.size
        )
    slacks: list[tuple[str, tuple]] = []
    rows, signs = [], []
    for name in RELAXED:
        fam = lay.families.get(name)
        if fam is None or fam.sense == "==":
            continue
        sign = 1.0 if fam.sense == ">=" else -1.0
        for key, row in zip(fam.keys, hand.row_pos[name], strict=True):
            if name == "balance" and key[0] in data.unmet_cost:
                continue
            slacks.append((name, key))
            rows.append(int(row))
            signs.append(sign)
    count = len(rows)
    if count:
        h.addCols(
            count,
            np.ones(count),
            np.zeros(count),
            np.full(count, highspy.kHighsInf),
            count,
            np.arange(count),
            np.asarray(rows, dtype=np.int32),
            np.asarray(signs),
        )
    # bounds that are limits: max_build (B), max_activity (X), link capacity (F)
    upper = np.asarray(lp.col_upper_)
    bounded = [
        (col, pos)
        for col, pos in enumerate(hand.col_pos)
        if pos >= 0 and data.col_kind[col] in LIMIT_BOUNDS and np.isfinite(upper[pos])
    ]
    for col, pos in bounded:
        limit = float(upper[pos])
        h.changeColBounds(int(pos), 0.0, highspy.kHighsInf)
        h.addCol(1.0, 0.0, highspy.kHighsInf, 0, [], [])
        slack_col = h.getNumCol() - 1
        h.addRow(-highspy.kHighsInf, limit, 2, [int(pos), slack_col], [1.0, -1.0])
        slacks.append(("bound", (col,)))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return []
    x = np.asarray(h.getSolution().col_value)[n:]
    found = [
        describe(data, name, key, float(v))
        for (name, key), v in zip(slacks, x, strict=True)
        if v > 1e-6
    ]
    return sorted(found, key=lambda c: -c.violation)


def _column(data: ModelData, col: int) -> tuple[str, tuple]:
    """Which bound a column stands for: ('max_build'|'max_activity'|'link', key)."""
    for t in data.techs:
        for kind, cols in (("max_build", t.b_col), ("max_activity", t.x_col)):
            hit = np.argwhere(cols == col)
            if hit.size:
                i, j = hit[0]
                return kind, (t.name, t.regions[i], int(data.years[j]))
    for link in data.links:
        hit = np.flatnonzero(link.col == col)
        if hit.size:
            return "link", (link.name, link.origin, link.dest, int(data.years[hit[0]]))
    raise KeyError(col)


def describe(data: ModelData, name: str, key: tuple, amount: float) -> Conflict:
    """A violated limit in the instance's vocabulary, with a suggestion."""
    if name == "bound":
        name, key = _column(data, key[0])
    if name == "balance":
        c, r, y = key
        makers = [t for t in data.techs if t.output == c and r in t.regions]
        notes = []
        for t in makers:
            first = int(data.years[0]) + t.lead_time
            res = t.residual[t.regions.index(r), int(y) - int(data.years[0])]
            notes.append(
                f"{t.name}: lead time {t.lead_time} (first new capacity {first}), residual {res:g}"
            )
        context = "; ".join(notes) if notes else "no technology produces it in this region"
        demand = data.demand[c][data.regions.index(r), int(y) - int(data.years[0])]
        what = f"hard demand for {c}" if demand > 0 else f"the supply of {c} for what uses it"
        return Conflict(
            name,
            key,
            amount,
            f"{what} in {y} (region {r}) cannot be met: {context}",
            f"add `unmet_cost` to commodities.{c}, add residual capacity or start earlier, "
            "or relax the limits upstream",
        )
    if name == "resource_limit":
        p, r, y = key
        where = "global" if r == "*" else f"region {r}"
        return Conflict(
            name,
            key,
            amount,
            f"resource {p} ({where}) limit in {y} is too low",
            f"raise resources.{p}.limit for {y}",
        )
    if name in ("max_capacity", "max_build", "max_activity"):
        k, r, y = key
        return Conflict(
            name,
            key,
            amount,
            f"technologies.{k}.{name} in {y} (region {r}) is too low",
            f"raise technologies.{k}.{name}",
        )
    if name == "build_growth":
        k, r, y = key
        return Conflict(
            name,
            key,
            amount,
            f"technologies.{k}.build_growth limits builds in {y} (region {r})",
            f"raise technologies.{k}.build_growth.headroom or rate",
        )
    if name == "link":
        link, origin, dest, y = key
        return Conflict(
            name,
            key,
            amount,
            f"links.{link} capacity {origin}->{dest} in {y} is too low",
            f"raise links.{link}.capacity",
        )
    if name == "budget_year":
        return Conflict(
            name, key, amount, f"budget.per_year in {key[0]} is too low", "raise budget.per_year"
        )
    return Conflict(name, key, amount, "budget.total is too low", "raise budget.total")
