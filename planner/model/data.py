"""Index sets, parameters and the column layout of the model, as numpy arrays
(docs/model.md §1-§3, §11-§15).

Years are the model's years: the horizon y0..yN and, with `end_effects`, the extension
years after it. Slices come from `planner.instance.timeslices` (one slice without `time`).

Columns are numbered once, here: for every technology its builds B[k,r,y] and activity
X[k,r,y,t] (one slice for a technology whose output is annual), then unserved demand U
(only where a price and demand exist), link flows F, integer unit counts N, storage
charge Q and state of charge E, flexible load SD, SU, CU. Builds in the years that the
lead time forbids (y - L_k < y0) are numbered last: they are part of the model (fixed to
0, docs/model.md §3) but not of the LP handed to HiGHS, so that their reduced costs price
the lead time (`ModelData.n_lp`). Column arrays hold -1 where a column does not exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from planner.instance.changes import Target, case_values
from planner.instance.schema import Instance, Technology
from planner.instance.series import model_years, regional_array, series_array
from planner.instance.timeslices import TimeSlices
from planner.model.linear import Linear

INPUT_KINDS = ("per_activity", "per_capacity", "per_build")
VARIABLES = ("B", "X", "U", "F", "N", "Q", "E", "SD", "SU", "CU")
COL_B, COL_X, COL_U, COL_F, COL_N, COL_Q, COL_E, COL_SD, COL_SU, COL_CU = range(len(VARIABLES))
"""Column kinds (`ModelData.col_kind`), named as the variables of docs/model.md."""


def _none() -> np.ndarray:
    return np.empty((0, 0, 0), dtype=np.int64)


@dataclass
class Storage:
    duration: float
    eta_charge: float
    eta_discharge: float


@dataclass
class Flex:
    commodity: str
    shift: float
    curtail: float
    curtail_max: float
    curtail_cost: float


@dataclass
class Tech:
    """One technology with its parameters on (its regions) x (years) [x slices]."""

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
    min_build: np.ndarray  # 0: no constraint
    min_capacity: np.ndarray
    min_activity: np.ndarray
    firm: np.ndarray  # firm capacity per unit of capacity (§13)
    inputs: dict[str, dict[str, float]]
    growth: tuple[float, float] | None
    unit_size: float | None
    capacity_unit: str
    slice: bool = False  # its output is a slice commodity: activity per slice
    availability: np.ndarray = field(default_factory=lambda: np.ones(1))  # α(t), as given
    use_shape: np.ndarray = field(default_factory=lambda: np.ones(1))  # π(t), normalised
    storage: Storage | None = None
    flex: Flex | None = None
    x_col: np.ndarray = field(default_factory=_none)  # (region, year, slice)
    b_col: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int64))
    n_col: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int64))
    q_col: np.ndarray = field(default_factory=_none)
    e_col: np.ndarray = field(default_factory=_none)
    sd_col: np.ndarray = field(default_factory=_none)
    su_col: np.ndarray = field(default_factory=_none)
    cu_col: np.ndarray = field(default_factory=_none)
    buildable: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=bool))
    """(region, year): True where y - L_k >= y0, so B is a column of the LP."""

    def uses(self, item: str) -> bool:
        return any(item in self.inputs[kind] for kind in INPUT_KINDS)


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
    col: np.ndarray = field(default_factory=lambda: np.empty((0, 0), dtype=np.int64))

    @property
    def route(self) -> str:
        return f"{self.origin}->{self.dest}"


@dataclass
class ModelData:
    """Everything the model needs, in arrays; built by `prepare(instance)`."""

    instance: Instance
    years: np.ndarray  # the model's years, extension years included
    horizon_end: int  # yN: years after it are extension years (§15)
    df: np.ndarray
    time: TimeSlices
    regions: list[str]
    commodities: list[str]
    slice_commodity: dict[str, bool]
    demand: dict[str, np.ndarray]  # (region, year)
    demand_shape: dict[str, np.ndarray]  # λ_c(t), normalised (1 for annual commodities)
    reserve: dict[str, tuple[np.ndarray, np.ndarray]]  # c -> (margin, peak_factor) per year
    unmet_cost: dict[str, float]
    resources: list[str]
    scope: dict[str, str]  # resource -> "regional" | "global"
    limits: dict[str, np.ndarray]  # regional: (region, year); global: (1, year); NaN no limit
    techs: list[Tech]
    links: list[DirectedLink]
    budget_year: np.ndarray  # NaN: no limit
    budget_total: float | None
    u_col: dict[str, np.ndarray] = field(default_factory=dict)  # (region, year, slice)
    n_cols: int = 0
    n_lp: int = 0  # columns 0..n_lp-1 are the LP's; the rest are builds fixed to 0
    col_kind: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int8))
    col_year: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    col_tau: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    """Decision year of each column (§16): max(y0, y - L_k) for builds, else its year."""
    cache: dict[tuple[str, str], Linear] = field(default_factory=dict, repr=False)

    @property
    def ny(self) -> int:
        return len(self.years)

    @property
    def nr(self) -> int:
        return len(self.regions)

    @property
    def T(self) -> int:
        return self.time.T

    @property
    def year_list(self) -> list[int]:
        return [int(y) for y in self.years]

    @property
    def extended(self) -> bool:
        return int(self.years[-1]) > self.horizon_end

    def is_global(self, resource: str) -> bool:
        return self.scope[resource] == "global"

    def is_slice(self, commodity: str) -> bool:
        return self.slice_commodity[commodity]

    def slices_of(self, commodity: str) -> int:
        """Slices of a commodity's rows: T for a slice commodity, else 1."""
        return self.T if self.is_slice(commodity) else 1

    def release(self) -> None:
        """Drop the cached expression blocks (rebuilt on demand): memory for the solver."""
        self.cache.clear()

    def year_index(self, years: np.ndarray) -> np.ndarray:
        """Position of each year in the model's years."""
        return np.asarray(years, dtype=np.int64) - int(self.years[0])


