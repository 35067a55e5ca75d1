"""Hand the Pyomo model to HiGHS and get back primal values, duals and a status.

Route (see docs/performance.md): Pyomo's standard-form compiler turns the model, including
anything a user added, into a sparse matrix, which is passed to `highspy` in one call.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import sys
import threading
from dataclasses import dataclass, field
from time import perf_counter
from typing import Literal

import highspy
import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from planner.data import COL_N
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
    handoff: Literal["direct", "compile"] = "direct"
    """direct: the planner's arrays, plus compiled user additions; compile: everything
    through Pyomo's standard-form compiler (slower; the reference route)."""


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


@dataclass
class LinearProgram:
    """min c x + offset  s.t.  row_lower <= A x <= row_upper,  lower <= x <= upper."""

    c: np.ndarray
    offset: float
    A: sp.csr_array | sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray  # indices of integer columns
    col_pos: np.ndarray  # planner column -> LP column (-1: not in the LP)
    row_pos: dict[str, np.ndarray]  # family -> LP row of each of its rows


def row_bounds(sense: str, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) of rows `A x (sense) rhs`."""
    lower = rhs if sense in (">=", "==") else np.full(rhs.size, -math.inf)
    upper = rhs if sense in ("<=", "==") else np.full(rhs.size, math.inf)
    return lower, upper


def _compiled_bounds(rhs: np.ndarray, mult: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) of standard-form rows: bound_type -1 lower, 1 upper, 0 equality."""
    return np.where(mult <= 0, rhs, -math.inf), np.where(mult >= 0, rhs, math.inf)


def _var_bounds(columns: list) -> tuple[np.ndarray, np.ndarray]:
    """Bounds as the Pyomo variables hold them now (a fixed variable: its value)."""
    n = len(columns)
    lower = np.empty(n)
    upper = np.empty(n)
    for i, v in enumerate(columns):
        if v.fixed:
            lower[i] = upper[i] = v.value
            continue
        lb, ub = v.bounds
        lower[i] = -math.inf if lb is None else lb
        upper[i] = math.inf if ub is None else ub
    return lower, upper


def compile_lp(m: pyo.ConcreteModel) -> LinearProgram:
    """Everything through Pyomo's standard-form compiler (the reference route)."""
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
    lower, upper = _var_bounds(cols)
    integer = np.flatnonzero(np.fromiter((v.is_integer() for v in cols), bool, n))
    rhs = np.asarray(repn.rhs, dtype=float)
    mult = np.fromiter((row.bound_type for row in repn.rows), np.int8, len(repn.rows))
    row_index = {id(row.constraint): i for i, row in enumerate(repn.rows)}
    row_pos = {
        name: np.fromiter(
            (row_index[id(con)] for con in m.component(name).values()), np.int64, len(fam.keys)
        )
        for name, fam in lay.families.items()
    }
    row_lower, row_upper = _compiled_bounds(rhs, mult)
    return LinearProgram(
        c=np.asarray(repn.c.toarray()).ravel() if n else np.zeros(0),
        offset=float(repn.c_offset[0]) if len(repn.c_offset) else 0.0,
        A=repn.A,
        row_lower=row_lower,
        row_upper=row_upper,
        lower=lower,
        upper=upper,
        integer=integer,
        col_pos=col_pos,
        row_pos=row_pos,
    )


def direct_lp(m: pyo.ConcreteModel) -> LinearProgram:
    """The planner's own rows and costs straight from their arrays; only what a user
    added in Pyomo (constraints, a replaced objective) goes through the compiler."""
    lay = layout(m)
    fams = list(lay.families.values())
    n = len(lay.columns)
    blocks = [f.A for f in fams]
    bounds = [row_bounds(f.sense, f.rhs) for f in fams]
    row_pos: dict[str, np.ndarray] = {}
    start = 0
    for f in fams:
        row_pos[f.name] = np.arange(start, start + len(f.keys))
        start += len(f.keys)
    lower, upper = _var_bounds(lay.columns)
    c, offset = lay.objective, lay.objective_constant
    integer = np.flatnonzero(lay.data.col_kind == COL_N)
    extra = _user_part(m, lay)
    if extra is not None:
        repn, cols_new = extra
        columns = list(lay.columns) + cols_new
        position = {id(v): i for i, v in enumerate(columns)}
        remap = np.fromiter((position[id(v)] for v in repn.columns), np.int64, len(repn.columns))
        total = len(columns)
        if cols_new:
            new_lower, new_upper = _var_bounds(cols_new)
            lower, upper = np.concatenate([lower, new_lower]), np.concatenate([upper, new_upper])
            c = np.concatenate([c, np.zeros(len(cols_new))])
            new_int = [n + i for i, v in enumerate(cols_new) if v.is_integer()]
            integer = np.concatenate([integer, np.asarray(new_int, dtype=np.int64)])
            blocks = [
                sp.csr_array((b.data, b.indices, b.indptr), shape=(b.shape[0], total))
                for b in blocks
            ]
        if repn.rows:
            coo = repn.A.tocoo()
            blocks.append(
                sp.csr_array((coo.data, (coo.row, remap[coo.col])), shape=(coo.shape[0], total))
            )
            rhs = np.asarray(repn.rhs, dtype=float)
            mult = np.fromiter((row.bound_type for row in repn.rows), np.int8, len(repn.rows))
            bounds.append(_compiled_bounds(rhs, mult))
        if repn.objectives:
            coo = repn.c.tocoo()
            c = np.zeros(total)
            np.add.at(c, remap[coo.col], coo.data)
            offset = float(repn.c_offset[0])
        n = total
    A = sp.vstack(blocks, format="csr") if blocks else sp.csr_array((0, n))
    return LinearProgram(
        c=c,
        offset=offset,
        A=A,
        row_lower=np.concatenate([b[0] for b in bounds]) if bounds else np.zeros(0),
        row_upper=np.concatenate([b[1] for b in bounds]) if bounds else np.zeros(0),
        lower=lower,
        upper=upper,
        integer=integer,
        col_pos=np.arange(len(lay.columns)),
        row_pos=row_pos,
    )


