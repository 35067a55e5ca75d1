"""Index sets, parameters and the column layout of the LP, as numpy arrays (MODEL.md §2–§5).

Columns are numbered once, here: for every technology its activity X[k,r,y] and its builds
B[k,r,y] (only where y - L_k >= y0, §4), integer unit counts N for `unit_size`
technologies, unserved demand U[c,r,y] (only where a price and demand exist) and link flows
F[l,y]. Arrays hold -1 where a column does not exist.

Expressions of §5 are sparse matrices over these columns (`Linear`): capacity, construction,
use and spending are built once per technology and shared by every constraint family.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from planner.schema import Instance
from planner.series import regional_array, series_array

INPUT_KINDS = ("per_activity", "per_capacity", "per_build")

COL_B, COL_X, COL_U, COL_F, COL_N = range(5)
"""Column kinds (`ModelData.col_kind`): builds, activity, unserved, link flows, unit counts."""
LIMIT_BOUNDS = (COL_B, COL_X, COL_F)
"""Kinds whose upper bound is a limit of the instance: max_build, max_activity, link capacity."""


@dataclass
class Linear:
    """A block of linear expressions: rows x columns matrix `A` plus a constant per row."""

    A: sp.csr_array
    const: np.ndarray

    def scale(self, factor: np.ndarray | float) -> Linear:
        """Multiply row-wise by `factor` (a scalar or one value per row)."""
        f = np.broadcast_to(np.asarray(factor, dtype=float), self.const.shape)
        return Linear(sp.csr_array(sp.diags_array(f) @ self.A), self.const * f)

    def __add__(self, other: Linear) -> Linear:
        return Linear(sp.csr_array(self.A + other.A), self.const + other.const)

    def __sub__(self, other: Linear) -> Linear:
        return Linear(sp.csr_array(self.A - other.A), self.const - other.const)


@dataclass
class Tech:
    """One technology with its parameters on (its regions) x (years)."""

    name: str
    layer: str
    output: str
    lifetime: int
    lead_time: int
    crf: float
    regions: list[str]
    region_idx: np.ndarray  # position of each of its regions in the instance's regions
    a: np.ndarray
    capex: np.ndarray
    fixed_om: np.ndarray
    variable_om: np.ndarray
    residual: np.ndarray
    max_build: np.ndarray  # NaN: no limit
    max_capacity: np.ndarray
    max_activity: np.ndarray
    inputs: dict[str, dict[str, float]]
    growth: tuple[float, float] | None
    unit_size: float | None
    capacity_unit: str
    x_col: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    b_col: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    n_col: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


@dataclass
class DirectedLink:
    """One direction of a link (a bidirectional link gives two)."""

    name: str
    commodity: str
    origin: str
    dest: str
    capacity: np.ndarray  # NaN: unlimited
    loss: float
    cost: np.ndarray
    col: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


@dataclass
class ModelData:
    """Everything the model needs, in arrays; built by `prepare(instance)`."""

    instance: Instance
    years: np.ndarray
    year_list: list[int]  # the years as Python ints, shared by every key tuple
    df: np.ndarray
    regions: list[str]
    commodities: list[str]
    demand: dict[str, np.ndarray]  # (region, year)
    unmet_cost: dict[str, float]
    u_col: dict[str, np.ndarray]  # (region, year), -1 where no column
    resources: list[str]
    limits: dict[str, np.ndarray]  # regional: (region, year); global: (1, year); NaN no limit
    techs: list[Tech]
    links: list[DirectedLink]
    budget_year: np.ndarray  # NaN: no limit
    budget_total: float | None
    n_cols: int
    col_kind: np.ndarray  # COL_B ... COL_N per column
    _cache: dict[tuple[str, str], Linear] = field(default_factory=dict, repr=False)

    @property
    def ny(self) -> int:
        return len(self.years)

    @property
    def nr(self) -> int:
        return len(self.regions)

    def is_global(self, resource: str) -> bool:
        return self.instance.resources[resource].scope == "global"

    def release(self) -> None:
        """Drop the cached expression blocks (rebuilt on demand): memory for the solver."""
        self._cache.clear()

    def upper_bounds(self) -> np.ndarray:
        """Upper bound of each column: max_build (B), max_activity (X), demand (U, §9.4),
        link capacity (F); +inf where there is none."""
        ub = np.full(self.n_cols, np.nan)
        for t in self.techs:
            has = t.b_col >= 0
            ub[t.b_col[has]] = t.max_build[has]
            ub[t.x_col.ravel()] = t.max_activity.ravel()
        for c, col in self.u_col.items():
            has = col >= 0
            ub[col[has]] = self.demand[c][has]
        for link in self.links:
            ub[link.col] = link.capacity
        return np.where(np.isnan(ub), np.inf, ub)

    def column_keys(self) -> dict[str, tuple[list[tuple], np.ndarray]]:
        """Per variable (B, X, U, F, N): its index keys and their column numbers, in order."""
        years = self.year_list
        out: dict[str, tuple[list[tuple], list[int]]] = {v: ([], []) for v in "BXUFN"}

        def put(var: str, key: tuple, col: int) -> None:
            out[var][0].append(key)
            out[var][1].append(col)

        for t in self.techs:
            for i, r in enumerate(t.regions):
                for j, y in enumerate(years):
                    if t.b_col[i, j] >= 0:
                        put("B", (t.name, r, y), int(t.b_col[i, j]))
                        if t.unit_size is not None:
                            put("N", (t.name, r, y), int(t.n_col[i, j]))
                    put("X", (t.name, r, y), int(t.x_col[i, j]))
        for c, col in self.u_col.items():
            for i, j in np.argwhere(col >= 0):
                put("U", (c, self.regions[i], years[j]), int(col[i, j]))
        for link in self.links:
            for j, y in enumerate(years):
                put("F", (link.name, link.origin, link.dest, y), int(link.col[j]))
        return {v: (keys, np.asarray(cols, dtype=np.int64)) for v, (keys, cols) in out.items()}

    # --- expressions of MODEL.md §5, per technology, rows (its region i, year j) -> i*ny + j

    def activity(self, t: Tech) -> Linear:
        """X[k,r,y]."""
        rows = np.arange(t.x_col.size)
        return self._linear(rows, t.x_col.ravel(), np.ones(rows.size), t.x_col.size)

    def capacity(self, t: Tech) -> Linear:
        """Cap[k,r,y] = res_k(r,y) + sum_{b <= y < b + n_k} B[k,r,b]."""
        return self._cached("capacity", t, lambda: self._builds(t, self.alive(t), t.residual))

    def construction(self, t: Tech) -> Linear:
        """CB[k,r,y]: builds under construction in y, each spread evenly over L_k years."""
        return self._cached(
            "construction", t, lambda: self._builds(t, self._building(t), np.zeros_like(t.a))
        )

    def spending(self, t: Tech) -> Linear:
        """Overnight spend of k in (r,y): capex(r,b) B[k,r,b] / max(L_k,1) over construction."""

        def build() -> Linear:
            weight = self._building(t)[None, :, :] * t.capex[:, None, :]
            return self._builds(t, weight, np.zeros_like(t.a))

        return self._cached("spending", t, build)

    def use(self, t: Tech, item: str) -> Linear | None:
        """Use_k[j,r,y] = I_act X + I_cap Cap + I_bld CB, or None if k does not use j."""
        coefs = [t.inputs[kind].get(item, 0.0) for kind in INPUT_KINDS]
        if not any(coefs):
            return None
        parts = (self.activity(t), self.capacity(t), self.construction(t))
        out: Linear | None = None
        for coef, part in zip(coefs, parts, strict=True):
            if coef:
                term = part.scale(coef)
                out = term if out is None else out + term
        return out

    def alive(self, t: Tech) -> np.ndarray:
        """mask[y, b] = 1 where a build of year b is in service in year y."""
        y = np.arange(self.ny)
        return ((y[None, :] <= y[:, None]) & (y[:, None] < y[None, :] + t.lifetime)).astype(float)

    def _building(self, t: Tech) -> np.ndarray:
        """weight[y, b] = 1/L where a build of year b is under construction in year y (L=0: y=b)."""
        y = np.arange(self.ny)
        if t.lead_time == 0:
            return np.eye(self.ny)
        under = (y[None, :] - t.lead_time <= y[:, None]) & (y[:, None] <= y[None, :] - 1)
        return under / t.lead_time

    def _builds(self, t: Tech, weight: np.ndarray, const: np.ndarray) -> Linear:
        """Rows (i, y) = const + sum_b weight[(i,) y, b] B[i, b] over existing build columns."""
        nr = len(t.regions)
        w = np.broadcast_to(weight, (nr, self.ny, self.ny))
        i, y, b = np.nonzero(w * (t.b_col[:, None, :] >= 0))
        rows = i * self.ny + y
        return self._linear(rows, t.b_col[i, b], w[i, y, b], nr * self.ny, const.ravel())

    def _linear(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        n_rows: int,
        const: np.ndarray | None = None,
    ) -> Linear:
        A = sp.csr_array((vals, (rows, cols)), shape=(n_rows, self.n_cols))
        return Linear(A, np.zeros(n_rows) if const is None else np.asarray(const, dtype=float))

    def _cached(self, kind: str, t: Tech, make: object) -> Linear:
        key = (kind, t.name)
        if key not in self._cache:
            self._cache[key] = make()  # type: ignore[operator]
        return self._cache[key]


def crf(rate: float, lifetime: int) -> float:
    """Capital recovery factor: rho / (1 - (1+rho)^-n), or 1/n for rho = 0."""
    if rate == 0:
        return 1.0 / lifetime
    # 1 - (1+rho)^-n, accurate for tiny rho (where the plain formula gives 0 and divides by it)
    denominator = -math.expm1(-lifetime * math.log1p(rate))
    return rate / denominator if denominator > 0 else 1.0 / lifetime


def prepare(inst: Instance) -> ModelData:
    """Expand an instance into arrays and number the columns."""
    years = np.arange(inst.years.start, inst.years.end + 1)
    ny = len(years)
    regions = list(inst.regions)
    df = (1.0 + inst.discount_rate) ** -(years - years[0]).astype(float)
    next_col = 0
    kinds: list[np.ndarray] = []

    def number(mask: np.ndarray, kind: int) -> np.ndarray:
        nonlocal next_col
        col = np.full(mask.shape, -1, dtype=np.int64)
        count = int(mask.sum())
        col[mask] = np.arange(next_col, next_col + count)
        next_col += count
        kinds.append(np.full(count, kind, dtype=np.int8))
        return col

    techs: list[Tech] = []
    for name, k in inst.technologies.items():
        own = [r for r in regions if k.regions is None or r in k.regions]
        rate = inst.discount_rate if k.discount_rate is None else k.discount_rate

        def arr(value: object, missing: float, own: list[str] = own) -> np.ndarray:
            return regional_array(value, own, years, missing)  # type: ignore[arg-type]

        growth = None
        if k.build_growth is not None:
            growth = (k.build_growth.rate, k.build_growth.headroom)
        techs.append(
            Tech(
                name=name,
                layer=k.layer,
                output=k.output,
                lifetime=k.lifetime,
                lead_time=k.lead_time,
                crf=crf(rate, k.lifetime),
                regions=own,
                region_idx=np.array([regions.index(r) for r in own], dtype=np.int64),
                a=arr(k.output_per_capacity, 0.0),
                capex=arr(k.capex, 0.0),
                fixed_om=arr(k.fixed_om, 0.0),
                variable_om=arr(k.variable_om, 0.0),
                residual=arr(k.residual, 0.0),
                max_build=arr(k.max_build, np.nan),
                max_capacity=arr(k.max_capacity, np.nan),
                max_activity=arr(k.max_activity, np.nan),
                inputs={kind: dict(getattr(k.inputs, kind)) for kind in INPUT_KINDS},
                growth=growth,
                unit_size=k.unit_size,
                capacity_unit=k.capacity_unit,
            )
        )
    for t in techs:
        shape = (len(t.regions), ny)
        t.b_col = number(np.broadcast_to(years >= years[0] + t.lead_time, shape), COL_B)
        t.x_col = number(np.ones(shape, dtype=bool), COL_X)
    demand = {
        c: regional_array(com.demand, regions, years, 0.0) for c, com in inst.commodities.items()
    }
    unmet_cost = {
        c: com.unmet_cost for c, com in inst.commodities.items() if com.unmet_cost is not None
    }
    u_col = {c: number(demand[c] > 0, COL_U) for c in unmet_cost}
    links: list[DirectedLink] = []
    for name, link in inst.links.items():
        capacity = (
            series_array(link.capacity, years) if link.capacity is not None else np.full(ny, np.nan)
        )
        ends = [(link.from_, link.to)] + ([(link.to, link.from_)] if link.bidirectional else [])
        for origin, dest in ends:
            links.append(
                DirectedLink(
                    name,
                    link.commodity,
                    origin,
                    dest,
                    capacity,
                    link.loss,
                    series_array(link.cost, years),
                )
            )
    for link in links:
        link.col = number(np.ones(ny, dtype=bool), COL_F)
    for t in techs:
        if t.unit_size is not None:
            t.n_col = number(t.b_col >= 0, COL_N)
    limits = {}
    for p, res in inst.resources.items():
        if res.scope == "global":
            limits[p] = regional_array(res.limit, ["*"], years, np.nan)
        else:
            limits[p] = regional_array(res.limit, regions, years, np.nan)
    budget = inst.budget
    return ModelData(
        instance=inst,
        years=years,
        year_list=[int(y) for y in years],
        df=df,
        regions=regions,
        commodities=list(inst.commodities),
        demand=demand,
        unmet_cost=unmet_cost,
        u_col=u_col,
        resources=list(inst.resources),
        limits=limits,
        techs=techs,
        links=links,
        budget_year=series_array(budget.per_year, years)
        if budget is not None and budget.per_year is not None
        else np.full(ny, np.nan),
        budget_total=budget.total if budget is not None else None,
        n_cols=next_col,
        col_kind=np.concatenate(kinds) if kinds else np.empty(0, dtype=np.int8),
    )
