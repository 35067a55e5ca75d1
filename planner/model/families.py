"""One `define_` function per constraint or bound family (docs/model.md §5).

Each returns the rows (`Rows`) or bounds (`Bounds`) of its family, assembled from the
expressions of `planner.model.expressions` as sparse blocks, or None when the instance has
none. Names, senses and words live in `planner.model.registry`, which calls these.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from planner.model import expressions as ex
from planner.model.data import ModelData, Tech
from planner.model.linear import Bounds, Keys, Linear, Rows, stack


def _tech_keys(d: ModelData, t: Tech) -> Keys:
    return Keys.grid(technology=[t.name], region=t.regions, year=d.years)


def _concat(keys: list[Keys], names: tuple[str, ...]) -> Keys:
    return Keys.concat(keys, names)


TECH = ("technology", "region", "year")


# --- constraint families -------------------------------------------------------------------


def define_activity_bound(d: ModelData) -> Rows | None:
    """X[k,r,y] - a_k(r,y) Cap[k,r,y] <= 0 for technologies with an annual output
    (docs/model.md §5.1; slice technologies: `define_slice_activity_bound`)."""
    techs = [t for t in d.techs if not t.slice]
    keys = [_tech_keys(d, t) for t in techs]
    blocks = [ex.activity(d, t) - ex.capacity(d, t).scale(t.a.ravel()) for t in techs]
    lin = stack(blocks, d.n_cols)
    return Rows(_concat(keys, TECH), lin, np.zeros(lin.n_rows))


def define_commodity_balance(d: ModelData) -> Rows | None:
    """sum_{out(k)=c} X + sum_in (1-loss) F - sum_out F + U - sum_k Use_k[c,r,y]
    >= D_c(r,y) for annual commodities (§5.2; slice commodities: `define_slice_balance`)."""
    annual = [c for c in d.commodities if not d.is_slice(c)]
    keys = [Keys.grid(commodity=[c], region=d.regions, year=d.years) for c in annual]
    lin = stack([ex.net_supply(d, c) for c in annual], d.n_cols)
    rhs = np.concatenate([ex.demand_rows(d, c) for c in annual]) if keys else np.zeros(0)
    return Rows(_concat(keys, ("commodity", "region", "year")), lin, rhs)


def define_resource_limit(d: ModelData) -> Rows | None:
    """sum_k Use_k[p,r,y] <= Lim_p(r,y); global scope: region "global", summed over
    regions (§5.3). Rows only where a limit is given."""
    if not d.resources:
        return None
    keys = [
        Keys.grid(resource=[p], region=["global"] if d.is_global(p) else d.regions, year=d.years)
        for p in d.resources
    ]
    lin = stack([ex.resource_use(d, p) for p in d.resources], d.n_cols)
    bound = np.concatenate([d.limits[p].ravel() for p in d.resources])
    names = ("resource", "region", "year")
    return Rows(_concat(keys, names), lin, np.nan_to_num(bound), ~np.isnan(bound))


def define_min_capacity(d: ModelData) -> Rows | None:
    """Cap[k,r,y] >= min_capacity_k(r,y), where given (> 0)   (§15)."""
    limited = [t for t in d.techs if (t.min_capacity > 0).any()]
    if not limited:
        return None
    lin = stack([ex.capacity(d, t) for t in limited], d.n_cols)
    bound = np.concatenate([t.min_capacity.ravel() for t in limited])
    keys = _concat([_tech_keys(d, t) for t in limited], TECH)
    return Rows(keys, lin, bound, bound > 0)


def _annual_activity_rows(d: ModelData, limit_of: str, given: Callable) -> Rows | None:
    """sum_t X[k,r,y,t] against a limit of slice technologies, where given."""
    techs = [t for t in d.techs if t.slice and given(getattr(t, limit_of)).any()]
    if not techs:
        return None
    lin = stack([ex.activity(d, t) for t in techs], d.n_cols)
    bound = np.concatenate([getattr(t, limit_of).ravel() for t in techs])
    keys = _concat([_tech_keys(d, t) for t in techs], TECH)
    return Rows(keys, lin, np.nan_to_num(bound), given(bound))


def define_max_activity_total(d: ModelData) -> Rows | None:
    """sum_t X[k,r,y,t] <= max_activity_k(r,y) for slice technologies (§5.12, §8.16)."""
    return _annual_activity_rows(d, "max_activity", lambda v: ~np.isnan(v))


def define_min_activity_total(d: ModelData) -> Rows | None:
    """sum_t X[k,r,y,t] >= min_activity_k(r,y) for slice technologies (§5.13, §8.22)."""
    return _annual_activity_rows(d, "min_activity", lambda v: v > 0)


def define_max_capacity(d: ModelData) -> Rows | None:
    """Cap[k,r,y] <= max_capacity_k(r,y), where given   (§5.4)."""
    limited = [t for t in d.techs if not np.isnan(t.max_capacity).all()]
    if not limited:
        return None
    lin = stack([ex.capacity(d, t) for t in limited], d.n_cols)
    bound = np.concatenate([t.max_capacity.ravel() for t in limited])
    keys = _concat([_tech_keys(d, t) for t in limited], TECH)
    return Rows(keys, lin, np.nan_to_num(bound), ~np.isnan(bound))


def define_build_growth(d: ModelData) -> Rows | None:
    """B[k,r,y] - (1 + g_k) B[k,r,y-1] <= Γ_k for y > y0 where B[k,r,y] is buildable
    (§5.5); a previous-year build that the lead time forbids is 0 there, so the row
    reads B[k,r,y] <= Γ_k."""
    keys: list[Keys] = []
    blocks: list[Linear] = []
    rhs: list[np.ndarray] = []
    for t in d.techs:
        if t.growth is None:
            continue
        rate, headroom = t.growth
        i, j = np.nonzero(t.buildable[:, 1:])
        j = j + 1
        n = i.size
        rows = np.concatenate([np.arange(n), np.arange(n)])
        cols = np.concatenate([t.b_col[i, j], t.b_col[i, j - 1]])
        vals = np.concatenate([np.ones(n), np.full(n, -(1.0 + rate))])
        blocks.append(Linear.of(rows, cols, vals, (n, d.n_cols)))
        keys.append(
            Keys(
                {
                    "technology": np.full(n, t.name, dtype=object),
                    "region": np.asarray(t.regions, dtype=object)[i],
                    "year": d.years[j].astype(np.int64),
                }
            )
        )
        rhs.append(np.full(n, headroom))
    if not keys:
        return None
    return Rows(_concat(keys, TECH), stack(blocks, d.n_cols), np.concatenate(rhs))


def define_budget_year(d: ModelData) -> Rows | None:
    """sum_r Spend[r,y] <= budget.per_year(y)   (§5.6)."""
    has = ~np.isnan(d.budget_year)
    if not has.any():
        return None
    keys = Keys.grid(year=d.years)
    return Rows(keys, ex.total_spending(d), np.nan_to_num(d.budget_year), has)


def define_budget_total(d: ModelData) -> Rows | None:
    """sum_{r, y <= yN} Spend[r,y] <= budget.total   (§5.7; extension years excluded)."""
    if d.budget_total is None:
        return None
    spend = ex.total_spending(d)
    horizon = np.flatnonzero(d.years <= d.horizon_end)
    within = spend.take(horizon)
    total = within.map_rows(np.zeros(horizon.size, dtype=np.int64), 1)
    return Rows(Keys.grid(scope=["total"]), total, np.array([d.budget_total]))


def define_build_units(d: ModelData) -> Rows | None:
    """B[k,r,y] - s_k N[k,r,y] = 0, N integer   (§5.8, `unit_size`)."""
    keys: list[Keys] = []
    blocks: list[Linear] = []
    for t in d.techs:
        if t.unit_size is None:
            continue
        i, j = np.nonzero(t.buildable)
        n = i.size
        rows = np.concatenate([np.arange(n), np.arange(n)])
        cols = np.concatenate([t.b_col[i, j], t.n_col[i, j]])
        vals = np.concatenate([np.ones(n), np.full(n, -t.unit_size)])
        blocks.append(Linear.of(rows, cols, vals, (n, d.n_cols)))
        keys.append(_tech_keys(d, t).take(np.flatnonzero(t.buildable.ravel())))
    if not keys:
        return None
    lin = stack(blocks, d.n_cols)
    return Rows(_concat(keys, TECH), lin, np.zeros(lin.n_rows))


# --- bound families ------------------------------------------------------------------------


def _tech_bounds(
    d: ModelData,
    cols_of: Callable[[Tech], np.ndarray],
    where: Callable[[Tech], np.ndarray],
    value_of: Callable[[Tech], np.ndarray],
) -> Bounds | None:
    """Bounds on one column per (technology, region, year) where `where` holds."""
    keys: list[Keys] = []
    cols: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for t in d.techs:
        flat = np.flatnonzero(where(t).ravel())
        if not flat.size:
            continue
        keys.append(_tech_keys(d, t).take(flat))
        cols.append(cols_of(t).ravel()[flat])
        values.append(value_of(t).ravel()[flat])
    if not keys:
        return None
    return Bounds(_concat(keys, TECH), np.concatenate(cols), np.concatenate(values))


def define_max_build(d: ModelData) -> Bounds | None:
    """B[k,r,y] <= max_build_k(r,y), where given   (§5, bounds)."""
    return _tech_bounds(
        d, lambda t: t.b_col, lambda t: t.buildable & ~np.isnan(t.max_build), lambda t: t.max_build
    )


def define_max_activity(d: ModelData) -> Bounds | None:
    """X[k,r,y] <= max_activity_k(r,y), where given, for annual technologies (§5, bounds)."""
    return _tech_bounds(
        d,
        lambda t: t.x_col[:, :, 0],
        lambda t: ~np.isnan(t.max_activity) & (not t.slice),
        lambda t: t.max_activity,
    )


def define_min_build(d: ModelData) -> Bounds | None:
    """B[k,r,y] >= min_build_k(r,y), where given (> 0)   (§15). A minimum on a build the
    lead time forbids cannot hold (`assemble` records it as infeasible)."""
    return _tech_bounds(d, lambda t: t.b_col, lambda t: t.min_build > 0, lambda t: t.min_build)


def define_min_activity(d: ModelData) -> Bounds | None:
    """X[k,r,y] >= min_activity_k(r,y), where given, for annual technologies (§15)."""
    return _tech_bounds(
        d,
        lambda t: t.x_col[:, :, 0],
        lambda t: (t.min_activity > 0) & (not t.slice),
        lambda t: t.min_activity,
    )


def define_link_capacity(d: ModelData) -> Bounds | None:
    """F[l,y] <= capacity_l(y), in each direction of a link of an annual commodity
    (§5, bounds; slice commodities: `define_slice_link_capacity`)."""
    keys: list[Keys] = []
    cols: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for link in (lk for lk in d.links if not d.is_slice(lk.commodity)):
        has = np.flatnonzero(~np.isnan(link.capacity))
        keys.append(Keys.grid(link=[link.name], region=[link.route], year=d.years).take(has))
        cols.append(link.col[has, 0])
        values.append(link.capacity[has])
    if not keys:
        return None
    names = ("link", "region", "year")
    return Bounds(_concat(keys, names), np.concatenate(cols), np.concatenate(values))


def define_unserved_limit(d: ModelData) -> Bounds | None:
    """0 <= U[c,r,y] <= D_c(r,y) for annual commodities   (docs/model.md §5.28, §8.3)."""
    keys: list[Keys] = []
    cols: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for c, col in ((c, col) for c, col in d.u_col.items() if not d.is_slice(c)):
        has = np.flatnonzero(col.ravel() >= 0)
        keys.append(Keys.grid(commodity=[c], region=d.regions, year=d.years).take(has))
        cols.append(col.ravel()[has])
        values.append(d.demand[c].ravel()[has])
    if not keys:
        return None
    names = ("commodity", "region", "year")
    return Bounds(_concat(keys, names), np.concatenate(cols), np.concatenate(values))


def define_lead_time(d: ModelData) -> Bounds | None:
    """B[k,r,y] = 0 where y - L_k < y0: construction would have started before the
    horizon (§3). These columns stay out of the LP; their reduced costs say what one more
    unit commissioned earlier would save."""
    return _tech_bounds(
        d, lambda t: t.b_col, lambda t: ~t.buildable, lambda t: np.zeros(t.buildable.shape)
    )
