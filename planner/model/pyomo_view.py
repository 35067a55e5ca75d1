"""The model as a Pyomo `ConcreteModel`, for users who inspect or extend it in Pyomo.

`build_model(data)` assembles the model and gives it Pyomo components: indexed variables
`B`, `X`, `U`, `F`, `N` (`m.X["gpu", "world", 2030]`), one `MatrixConstraint` per family
that shares the family's CSR arrays (row i of `m.balance` is `layout(m).blocks["balance"]`
row i), and the objective `cost`. Constraints, variables or an objective a user adds are
picked up by the solver hand-off (`planner.solver.handoff`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.repn.beta.matrix import MatrixConstraint

from planner.model.assemble import Model, assemble, gc_paused
from planner.model.data import ModelData
from planner.model.linear import Block


@dataclass
class PyomoView:
    """The arrays behind a Pyomo model built here, and its variables in column order."""

    model: Model
    columns: list = field(default_factory=list)
    cost_expr: object = None  # m.cost's expression as built (to detect a user's change)


def build_model(data: ModelData) -> pyo.ConcreteModel:
    """The Pyomo model of `data`: variables, every constraint family, the objective."""
    model = assemble(data)
    with gc_paused():
        m = pyo.ConcreteModel(name=data.instance.name)
        view = PyomoView(model, _variables(m, model))
        for name, block in model.blocks.items():
            m.add_component(name, pyomo_rows(block, view.columns))
        c = model.cost[: model.n_lp]
        nz = np.flatnonzero(c)
        m.cost = pyo.Objective(
            expr=LinearExpression(
                constant=model.constant,
                linear_coefs=c[nz].tolist(),
                linear_vars=[view.columns[j] for j in nz],
            ),
            sense=pyo.minimize,
        )
        view.cost_expr = m.cost.expr
        m._planner = view
    return m


def _flat(key: tuple) -> tuple:
    """A key with its (period, slice) pair flattened into the tuple."""
    out: list = []
    for part in key:
        out.extend(part if isinstance(part, tuple) else (part,))
    return tuple(out)


def view_of(m: pyo.ConcreteModel) -> PyomoView:
    """The planner's bookkeeping attached to a model built by `build_model`."""
    return m._planner  # type: ignore[no-any-return]


def layout(m: pyo.ConcreteModel) -> Model:
    """The arrays (`Model`) behind a Pyomo model built by `build_model`."""
    return view_of(m).model


def _grid(names: list, cols: np.ndarray, out: list, extra: tuple) -> None:
    """(key, column) pairs of a (region, year[, slice]) column array, where it exists."""
    for idx in zip(*np.nonzero(cols >= 0), strict=True):
        key = tuple(level[i] for level, i in zip(names, idx, strict=False))
        out.append(((*extra, *key), int(cols[idx])))


def column_keys(d: ModelData) -> dict[str, list[tuple[tuple, int]]]:
    """Per Pyomo variable, its (key, LP column) pairs. Annual variables are indexed
    (name, region, year) as in the annual model; variables of time slices, `X_slice`,
    `U_slice`, `F_slice`, `Q`, `E`, `SD`, `SU`, `CU`, add (period, slice)."""
    years = d.year_list
    out: dict[str, list] = {v: [] for v in ("B", "N", "X", "X_slice", "U", "U_slice", "F")}
    out.update({v: [] for v in ("F_slice", "Q", "E", "SD", "SU", "CU")})
    for t in d.techs:
        lp_b = np.where(t.buildable, t.b_col, -1)
        _grid([t.regions, years], lp_b, out["B"], (t.name,))
        if t.unit_size is not None:
            _grid([t.regions, years], t.n_col, out["N"], (t.name,))
        if t.slice:
            _grid([t.regions, years, d.time.names], t.x_col, out["X_slice"], (t.name,))
        else:
            _grid([t.regions, years], t.x_col[:, :, 0], out["X"], (t.name,))
        for var, cols in (("Q", t.q_col), ("E", t.e_col), ("SD", t.sd_col)):
            _grid([t.regions, years, d.time.names], cols, out[var], (t.name,))
        for var, cols in (("SU", t.su_col), ("CU", t.cu_col)):
            _grid([t.regions, years, d.time.names], cols, out[var], (t.name,))
    for c, col in d.u_col.items():
        if d.is_slice(c):
            _grid([d.regions, years, d.time.names], col, out["U_slice"], (c,))
        else:
            _grid([d.regions, years], col[:, :, 0], out["U"], (c,))
    for link in d.links:
        ends = (link.name, link.origin, link.dest)
        if d.is_slice(link.commodity):
            _grid([years, d.time.names], link.col, out["F_slice"], ends)
        else:
            _grid([years], link.col[:, 0], out["F"], ends)
    return {v: pairs for v, pairs in out.items() if pairs}


def _variables(m: pyo.ConcreteModel, model: Model) -> list:
    """The variables of `column_keys`, with the bounds of the bound families; a list of
    them in LP column order."""
    columns: list = [None] * model.n_lp
    for name, pairs in column_keys(model.data).items():
        keys = [_flat(key) for key, _ in pairs]
        cols = np.array([col for _, col in pairs], dtype=np.int64)
        domain = pyo.NonNegativeIntegers if name == "N" else pyo.NonNegativeReals
        var = pyo.Var(keys, domain=domain, dense=True)
        m.add_component(name, var)
        for vd, col in zip(var.values(), cols.tolist(), strict=True):
            if model.upper[col] < np.inf:
                vd.setub(float(model.upper[col]))
            if model.lower[col] > 0:
                vd.setlb(float(model.lower[col]))
            columns[col] = vd
    return columns


_RANGE_TYPE = {
    ">=": MatrixConstraint.LowerBound,
    "<=": MatrixConstraint.UpperBound,
    "==": MatrixConstraint.Equality,
}


def pyomo_rows(block: Block, columns: list) -> MatrixConstraint:
    """A family as a Pyomo `MatrixConstraint`: real constraints that share the block's CSR
    arrays instead of holding one expression object per term."""
    n = len(block)
    ranges = np.zeros(2 * n)
    if block.sense in (">=", "=="):
        ranges[0::2] = block.rhs
    if block.sense in ("<=", "=="):
        ranges[1::2] = block.rhs
    return MatrixConstraint(
        n,
        len(columns),
        block.A.nnz,
        block.A.indptr,
        block.A.indices,
        block.A.data,
        ranges,
        np.full(n, _RANGE_TYPE[block.sense], dtype=np.uint8),
        columns,
    )
