"""The Pyomo model of MODEL.md §4–§7: variables, one function per constraint family, objective.

Rows are assembled as sparse blocks over the column layout of `planner.data` (vectorised),
then become Pyomo `MatrixConstraint`s that share those arrays: a real Pyomo model that
users can inspect and extend (`m.X["gpu", "world", 2030]`, `m.balance[i]` is row i of
`layout(m).families["balance"]`, extra constraints are picked up by the hand-off).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.repn.beta.matrix import MatrixConstraint

from planner.data import Linear, ModelData, Tech


@dataclass
class Family:
    """One constraint family: the key, coefficients and right-hand side of each row, in the
    order of its Pyomo component: rows are `A x (sense) rhs`."""

    name: str
    keys: list[tuple]
    sense: str  # ">=", "<=" or "=="
    rhs: np.ndarray
    A: sp.csr_array


@dataclass
class Layout:
    """What the solver hand-off and the results need beside the Pyomo model itself."""

    data: ModelData
    columns: list[pyo.Var]
    pyomo: bool = True  # False: only the arrays (families, objective) are built
    families: dict[str, Family] = field(default_factory=dict)
    objective: np.ndarray = field(default_factory=lambda: np.empty(0))
    objective_constant: float = 0.0
    cost_expr: object = None  # the expression of m.cost as built (to detect user changes)
    infeasible_rows: list[tuple[str, tuple, float]] = field(default_factory=list)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_model(data: ModelData, pyomo: bool = True) -> pyo.ConcreteModel:
    """Build the Pyomo model: variables, every constraint family of §6, the objective of §7.

    With `pyomo=False` only the row arrays are recorded in `layout(m)` (no Pyomo components):
    what a warm re-solve compares against the model HiGHS already holds.
    """
    with gc_paused():
        m = pyo.ConcreteModel(name=data.instance.name)
        add_variables(m, data, pyomo)
        add_activity_bound(m, data)
        add_commodity_balance(m, data)
        add_resource_limit(m, data)
        add_max_capacity(m, data)
        add_build_growth(m, data)
        add_budget(m, data)
        add_build_units(m, data)
        add_objective(m, data)
    data.release()
    return m


def layout(m: pyo.ConcreteModel) -> Layout:
    """The planner's bookkeeping attached to a model built by `build_model`."""
    return m._planner  # type: ignore[no-any-return]


# --- variables -------------------------------------------------------------------------


def add_variables(m: pyo.ConcreteModel, data: ModelData, pyomo: bool = True) -> None:
    """B[k,r,y] builds, X[k,r,y] activity, U[c,r,y] unserved, F[l,o,d,y] flows, N unit counts.

    Bounds: B <= max_build, X <= max_activity, 0 <= U <= D (§9.4), F <= capacity_l.
    B exists only for y - L_k >= y0 (§4); U only where demand > 0 and `unmet_cost` is set.
    """
    columns: list = [None] * data.n_cols
    m._planner = Layout(data=data, columns=columns, pyomo=pyomo)
    if not pyomo:
        return
    upper = data.upper_bounds()
    for name, (keys, cols) in data.column_keys().items():
        domain = pyo.NonNegativeIntegers if name == "N" else pyo.NonNegativeReals
        var = pyo.Var(keys, domain=domain, dense=True)
        m.add_component(name, var)
        for vd, col in zip(var.values(), cols.tolist(), strict=True):
            if upper[col] < np.inf:
                vd.setub(float(upper[col]))
            columns[col] = vd


# --- helpers -----------------------------------------------------------------------------


def _placement(data: ModelData, t: Tech) -> sp.csr_array:
    """Maps a technology's rows (its region i, year j) to instance rows (region, year)."""
    rows = (t.region_idx[:, None] * data.ny + np.arange(data.ny)[None, :]).ravel()
    n = rows.size
    return sp.csr_array((np.ones(n), (rows, np.arange(n))), shape=(data.nr * data.ny, n))


def _place(data: ModelData, t: Tech, lin: Linear) -> Linear:
    """A technology's block in the instance's (region, year) row layout."""
    p = _placement(data, t)
    return Linear(sp.csr_array(p @ lin.A), p @ lin.const)


def _by_year(data: ModelData, lin: Linear) -> Linear:
    """Sum a (region, year) block over regions: one row per year."""
    s = sp.csr_array(sp.hstack([sp.identity(data.ny, format="csr")] * data.nr))
    return Linear(sp.csr_array(s @ lin.A), s @ lin.const)