def _user_part(m: pyo.ConcreteModel, lay) -> tuple | None:
    """Compile what a user added or changed in Pyomo: (standard form, new variables)."""
    ours = {id(m.component(name)) for name in lay.families}
    extra = [
        con
        for con in m.component_objects(pyo.Constraint, active=True, descend_into=True)
        if id(con) not in ours
    ]
    objectives = list(m.component_objects(pyo.Objective, active=True, descend_into=True))
    own_objective = (
        len(objectives) == 1
        and objectives[0] is m.component("cost")
        and m.cost.expr is lay.cost_expr
    )
    if not extra and own_objective:
        return None
    paused = [m.component(name) for name in lay.families]
    if own_objective:
        paused.append(m.cost)
    for comp in paused:
        comp.deactivate()
    try:
        repn = LinearStandardFormCompiler().write(
            m, mixed_form=True, set_sense=pyo.minimize, column_order=lay.columns
        )
    finally:
        for comp in paused:
            comp.activate()
    known = {id(v) for v in lay.columns}
    return repn, [v for v in repn.columns if id(v) not in known]


def load(lp: LinearProgram, options: SolveOptions) -> highspy.Highs:
    """A new HiGHS instance holding the LP, with the solver options set."""
    n = lp.c.size
    h = new_highs()
    h.setOptionValue("output_flag", bool(options.verbose))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    model = highspy.HighsLp()
    model.num_col_ = n
    model.num_row_ = lp.row_lower.size
    model.col_cost_ = lp.c
    model.col_lower_ = lp.lower
    model.col_upper_ = lp.upper
    model.row_lower_ = lp.row_lower
    model.row_upper_ = lp.row_upper
    model.offset_ = lp.offset
    rowwise = isinstance(lp.A, sp.csr_array)
    model.a_matrix_.format_ = (
        highspy.MatrixFormat.kRowwise if rowwise else highspy.MatrixFormat.kColwise
    )
    model.a_matrix_.start_ = lp.A.indptr
    model.a_matrix_.index_ = lp.A.indices
    model.a_matrix_.value_ = lp.A.data
    if lp.integer.size:
        kinds = np.full(n, highspy.HighsVarType.kContinuous)
        kinds[lp.integer] = highspy.HighsVarType.kInteger
        model.integrality_ = kinds.tolist()
    h.passModel(model)
    return h


def handoff(m: pyo.ConcreteModel, options: SolveOptions) -> Handoff:
    """Turn the model into a linear program (`options.handoff`) and load it into HiGHS."""
    lp = compile_lp(m) if options.handoff == "compile" else direct_lp(m)
    h = load(lp, options)
    return Handoff(
        h, lp.col_pos, lp.row_pos, lp.integer, lp.row_lower.size, lp.c.size, int(lp.A.nnz)
    )


def interruptible_run(h: highspy.Highs) -> None:
    """`h.run()` in HiGHS's solver thread, so that Ctrl-C (or SIGTERM mapped to it) stops the
    solve promptly: HiGHS is asked to stop, and KeyboardInterrupt is raised once it has.

    Only in the main thread (the only one signals reach): highspy keeps the locks of
    `startSolve` at class level, so solves in several threads at once must use `run`."""
    if threading.current_thread() is not threading.main_thread():
        h.run()
        return
    h.HandleUserInterrupt = True
    h.startSolve()
    try:
        while not h.wait(0.1)[0]:
            pass
    except KeyboardInterrupt:
        h.cancelSolve()
        while not h.wait(0.1)[0]:
            pass
        raise


def _release_free_memory() -> None:
    """Give the C heap's free pages back to the OS (glibc's malloc_trim) before a solve.

    Building the model frees many temporary arrays; HiGHS solves in its own thread, whose
    allocations come from another malloc arena and would not reuse those pages, so without
    this they would stay resident on top of HiGHS's own peak. A no-op where glibc is absent.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def run(hand: Handoff) -> Solution:
    """Solve; for a MILP, fix the integers and re-solve the LP for duals (MODEL.md §8)."""
    h = hand.highs
    _release_free_memory()
    start = perf_counter()
    interruptible_run(h)
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
        interruptible_run(h)
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
