"""One `define_` function per family of time slices, storage, reserve margins and flexible
load (docs/model.md §11-§14). Names, senses and words live in `planner.model.registry`."""

from __future__ import annotations

import numpy as np

from planner.model import expressions as ex
from planner.model.data import ModelData, Tech
from planner.model.linear import Bounds, Keys, Linear, Rows, stack

TECH_SLICE = ("technology", "region", "year", "period", "slice")
COMMODITY_SLICE = ("commodity", "region", "year", "period", "slice")


def _tech_slice_keys(d: ModelData, t: Tech) -> Keys:
    return Keys.grid(technology=[t.name], region=t.regions, year=d.years).with_slices(d.time.names)


def _rows(d: ModelData, techs: list[Tech], block, names=TECH_SLICE) -> Rows | None:
    """Rows `block(t) <= 0` (as `Linear`) of each technology, stacked, with slice keys."""
    if not techs:
        return None
    lin = stack([block(t) for t in techs], d.n_cols)
    keys = Keys.concat([_tech_slice_keys(d, t) for t in techs], names)
    return Rows(keys, lin, np.zeros(lin.n_rows))


def _cap_per_slice(d: ModelData, t: Tech, factor: np.ndarray) -> Linear:
    """a_k(r,y) Cap[k,r,y] spread over slices by factor[t]."""
    return ex.spread(d, ex.capacity(d, t).scale(t.a.ravel()), factor)


def define_slice_activity_bound(d: ModelData) -> Rows | None:
    """X[k,r,y,t] - α_k(t) a_k(r,y) w_t Cap[k,r,y] <= 0 for slice technologies (§11.1)."""
    techs = [t for t in d.techs if t.slice]
    w = d.time.w
    return _rows(
        d, techs, lambda t: ex.slice_activity(d, t) - _cap_per_slice(d, t, t.availability * w)
    )


def define_slice_balance(d: ModelData) -> Rows | None:
    """sum_{out(k)=c} X_t + arrivals - departures + U_t - sum_k Use'_k[c,r,y,t] - charge
    >= λ_c(t) w_t D_c(r,y) for slice commodities (§11.2)."""
    cs = [c for c in d.commodities if d.is_slice(c)]
    if not cs:
        return None
    lin = stack([ex.net_supply(d, c) for c in cs], d.n_cols)
    keys = [
        Keys.grid(commodity=[c], region=d.regions, year=d.years).with_slices(d.time.names)
        for c in cs
    ]
    rhs = np.concatenate([ex.demand_rows(d, c) for c in cs])
    return Rows(Keys.concat(keys, COMMODITY_SLICE), lin, rhs)


def _storage(d: ModelData) -> list[Tech]:
    return [t for t in d.techs if t.storage is not None]


def define_charge_bound(d: ModelData) -> Rows | None:
    """Q[k,r,y,t] - a_k(r,y) w_t Cap[k,r,y] <= 0 (§12.1)."""
    w = d.time.w
    return _rows(d, _storage(d), lambda t: ex.slice_columns(d, t.q_col) - _cap_per_slice(d, t, w))


def define_state_of_charge(d: ModelData) -> Rows | None:
    """E_t - E_prev(t) - (η^c Q_t - X_t / η^d) / ω_p(t) = 0, cyclic in each period (§12.2)."""
    omega = d.time.omega
    prev = d.time.prev

    def block(t: Tech) -> Linear:
        assert t.storage is not None
        e = ex.slice_columns(d, t.e_col)
        before = ex.slice_columns(d, t.e_col[:, :, prev])
        flow = ex.slice_columns(d, t.q_col).scale(t.storage.eta_charge) - ex.slice_activity(
            d, t
        ).scale(1.0 / t.storage.eta_discharge)
        per_slice = np.tile(1.0 / omega, t.e_col.shape[0] * d.ny)
        return e - before - flow.scale(per_slice)

    return _rows(d, _storage(d), block)


def define_energy_capacity(d: ModelData) -> Rows | None:
    """E[k,r,y,t] - (h_k / H) a_k(r,y) Cap[k,r,y] <= 0 (§12.3)."""
    H = d.time.represented_hours

    def block(t: Tech) -> Linear:
        assert t.storage is not None
        ratio = np.full(d.T, t.storage.duration / H)
        return ex.slice_columns(d, t.e_col) - _cap_per_slice(d, t, ratio)

    return _rows(d, _storage(d), block)


def _reserved(d: ModelData, slices: bool) -> list[str]:
    return [c for c in d.commodities if c in d.reserve and d.is_slice(c) == slices]


def define_reserve_margin(d: ModelData) -> Rows | None:
    """sum_{out(k)=c} φF Cap - (1 + m)(pf) sum_k Use_k[c,r,y] >= (1 + m)(pf) D_c(r,y) for
    annual commodities with a reserve (§13, w = 1)."""
    cs = _reserved(d, slices=False)
    if not cs:
        return None
    blocks, rhs = [], []
    for c in cs:
        margin, peak = d.reserve[c]
        need = np.tile((1.0 + margin) * peak, d.nr)
        blocks.append(ex.firm_capacity(d, c) - ex.consumption(d, c).scale(need))
        rhs.append(need * d.demand[c].ravel())
    keys = [Keys.grid(commodity=[c], region=d.regions, year=d.years) for c in cs]
    names = ("commodity", "region", "year")
    return Rows(Keys.concat(keys, names), stack(blocks, d.n_cols), np.concatenate(rhs))


