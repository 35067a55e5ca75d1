"""Index sets, parameters and the column layout of the model, as numpy arrays
(docs/model.md §1-§3).

Columns are numbered once, here: for every technology its builds B[k,r,y] and activity
X[k,r,y], then unserved demand U[c,r,y] (only where a price and demand exist), link flows
F[l,y] and integer unit counts N for `unit_size` technologies. Builds in the years that the
lead time forbids (y - L_k < y0) are numbered last: they are part of the model (fixed to 0,
docs/model.md §3) but not of the LP handed to HiGHS, so that their reduced costs price the
lead time (`ModelData.n_lp`). Arrays hold -1 where a column does not exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from planner.instance.schema import Instance, Technology
from planner.instance.series import regional_array, series_array
from planner.model.linear import Linear

INPUT_KINDS = ("per_activity", "per_capacity", "per_build")

COL_B, COL_X, COL_U, COL_F, COL_N = range(5)
"""Column kinds (`ModelData.col_kind`): builds, activity, unserved, link flows, unit counts."""


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
    buildable: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    """(region, year): True where y - L_k >= y0, so B is a column of the LP."""


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

    @property
    def route(self) -> str:
        return f"{self.origin}->{self.dest}"


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
    scope: dict[str, str]  # resource -> "regional" | "global"
    limits: dict[str, np.ndarray]  # regional: (region, year); global: (1, year); NaN no limit
    techs: list[Tech]
    links: list[DirectedLink]
    budget_year: np.ndarray  # NaN: no limit
    budget_total: float | None
    n_cols: int
    n_lp: int  # columns 0..n_lp-1 are the LP's; the rest are builds fixed to 0 by lead times
    col_kind: np.ndarray  # COL_B ... COL_N per column
    cache: dict[tuple[str, str], Linear] = field(default_factory=dict, repr=False)

    @property
    def ny(self) -> int:
        return len(self.years)

    @property
    def nr(self) -> int:
        return len(self.regions)

    def is_global(self, resource: str) -> bool:
        return self.scope[resource] == "global"

    def release(self) -> None:
        """Drop the cached expression blocks (rebuilt on demand): memory for the solver."""
        self.cache.clear()

    def year_index(self, years: np.ndarray) -> np.ndarray:
        """Position of each year in the horizon."""
        return np.asarray(years, dtype=np.int64) - int(self.years[0])

    def column_keys(self) -> dict[str, tuple[list[tuple], np.ndarray]]:
        """Per variable of the LP (B, X, U, F, N): its index keys and column numbers."""
        years = self.year_list
        out: dict[str, tuple[list[tuple], list[int]]] = {v: ([], []) for v in "BXUFN"}

        def put(var: str, key: tuple, col: int) -> None:
            out[var][0].append(key)
            out[var][1].append(col)

        for t in self.techs:
            for i, r in enumerate(t.regions):
                for j, y in enumerate(years):
                    if t.buildable[i, j]:
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


def crf(rate: float, lifetime: int) -> float:
    """Capital recovery factor: rho / (1 - (1+rho)^-n), or 1/n for rho = 0."""
    if rate == 0:
        return 1.0 / lifetime
    # 1 - (1+rho)^-n, accurate for tiny rho (where the plain formula gives 0 and divides by it)
    denominator = -math.expm1(-lifetime * math.log1p(rate))
    return rate / denominator if denominator > 0 else 1.0 / lifetime


class _Numbering:
    """Hands out consecutive column numbers by kind."""

    def __init__(self) -> None:
        self.next = 0
        self.kinds: list[np.ndarray] = []

    def number(self, mask: np.ndarray, kind: int) -> np.ndarray:
        """Column numbers where `mask`, -1 elsewhere."""
        col = np.full(mask.shape, -1, dtype=np.int64)
        count = int(mask.sum())
        col[mask] = np.arange(self.next, self.next + count)
        self.next += count
        self.kinds.append(np.full(count, kind, dtype=np.int8))
        return col

    def col_kind(self) -> np.ndarray:
        return np.concatenate(self.kinds) if self.kinds else np.empty(0, dtype=np.int8)


def _tech(name: str, k: Technology, inst: Instance, years: np.ndarray) -> Tech:
    regions = list(inst.regions)
    own = [r for r in regions if k.regions is None or r in k.regions]
    rate = inst.discount_rate if k.discount_rate is None else k.discount_rate

    def arr(value: object, missing: float) -> np.ndarray:
        return regional_array(value, own, years, missing)  # type: ignore[arg-type]

    growth = None
    if k.build_growth is not None:
        growth = (k.build_growth.rate, k.build_growth.headroom)
    return Tech(
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


def _links(inst: Instance, years: np.ndarray) -> list[DirectedLink]:
    links: list[DirectedLink] = []
    for name, link in inst.links.items():
        capacity = (
            series_array(link.capacity, years)
            if link.capacity is not None
            else np.full(len(years), np.nan)
        )
        ends = [(link.from_, link.to)] + ([(link.to, link.from_)] if link.bidirectional else [])
        for origin, dest in ends:
            cost = series_array(link.cost, years)
            links.append(
                DirectedLink(name, link.commodity, origin, dest, capacity, link.loss, cost)
            )
    return links


def _limits(inst: Instance, regions: list[str], years: np.ndarray) -> dict[str, np.ndarray]:
    return {
        p: regional_array(res.limit, ["*"] if res.scope == "global" else regions, years, np.nan)
        for p, res in inst.resources.items()
    }


def prepare(inst: Instance) -> ModelData:
    """Expand an instance into arrays and number the columns."""
    years = np.arange(inst.years.start, inst.years.end + 1)
    ny = len(years)
    regions = list(inst.regions)
    df = (1.0 + inst.discount_rate) ** -(years - years[0]).astype(float)
    numbering = _Numbering()
    techs = [_tech(name, k, inst, years) for name, k in inst.technologies.items()]
    for t in techs:
        shape = (len(t.regions), ny)
        t.buildable = np.broadcast_to(years >= years[0] + t.lead_time, shape).copy()
        t.b_col = numbering.number(t.buildable, COL_B)
        t.x_col = numbering.number(np.ones(shape, dtype=bool), COL_X)
    demand = {
        c: regional_array(com.demand, regions, years, 0.0) for c, com in inst.commodities.items()
    }
    unmet_cost = {
        c: com.unmet_cost for c, com in inst.commodities.items() if com.unmet_cost is not None
    }
    u_col = {c: numbering.number(demand[c] > 0, COL_U) for c in unmet_cost}
    links = _links(inst, years)
    for link in links:
        link.col = numbering.number(np.ones(ny, dtype=bool), COL_F)
    for t in techs:
        if t.unit_size is not None:
            t.n_col = numbering.number(t.buildable, COL_N)
    n_lp = numbering.next
    for t in techs:  # builds the lead time forbids: model columns outside the LP
        blocked = numbering.number(~t.buildable, COL_B)
        t.b_col = np.where(t.buildable, t.b_col, blocked)
    budget = inst.budget
    per_year = budget.per_year if budget is not None else None
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
        scope={p: res.scope for p, res in inst.resources.items()},
        limits=_limits(inst, regions, years),
        techs=techs,
        links=links,
        budget_year=series_array(per_year, years) if per_year is not None else np.full(ny, np.nan),
        budget_total=budget.total if budget is not None else None,
        n_cols=numbering.next,
        n_lp=n_lp,
        col_kind=numbering.col_kind(),
    )
