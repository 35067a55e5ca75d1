"""Infeasibility diagnosis by HiGHS's irreducible infeasible subsystem (IIS), where available.

An IIS is a smallest set of rows and bounds that cannot hold together: drop any one and the
rest is feasible. Its limit rows (demand balances, resource limits, max_capacity, build
growth, budget) and limit bounds (max_build, max_activity, link capacity) are reported in
the instance's words with a fix (`planner.diagnose.describe`); its structural rows (activity
within capacity) are named as the context that links them. Where the installed highspy has
no `getIis`, or the IIS comes back empty (as for a MILP whose LP relaxation is feasible),
the elastic relaxation of `planner.diagnose` answers instead.
"""

from __future__ import annotations

import highspy
import numpy as np

from planner.data import LIMIT_BOUNDS, ModelData
from planner.diagnose import RELAXED, describe, diagnose
from planner.model import Layout
from planner.solver import Handoff, new_highs

IIS_STRATEGY = 2 | 4  # kIisStrategyFromLp | kIisStrategyIrreducible
UPPER = (4, 5)  # IisBoundStatus kIisBoundStatusUpper, kIisBoundStatusBoxed
STRUCTURAL = {
    "activity_bound": "output of {0} in {2} (region {1}) is at most output_per_capacity x capacity",
}


def iis_causes(data: ModelData, lay: Layout, hand: Handoff) -> list[str] | None:
    """The IIS in words (limits first, then the rows linking them), or None if unavailable."""
    if not hasattr(highspy.Highs, "getIis"):
        return None
    lp = hand.highs.getLp()  # a copy: read it once
    h = new_highs()
    h.passModel(lp)
    if hand.integer.size:
        h.changeColsIntegrality(
            hand.integer.size, hand.integer, [highspy.HighsVarType.kContinuous] * hand.integer.size
        )
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
        for key, pos in zip(lay.families[name].keys, positions, strict=True)
    }
    limits: list[str] = []
    context: list[str] = []
    for row in rows:
        name, key = where.get(int(row), ("", ()))
        if name in RELAXED:
            found = describe(data, name, key, float("nan"))
            limits.append(f"{found.message}. Fix: {found.suggestion}")
        elif name in STRUCTURAL:
            context.append(STRUCTURAL[name].format(*key))
        elif name:
            context.append(f"{name} {key}")
    planner_col = {int(pos): col for col, pos in enumerate(hand.col_pos) if pos >= 0}
    upper = np.asarray(lp.col_upper_)
    for pos, bound in zip(iis.col_index_, iis.col_bound_, strict=True):
        col = planner_col.get(int(pos))
        if col is None or int(bound) not in UPPER or data.col_kind[col] not in LIMIT_BOUNDS:
            continue
        if not np.isfinite(upper[int(pos)]):
            continue
        found = describe(data, "bound", (col,), float("nan"))
        limits.append(f"{found.message}. Fix: {found.suggestion}")
    if not limits:
        return None
    return [f"conflicting limit: {line}" for line in limits] + [
        f"linked by: {line}" for line in context
    ]


def infeasibility_causes(data: ModelData, lay: Layout, hand: Handoff) -> tuple[str, list[str]]:
    """('iis', lines) from HiGHS's IIS, else ('elastic', lines) from the elastic relaxation."""
    found = iis_causes(data, lay, hand)
    if found:
        return "iis", found
    return "elastic", [c.render() for c in diagnose(data, lay, hand)]