def _zero(data: ModelData, n_rows: int) -> Linear:
    return Linear(sp.csr_array((n_rows, data.n_cols)), np.zeros(n_rows))


def _sum(data: ModelData, n_rows: int, blocks: list[Linear]) -> Linear:
    out = _zero(data, n_rows)
    for block in blocks:
        out = out + block
    return out


def add_rows(
    m: pyo.ConcreteModel,
    name: str,
    keys: list[tuple],
    lin: Linear,
    sense: str,
    rhs: np.ndarray,
    keep: np.ndarray | None = None,
) -> None:
    """Add component `name`: one row `A x + const (sense) rhs` per key where `keep`.

    A row without variables is dropped if it holds, and recorded as infeasible if not.
    """
    lay = layout(m)
    A = lin.A.tocsr()
    A.sum_duplicates()
    A.eliminate_zeros()
    keep = np.ones(len(keys), dtype=bool) if keep is None else keep
    bound = rhs - lin.const
    empty = np.diff(A.indptr) == 0
    for row in np.flatnonzero(keep & empty):
        gap = bound[row]
        if (
            (sense == ">=" and gap > 1e-9)
            or (sense == "<=" and gap < -1e-9)
            or (sense == "==" and abs(gap) > 1e-9)
        ):
            lay.infeasible_rows.append((name, keys[row], abs(float(gap))))
    kept = np.flatnonzero(keep & ~empty)
    A = sp.csr_array(A[kept])
    fam = Family(name, [keys[i] for i in kept], sense, bound[kept], A)
    lay.families[name] = fam
    if lay.pyomo:
        m.add_component(name, pyomo_rows(fam, lay.columns))


_RANGE_TYPE = {
    ">=": MatrixConstraint.LowerBound,
    "<=": MatrixConstraint.UpperBound,
    "==": MatrixConstraint.Equality,
}


def pyomo_rows(fam: Family, columns: list) -> MatrixConstraint:
    """The family as a Pyomo `MatrixConstraint`: real constraints (row i of component
    `m.<family>` is `fam.keys[i]`) that share the family's CSR arrays instead of holding one
    expression object per term."""
    n = len(fam.keys)
    ranges = np.zeros(2 * n)
    if fam.sense in (">=", "=="):
        ranges[0::2] = fam.rhs
    if fam.sense in ("<=", "=="):
        ranges[1::2] = fam.rhs
    return MatrixConstraint(
        n,
        len(columns),
        fam.A.nnz,
        fam.A.indptr,
        fam.A.indices,
        fam.A.data,
        ranges,
        np.full(n, _RANGE_TYPE[fam.sense], dtype=np.uint8),
        columns,
    )


def _tech_keys(data: ModelData, t: Tech) -> list[tuple]:
    return [(t.name, r, y) for r in t.regions for y in data.year_list]


# --- constraint families (MODEL.md §6) ----------------------------------------------------


def add_activity_bound(m: pyo.ConcreteModel, data: ModelData) -> None:
    """activity_bound[k,r,y]:  X[k,r,y] - a_k(r,y) Cap[k,r,y] <= 0   (§6.1)."""
    keys: list[tuple] = []
    blocks: list[Linear] = []
    for t in data.techs:
        keys += _tech_keys(data, t)
        blocks.append(data.activity(t) - data.capacity(t).scale(t.a.ravel()))
    lin = _stack(data, blocks)
    add_rows(m, "activity_bound", keys, lin, "<=", np.zeros(len(keys)))


def _stack(data: ModelData, blocks: list[Linear]) -> Linear:
    if not blocks:
        return _zero(data, 0)
    return Linear(
        sp.csr_array(sp.vstack([b.A for b in blocks])), np.concatenate([b.const for b in blocks])
    )


