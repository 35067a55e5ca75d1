"""Hand the Pyomo model to HiGHS and get back primal values, duals and a status.

Route (see docs/performance.md): Pyomo's standard-form compiler turns the model, including
anything a user added, into a sparse matrix, which is passed to `highspy` in one call.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from time import perf_counter

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from planner.model import layout

_STATUS = {
    "kOptimal": "optimal",
    "kInfeasible": "infeasible",
    "kUnboundedOrInfeasible": "infeasible",  # MODEL.md §9.10: costs >= 0, so not unbounded
    "kUnbounded": "unbounded",
    "kTimeLimit": "time_limit",
    "kIterationLimit": "iteration_limit",
    "kSolutionLimit": "solution_limit",
    "kInterrupt": "interrupted",
    "kObjectiveBound": "objective_bound",
    "kObjectiveTarget": "objective_target",
}


@dataclass
class SolveOptions:
    """Solver settings. `mip_gap` is relative (MODEL.md §9.10); `time_limit` in seconds."""

    mip_gap: float = 1e-4
    time_limit: float | None = None
    verbose: bool = False


@dataclass
class Handoff:
    """The LP as HiGHS sees it, and where each of the planner's columns and rows went."""

    highs: highspy.Highs
    col_pos: np.ndarray  # planner column -> HiGHS column (-1: not in the LP, value 0)
    row_pos: dict[str, np.ndarray]  # family -> HiGHS row of each of its rows
    integer: np.ndarray  # HiGHS columns that are integer
    n_rows: int
    n_cols: int
    n_nonzeros: int


@dataclass
class Solution:
    """What HiGHS returned, mapped back to the planner's columns and rows."""

    status: str
    objective: float | None
    x: np.ndarray | None  # planner columns
    duals: dict[str, np.ndarray] = field(default_factory=dict)  # family -> row duals
    reduced_costs: np.ndarray | None = None  # planner columns
    mip_gap: float | None = None
    has_solution: bool = False
    times: dict[str, float] = field(default_factory=dict)
    solver: str = ""


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance (its constructor prints a banner on the C-level stdout)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    h.setOptionValue("output_flag", False)
    return h


def handoff(m: pyo.ConcreteModel, options: SolveOptions) -> Handoff:
    """Compile the model to standard form and load it into a new HiGHS instance."""
    lay = layout(m)
    repn = LinearStandardFormCompiler().write(
        m, mixed_form=True, set_sense=pyo.minimize, column_order=lay.columns
    )
    cols = repn.columns
    n = len(cols)
    position = {id(v): i for i, v in enumerate(cols)}
    col_pos = np.fromiter(
        (position.get(id(v), -1) for v in lay.columns), np.int64, len(lay.columns)
    )
    lower = np.fromiter((-math.inf if v.lb is None else v.lb for v in cols), float, n)
    upper = np.fromiter((math.inf if v.ub is None else v.ub for v in cols), float, n)
    integer = np.flatnonzero(np.fromiter((v.is_integer() for v in cols), bool, n))
    rhs = np.asarray(repn.rhs, dtype=float)
    mult = np.fromiter((row.bound_type for row in repn.rows), np.int8, len(repn.rows))
    row_lower = np.where(mult <= 0, rhs, -math.inf)
    row_upper = np.where(mult >= 0, rhs, math.inf)
    row_index = {id(row.constraint): i for i, row in enumerate(repn.rows)}
    row_pos = {
        name: np.fromiter(
            (row_index[id(con)] for con in m.component(name).values()), np.int64, len(fam.keys)
        )
        for name, fam in lay.families.items()
    }
    A = repn.A.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = len(rhs)
    lp.col_cost_ = np.asarray(repn.c.toarray()).ravel() if n else np.zeros(0)
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.offset_ = float(repn.c_offset[0]) if len(repn.c_offset) else 0.0
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    if integer.size:
        kinds = np.full(n, highspy.HighsVarType.kContinuous)
        kinds[integer] = highspy.HighsVarType.kInteger
        lp.integrality_ = kinds.tolist()
    h = new_highs()
    h.setOptionValue("output_flag", bool(options.verbose))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    h.passModel(lp)
    return Handoff(h, col_pos, row_pos, integer, len(rhs), n, int(A.nnz))


def run(hand: Handoff) -> Solution:
    """Solve; for a MILP, fix the integers and re-solve the LP for duals (MODEL.md §8)."""
    h = hand.highs
    start = perf_counter()
    h.run()
    times = {"solve": perf_counter() - start}
    status = _STATUS.get(h.getModelStatus().name, "error")
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    gap = float(info.mip_gap) if hand.integer.size else None
    if not has_solution:
        return Solution(status, None, None, mip_gap=gap, times=times, solver=f"HiGHS {h.version()}")
    objective = float(info.objective_function_value)
    x_highs = np.asarray(h.getSolution().col_value)
    if hand.integer.size and status == "optimal":
        start = perf_counter()
        fixed = np.round(x_highs[hand.integer])
        h.changeColsIntegrality(
            hand.integer.size, hand.integer, [highspy.HighsVarType.kContinuous] * hand.integer.size
        )
        h.changeColsBounds(hand.integer.size, hand.integer, fixed, fixed)
        h.setOptionValue("output_flag", False)
        h.run()
        times["fixed_lp"] = perf_counter() - start
    sol = h.getSolution()
    duals: dict[str, np.ndarray] = {}
    reduced = None
    if sol.dual_valid:
        row_dual = np.asarray(sol.row_dual)
        duals = {name: row_dual[pos] for name, pos in hand.row_pos.items()}
        reduced = _to_planner(hand.col_pos, np.asarray(sol.col_dual))
    return Solution(
        status=status,
        objective=objective,
        x=_to_planner(hand.col_pos, x_highs),
        duals=duals,
        reduced_costs=reduced,
        mip_gap=gap,
        has_solution=True,
        times=times,
        solver=f"HiGHS {h.version()}",
    )


def _to_planner(col_pos: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.zeros(col_pos.size)
    has = col_pos >= 0
    out[has] = values[col_pos[has]]
    return out
