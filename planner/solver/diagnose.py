"""Why is an instance infeasible? The conflicting limits, in the instance's own words.

First choice: HiGHS's irreducible infeasible subsystem (IIS), a smallest set of rows and
bounds that cannot hold together (drop any one and the rest is feasible). Its limits are
reported with a fix, and its structural rows as the context that links them. Fallback,
where the installed highspy has no IIS or it comes back empty (as for a MILP whose LP
relaxation is feasible): an elastic relaxation that gives every limit a penalised slack;
the limits left with positive slack are reported, each with by how much it falls short.

Which rows and bounds are limits, and how each reads, comes from the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from planner.model.assemble import Model
from planner.model.data import ModelData
from planner.model.registry import BOUNDS, ENTRIES, FAMILIES, Entry, Kind
from planner.solver.highs import Handoff, new_highs, set_integer

IIS_STRATEGY = 2 | 4  # kIisStrategyFromLp | kIisStrategyIrreducible
UPPER = (4, 5)  # IisBoundStatus kIisBoundStatusUpper, kIisBoundStatusBoxed
SLACK = 1e-6
"""Slack above which the elastic relaxation counts a limit as violated."""


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

    def line(self) -> str:
        return f"{self.message}. Fix: {self.suggestion}"


def describe(d: ModelData, name: str, key: tuple, amount: float) -> Conflict:
    """A row or bound of family `name` that cannot hold, in the instance's vocabulary."""
    entry = ENTRIES[name]
    fields = dict(zip(entry.index, key, strict=True))
    if entry.conflict is not None:
        message, fix = entry.conflict(d, fields)
    else:
        message, fix = f"{name} {key} cannot hold", "check the data of this row"
    return Conflict(name, key, amount, message, fix)


def _bound_of(model: Model) -> dict[int, tuple[Entry, tuple]]:
    """LP column -> (limit bound family, key) of its upper bound: the one reverse lookup."""
    out: dict[int, tuple[Entry, tuple]] = {}
    for entry in BOUNDS:
        bounds = model.bounds.get(entry.name)
        if entry.kind != Kind.LIMIT or bounds is None or entry.sense != "<=":
            continue
        in_lp = np.flatnonzero(bounds.cols < model.n_lp)
        keys = bounds.keys.take(in_lp).tuples()
        for col, key in zip(bounds.cols[in_lp].tolist(), keys, strict=True):
            out.setdefault(col, (entry, key))
    return out


def iis_causes(model: Model, hand: Handoff) -> list[str] | None:
    """The IIS in words (limits first, then the rows linking them), or None if unavailable."""
    if not hasattr(highspy.Highs, "getIis"):
        return None
    lp = hand.highs.getLp()  # a copy: read it once
    h = new_highs()
    h.passModel(lp)
    set_integer(h, hand.integer, False)
    h.setOptionValue("iis_strategy", IIS_STRATEGY)
    h.setOptionValue("time_limit", 60.0)
    h.run()
    try:
        status, iis = h.getIis()
    except Exception:  # an older or partial binding
        return None
    if status == highspy.HighsStatus.kError or not iis.valid_:
        return None
    rows = list(iis.row_index_)
    if not rows and not list(iis.col_index_):
        return None
    where = {
        int(pos): (name, key)
        for name, positions in hand.row_pos.items()
        for key, pos in zip(model.blocks[name].keys, positions, strict=True)
    }
    limits: list[str] = []
    context: list[str] = []
    for row in rows:
        name, key = where.get(int(row), ("", ()))
        entry = ENTRIES.get(name)
        if entry is None:
            continue
        if entry.kind != Kind.STRUCTURAL:
            limits.append(describe(model.data, name, key, float("nan")).line())
        elif entry.context:
            context.append(entry.context.format(**dict(zip(entry.index, key, strict=True))))
        else:
            context.append(f"{name} {key}")
    planner_col = {int(pos): col for col, pos in enumerate(hand.col_pos) if pos >= 0}
    bound_of = _bound_of(model)
    for pos, bound in zip(iis.col_index_, iis.col_bound_, strict=True):
        col = planner_col.get(int(pos))
        if col is None or int(bound) not in UPPER or col not in bound_of:
            continue
        entry, key = bound_of[col]
        limits.append(describe(model.data, entry.name, key, float("nan")).line())
    if not limits:
        return None
    return [f"conflicting limit: {line}" for line in limits] + [
        f"linked by: {line}" for line in context
    ]


def _elastic_rows(model: Model, hand: Handoff) -> tuple[list[tuple[str, tuple]], list, list]:
    """Limit rows that get a slack: (family, key), HiGHS row, sign of the slack."""
    slacks: list[tuple[str, tuple]] = []
    rows: list[int] = []
    signs: list[float] = []
    for entry in FAMILIES:
        block = model.blocks.get(entry.name)
        if block is None or entry.kind == Kind.STRUCTURAL or entry.sense == "==":
            continue
        relax = np.ones(len(block), dtype=bool)
        if entry.soft is not None:
            relax &= ~entry.soft(model.data, block.index)
        keep = np.flatnonzero(relax)
        keys = block.keys
        sign = 1.0 if entry.sense == ">=" else -1.0
        slacks += [(entry.name, keys[i]) for i in keep.tolist()]
        rows += hand.row_pos[entry.name][keep].tolist()
        signs += [sign] * keep.size
    return slacks, rows, signs


def elastic(model: Model, hand: Handoff) -> list[Conflict]:
    """Solve the elastic relaxation of the loaded LP and describe the violated limits."""
    lp = hand.highs.getLp()
    h = new_highs()
    h.passModel(lp)
    n = lp.num_col_
    h.changeColsCost(n, np.arange(n), np.zeros(n))
    set_integer(h, hand.integer, False)
    slacks, rows, signs = _elastic_rows(model, hand)
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
    upper = np.asarray(lp.col_upper_)
    for col, (entry, key) in sorted(_bound_of(model).items(), key=lambda item: item[0]):
        pos = int(hand.col_pos[col])
        if pos < 0 or not np.isfinite(upper[pos]):
            continue
        h.changeColBounds(pos, 0.0, highspy.kHighsInf)
        h.addCol(1.0, 0.0, highspy.kHighsInf, 0, [], [])
        slack_col = h.getNumCol() - 1
        h.addRow(-highspy.kHighsInf, float(upper[pos]), 2, [pos, slack_col], [1.0, -1.0])
        slacks.append((entry.name, key))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return []
    x = np.asarray(h.getSolution().col_value)[n:]
    found = [
        describe(model.data, name, key, float(v))
        for (name, key), v in zip(slacks, x, strict=True)
        if v > SLACK
    ]
    return sorted(found, key=lambda c: -c.violation)


def infeasibility_causes(model: Model, hand: Handoff) -> tuple[str, list[str]]:
    """('iis', lines) from HiGHS's IIS, else ('elastic', lines) from the elastic relaxation."""
    found = iis_causes(model, hand)
    if found:
        return "iis", found
    return "elastic", [c.render() for c in elastic(model, hand)]


def empty_row_causes(model: Model) -> list[str]:
    """Rows without variables that cannot hold (found while building), in words."""
    return [describe(model.data, *row).render() for row in model.infeasible_rows]