def define_slice_reserve_margin(d: ModelData) -> Rows | None:
    """sum_{out(k)=c} φF Cap >= (1 + m)(pf) Load_c[r,y,t] / w_t, Load = λ w D + sum Use'
    (§13), for slice commodities with a reserve: one row per slice."""
    cs = _reserved(d, slices=True)
    if not cs:
        return None
    w = d.time.w
    blocks, rhs = [], []
    for c in cs:
        margin, peak = d.reserve[c]
        need = np.repeat(np.tile((1.0 + margin) * peak, d.nr), d.T)  # per (r, y, t)
        firm = ex.spread(d, ex.firm_capacity(d, c), np.ones(d.T))
        per_w = need / np.tile(w, d.nr * d.ny)
        blocks.append(firm - ex.consumption(d, c, slices=True).scale(per_w))
        rhs.append(
            need * np.tile(d.demand_shape[c], d.nr * d.ny) * np.repeat(d.demand[c].ravel(), d.T)
        )
    keys = [
        Keys.grid(commodity=[c], region=d.regions, year=d.years).with_slices(d.time.names)
        for c in cs
    ]
    return Rows(Keys.concat(keys, COMMODITY_SLICE), stack(blocks, d.n_cols), np.concatenate(rhs))


def _flexible(d: ModelData, cols: str) -> list[Tech]:
    return [t for t in d.techs if t.flex is not None and getattr(t, cols).size]


def _base_use(d: ModelData, t: Tech) -> Linear:
    """u_t: the technology's whole slice use of its flexible commodity (§14, §8.21)."""
    assert t.flex is not None
    u = ex.slice_use(d, t, t.flex.commodity)
    assert u is not None  # validation: a flexible technology uses its commodity
    return u


def _share_rows(d: ModelData, cols: str, share: str) -> Rows | None:
    """VAR_t - share u_t <= 0 for the variable `cols` (SD, SU or CU)."""
    return _rows(
        d,
        _flexible(d, cols),
        lambda t: (
            ex.slice_columns(d, getattr(t, cols)) - _base_use(d, t).scale(getattr(t.flex, share))
        ),
    )


def define_shift_down_limit(d: ModelData) -> Rows | None:
    """SD_t <= σ_k u_t (§14.1)."""
    return _share_rows(d, "sd_col", "shift")


def define_shift_up_limit(d: ModelData) -> Rows | None:
    """SU_t <= σ_k u_t (§14.1)."""
    return _share_rows(d, "su_col", "shift")


def define_curtail_limit(d: ModelData) -> Rows | None:
    """CU_t <= ν_k u_t (§14.1)."""
    return _share_rows(d, "cu_col", "curtail")


def define_shift_balance(d: ModelData) -> Rows | None:
    """sum_{t in T_p} (SU_t - SD_t) = 0 for every period p (§14.2)."""
    techs = _flexible(d, "su_col")
    if not techs:
        return None
    periods = d.time.periods
    blocks, keys = [], []
    for t in techs:
        moved = ex.slice_columns(d, t.su_col) - ex.slice_columns(d, t.sd_col)
        n = t.su_col.shape[0] * d.ny
        target = (np.arange(n)[:, None] * len(periods) + d.time.period_of[None, :]).ravel()
        blocks.append(moved.map_rows(target, n * len(periods)))
        keys.append(Keys.grid(technology=[t.name], region=t.regions, year=d.years, period=periods))
    lin = stack(blocks, d.n_cols)
    names = ("technology", "region", "year", "period")
    return Rows(Keys.concat(keys, names), lin, np.zeros(lin.n_rows))


def define_curtail_cap(d: ModelData) -> Rows | None:
    """sum_t CU_t - θ_k sum_t u_t <= 0 (§14.3)."""
    techs = _flexible(d, "cu_col")
    if not techs:
        return None
    blocks = []
    for t in techs:
        assert t.flex is not None
        cut = ex.slice_columns(d, t.cu_col) - _base_use(d, t).scale(t.flex.curtail_max)
        blocks.append(ex.sum_slices(d, cut, d.T))
    lin = stack(blocks, d.n_cols)
    keys = [Keys.grid(technology=[t.name], region=t.regions, year=d.years) for t in techs]
    names = ("technology", "region", "year")
    return Rows(Keys.concat(keys, names), lin, np.zeros(lin.n_rows))


def define_slice_link_capacity(d: ModelData) -> Bounds | None:
    """F[l,y,t] <= w_t capacity_l(y) for links of slice commodities (§11.3)."""
    keys, cols, values = [], [], []
    w = d.time.w
    for link in (lk for lk in d.links if d.is_slice(lk.commodity)):
        cap = (link.capacity[:, None] * w[None, :]).ravel()
        has = np.flatnonzero(~np.isnan(cap))
        grid = Keys.grid(link=[link.name], region=[link.route], year=d.years)
        keys.append(grid.with_slices(d.time.names).take(has))
        cols.append(link.col.ravel()[has])
        values.append(cap[has])
    if not keys:
        return None
    names = ("link", "region", "year", "period", "slice")
    return Bounds(Keys.concat(keys, names), np.concatenate(cols), np.concatenate(values))


def define_slice_unserved_limit(d: ModelData) -> Bounds | None:
    """0 <= U[c,r,y,t] <= λ_c(t) w_t D_c(r,y) for slice commodities (§11.4)."""
    keys, cols, values = [], [], []
    for c, col in ((c, col) for c, col in d.u_col.items() if d.is_slice(c)):
        flat = col.ravel()
        has = np.flatnonzero(flat >= 0)
        grid = Keys.grid(commodity=[c], region=d.regions, year=d.years)
        keys.append(grid.with_slices(d.time.names).take(has))
        cols.append(flat[has])
        values.append(ex.demand_rows(d, c)[has])
    if not keys:
        return None
    return Bounds(Keys.concat(keys, COMMODITY_SLICE), np.concatenate(cols), np.concatenate(values))