def commodity_supply(data: ModelData, c: str) -> Linear:
    """Net supply of c per (r,y): production + arrivals - departures + U - sum_k Use_k[c]."""
    n = data.nr * data.ny
    blocks = [_place(data, t, data.activity(t)) for t in data.techs if t.output == c]
    for t in data.techs:
        use = data.use(t, c)
        if use is not None:
            blocks.append(_place(data, t, use.scale(-1.0)))
    rows, cols, vals = [], [], []
    for link in (lk for lk in data.links if lk.commodity == c):
        for region, factor in ((link.dest, 1.0 - link.loss), (link.origin, -1.0)):
            rows.append(data.regions.index(region) * data.ny + np.arange(data.ny))
            cols.append(link.col)
            vals.append(np.full(data.ny, factor))
    if c in data.u_col:
        ucol = data.u_col[c].ravel()
        has = ucol >= 0
        rows.append(np.flatnonzero(has))
        cols.append(ucol[has])
        vals.append(np.ones(int(has.sum())))
    if rows:
        A = sp.csr_array(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n, data.n_cols),
        )
        blocks.append(Linear(A, np.zeros(n)))
    return _sum(data, n, blocks)


def add_commodity_balance(m: pyo.ConcreteModel, data: ModelData) -> None:
    """balance[c,r,y]:  sum_{out(k)=c} X + sum_in (1-loss) F - sum_out F + U
    - sum_k Use_k[c,r,y] >= D_c(r,y)   (§6.2)."""
    keys: list[tuple] = []
    blocks: list[Linear] = []
    rhs: list[np.ndarray] = []
    for c in data.commodities:
        keys += [(c, r, y) for r in data.regions for y in data.year_list]
        blocks.append(commodity_supply(data, c))
        rhs.append(data.demand[c].ravel())
    lin = _stack(data, blocks)
    add_rows(m, "balance", keys, lin, ">=", np.concatenate(rhs) if rhs else np.zeros(0))


def resource_use(data: ModelData, p: str) -> Linear:
    """sum_k Use_k[p] per (r,y) for a regional resource, per y for a global one."""
    n = data.nr * data.ny
    blocks = [_place(data, t, u) for t in data.techs if (u := data.use(t, p)) is not None]
    total = _sum(data, n, blocks)
    return _by_year(data, total) if data.is_global(p) else total


def add_resource_limit(m: pyo.ConcreteModel, data: ModelData) -> None:
    """resource_limit[p,r,y]:  sum_k Use_k[p,r,y] <= Lim_p(r,y); global scope: r = "*",
    sum over regions (§6.3, §9.6). Rows only where a limit is given."""
    keys: list[tuple] = []
    blocks: list[Linear] = []
    rhs: list[np.ndarray] = []
    for p in data.resources:
        limit = data.limits[p]
        regions = ["*"] if data.is_global(p) else data.regions
        keys += [(p, r, y) for r in regions for y in data.year_list]
        blocks.append(resource_use(data, p))
        rhs.append(limit.ravel())
    if not keys:
        return
    bound = np.concatenate(rhs)
    lin = _stack(data, blocks)
    add_rows(m, "resource_limit", keys, lin, "<=", np.nan_to_num(bound), ~np.isnan(bound))


def add_max_capacity(m: pyo.ConcreteModel, data: ModelData) -> None:
    """max_capacity[k,r,y]:  Cap[k,r,y] <= max_capacity_k(r,y)   (§6.4).
    (max_build and max_activity are bounds on B and X, see `add_variables`.)"""
    keys: list[tuple] = []
    blocks: list[Linear] = []
    rhs: list[np.ndarray] = []
    for t in data.techs:
        if np.isnan(t.max_capacity).all():
            continue
        keys += _tech_keys(data, t)
        blocks.append(data.capacity(t))
        rhs.append(t.max_capacity.ravel())
    if not keys:
        return
    bound = np.concatenate(rhs)
    add_rows(
        m, "max_capacity", keys, _stack(data, blocks), "<=", np.nan_to_num(bound), ~np.isnan(bound)
    )


def add_build_growth(m: pyo.ConcreteModel, data: ModelData) -> None:
    """build_growth[k,r,y], y > y0:  B[k,r,y] - (1 + g_k) B[k,r,y-1] <= Γ_k   (§6.4, §9.5).
    A previous-year build fixed to 0 by the lead time drops out: B[k,r,y] <= Γ_k."""
    keys: list[tuple] = []
    rows, cols, vals, rhs = [], [], [], []
    for t in data.techs:
        if t.growth is None:
            continue
        rate, headroom = t.growth
        for i, r in enumerate(t.regions):
            for j in range(1, data.ny):
                if t.b_col[i, j] < 0:
                    continue
                row = len(keys)
                keys.append((t.name, r, data.year_list[j]))
                rows.append(row)
                cols.append(t.b_col[i, j])
                vals.append(1.0)
                if t.b_col[i, j - 1] >= 0:
                    rows.append(row)
                    cols.append(t.b_col[i, j - 1])
                    vals.append(-(1.0 + rate))
                rhs.append(headroom)
    if not keys:
        return
    A = sp.csr_array((vals, (rows, cols)), shape=(len(keys), data.n_cols))
    add_rows(m, "build_growth", keys, Linear(A, np.zeros(len(keys))), "<=", np.array(rhs))


