"""HiGHS as the planner uses it: load a linear program, solve it (interruptibly), read back
primal values, duals and a status in the planner's own columns and rows."""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import sys
import threading
from dataclasses import dataclass, field
from time import perf_counter

import highspy
import numpy as np
import scipy.sparse as sp

from planner.solver.options import SolveOptions

STATUS = {
    "kOptimal": "optimal",
    "kInfeasible": "infeasible",
    "kUnboundedOrInfeasible": "infeasible",  # all costs >= 0, so not unbounded
    "kUnbounded": "unbounded",
    "kTimeLimit": "time_limit",
    "kIterationLimit": "iteration_limit",
    "kSolutionLimit": "solution_limit",
    "kInterrupt": "interrupted",
    "kObjectiveBound": "objective_bound",
    "kObjectiveTarget": "objective_target",
}


@dataclass
class LinearProgram:
    """min c x + offset  s.t.  row_lower <= A x <= row_upper,  lower <= x <= upper.

    Columns 0..n_lp-1 are the planner's LP columns in order; columns a user added in Pyomo
    follow. `row_pos` maps each family to the LP rows of its rows."""

    c: np.ndarray
    offset: float
    A: sp.csr_array | sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray  # indices of integer columns
    col_pos: np.ndarray  # planner LP column -> LP column (-1: not in the LP, value 0)
    row_pos: dict[str, np.ndarray]


@dataclass
class Handoff:
    """The LP as HiGHS holds it, and where the planner's columns and rows went."""

    highs: highspy.Highs
    col_pos: np.ndarray  # planner LP column -> HiGHS column (-1: not in the LP)
    row_pos: dict[str, np.ndarray]  # family -> HiGHS row of each of its rows
    integer: np.ndarray  # HiGHS columns that are integer
    n_rows: int
    n_cols: int
    n_nonzeros: int
    relaxed: bool = False  # the integers were relaxed and fixed to get duals (see `run`)


@dataclass
class Solution:
    """What HiGHS returned, in the planner's LP columns and family rows."""

    status: str
    objective: float | None
    x: np.ndarray | None  # planner LP columns
    duals: dict[str, np.ndarray] = field(default_factory=dict)  # family -> row duals
    reduced_costs: np.ndarray | None = None  # planner LP columns
    mip_gap: float | None = None
    has_solution: bool = False
    iterations: int = 0
    times: dict[str, float] = field(default_factory=dict)
    solver: str = ""


def row_bounds(sense: str, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) of rows `A x (sense) rhs`."""
    lower = rhs if sense in (">=", "==") else np.full(rhs.size, -math.inf)
    upper = rhs if sense in ("<=", "==") else np.full(rhs.size, math.inf)
    return lower, upper


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


def set_integer(h: highspy.Highs, cols: np.ndarray, integer: bool) -> None:
    """Make columns integer, or continuous (to relax a MILP)."""
    if cols.size:
        kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
        h.changeColsIntegrality(cols.size, cols, [kind] * cols.size)


def load(lp: LinearProgram, options: SolveOptions) -> Handoff:
    """A new HiGHS instance holding the LP, with the solver options set."""
    n = lp.c.size
    h = new_highs()
    h.setOptionValue("output_flag", bool(options.verbose))
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    h.setOptionValue("solver", options.solver)
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    rowwise = lp.A.format == "csr"
    fmt = highspy.MatrixFormat.kRowwise if rowwise else highspy.MatrixFormat.kColwise
    integrality = np.zeros(n, dtype=np.int32)  # HiGHS reads n values whatever the length
    integrality[lp.integer] = int(highspy.HighsVarType.kInteger)
    status = h.passModel(  # numpy arrays straight into HiGHS: no per-attribute conversion
        n,
        lp.row_lower.size,
        int(lp.A.nnz),
        int(fmt),
        int(highspy.ObjSense.kMinimize),
        float(lp.offset),
        np.ascontiguousarray(lp.c, dtype=float),
        np.ascontiguousarray(lp.lower, dtype=float),
        np.ascontiguousarray(lp.upper, dtype=float),
        np.ascontiguousarray(lp.row_lower, dtype=float),
        np.ascontiguousarray(lp.row_upper, dtype=float),
        lp.A.indptr.astype(np.int32),
        lp.A.indices.astype(np.int32),
        np.ascontiguousarray(lp.A.data, dtype=float),
        integrality,
    )
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS refused the model (passModel returned an error)")
    release_free_memory()  # once per model loaded, not per warm re-solve
    return Handoff(h, lp.col_pos, lp.row_pos, lp.integer, lp.row_lower.size, n, int(lp.A.nnz))


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


def release_free_memory() -> None:
    """Give the C heap's free pages back to the OS (glibc's malloc_trim) before a solve.

    Building the model frees many temporary arrays; HiGHS solves in its own thread, whose
    allocations come from another malloc arena and would not reuse those pages, so without
    this they would stay resident on top of HiGHS's own peak. A no-op where glibc is absent.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def run(hand: Handoff) -> Solution:
    """Solve; for a MILP, fix the integers and re-solve the LP for duals (docs/model.md §7)."""
    h = hand.highs
    start = perf_counter()
    interruptible_run(h)
    times = {"solve": perf_counter() - start}
    status = STATUS.get(h.getModelStatus().name, "error")
    info = h.getInfo()
    iterations = int(info.simplex_iteration_count)
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    gap = float(info.mip_gap) if hand.integer.size else None
    solver = f"HiGHS {h.version()}"
    if not has_solution:
        return Solution(status, None, None, mip_gap=gap, iterations=iterations, times=times,
                        solver=solver)  # fmt: skip
    objective = float(info.objective_function_value)
    x_highs = np.asarray(h.getSolution().col_value)
    if hand.integer.size and status == "optimal":
        start = perf_counter()
        fixed = np.round(x_highs[hand.integer])
        set_integer(h, hand.integer, False)
        h.changeColsBounds(hand.integer.size, hand.integer, fixed, fixed)
        hand.relaxed = True
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
        iterations=iterations,
        times=times,
        solver=solver,
    )


def _to_planner(col_pos: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values of HiGHS's columns in the planner's LP columns (0 where not in the LP)."""
    out = np.zeros(col_pos.size)
    has = col_pos >= 0
    out[has] = values[col_pos[has]]
    return out
