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
from planner.model.linear import Block
from planner.model.registry import BOUNDS, ENTRIES, Entry, Kind
from planner.model.stochastic import StochasticModel
from planner.solver.highs import Handoff, new_highs, set_integer

IIS_STRATEGY = 2 | 4  # kIisStrategyFromLp | kIisStrategyIrreducible
_STATUS = highspy.IisBoundStatus
UPPER = (int(_STATUS.kIisBoundStatusUpper), int(_STATUS.kIisBoundStatusBoxed))
LOWER = (int(_STATUS.kIisBoundStatusLower), int(_STATUS.kIisBoundStatusBoxed))
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


def describe(
    d: ModelData, name: str, key: tuple, amount: float, case: str | None = None
) -> Conflict:
    """A row or bound of family `name` that cannot hold, in the instance's vocabulary (in a
    two-stage programme, named with its case)."""
    entry = ENTRIES[name]
    fields = dict(zip(entry.index, key, strict=True))
    if entry.conflict is not None:
        message, fix = entry.conflict(d, fields)
    else:
        message, fix = f"{name} {key} cannot hold", "check the data of this row"
    if case is not None:
        message = f"case {case}: {message}"
    return Conflict(name, key, amount, message, fix)


Bound = tuple[Entry, tuple, Model, str | None]
"""A limit bound of a column: its family, key, the (case) model it belongs to, the case."""


def _bound_of(model: Model) -> dict[tuple[int, str], Bound]:
    """(LP column, "<=" or ">=") -> the limit bound on it: the one reverse lookup."""
    parts = (
        [(m, model.columns[c], c) for c, m in model.cases.items()]
        if isinstance(model, StochasticModel)
        else [(model, np.arange(model.n_lp), None)]
    )
    out: dict[tuple[int, str], Bound] = {}
    for m, columns, case in parts:
        for entry in BOUNDS:
            bounds = m.bounds.get(entry.name)
            if entry.kind != Kind.LIMIT or bounds is None:
                continue
            in_lp = np.flatnonzero(bounds.cols < m.n_lp)
            keys = bounds.keys.take(in_lp).tuples()
            for col, key in zip(columns[bounds.cols[in_lp]].tolist(), keys, strict=True):
                out.setdefault((col, entry.sense), (entry, key, m, case))
    return out


def _data(model: Model, block: Block) -> ModelData:
    if isinstance(model, StochasticModel) and block.case is not None:
        return model.cases[block.case].data
    return model.data


def _iis(hand: Handoff) -> highspy.HighsIis | None:
    """HiGHS's IIS of the loaded LP (integers relaxed), or None where unavailable."""
    if not hasattr(highspy.Highs, "getIis"):
        return None
    h = new_highs()
    h.passModel(hand.highs.getLp())
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
    if not list(iis.row_index_) and not list(iis.col_index_):
        return None
    return iis


def iis_causes(model: Model, hand: Handoff) -> list[str] | None:
    """The IIS in words (limits first, then the rows linking them), or None if unavailable."""
    iis = _iis(hand)
    if iis is None:
        return None
    where = {
        int(pos): (model.blocks[name], key)
        for name, positions in hand.row_pos.items()
        for key, pos in zip(model.blocks[name].keys, positions, strict=True)
    }
    limits: list[str] = []
    context: list[str] = []
    for row in iis.row_index_:
        if int(row) not in where:
            continue
        block, key = where[int(row)]
        entry = ENTRIES[block.family]
        if entry.kind != Kind.STRUCTURAL:
            d = _data(model, block)
            limits.append(describe(d, block.family, key, float("nan"), block.case).line())
        else:
            fields = dict(zip(entry.index, key, strict=True))
            context.append(
                entry.context.format(**fields) if entry.context else f"{entry.name} {key}"
            )
    planner_col = {int(pos): col for col, pos in enumerate(hand.col_pos) if pos >= 0}
    bound_of = _bound_of(model)
    for pos, status in zip(iis.col_index_, iis.col_bound_, strict=True):
        col = planner_col.get(int(pos))
        for sense, statuses in (("<=", UPPER), (">=", LOWER)):
            if col is not None and int(status) in statuses and (col, sense) in bound_of:
                entry, key, m, case = bound_of[col, sense]
                limits.append(describe(m.data, entry.name, key, float("nan"), case).line())
    if not limits:
        return None
    return [f"conflicting limit: {line}" for line in limits] + [
        f"linked by: {line}" for line in context
    ]


def _elastic_rows(model: Model, hand: Handoff) -> tuple[list[tuple], list[int], list[float]]:
    """Limit rows that get a slack: (family, key, data, case), HiGHS row, sign."""
    slacks: list[tuple] = []
    rows: list[int] = []
    signs: list[float] = []
    for name, block in model.blocks.items():
        entry = ENTRIES[block.family]
        if entry.kind == Kind.STRUCTURAL or entry.sense == "==" or not entry.relax:
            continue
        relax = np.ones(len(block), dtype=bool)
        d = _data(model, block)
        if entry.soft is not None:
            relax &= ~entry.soft(d, block.index)
        keep = np.flatnonzero(relax)
        keys = block.keys
        sign = 1.0 if entry.sense == ">=" else -1.0
        slacks += [(entry.name, keys[i], d, block.case) for i in keep.tolist()]
        rows += hand.row_pos[name][keep].tolist()
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
    lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    for (col, sense), (entry, key, m, case) in sorted(_bound_of(model).items()):
        pos = int(hand.col_pos[col])
        limit = upper[pos] if sense == "<=" else lower[pos]
        if pos < 0 or not np.isfinite(limit) or (sense == ">=" and limit <= 0):
            continue
        keep = (0.0, float(upper[pos])) if sense == ">=" else (float(lower[pos]), highspy.kHighsInf)
        h.changeColBounds(pos, *keep)
        h.addCol(1.0, 0.0, highspy.kHighsInf, 0, [], [])
        slack = (
            (-1.0, -highspy.kHighsInf, float(limit))
            if sense == "<="
            else (1.0, float(limit), highspy.kHighsInf)
        )
        h.addRow(slack[1], slack[2], 2, [pos, h.getNumCol() - 1], [1.0, slack[0]])
        slacks.append((entry.name, key, m.data, case))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return []
    x = np.asarray(h.getSolution().col_value)[n:]
    found = [
        describe(d, name, key, float(v), case)
        for (name, key, d, case), v in zip(slacks, x, strict=True)
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
    """Rows or bounds that cannot hold whatever is decided (found while building)."""
    out = []
    for row in model.infeasible_rows:
        case = row[3] if len(row) > 3 else None
        data = model.cases[case].data if isinstance(model, StochasticModel) and case else model.data
        out.append(describe(data, row[0], row[1], row[2], case).render())
    return out