def spending(data: ModelData) -> Linear:
    """Spend[r,y] summed over regions: one row per year (§5)."""
    n = data.nr * data.ny
    return _by_year(data, _sum(data, n, [_place(data, t, data.spending(t)) for t in data.techs]))


def add_budget(m: pyo.ConcreteModel, data: ModelData) -> None:
    """budget_year[y]:  sum_r Spend[r,y] <= budget.per_year(y);
    budget_total:  sum_{r,y} Spend[r,y] <= budget.total   (§6.6)."""
    has_year = ~np.isnan(data.budget_year)
    if not has_year.any() and data.budget_total is None:
        return
    spend = spending(data)
    if has_year.any():
        keys = [(y,) for y in data.year_list]
        add_rows(m, "budget_year", keys, spend, "<=", np.nan_to_num(data.budget_year), has_year)
    if data.budget_total is not None:
        total = Linear(
            sp.csr_array(spend.A.sum(axis=0).reshape(1, -1)), spend.const.sum(keepdims=True)
        )
        add_rows(m, "budget_total", [("total",)], total, "<=", np.array([data.budget_total]))


def add_build_units(m: pyo.ConcreteModel, data: ModelData) -> None:
    """build_units[k,r,y]:  B[k,r,y] - s_k N[k,r,y] = 0, N integer   (§4, `unit_size`)."""
    keys: list[tuple] = []
    rows, cols, vals = [], [], []
    for t in data.techs:
        if t.unit_size is None:
            continue
        for i, r in enumerate(t.regions):
            for j in np.flatnonzero(t.b_col[i] >= 0):
                row = len(keys)
                keys.append((t.name, r, data.year_list[j]))
                rows += [row, row]
                cols += [t.b_col[i, j], t.n_col[i, j]]
                vals += [1.0, -t.unit_size]
    if not keys:
        return
    A = sp.csr_array((vals, (rows, cols)), shape=(len(keys), data.n_cols))
    add_rows(m, "build_units", keys, Linear(A, np.zeros(len(keys))), "==", np.zeros(len(keys)))


# --- objective (MODEL.md §7) --------------------------------------------------------------


def objective_coefficients(data: ModelData) -> tuple[np.ndarray, float]:
    """Cost per unit of each column, discounted, and the constant (fixed O&M of residuals).

    B[k,r,b]: sum over in-service years y in the horizon of df(y) (CRF_k capex(r,b) + fom(r,y));
    X: df(y) vom(r,y); U: df(y) mu_c; F: df(y) cost_l(y).
    """
    c = np.zeros(data.n_cols)
    df = data.df
    constant = 0.0
    for t in data.techs:
        alive = data.alive(t)
        df_alive = df @ alive  # per build year b: sum_y df(y) alive[y, b]
        fom_alive = (t.fixed_om * df) @ alive  # (region, b)
        coef = t.crf * t.capex * df_alive[None, :] + fom_alive
        has = t.b_col >= 0
        c[t.b_col[has]] += coef[has]
        c[t.x_col.ravel()] += (t.variable_om * df).ravel()
        constant += float((t.fixed_om * t.residual * df).sum())
    for com, col in data.u_col.items():
        has = col >= 0
        c[col[has]] += (data.unmet_cost[com] * np.broadcast_to(df, col.shape))[has]
    for link in data.links:
        c[link.col] += link.cost * df
    return c, constant


def add_objective(m: pyo.ConcreteModel, data: ModelData) -> None:
    """cost = sum_y df(y) [ Ann + fom Cap + vom X + mu U + cost_l F ]   (§7)."""
    lay = layout(m)
    c, constant = objective_coefficients(data)
    nz = np.flatnonzero(c)
    lay.objective, lay.objective_constant = c, constant
    if not lay.pyomo:
        return
    m.cost = pyo.Objective(
        expr=LinearExpression(
            constant=constant,
            linear_coefs=c[nz].tolist(),
            linear_vars=[lay.columns[j] for j in nz],
        ),
        sense=pyo.minimize,
    )
    lay.cost_expr = m.cost.expr
