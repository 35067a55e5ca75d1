"""From the model to the linear program HiGHS receives.

`direct_lp(model)` stacks the families' rows as they are (no Pyomo involved); given the
Pyomo view of the model, it also compiles what a user added or changed in Pyomo
(constraints, variables, the objective) with Pyomo's standard-form compiler and appends
it. `compile_lp(m)` sends everything through that compiler instead: the slower reference
route, kept to check that both give the same LP (docs/performance.md).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from planner.model.assemble import Model
from planner.solver.highs import LinearProgram, row_bounds

if TYPE_CHECKING:
    import pyomo.environ as pyo


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


def _standard_form(m: pyo.ConcreteModel, columns: list) -> Any:
    from pyomo.environ import minimize
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    return LinearStandardFormCompiler().write(
        m, mixed_form=True, set_sense=minimize, column_order=columns
    )


def compile_lp(m: pyo.ConcreteModel) -> LinearProgram:
    """Everything through Pyomo's standard-form compiler (the reference route)."""
    from planner.model.pyomo_view import view_of

    view = view_of(m)
    repn = _standard_form(m, view.columns)
    cols = repn.columns
    n = len(cols)
    position = {id(v): i for i, v in enumerate(cols)}
    col_pos = np.fromiter(
        (position.get(id(v), -1) for v in view.columns), np.int64, len(view.columns)
    )
    lower, upper = _var_bounds(cols)
    integer = np.flatnonzero(np.fromiter((v.is_integer() for v in cols), bool, n))
    rhs = np.asarray(repn.rhs, dtype=float)
    mult = np.fromiter((row.bound_type for row in repn.rows), np.int8, len(repn.rows))
    row_index = {id(row.constraint): i for i, row in enumerate(repn.rows)}
    row_pos = {
        name: np.fromiter(
            (row_index[id(con)] for con in m.component(name).values()), np.int64, len(block)
        )
        for name, block in view.model.blocks.items()
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


def direct_lp(model: Model, m: pyo.ConcreteModel | None = None) -> LinearProgram:
    """The planner's own rows and costs straight from their arrays; with a Pyomo view `m`,
    what a user added there goes through the compiler and is appended."""
    blocks = list(model.blocks.values())
    n = model.n_lp
    matrices = [b.A for b in blocks]
    bounds = [row_bounds(b.sense, b.rhs) for b in blocks]
    starts = np.cumsum([0] + [len(b) for b in blocks])
    row_pos = {b.name: np.arange(starts[i], starts[i + 1]) for i, b in enumerate(blocks)}
    lower, upper = model.lower, model.upper
    c, offset = model.cost[:n], model.constant
    integer = model.integer
    if m is not None:
        columns = _view_columns(m)
        lower, upper = _var_bounds(columns)  # a user may have changed them
        extra = _user_part(m)
        if extra is not None:
            repn, cols_new = extra
            lp = _append_user_part(
                repn, columns + cols_new, matrices, bounds, lower, upper, c, offset, integer
            )
            matrices, bounds, lower, upper, c, offset, integer, n = lp
    A = sp.vstack(matrices, format="csr") if matrices else sp.csr_array((0, n))
    return LinearProgram(
        c=c,
        offset=offset,
        A=A,
        row_lower=np.concatenate([b[0] for b in bounds]) if bounds else np.zeros(0),
        row_upper=np.concatenate([b[1] for b in bounds]) if bounds else np.zeros(0),
        lower=lower,
        upper=upper,
        integer=integer,
        col_pos=np.arange(model.n_lp),
        row_pos=row_pos,
    )


def _view_columns(m: pyo.ConcreteModel) -> list:
    from planner.model.pyomo_view import view_of

    return view_of(m).columns


def _append_user_part(
    repn: Any,
    columns: list,
    matrices: list,
    bounds: list,
    lower: np.ndarray,
    upper: np.ndarray,
    c: np.ndarray,
    offset: float,
    integer: np.ndarray,
) -> tuple:
    """The LP's pieces with a user's compiled rows, columns (`columns`: the planner's, then
    the user's new ones) and objective added."""
    n = len(lower)
    cols_new = columns[n:]
    position = {id(v): i for i, v in enumerate(columns)}
    remap = np.fromiter((position[id(v)] for v in repn.columns), np.int64, len(repn.columns))
    total = len(columns)
    if cols_new:
        new_lower, new_upper = _var_bounds(cols_new)
        lower, upper = np.concatenate([lower, new_lower]), np.concatenate([upper, new_upper])
        c = np.concatenate([c, np.zeros(len(cols_new))])
        new_int = [n + i for i, v in enumerate(cols_new) if v.is_integer()]
        integer = np.concatenate([integer, np.asarray(new_int, dtype=np.int64)])
        matrices = [
            sp.csr_array((b.data, b.indices, b.indptr), shape=(b.shape[0], total)) for b in matrices
        ]
    if repn.rows:
        coo = repn.A.tocoo()
        matrices.append(
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
    return matrices, bounds, lower, upper, c, offset, integer, total


def _user_part(m: pyo.ConcreteModel) -> tuple[Any, list] | None:
    """Compile what a user added or changed in Pyomo: (standard form, new variables)."""
    import pyomo.environ as pyo

    from planner.model.pyomo_view import view_of

    view = view_of(m)
    names = list(view.model.blocks)
    ours = {id(m.component(name)) for name in names}
    extra = [
        con
        for con in m.component_objects(pyo.Constraint, active=True, descend_into=True)
        if id(con) not in ours
    ]
    objectives = list(m.component_objects(pyo.Objective, active=True, descend_into=True))
    own_objective = (
        len(objectives) == 1
        and objectives[0] is m.component("cost")
        and m.cost.expr is view.cost_expr
    )
    if not extra and own_objective:
        return None
    paused = [m.component(name) for name in names]
    if own_objective:
        paused.append(m.cost)
    for comp in paused:
        comp.deactivate()
    try:
        repn = _standard_form(m, view.columns)
    finally:
        for comp in paused:
            comp.activate()
    known = {id(v) for v in view.columns}
    return repn, [v for v in repn.columns if id(v) not in known]