def crf(rate: float, lifetime: int) -> float:
    """Capital recovery factor: rho / (1 - (1+rho)^-n), or 1/n for rho = 0."""
    if rate == 0:
        return 1.0 / lifetime
    # 1 - (1+rho)^-n, accurate for tiny rho (where the plain formula gives 0 and divides by it)
    denominator = -math.expm1(-lifetime * math.log1p(rate))
    return rate / denominator if denominator > 0 else 1.0 / lifetime


def _tech(name: str, k: Technology, inst: Instance, years: np.ndarray, ts: TimeSlices) -> Tech:
    regions = list(inst.regions)
    own = [r for r in regions if k.regions is None or r in k.regions]
    rate = inst.discount_rate if k.discount_rate is None else k.discount_rate

    def arr(value: object, missing: float) -> np.ndarray:
        return regional_array(value, own, years, missing)  # type: ignore[arg-type]

    growth = None
    if k.build_growth is not None:
        growth = (k.build_growth.rate, k.build_growth.headroom)
    slice_ = inst.commodities[k.output].balance == "slice"
    flex = k.flexibility
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
        min_build=arr(k.min_build, 0.0),
        min_capacity=arr(k.min_capacity, 0.0),
        min_activity=arr(k.min_activity, 0.0),
        firm=arr(k.firm_capacity, 0.0),
        inputs={kind: dict(getattr(k.inputs, kind)) for kind in INPUT_KINDS},
        growth=growth,
        unit_size=k.unit_size,
        capacity_unit=k.capacity_unit,
        slice=slice_,
        availability=ts.shape(k.availability) if slice_ else np.ones(ts.T),
        use_shape=np.ones(ts.T) if slice_ else ts.normalised(k.use_profile),
        storage=None
        if k.storage is None
        else Storage(
            k.storage.duration, k.storage.efficiency_charge, k.storage.efficiency_discharge
        ),
        flex=None
        if flex is None
        else Flex(flex.commodity, flex.shift, flex.curtail, flex.curtail_max, flex.curtail_cost),
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


