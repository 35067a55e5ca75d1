"""The expressions of docs/model.md §4 and §11-§14 as sparse blocks over the columns of
`ModelData`.

Each is defined once and used both to write the constraints (`planner.model.families`)
and to report values (`planner.results.tables` evaluates the same blocks at the solution).

Row layouts: a technology's yearly blocks have one row per (its region i, year j) ->
i * ny + j, its slice blocks one per (i, j, slice t) -> (i * ny + j) * T + t; a commodity's
blocks one row per (region r, year j) or (r, j, t) in the same way; a global resource's and
the budget's one row per year.
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


def _builds(
    d: ModelData,
    t: Tech,
    weight: np.ndarray,
    const: np.ndarray | None,
    by_build_year: np.ndarray | None = None,
) -> Linear:
    """Rows (i, y) = const + sum_b weight[y, b] (by_build_year[i, b]) B[i, b] over every
    build column; `weight` is the same in every region (zero coefficients left out)."""
    y, b = np.nonzero(weight)
    nr = len(t.regions)
    i = np.repeat(np.arange(nr), y.size)
    y, b = np.tile(y, nr), np.tile(b, nr)
    w = weight[y, b]
    if by_build_year is not None:
        w = w * by_build_year[i, b]
        keep = w != 0
        i, y, b, w = i[keep], y[keep], b[keep], w[keep]
    shape = (nr * d.ny, d.n_cols)
    constant = None if const is None else const.ravel()
    return Linear.of(i * d.ny + y, t.b_col[i, b], w, shape, constant)


def slice_columns(d: ModelData, cols: np.ndarray) -> Linear:
    """One column per row: a variable such as Q[k,r,y,t] as an expression."""
    flat = cols.ravel()
    return Linear.of(np.arange(flat.size), flat, np.ones(flat.size), (flat.size, d.n_cols))


def activity(d: ModelData, t: Tech) -> Linear:
    """X[k,r,y], a slice technology's summed over its slices."""
    slices = t.x_col.shape[2]
    rows = np.repeat(np.arange(t.x_col.shape[0] * d.ny), slices)
    flat = t.x_col.ravel()
    return Linear.of(rows, flat, np.ones(flat.size), (rows.size // slices, d.n_cols))


def slice_activity(d: ModelData, t: Tech) -> Linear:
    """X[k,r,y,t] of a slice technology (for storage: discharge)."""
    return slice_columns(d, t.x_col)


def capacity(d: ModelData, t: Tech) -> Linear:
    """Cap[k,r,y] = res_k(r,y) + sum_{b <= y < b + n_k} B[k,r,b]."""
    return _cached(d, "capacity", t, lambda: _builds(d, t, alive(d, t), t.residual))


def construction(d: ModelData, t: Tech) -> Linear:
    """CB[k,r,y]: builds under construction in y, each spread evenly over L_k years."""
    return _cached(d, "construction", t, lambda: _builds(d, t, building(d, t), None))


def spending(d: ModelData, t: Tech) -> Linear:
    """Spend of k in (r,y): capex(r,b) B[k,r,b] / max(L_k,1) over the construction years."""

    return _cached(d, "spending", t, lambda: _builds(d, t, building(d, t), None, t.capex))


def annuity(d: ModelData, t: Tech) -> Linear:
    """Ann[k,r,y] = CRF_k sum_{b <= y < b + n_k} capex(r,b) B[k,r,b]."""
    return _builds(d, t, t.crf * alive(d, t), None, t.capex)


def use(d: ModelData, t: Tech, item: str) -> Linear | None:
    """Use_k[j,r,y] = I_act X + I_cap Cap + I_bld CB, or None if k does not use j."""
    coefs = [t.inputs[kind].get(item, 0.0) for kind in INPUT_KINDS]
    if not any(coefs):
        return None
    parts = (activity, capacity, construction)
    terms = [part(d, t).scale(coef) for coef, part in zip(coefs, parts, strict=True) if coef]
    return total(terms, t.x_col.shape[0] * d.ny, d.n_cols)


# --- slices (§11-§14) -----------------------------------------------------------------------


def spread(d: ModelData, lin: Linear, factor: np.ndarray) -> Linear:
    """Each yearly row repeated once per slice, scaled by factor[t]."""
    return lin.repeat(np.asarray(factor, dtype=float))


def sum_slices(d: ModelData, lin: Linear, slices: int) -> Linear:
    """Rows (x, t) summed over t: one row per x."""
    return lin.map_rows(np.repeat(np.arange(lin.n_rows // slices), slices), lin.n_rows // slices)


def slice_use(d: ModelData, t: Tech, c: str) -> Linear | None:
    """Use_k[c,r,y,t] (§11): a slice technology's I_act X_t + w_t (I_cap Cap + I_bld CB);
    any other technology's annual use spread by π_k(t) w_t."""
    w = d.time.w
    if not t.slice:
        annual = use(d, t, c)
        return None if annual is None else spread(d, annual, t.use_shape * w)
    act, cap, bld = (t.inputs[kind].get(c, 0.0) for kind in INPUT_KINDS)
    if not (act or cap or bld):
        return None
    n = t.x_col.shape[0] * d.ny
    fixed = [
        part(d, t).scale(coef) for coef, part in ((cap, capacity), (bld, construction)) if coef
    ]
    out = spread(d, total(fixed, n, d.n_cols), w)
    return out + slice_activity(d, t).scale(act) if act else out


def flexed_use(d: ModelData, t: Tech, c: str) -> Linear | None:
    """Use'_k[c,r,y,t] = u_t - SD_t + SU_t - CU_t (§14); u_t where k is not flexible in c."""
    u = slice_use(d, t, c)
    if u is None or t.flex is None or t.flex.commodity != c:
        return u
    if t.sd_col.size:
        u = u - slice_columns(d, t.sd_col) + slice_columns(d, t.su_col)
    if t.cu_col.size:
        u = u - slice_columns(d, t.cu_col)
    return u


# --- per commodity, resource, year: rows (region, year[, slice]) of the instance ----------


def place(d: ModelData, t: Tech, lin: Linear, slices: int = 1) -> Linear:
    """A technology's block in the instance's (region, year[, slice]) row layout."""
    rows = (t.region_idx[:, None] * d.ny + np.arange(d.ny)[None, :]).ravel()
    if slices > 1:
        rows = (rows[:, None] * slices + np.arange(slices)[None, :]).ravel()
    return lin.map_rows(rows, d.nr * d.ny * slices)


def by_year(d: ModelData, lin: Linear) -> Linear:
    """A (region, year) block summed over regions: one row per year."""
    return lin.map_rows(np.tile(np.arange(d.ny), d.nr), d.ny)


def _commodity_total(d: ModelData, c: str, blocks: list[Linear]) -> Linear:
    return total(blocks, d.nr * d.ny * d.slices_of(c), d.n_cols)


def production(d: ModelData, c: str, slices: bool = False) -> Linear:
    """sum_{out(k)=c} X[k,r,y] (per slice with `slices`, for a slice commodity)."""
    n = d.slices_of(c) if slices else 1
    part = slice_activity if slices and d.is_slice(c) else activity
    blocks = [place(d, t, part(d, t), n) for t in d.techs if t.output == c]
    return total(blocks, d.nr * d.ny * n, d.n_cols)


def consumption(d: ModelData, c: str, slices: bool = False) -> Linear:
    """sum_k Use'_k[c,r,y(,t)]: per slice for a slice commodity (summed without `slices`)."""
    if not d.is_slice(c):
        blocks = [place(d, t, u) for t in d.techs if (u := use(d, t, c)) is not None]
        return total(blocks, d.nr * d.ny, d.n_cols)
    blocks = [place(d, t, u, d.T) for t in d.techs if (u := flexed_use(d, t, c)) is not None]
    per_slice = _commodity_total(d, c, blocks)
    return per_slice if slices else sum_slices(d, per_slice, d.T)


def charging(d: ModelData, c: str, slices: bool = False) -> Linear:
    """sum over storage k with out(k) = c of Q[k,r,y,t] (§12)."""
    n = d.slices_of(c)
    blocks = [
        place(d, t, slice_columns(d, t.q_col), n) for t in d.techs if t.output == c and t.storage
    ]
    per_slice = total(blocks, d.nr * d.ny * n, d.n_cols)
    return per_slice if slices or n == 1 else sum_slices(d, per_slice, n)


def _link_flows(d: ModelData, c: str, end: str, slices: bool) -> Linear:
    """Flows of c's links arriving in (after loss, end="dest") or leaving (end="origin") r."""
    n = d.slices_of(c)
    rows, cols, vals = [], [], []
    for link in (lk for lk in d.links if lk.commodity == c):
        region = link.dest if end == "dest" else link.origin
        base = (d.regions.index(region) * d.ny + np.arange(d.ny))[:, None] * n
        rows.append((base + np.arange(n)[None, :]).ravel())
        cols.append(link.col.ravel())
        vals.append(np.full(link.col.size, 1.0 - link.loss if end == "dest" else 1.0))
    shape = (d.nr * d.ny * n, d.n_cols)
    if not rows:
        per_slice = Linear.zero(*shape)
    else:
        per_slice = Linear.of(
            np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), shape
        )
    return per_slice if slices or n == 1 else sum_slices(d, per_slice, n)


def imports(d: ModelData, c: str, slices: bool = False) -> Linear:
    """sum over links of c into r of (1 - loss) F."""
    return _link_flows(d, c, "dest", slices)


def exports(d: ModelData, c: str, slices: bool = False) -> Linear:
    """sum over links of c out of r of F."""
    return _link_flows(d, c, "origin", slices)


def unserved(d: ModelData, c: str, slices: bool = False) -> Linear:
    """U[c,r,y(,t)] (zero rows where there is no such column)."""
    n = d.slices_of(c)
    shape = (d.nr * d.ny * n, d.n_cols)
    if c not in d.u_col:
        per_slice = Linear.zero(*shape)
    else:
        col = d.u_col[c].ravel()
        has = np.flatnonzero(col >= 0)
        per_slice = Linear.of(has, col[has], np.ones(has.size), shape)
    return per_slice if slices or n == 1 else sum_slices(d, per_slice, n)


def net_supply(d: ModelData, c: str) -> Linear:
    """Production + arrivals - departures + U - sum_k Use'_k[c] - charge: the left side of
    the balance (per slice for a slice commodity, §11.2)."""
    s = d.is_slice(c)
    return (
        production(d, c, s)
        + imports(d, c, s)
        - exports(d, c, s)
        + unserved(d, c, s)
        - consumption(d, c, s)
        - charging(d, c, s)
    )


def demand_rows(d: ModelData, c: str) -> np.ndarray:
    """λ_c(t) w_t D_c(r,y) per (r, y, t) for a slice commodity; D_c(r,y) for an annual one."""
    if not d.is_slice(c):
        return d.demand[c].ravel()
    return (d.demand[c][:, :, None] * (d.demand_shape[c] * d.time.w)[None, None, :]).ravel()


def firm_capacity(d: ModelData, c: str) -> Linear:
    """sum over k with out(k) = c of φF_k(r,y) Cap[k,r,y] (§13), per (r, y)."""
    blocks = [place(d, t, capacity(d, t).scale(t.firm.ravel())) for t in d.techs if t.output == c]
    return total(blocks, d.nr * d.ny, d.n_cols)


def resource_use(d: ModelData, p: str) -> Linear:
    """sum_k Use_k[p] per (r,y) for a regional resource, per y for a global one."""
    blocks = [place(d, t, u) for t in d.techs if (u := use(d, t, p)) is not None]
    lin = total(blocks, d.nr * d.ny, d.n_cols)
    return by_year(d, lin) if d.is_global(p) else lin


def total_spending(d: ModelData) -> Linear:
    """Spend[y] = sum over r of Spend[r,y]: one row per year."""
    blocks = [place(d, t, spending(d, t)) for t in d.techs]
    return by_year(d, total(blocks, d.nr * d.ny, d.n_cols))
