"""The expressions of docs/model.md §4 as sparse blocks over the columns of `ModelData`.

Each is defined once and used both to write the constraints (`planner.model.families`)
and to report values (`planner.results.tables` evaluates the same blocks at the solution).

Row layouts: a technology's blocks have one row per (its region i, year j) -> i * ny + j;
an instance's per-commodity blocks one row per (region r, year j) -> r * ny + j; a global
resource's and the budget's one row per year.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from planner.model.data import INPUT_KINDS, ModelData, Tech
from planner.model.linear import Linear, total


def _cached(d: ModelData, kind: str, t: Tech, make: Callable[[], Linear]) -> Linear:
    key = (kind, t.name)
    if key not in d.cache:
        d.cache[key] = make()
    return d.cache[key]


def alive(d: ModelData, t: Tech) -> np.ndarray:
    """mask[y, b] = 1 where a build of year b is in service in year y."""
    y = np.arange(d.ny)
    return ((y[None, :] <= y[:, None]) & (y[:, None] < y[None, :] + t.lifetime)).astype(float)


def building(d: ModelData, t: Tech) -> np.ndarray:
    """weight[y, b] = 1/L where a build of year b is under construction in year y (L=0: y=b)."""
    y = np.arange(d.ny)
    if t.lead_time == 0:
        return np.eye(d.ny)
    under = (y[None, :] - t.lead_time <= y[:, None]) & (y[:, None] <= y[None, :] - 1)
    return under / t.lead_time


def _builds(d: ModelData, t: Tech, weight: np.ndarray, const: np.ndarray | None) -> Linear:
    """Rows (i, y) = const + sum_b weight[(i,) y, b] B[i, b] (every build column)."""
    nr = len(t.regions)
    w = np.broadcast_to(weight, (nr, d.ny, d.ny))
    i, y, b = np.nonzero(w)
    shape = (nr * d.ny, d.n_cols)
    return Linear.of(
        i * d.ny + y, t.b_col[i, b], w[i, y, b], shape, None if const is None else const.ravel()
    )


def activity(d: ModelData, t: Tech) -> Linear:
    """X[k,r,y]."""
    rows = np.arange(t.x_col.size)
    return Linear.of(rows, t.x_col.ravel(), np.ones(rows.size), (rows.size, d.n_cols))


def capacity(d: ModelData, t: Tech) -> Linear:
    """Cap[k,r,y] = res_k(r,y) + sum_{b <= y < b + n_k} B[k,r,b]."""
    return _cached(d, "capacity", t, lambda: _builds(d, t, alive(d, t), t.residual))


def construction(d: ModelData, t: Tech) -> Linear:
    """CB[k,r,y]: builds under construction in y, each spread evenly over L_k years."""
    return _cached(d, "construction", t, lambda: _builds(d, t, building(d, t), None))


def spending(d: ModelData, t: Tech) -> Linear:
    """Spend of k in (r,y): capex(r,b) B[k,r,b] / max(L_k,1) over the construction years."""

    def make() -> Linear:
        return _builds(d, t, building(d, t)[None, :, :] * t.capex[:, None, :], None)

    return _cached(d, "spending", t, make)


def annuity(d: ModelData, t: Tech) -> Linear:
    """Ann[k,r,y] = CRF_k sum_{b <= y < b + n_k} capex(r,b) B[k,r,b]."""
    return _builds(d, t, t.crf * alive(d, t)[None, :, :] * t.capex[:, None, :], None)


def use(d: ModelData, t: Tech, item: str) -> Linear | None:
    """Use_k[j,r,y] = I_act X + I_cap Cap + I_bld CB, or None if k does not use j."""
    coefs = [t.inputs[kind].get(item, 0.0) for kind in INPUT_KINDS]
    if not any(coefs):
        return None
    parts = (activity, capacity, construction)
    terms = [part(d, t).scale(coef) for coef, part in zip(coefs, parts, strict=True) if coef]
    return total(terms, t.x_col.size, d.n_cols)


# --- per commodity, resource, year: rows (region, year) of the instance ---------------------


def place(d: ModelData, t: Tech, lin: Linear) -> Linear:
    """A technology's block in the instance's (region, year) row layout."""
    rows = (t.region_idx[:, None] * d.ny + np.arange(d.ny)[None, :]).ravel()
    return lin.map_rows(rows, d.nr * d.ny)


def by_year(d: ModelData, lin: Linear) -> Linear:
    """A (region, year) block summed over regions: one row per year."""
    return lin.map_rows(np.tile(np.arange(d.ny), d.nr), d.ny)


def production(d: ModelData, c: str) -> Linear:
    """sum_{out(k)=c} X[k,r,y]."""
    blocks = [place(d, t, activity(d, t)) for t in d.techs if t.output == c]
    return total(blocks, d.nr * d.ny, d.n_cols)


def consumption(d: ModelData, c: str) -> Linear:
    """sum_k Use_k[c,r,y]."""
    blocks = [place(d, t, u) for t in d.techs if (u := use(d, t, c)) is not None]
    return total(blocks, d.nr * d.ny, d.n_cols)


def _link_flows(d: ModelData, c: str, end: str) -> Linear:
    """Flows of c's links arriving in (after loss, end="dest") or leaving (end="origin") r."""
    rows, cols, vals = [], [], []
    for link in (lk for lk in d.links if lk.commodity == c):
        region = link.dest if end == "dest" else link.origin
        rows.append(d.regions.index(region) * d.ny + np.arange(d.ny))
        cols.append(link.col)
        vals.append(np.full(d.ny, 1.0 - link.loss if end == "dest" else 1.0))
    if not rows:
        return Linear.zero(d.nr * d.ny, d.n_cols)
    shape = (d.nr * d.ny, d.n_cols)
    return Linear.of(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), shape)


def imports(d: ModelData, c: str) -> Linear:
    """sum over links of c into r of (1 - loss) F."""
    return _link_flows(d, c, "dest")


def exports(d: ModelData, c: str) -> Linear:
    """sum over links of c out of r of F."""
    return _link_flows(d, c, "origin")


def unserved(d: ModelData, c: str) -> Linear:
    """U[c,r,y] (zero rows where there is no such column)."""
    n = d.nr * d.ny
    if c not in d.u_col:
        return Linear.zero(n, d.n_cols)
    col = d.u_col[c].ravel()
    has = np.flatnonzero(col >= 0)
    return Linear.of(has, col[has], np.ones(has.size), (n, d.n_cols))


def net_supply(d: ModelData, c: str) -> Linear:
    """Production + arrivals - departures + U - sum_k Use_k[c]: the left side of the balance."""
    return production(d, c) + imports(d, c) - exports(d, c) + unserved(d, c) - consumption(d, c)


def resource_use(d: ModelData, p: str) -> Linear:
    """sum_k Use_k[p] per (r,y) for a regional resource, per y for a global one."""
    blocks = [place(d, t, u) for t in d.techs if (u := use(d, t, p)) is not None]
    lin = total(blocks, d.nr * d.ny, d.n_cols)
    return by_year(d, lin) if d.is_global(p) else lin


def total_spending(d: ModelData) -> Linear:
    """Spend[y] = sum over r of Spend[r,y]: one row per year."""
    blocks = [place(d, t, spending(d, t)) for t in d.techs]
    return by_year(d, total(blocks, d.nr * d.ny, d.n_cols))