def _reserve(inst: Instance, years: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {
        c: (series_array(com.reserve.margin, years), series_array(com.reserve.peak_factor, years))
        for c, com in inst.commodities.items()
        if com.reserve is not None
    }


def parameters(inst: Instance) -> ModelData:
    """Every parameter evaluated on the model's years, regions and slices (no columns yet)."""
    years = model_years(inst)
    ts = TimeSlices.of(inst.time)
    regions = list(inst.regions)
    budget = inst.budget
    per_year = budget.per_year if budget is not None else None
    com = inst.commodities
    return ModelData(
        instance=inst,
        years=years,
        horizon_end=inst.years.end,
        df=(1.0 + inst.discount_rate) ** -(years - years[0]).astype(float),
        time=ts,
        regions=regions,
        commodities=list(com),
        slice_commodity={c: x.balance == "slice" for c, x in com.items()},
        demand={c: regional_array(x.demand, regions, years, 0.0) for c, x in com.items()},
        demand_shape={
            c: ts.normalised(x.profile) if x.balance == "slice" else np.ones(1)
            for c, x in com.items()
        },
        reserve=_reserve(inst, years),
        unmet_cost={c: x.unmet_cost for c, x in com.items() if x.unmet_cost is not None},
        resources=list(inst.resources),
        scope={p: res.scope for p, res in inst.resources.items()},
        limits={
            p: regional_array(res.limit, ["*"] if res.scope == "global" else regions, years, np.nan)
            for p, res in inst.resources.items()
        },
        techs=[_tech(name, k, inst, years, ts) for name, k in inst.technologies.items()],
        links=_links(inst, years),
        budget_year=series_array(per_year, years)
        if per_year is not None
        else np.full(len(years), np.nan),
        budget_total=budget.total if budget is not None else None,
    )


TECH_ATTRIBUTE = {"output_per_capacity": "a", "firm_capacity": "firm"}
"""Technology fields whose `Tech` attribute has another name (the model's symbol)."""


def override(d: ModelData, values: dict[Target, np.ndarray]) -> None:
    """Replace evaluated parameters by a scenario case's values (`case_values`)."""
    techs = {t.name: t for t in d.techs}
    for target, value in values.items():
        if target.section == "technologies":
            attribute = TECH_ATTRIBUTE.get(target.field, target.field)
            assert hasattr(techs[target.name], attribute), attribute
            setattr(techs[target.name], attribute, value)
        elif target.section == "commodities" and target.field == "demand":
            d.demand[target.name] = value
        elif target.section == "commodities":
            margin, peak = d.reserve[target.name]
            pair = (value[0], peak) if target.field == "reserve.margin" else (margin, value[0])
            d.reserve[target.name] = pair
        elif target.section == "resources":
            d.limits[target.name] = value
        elif target.section == "links":
            for link in (lk for lk in d.links if lk.name == target.name):
                setattr(link, target.field, value[0])
        elif target.field == "per_year":
            d.budget_year = value[0]
        else:
            d.budget_total = None if np.isnan(value) else float(value)


class _Numbering:
    """Hands out consecutive column numbers by kind, with each column's year and τ."""

    def __init__(self) -> None:
        self.next = 0
        self.kinds: list[np.ndarray] = []
        self.years: list[np.ndarray] = []
        self.taus: list[np.ndarray] = []

    def number(
        self, mask: np.ndarray, kind: int, years: np.ndarray, tau: np.ndarray | None = None
    ) -> np.ndarray:
        """Column numbers where `mask`, -1 elsewhere; `years` (and `tau`, default the
        years) broadcast to the mask's shape."""
        col = np.full(mask.shape, -1, dtype=np.int64)
        count = int(mask.sum())
        col[mask] = np.arange(self.next, self.next + count)
        self.next += count
        self.kinds.append(np.full(count, kind, dtype=np.int8))
        year = np.broadcast_to(years, mask.shape)[mask]
        self.years.append(year)
        self.taus.append(year if tau is None else np.broadcast_to(tau, mask.shape)[mask])
        return col

    def finish(self, d: ModelData, n_lp: int) -> None:
        d.n_cols, d.n_lp = self.next, n_lp
        empty = np.empty(0, dtype=np.int64)
        d.col_kind = np.concatenate(self.kinds) if self.kinds else np.empty(0, dtype=np.int8)
        d.col_year = np.concatenate(self.years).astype(np.int64) if self.years else empty
        d.col_tau = np.concatenate(self.taus).astype(np.int64) if self.taus else empty


def _tech_columns(d: ModelData, numbering: _Numbering) -> None:
    """B and X of every technology (in that order: the annual model's column order)."""
    y0 = int(d.years[0])
    for t in d.techs:
        shape = (len(t.regions), d.ny)
        t.buildable = np.broadcast_to(d.years >= y0 + t.lead_time, shape).copy()
        tau = np.maximum(d.years - t.lead_time, y0)
        t.b_col = numbering.number(t.buildable, COL_B, d.years, tau)
        slices = d.T if t.slice else 1
        t.x_col = numbering.number(
            np.ones((*shape, slices), dtype=bool), COL_X, d.years[None, :, None]
        )


def _slice_columns(d: ModelData, numbering: _Numbering) -> None:
    """Q, E of storage and SD, SU, CU of flexible load: (region, year, slice)."""
    per_slice = d.years[None, :, None]
    for t in d.techs:
        shape = (len(t.regions), d.ny, d.T)
        everywhere = np.ones(shape, dtype=bool)
        if t.storage is not None:
            t.q_col = numbering.number(everywhere, COL_Q, per_slice)
            t.e_col = numbering.number(everywhere, COL_E, per_slice)
        if t.flex is not None and t.flex.shift > 0:
            t.sd_col = numbering.number(everywhere, COL_SD, per_slice)
            t.su_col = numbering.number(everywhere, COL_SU, per_slice)
        if t.flex is not None and t.flex.curtail > 0:
            t.cu_col = numbering.number(everywhere, COL_CU, per_slice)


def number_columns(d: ModelData) -> None:
    """Number every column (see the module docstring for the order)."""
    numbering = _Numbering()
    _tech_columns(d, numbering)
    w = d.time.w
    for c in d.unmet_cost:
        demand = d.demand[c][:, :, None]
        if d.is_slice(c):
            demand = demand * (d.demand_shape[c] * w)[None, None, :]
        d.u_col[c] = numbering.number(demand > 0, COL_U, d.years[None, :, None])
    for link in d.links:
        slices = d.slices_of(link.commodity)
        link.col = numbering.number(np.ones((d.ny, slices), dtype=bool), COL_F, d.years[:, None])
    for t in d.techs:
        if t.unit_size is not None:
            tau = np.maximum(d.years - t.lead_time, int(d.years[0]))
            t.n_col = numbering.number(t.buildable, COL_N, d.years, tau)
    _slice_columns(d, numbering)
    n_lp = numbering.next
    for t in d.techs:  # builds the lead time forbids: model columns outside the LP
        blocked = numbering.number(~t.buildable, COL_B, d.years, int(d.years[0]))
        t.b_col = np.where(t.buildable, t.b_col, blocked)
    numbering.finish(d, n_lp)


def column_ids(d: ModelData) -> np.ndarray:
    """A number per column that names it across models of the same instance with other
    horizons or cases: (variable, technology/commodity/link, region, year, slice)."""
    ids = np.full(d.n_cols, -1, dtype=np.int64)
    entities = max(len(d.techs), len(d.commodities), len(d.links), 1)
    y0 = int(d.years[0])

    def put(cols: np.ndarray, kind: int, entity: int, regions: np.ndarray | None) -> None:
        """cols: (region, year[, slice]), or (year, slice) for links (regions None)."""
        if not cols.size:
            return
        if regions is None:
            grid, regions = cols[None, ...], np.zeros(1, dtype=np.int64)
        else:
            grid = cols if cols.ndim == 3 else cols[..., None]
        r, j, s = np.nonzero(grid >= 0)
        key = ((kind * entities + entity) * (d.nr + 1) + regions[r]) * 10_000 + j + y0
        ids[grid[r, j, s]] = key * 100_000 + s

    for e, t in enumerate(d.techs):
        for kind, cols in ((COL_B, t.b_col), (COL_X, t.x_col), (COL_N, t.n_col), (COL_Q, t.q_col),
                           (COL_E, t.e_col), (COL_SD, t.sd_col), (COL_SU, t.su_col),
                           (COL_CU, t.cu_col)):  # fmt: skip
            put(cols, kind, e, t.region_idx)
    for e, c in enumerate(d.commodities):
        if c in d.u_col:
            put(d.u_col[c], COL_U, e, np.arange(d.nr))
    for e, link in enumerate(d.links):
        put(link.col, COL_F, e, None)
    return ids


def prepare(inst: Instance, case: str | None = None) -> ModelData:
    """Expand an instance (with a scenario case's changes) into arrays; number the columns."""
    d = parameters(inst)
    if case is not None:
        override(d, case_values(inst, case, d.years))
    number_columns(d)
    return d
