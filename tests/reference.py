"""Independent reference implementation of MODEL.md, used as a test oracle.

It reads the parsed YAML instance (a plain mapping), writes the LP/MILP of MODEL.md
sections 4-7 and 11-17 as a sparse column-wise matrix (numpy only) and solves it with
highspy directly, without Pyomo and without any code from the `planner` package.

`reference_solve(instance)` returns (status, objective); `reference_details(instance)`
also returns objective_horizon, the objective of each myopic window, each scenario's
discounted cost Z_s, the wait-and-see value (with `evpi=True`) and the primal values by
readable key: ("B", tech, region, year), ("N", ...), ("X", tech, region, year) for a
technology with an annual output, ("X", tech, region, year, period, slice) for a slice
technology (and likewise "Q", "E", "SD", "SU", "CU"), ("U", commodity, region, year[,
period, slice]) and ("F", link, from, to, year[, period, slice]).

Readings of MODEL.md made here (see also the tests):
- A mapping is a region map when any of its keys is a string, otherwise a year map;
  an empty mapping is a region map that lists no region.
- Variables that MODEL.md fixes to 0 (B before y0 + lead time, U where demand is 0)
  are simply not created. Likewise a slice U where lambda_c(t) w_t D is 0, SD and SU of
  a technology with shift 0 and CU with curtail 0.
- A per_capacity input applies to the whole capacity, residual included, so residual
  capacity consumes its inputs as a constant.
- Residual capacity of a technology counts only in the regions where it may exist.
- Time slices: profiles list their periods' values in the order the periods are written.
  `availability` is used only for slice technologies and `use_profile` only for the
  others (MODEL.md 19.2); `availability` on a storage technology bounds discharge only.
- A slice technology's per_capacity and per_build use of an annual commodity or a
  resource is its annual use (section 5), as for any technology.
- Storage: the state-of-charge equation is written for every slice, prev(t) being the
  period's last slice for its first one; for a period of one slice it reads
  eta_c Q = X / eta_d. E is bounded only by the energy capacity.
- Reserve rows are written as in MODEL.md 13, divided by w_t; an annual commodity's Load
  is its demand plus every technology's annual Use of it. Where `reserve` is absent there
  is no row, and a scenario change of its margin or peak factor has no effect. Only
  technologies whose output is the commodity count, with their whole capacity (residual
  included) in the regions where they may exist.
- Flexibility: u_t is the technology's whole slice use of the commodity (MODEL.md
  11 and 19.6), including the constant use of residual capacity; the bounds, the
  period shift balance and the yearly curtailment cap are written per region and year.
- Minimum limits are quantities: an absent region gets 0, which is no constraint, and a
  scenario `add` on an absent minimum creates one. min_build and an annual technology's
  min_activity are column bounds; min_capacity and a slice technology's min_activity
  (on the annual sum) are rows. A positive min_build in a year before y0 + lead time
  (where B is fixed to 0) makes the instance infeasible.
- End effects: the objective's cost of year y (annuities of builds alive in y, fixed
  and variable costs, unserved, trade, curtailment and the residual fixed cost) belongs
  to year y; objective_horizon sums the years y0..yN. budget.total sums Spend[r,y]
  over y0..yN, so a plant commissioned after yN counts the share of its capex spent in
  y0..yN (capex / L per construction year).
- Myopic foresight: a window's model is the whole model on y0..b_i (budget.total counts
  its years; budget.per_year and every other constraint apply in all of them). A variable
  is fixed to its value in the previous window (0 where that window did not have it),
  clipped to its bounds in this window; N is rounded to an integer and B of a unit-size
  technology is fixed at unit_size x N. end_effects is used in the last window only.
  objective_horizon is the last window's cost of y0..yN, and `values` its solution. An
  infeasible window ends the solve: status infeasible, its objective None in `windows`.
- Scenarios: changes are applied in order to values evaluated on the model years
  (extension years included); `multiply` and `add` leave "no limit" as no limit and act
  on absent quantities as on 0; `set` is evaluated like the parameter it replaces. The
  year map of `multiply` or `add` is a series like any other: constant before its first
  and after its last year, so {2035: 3} multiplies every year, the first stage's too. A
  first-stage column gets the tightest bounds of all cases (a case without the variable
  fixes it to 0); rows involving it are written in every case. The objective's
  constants (fixed O&M of residual capacity) are part of each Z_s. With a risk weight,
  `objective` is the weighted mix of expected cost and CVaR while objective_horizon
  stays sum p_s x (Z_s over y0..yN). WS solves each case alone, with its changes and end
  effects, and is sum p_s x optimum_s (None if a case alone is infeasible); EVPI =
  objective - WS is given for risk weight 0 only. Extension years are second stage unless
  branch_year is beyond them.
- Storage technologies are producers of their commodity: with firm_capacity they count
  their power capacity in the reserve, like any technology.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

Terms = dict[int, float]
Key = tuple[Any, ...]


@dataclass
class Expr:
    """A linear expression: a constant plus coefficients on column indices."""

    const: float = 0.0
    terms: Terms = field(default_factory=dict)

    def add(self, other: Expr, factor: float = 1.0) -> None:
        """Add `factor * other` to this expression in place."""
        if factor == 0.0:
            return
        self.const += factor * other.const
        for col, coef in other.terms.items():
            self.terms[col] = self.terms.get(col, 0.0) + factor * coef

    def scaled(self, factor: float) -> Expr:
        """A new expression `factor * self`."""
        out = Expr()
        out.add(self, factor)
        return out

    def value(self, x: np.ndarray) -> float:
        """The expression's value at the primal solution x."""
        return self.const + sum(coef * float(x[col]) for col, coef in self.terms.items())


def col_expr(col: int, coef: float = 1.0) -> Expr:
    """The expression `coef * column`."""
    return Expr(0.0, {col: coef})


def total(exprs: Iterable[Expr]) -> Expr:
    """The sum of expressions."""
    out = Expr()
    for expr in exprs:
        out.add(expr)
    return out


@dataclass
class Horizon:
    """Model years, regions and discounting; `n_horizon` counts the years y0..yN (the
    years of budget.total and objective_horizon), the rest are extension years."""

    years: list[int]
    regions: list[str]
    rate: float
    n_horizon: int | None = None

    @property
    def df(self) -> np.ndarray:
        """Discount factor per year index: (1 + rho)^-(y - y0)."""
        return (1.0 + self.rate) ** -np.arange(len(self.years), dtype=float)

    @property
    def horizon(self) -> int:
        """Number of years y0..yN among the model years."""
        return len(self.years) if self.n_horizon is None else self.n_horizon


def series(value: Any, years: list[int]) -> np.ndarray:
    """Evaluate a series (number or {year: number}) on the horizon.

    Linear interpolation between listed years; constant before the first and after
    the last listed year.
    """
    if isinstance(value, dict):
        keys = sorted(value)
        return np.interp(years, keys, [float(value[k]) for k in keys])
    return np.full(len(years), float(value))


def is_region_map(value: Any) -> bool:
    """True if `value` is a {region: series} mapping (string keys, or empty)."""
    return isinstance(value, dict) and (not value or any(isinstance(k, str) for k in value))


def regional(value: Any, hz: Horizon, missing: float | None) -> dict[str, np.ndarray | None]:
    """Evaluate a regional series per region; unlisted regions (or an absent value) get
    `missing` (0 for quantities and costs, None = no limit for limits)."""
    default = None if missing is None else np.full(len(hz.years), missing)
    if value is None:
        return {r: default for r in hz.regions}
    if is_region_map(value):
        return {r: series(value[r], hz.years) if r in value else default for r in hz.regions}
    return {r: series(value, hz.years) for r in hz.regions}


def crf(rate: float, lifetime: int) -> float:
    """Capital recovery factor: rho / (1 - (1 + rho)^-n), or 1/n for rho = 0."""
    if rate == 0.0:
        return 1.0 / lifetime
    return rate / (1.0 - (1.0 + rate) ** -lifetime)


class Data:
    """Year-indexed parameters of one case: the instance's values evaluated on the model
    years, then a scenario's changes applied in order (MODEL.md 17 and 19.10)."""

    def __init__(
        self, instance: dict[str, Any], hz: Horizon, changes: Iterable[dict[str, Any]] = ()
    ) -> None:
        self.instance = instance
        self.hz = hz
        self.changes = list(changes)

    def raw(self, path: tuple[str, ...]) -> Any:
        """The value at a path of the instance, or None."""
        node: Any = self.instance
        for part in path:
            if not isinstance(node, dict) or node.get(part) is None:
                return None
            node = node[part]
        return node

    def _changes(self, path: tuple[str, ...]) -> list[dict[str, Any]]:
        """The changes that name this path, in order."""
        dotted = ".".join(path)
        return [change for change in self.changes if change["path"] == dotted]

    def _apply(self, change: dict[str, Any], current: Any, evaluate: Any) -> Any:
        """One change on an evaluated value (None = no limit stays no limit)."""
        if "set" in change:
            return evaluate(change["set"])
        if current is None:
            return None
        if isinstance(current, float):
            op = change.get("multiply", change.get("add"))
            return current * float(op) if "multiply" in change else current + float(op)
        if "multiply" in change:
            return current * series(change["multiply"], self.hz.years)
        return current + series(change["add"], self.hz.years)

    def regional(self, path: tuple[str, ...], missing: float | None) -> dict[str, Any]:
        """A regional series per region, with changes."""
        out = regional(self.raw(path), self.hz, missing)
        for change in self._changes(path):
            for r in out:
                out[r] = self._apply(
                    change, out[r], lambda v, r=r: regional(v, self.hz, missing)[r]
                )
        return out

    def series(self, path: tuple[str, ...], missing: float | None) -> np.ndarray | None:
        """A series (None when absent and `missing` is None), with changes."""
        value = self.raw(path)
        years = self.hz.years
        out = series(value, years) if value is not None else None
        if out is None and missing is not None:
            out = np.full(len(years), missing)
        for change in self._changes(path):
            out = self._apply(change, out, lambda v: series(v, years))
        return out

    def number(self, path: tuple[str, ...]) -> float | None:
        """A plain number (budget.total), with changes."""
        value = self.raw(path)
        out = None if value is None else float(value)
        for change in self._changes(path):
            out = self._apply(change, out, float)
        return out


@dataclass
class Slice:
    """One time slice: its period, name, hours, period weight, w_t and prev(t)."""

    period: str
    name: str
    hours: float
    occurs: float
    weight: float = 0.0
    prev: int = 0


@dataclass
class Time:
    """Periods and slices (MODEL.md 11; one slice `all` of 8760 h without `time`)."""

    slices: list[Slice]
    periods: dict[str, list[int]]
    hours: float
    profiles: dict[str, np.ndarray]

    @property
    def weights(self) -> np.ndarray:
        """w_t per slice (they sum to 1)."""
        return np.array([s.weight for s in self.slices])

    def raw(self, name: str | None) -> np.ndarray:
        """A profile as given (all ones when `name` is None)."""
        if name is None:
            return np.ones(len(self.slices))
        return self.profiles[name]

    def shape(self, name: str | None) -> np.ndarray:
        """A normalised profile: v_t / sum_t w_t v_t (all ones when `name` is None)."""
        v = self.raw(name)
        return v / float(np.dot(self.weights, v))


def make_time(instance: dict[str, Any]) -> Time:
    """Read the `time` block (slices ordered as written, periods cyclic)."""
    spec = instance.get("time") or {}
    periods = spec.get("periods") or {"year": {"weight": 1.0, "slices": {"all": 8760.0}}}
    slices: list[Slice] = []
    index: dict[str, list[int]] = {}
    for p, pspec in periods.items():
        names = list(pspec["slices"])
        first = len(slices)
        for i, name in enumerate(names):
            hours = float(pspec["slices"][name])
            prev = first + (i - 1) % len(names)
            slices.append(Slice(p, name, hours, float(pspec["weight"]), prev=prev))
        index[p] = list(range(first, len(slices)))
    hours = sum(s.occurs * s.hours for s in slices)
    for s in slices:
        s.weight = s.occurs * s.hours / hours
    profiles = {
        name: np.concatenate([np.asarray(prof[p], dtype=float) for p in periods])
        for name, prof in (spec.get("profiles") or {}).items()
    }
    return Time(slices, index, hours, profiles)


@dataclass
class Tech:
    """A technology with its parameters evaluated on the horizon and its columns.

    x_col[r][t] lists the activity columns of year t: one for an annual technology, one
    per slice for a slice technology."""

    name: str
    output: str
    regions: list[str]
    lifetime: int
    lead: int
    crf: float
    params: dict[str, dict[str, np.ndarray | None]]
    inputs: dict[str, dict[str, float]]
    growth: tuple[float, float] | None
    unit_size: float | None
    is_slice: bool = False
    availability: np.ndarray | None = None
    use_shape: np.ndarray | None = None
    storage: tuple[float, float, float] | None = None
    flexibility: dict[str, Any] | None = None
    x_col: dict[str, list[list[int]]] = field(default_factory=dict)
    b_col: dict[str, dict[int, int]] = field(default_factory=dict)
    q_col: dict[str, list[list[int]]] = field(default_factory=dict)
    e_col: dict[str, list[list[int]]] = field(default_factory=dict)


QUANTITY_KEYS = (
    "output_per_capacity",
    "capex",
    "fixed_om",
    "variable_om",
    "residual",
    "firm_capacity",
    "min_build",
    "min_capacity",
    "min_activity",
)
LIMIT_KEYS = ("max_build", "max_capacity", "max_activity")


class LinearProgram:
    """Columns, rows and nonzeros of the LP, collected before handing them to HiGHS.

    `shared` maps the key of a first-stage column of a scenario solve to its index and
    `sharers` records which cases created it."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.cost: list[float] = []
        self.integer: list[bool] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self.entries: tuple[list[int], list[int], list[float]] = ([], [], [])
        self.offset = 0.0
        self.trivially_infeasible = False
        self.shared: dict[Key, int] = {}
        self.sharers: dict[Key, set[str]] = {}

    def add_col(
        self, cost: float = 0.0, upper: float = np.inf, integer: bool = False, lower: float = 0.0
    ) -> int:
        """Add a column with bounds [lower, upper]; return its index."""
        self.lower.append(lower)
        self.upper.append(upper)
        self.cost.append(cost)
        self.integer.append(integer)
        return len(self.cost) - 1

    def add_row(self, terms: Terms, lower: float = -np.inf, upper: float = np.inf) -> None:
        """Add lower <= sum terms <= upper; an empty row is checked on the spot."""
        terms = {c: v for c, v in terms.items() if v != 0.0}
        if not terms:
            tol = 1e-9
            if lower > tol * max(1.0, abs(lower)) or upper < -tol * max(1.0, abs(upper)):
                self.trivially_infeasible = True
            return
        row = len(self.row_lower)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        rows, cols, vals = self.entries
        for col, val in terms.items():
            rows.append(row)
            cols.append(col)
            vals.append(val)

    def add_expr(self, expr: Expr, lower: float = -np.inf, upper: float = np.inf) -> None:
        """Add lower <= expr <= upper (the constant moves to the bounds)."""
        self.add_row(expr.terms, lower - expr.const, upper - expr.const)

    def set_objective(self, expr: Expr) -> None:
        """Minimise `expr` (its constant is the objective offset)."""
        self.cost = [0.0] * len(self.cost)
        for col, coef in expr.terms.items():
            self.cost[col] += coef
        self.offset = expr.const


@dataclass
class Model:
    """One model (a deterministic run, a myopic window or a scenario case) written into a
    LinearProgram: its data, time structure, columns by key and cost per year.

    Columns with decision time below `fix_before` are fixed at `fixed` (myopic windows);
    columns with decision time below `share_before` are shared across cases."""

    lp: LinearProgram
    instance: dict[str, Any]
    data: Data
    time: Time
    case: str = ""
    share_before: int | None = None
    fix_before: int | None = None
    fixed: dict[Key, float] = field(default_factory=dict)
    cols: dict[Key, int] = field(default_factory=dict)
    cost: list[Expr] = field(default_factory=list)
    techs: list[Tech] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)

    @property
    def hz(self) -> Horizon:
        """The model's horizon."""
        return self.data.hz

    @property
    def slice_commodities(self) -> set[str]:
        """C^S: commodities with `balance: slice`."""
        return {
            c
            for c, spec in self.instance["commodities"].items()
            if (spec or {}).get("balance", "annual") == "slice"
        }

    def col(
        self, key: Key, tau: int, upper: float = np.inf, lower: float = 0.0, integer: bool = False
    ) -> int:
        """The column of a variable with decision time tau (fixed, shared or new)."""
        lp = self.lp
        if self.fix_before is not None and tau < self.fix_before:
            value = self.fixed.get(key, 0.0)
            value = float(round(value)) if integer else value
            lower = upper = min(max(value, lower), upper)
        if self.share_before is not None and tau < self.share_before:
            idx = lp.shared.get(key)
            if idx is None:
                idx = lp.shared[key] = lp.add_col(0.0, upper, integer, lower)
                lp.sharers[key] = set()
            else:
                lp.lower[idx] = max(lp.lower[idx], lower)
                lp.upper[idx] = min(lp.upper[idx], upper)
            lp.sharers[key].add(self.case)
        else:
            idx = lp.add_col(0.0, upper, integer, lower)
        self.cols[key] = idx
        return idx

    def pay(self, t: int, col: int, coef: float) -> None:
        """Add `coef * column` to the cost of year index t."""
        if coef != 0.0:
            terms = self.cost[t].terms
            terms[col] = terms.get(col, 0.0) + coef

    def objective(self, upto: int | None = None) -> Expr:
        """The discounted cost of the years before index `upto` (all years by default)."""
        return total(self.cost[:upto])


def make_tech(name: str, spec: dict[str, Any], model: Model) -> Tech:
    """Read one technology's data (defaults of MODEL.md sections 9.1 and 11-14)."""
    data, time = model.data, model.time
    path = ("technologies", name)
    params = {key: data.regional((*path, key), 0.0) for key in QUANTITY_KEYS}
    params.update({key: data.regional((*path, key), None) for key in LIMIT_KEYS})
    inputs = spec.get("inputs") or {}
    growth = spec.get("build_growth")
    lifetime = int(spec["lifetime"])
    is_slice = spec["output"] in model.slice_commodities
    storage = spec.get("storage")
    return Tech(
        name=name,
        output=spec["output"],
        regions=[r for r in model.hz.regions if r in (spec.get("regions") or model.hz.regions)],
        lifetime=lifetime,
        lead=int(spec.get("lead_time", 0)),
        crf=crf(float(spec.get("discount_rate", model.hz.rate)), lifetime),
        params=params,
        inputs={
            kind: dict(inputs.get(kind) or {})
            for kind in ("per_activity", "per_capacity", "per_build")
        },
        growth=None
        if growth is None
        else (float(growth.get("rate", 0.0) or 0.0), float(growth.get("headroom", 0.0) or 0.0)),
        unit_size=None if spec.get("unit_size") is None else float(spec["unit_size"]),
        is_slice=is_slice,
        availability=time.raw(spec.get("availability")) if is_slice else None,
        use_shape=None if is_slice else time.shape(spec.get("use_profile")),
        storage=None
        if storage is None
        else (
            float(storage["duration"]),
            float(storage.get("efficiency_charge", 1.0)),
            float(storage.get("efficiency_discharge", 1.0)),
        ),
        flexibility=spec.get("flexibility"),
    )


def add_build_columns(model: Model, tech: Tech, r: str) -> None:
    """B (and N with unit_size) for years y >= y0 + L, with min/max_build as bounds.

    The cost of B[b] in each year s with b <= s < b + n (within the model years) is the
    discounted annuity CRF * capex(b) plus fixed O&M of s."""
    hz, df = model.hz, model.hz.df
    p = {key: val[r] for key, val in tech.params.items()}
    tech.b_col[r] = {}
    if any(p["min_build"][: tech.lead] > 0.0):  # a commitment the lead time rules out
        model.lp.trivially_infeasible = True
    for t in range(tech.lead, len(hz.years)):
        key = ("B", tech.name, r, hz.years[t])
        tau = hz.years[t] - tech.lead
        upper = np.inf if p["max_build"] is None else float(p["max_build"][t])
        lower = float(p["min_build"][t])
        if tech.unit_size is not None:
            count = model.col(("N", *key[1:]), tau, integer=True)
            if model.fix_before is not None and tau < model.fix_before:
                model.fixed[key] = tech.unit_size * model.lp.lower[count]
            b = model.col(key, tau, upper, lower)
            model.lp.add_row({b: 1.0, count: -tech.unit_size}, 0.0, 0.0)
        else:
            b = model.col(key, tau, upper, lower)
        tech.b_col[r][t] = b
        for s in range(t, min(t + tech.lifetime, len(hz.years))):
            model.pay(s, b, df[s] * (tech.crf * p["capex"][t] + p["fixed_om"][s]))
    for t in range(len(hz.years)):
        model.cost[t].const += df[t] * p["fixed_om"][t] * p["residual"][t]


def add_activity_columns(model: Model, tech: Tech, r: str) -> None:
    """X per year (annual technology, with min/max_activity as bounds) or per year and
    slice (slice technology); Q and E per year and slice for storage."""
    hz, df, slices = model.hz, model.hz.df, model.time.slices
    vom = tech.params["variable_om"][r]
    max_act, min_act = tech.params["max_activity"][r], tech.params["min_activity"][r]
    tech.x_col[r], tech.q_col[r], tech.e_col[r] = [], [], []
    for t, year in enumerate(hz.years):
        if not tech.is_slice:
            upper = np.inf if max_act is None else float(max_act[t])
            x = model.col(("X", tech.name, r, year), year, upper, float(min_act[t]))
            tech.x_col[r].append([x])
            model.pay(t, x, df[t] * vom[t])
            continue
        cols = [model.col(("X", tech.name, r, year, s.period, s.name), year) for s in slices]
        tech.x_col[r].append(cols)
        for x in cols:
            model.pay(t, x, df[t] * vom[t])
        if tech.storage is not None:
            for kind, store in (("Q", tech.q_col[r]), ("E", tech.e_col[r])):
                store.append(
                    [model.col((kind, tech.name, r, year, s.period, s.name), year) for s in slices]
                )


def activity(tech: Tech, r: str, t: int) -> Expr:
    """Annual activity X[k,r,y] (the sum over slices for a slice technology)."""
    return Expr(0.0, dict.fromkeys(tech.x_col[r][t], 1.0))


def capacity(tech: Tech, r: str, t: int) -> Expr:
    """Cap[k,r,y] = residual + builds b with b <= y < b + n."""
    cols = tech.b_col[r]
    first = max(0, t - tech.lifetime + 1)
    terms = {cols[b]: 1.0 for b in range(first, t + 1) if b in cols}
    return Expr(float(tech.params["residual"][r][t]), terms)


def construction_years(tech: Tech, t: int) -> range:
    """Commissioning years b whose construction period contains year t."""
    if tech.lead == 0:
        return range(t, t + 1)
    return range(t + 1, t + tech.lead + 1)


def under_construction(tech: Tech, r: str, t: int) -> Expr:
    """CB[k,r,y]: builds spread 1/L over the L years before commissioning (B if L = 0)."""
    cols = tech.b_col[r]
    share = 1.0 / max(tech.lead, 1)
    return Expr(0.0, {cols[b]: share for b in construction_years(tech, t) if b in cols})


def spending(tech: Tech, r: str, t: int) -> Terms:
    """Spend of one technology: capex(b) * B[b] / max(L, 1) for b under construction in t."""
    cols, capex = tech.b_col[r], tech.params["capex"][r]
    share = 1.0 / max(tech.lead, 1)
    return {cols[b]: capex[b] * share for b in construction_years(tech, t) if b in cols}


def tech_use(tech: Tech, j: str, r: str, t: int) -> Expr:
    """Use_k[j,r,y] = I^act X + I^cap Cap + I^bld CB (annual, section 5)."""
    use = Expr()
    use.add(activity(tech, r, t), float(tech.inputs["per_activity"].get(j, 0.0)))
    use.add(capacity(tech, r, t), float(tech.inputs["per_capacity"].get(j, 0.0)))
    use.add(under_construction(tech, r, t), float(tech.inputs["per_build"].get(j, 0.0)))
    return use


def tech_slice_use(model: Model, tech: Tech, c: str, r: str, t: int) -> list[Expr]:
    """Use_k[c,r,y,t] of a slice commodity per slice (MODEL.md 11): activity per slice
    plus w_t times capacity and build use for a slice technology, else pi_k(t) w_t Use."""
    w = model.time.weights
    if not tech.is_slice:
        annual = tech_use(tech, c, r, t)
        assert tech.use_shape is not None
        return [annual.scaled(tech.use_shape[s] * w[s]) for s in range(len(w))]
    fixed = Expr()
    fixed.add(capacity(tech, r, t), float(tech.inputs["per_capacity"].get(c, 0.0)))
    fixed.add(under_construction(tech, r, t), float(tech.inputs["per_build"].get(c, 0.0)))
    act = float(tech.inputs["per_activity"].get(c, 0.0))
    out = []
    for s, x in enumerate(tech.x_col[r][t]):
        use = fixed.scaled(w[s])
        use.add(col_expr(x, act))
        out.append(use)
    return out


def uses_of(tech: Tech) -> set[str]:
    """Commodities and resources a technology uses."""
    return {j for kind in tech.inputs.values() for j, coef in kind.items() if coef}


def annual_uses(model: Model) -> dict[tuple[str, str, int], Expr]:
    """Use_k[j,r,y] of annual commodities and resources summed over technologies."""
    uses: dict[tuple[str, str, int], Expr] = {}
    sliced = model.slice_commodities
    for tech in model.techs:
        for j in uses_of(tech) - sliced:
            for r in tech.regions:
                for t in range(len(model.hz.years)):
                    uses.setdefault((j, r, t), Expr()).add(tech_use(tech, j, r, t))
    return uses


def add_flexibility(model: Model, tech: Tech, r: str, t: int, base: list[Expr]) -> list[Expr]:
    """SD, SU, CU of MODEL.md 14 for one region and year; returns Use' per slice."""
    flex, lp, time = tech.flexibility or {}, model.lp, model.time
    shift, curtail = float(flex.get("shift", 0.0)), float(flex.get("curtail", 0.0))
    cap, cost = float(flex.get("curtail_max", 0.0)), float(flex.get("curtail_cost", 0.0))
    year, df = model.hz.years[t], model.hz.df[t]
    out = [Expr(u.const, dict(u.terms)) for u in base]
    for kind, share, sign in (("SD", shift, -1.0), ("SU", shift, 1.0), ("CU", curtail, -1.0)):
        if share == 0.0:
            continue
        cols = []
        for s, sl in enumerate(time.slices):
            col = model.col((kind, tech.name, r, year, sl.period, sl.name), year)
            bound = col_expr(col)
            bound.add(base[s], -share)
            lp.add_expr(bound, upper=0.0)
            out[s].add(col_expr(col, sign))
            cols.append(col)
            if kind == "CU":
                model.pay(t, col, df * cost)
        if kind == "CU":
            row = Expr(0.0, dict.fromkeys(cols, 1.0))
            row.add(total(base), -cap)
            lp.add_expr(row, upper=0.0)
    if shift > 0.0:
        for members in time.periods.values():
            terms: Terms = {}
            for s in members:
                sl = time.slices[s]
                terms[model.cols[("SU", tech.name, r, year, sl.period, sl.name)]] = 1.0
                terms[model.cols[("SD", tech.name, r, year, sl.period, sl.name)]] = -1.0
            lp.add_row(terms, 0.0, 0.0)
    return out


def slice_uses(model: Model) -> dict[tuple[str, str, int], list[Expr]]:
    """Use'_k[c,r,y,t] of slice commodities (net of flexibility) summed over technologies."""
    uses: dict[tuple[str, str, int], list[Expr]] = {}
    n_slices = len(model.time.slices)
    for tech in model.techs:
        flex = (tech.flexibility or {}).get("commodity")
        for c in uses_of(tech) & model.slice_commodities:
            for r in tech.regions:
                for t in range(len(model.hz.years)):
                    use = tech_slice_use(model, tech, c, r, t)
                    if c == flex:
                        use = add_flexibility(model, tech, r, t, use)
                    acc = uses.setdefault((c, r, t), [Expr() for _ in range(n_slices)])
                    for s in range(n_slices):
                        acc[s].add(use[s])
    return uses


def add_activity_bounds(model: Model) -> None:
    """X <= a Cap (annual) or X_t <= alpha(t) a w_t Cap (slice); min/max_capacity;
    a slice technology's min/max_activity on its annual sum."""
    lp, w = model.lp, model.time.weights
    for tech in model.techs:
        for r in tech.regions:
            a = tech.params["output_per_capacity"][r]
            max_cap, min_cap = tech.params["max_capacity"][r], tech.params["min_capacity"][r]
            max_act, min_act = tech.params["max_activity"][r], tech.params["min_activity"][r]
            for t in range(len(model.hz.years)):
                cap = capacity(tech, r, t)
                for s, x in enumerate(tech.x_col[r][t]):
                    share = 1.0 if not tech.is_slice else tech.availability[s] * w[s]
                    row = col_expr(x)
                    row.add(cap, -float(a[t]) * share)
                    lp.add_expr(row, upper=0.0)
                if max_cap is not None:
                    lp.add_expr(cap, upper=float(max_cap[t]))
                if min_cap[t] > 0.0:
                    lp.add_expr(cap, lower=float(min_cap[t]))
                if tech.is_slice and max_act is not None:
                    lp.add_expr(activity(tech, r, t), upper=float(max_act[t]))
                if tech.is_slice and min_act[t] > 0.0:
                    lp.add_expr(activity(tech, r, t), lower=float(min_act[t]))
                if tech.storage is not None:
                    add_storage_rows(model, tech, r, t, cap)


def add_storage_rows(model: Model, tech: Tech, r: str, t: int, cap: Expr) -> None:
    """Charge bound, cyclic state of charge per period and energy capacity (MODEL.md 12)."""
    assert tech.storage is not None
    duration, eta_c, eta_d = tech.storage
    lp, time = model.lp, model.time
    a = float(tech.params["output_per_capacity"][r][t])
    q, e, x = tech.q_col[r][t], tech.e_col[r][t], tech.x_col[r][t]
    for s, sl in enumerate(time.slices):
        charge = col_expr(q[s])
        charge.add(cap, -a * sl.weight)
        lp.add_expr(charge, upper=0.0)
        state = col_expr(e[s])
        state.add(col_expr(e[sl.prev], -1.0))
        state.add(col_expr(q[s], -eta_c / sl.occurs))
        state.add(col_expr(x[s], 1.0 / (eta_d * sl.occurs)))
        lp.add_expr(state, 0.0, 0.0)
        energy = col_expr(e[s])
        energy.add(cap, -duration / time.hours * a)
        lp.add_expr(energy, upper=0.0)


def add_links(model: Model) -> None:
    """F for every directed link and year, per slice for a slice commodity, bounded by
    w_t capacity (bidirectional = two directed links); the cost applies to every F."""
    hz, df, time = model.hz, model.hz.df, model.time
    for name, spec in (model.instance.get("links") or {}).items():
        ends = [(spec["from"], spec["to"])]
        if spec.get("bidirectional", False):
            ends.append((spec["to"], spec["from"]))
        cap = model.data.series(("links", name, "capacity"), None)
        cost = model.data.series(("links", name, "cost"), 0.0)
        assert cost is not None
        sliced = spec["commodity"] in model.slice_commodities
        for origin, dest in ends:
            cols = []
            for t, year in enumerate(hz.years):
                keys = [(year, sl.period, sl.name) for sl in time.slices] if sliced else [(year,)]
                shares = time.weights if sliced else [1.0]
                upper = [np.inf if cap is None else cap[t] * share for share in shares]
                year_cols = [
                    model.col(("F", name, origin, dest, *k), year, u)
                    for k, u in zip(keys, upper, strict=True)
                ]
                for col in year_cols:
                    model.pay(t, col, df[t] * cost[t])
                cols.append(year_cols)
            model.links.append(
                {
                    "commodity": spec["commodity"],
                    "from": origin,
                    "to": dest,
                    "loss": float(spec.get("loss", 0.0)),
                    "cols": cols,
                }
            )


def supply(model: Model, c: str, r: str, t: int, s: int) -> Expr:
    """Production of c in slice s (or the year: s = 0 for an annual commodity) plus
    imports net of loss minus exports."""
    net = Expr()
    for tech in model.techs:
        if tech.output == c and r in tech.x_col:
            net.add(col_expr(tech.x_col[r][t][s]))
    for link in model.links:
        if link["commodity"] != c:
            continue
        if link["to"] == r:
            net.add(col_expr(link["cols"][t][s], 1.0 - link["loss"]))
        if link["from"] == r:
            net.add(col_expr(link["cols"][t][s], -1.0))
    return net


def unserved(model: Model, c: str, r: str, t: int, bound: float, where: tuple[Any, ...]) -> Expr:
    """U with cost mu_c, bounded by the demand it stands for (none if no unmet_cost or
    the bound is 0)."""
    spec = model.instance["commodities"][c] or {}
    if spec.get("unmet_cost") is None or bound <= 0.0:
        return Expr()
    year = model.hz.years[t]
    u = model.col(("U", c, r, year, *where), year, bound)
    model.pay(t, u, model.hz.df[t] * float(spec["unmet_cost"]))
    return col_expr(u)


def add_balances(
    model: Model,
    uses: dict[tuple[str, str, int], Expr],
    suses: dict[tuple[str, str, int], list[Expr]],
) -> None:
    """Annual balances (MODEL.md 6.2) and slice balances (11.2): supply + U >= demand +
    use (+ storage charge in a slice balance)."""
    time = model.time
    for c in model.instance["commodities"]:
        demand = model.data.regional(("commodities", c, "demand"), 0.0)
        sliced = c in model.slice_commodities
        shape = time.shape((model.instance["commodities"][c] or {}).get("profile"))
        chargers = [k for k in model.techs if k.storage is not None and k.output == c]
        for r in model.hz.regions:
            for t in range(len(model.hz.years)):
                if not sliced:
                    net = supply(model, c, r, t, 0)
                    d = float(demand[r][t])
                    net.add(unserved(model, c, r, t, d, ()))
                    net.add(uses.get((c, r, t), Expr()), -1.0)
                    model.lp.add_expr(net, lower=d)
                    continue
                for s, sl in enumerate(time.slices):
                    net = supply(model, c, r, t, s)
                    d = float(shape[s] * sl.weight * demand[r][t])
                    net.add(unserved(model, c, r, t, d, (sl.period, sl.name)))
                    if (c, r, t) in suses:
                        net.add(suses[(c, r, t)][s], -1.0)
                    for tech in chargers:
                        if r in tech.q_col:
                            net.add(col_expr(tech.q_col[r][t][s], -1.0))
                    model.lp.add_expr(net, lower=d)


def add_reserves(
    model: Model,
    uses: dict[tuple[str, str, int], Expr],
    suses: dict[tuple[str, str, int], list[Expr]],
) -> None:
    """Firm capacity >= (1 + m) pf Load / w_t per slice (slice commodity) or per year."""
    time = model.time
    for c, spec in model.instance["commodities"].items():
        if not (spec or {}).get("reserve"):
            continue
        path = ("commodities", c, "reserve")
        margin = model.data.series((*path, "margin"), 0.0)
        peak = model.data.series((*path, "peak_factor"), 1.0)
        assert margin is not None and peak is not None
        demand = model.data.regional(("commodities", c, "demand"), 0.0)
        sliced = c in model.slice_commodities
        shape = time.shape(spec.get("profile")) if sliced else np.ones(1)
        weights = time.weights if sliced else np.ones(1)
        producers = [k for k in model.techs if k.output == c]
        for r in model.hz.regions:
            for t in range(len(model.hz.years)):
                firm = Expr()
                for tech in producers:
                    if r in tech.regions:
                        firm.add(capacity(tech, r, t), float(tech.params["firm_capacity"][r][t]))
                factor = (1.0 + margin[t]) * peak[t]
                for s, w in enumerate(weights):
                    load = Expr(float(shape[s] * w * demand[r][t]))
                    if sliced:
                        load.add(suses.get((c, r, t), [Expr()] * len(weights))[s])
                    else:
                        load.add(uses.get((c, r, t), Expr()))
                    row = Expr(firm.const, dict(firm.terms))
                    row.add(load, -factor / w)
                    model.lp.add_expr(row, lower=0.0)


def add_resource_limits(model: Model, uses: dict[tuple[str, str, int], Expr]) -> None:
    """Sum of use <= limit: per region and year (regional) or per year (global)."""
    hz = model.hz
    for p, spec in (model.instance.get("resources") or {}).items():
        spec = spec or {}
        path = ("resources", p, "limit")
        if spec.get("scope", "regional") == "global":
            limit = model.data.series(path, None)
            if limit is None:
                continue
            for t in range(len(hz.years)):
                use = total(uses.get((p, r, t), Expr()) for r in hz.regions)
                model.lp.add_expr(use, upper=float(limit[t]))
            continue
        limits = model.data.regional(path, None)
        for r in hz.regions:
            if limits[r] is None:
                continue
            for t in range(len(hz.years)):
                model.lp.add_expr(uses.get((p, r, t), Expr()), upper=float(limits[r][t]))


def add_build_growth(model: Model) -> None:
    """B[y] <= (1 + g) B[y-1] + headroom from the second year (fixed B counts as 0)."""
    for tech in model.techs:
        if tech.growth is None:
            continue
        rate, headroom = tech.growth
        for r in tech.regions:
            cols = tech.b_col[r]
            for t in range(1, len(model.hz.years)):
                if t not in cols:
                    continue
                terms = {cols[t]: 1.0}
                if t - 1 in cols:
                    terms[cols[t - 1]] = -(1.0 + rate)
                model.lp.add_row(terms, upper=headroom)


def add_budget(model: Model) -> None:
    """Undiscounted overnight spending: per year (series, every model year) and total
    (number, years y0..yN)."""
    per_year = model.data.series(("budget", "per_year"), None)
    limit_total = model.data.number(("budget", "total"))

    def spend(t: int) -> Terms:
        row = Expr()
        for tech in model.techs:
            for r in tech.regions:
                row.add(Expr(0.0, spending(tech, r, t)))
        return row.terms

    if per_year is not None:
        for t in range(len(model.hz.years)):
            model.lp.add_row(spend(t), upper=float(per_year[t]))
    if limit_total is not None:
        row = total(Expr(0.0, spend(t)) for t in range(model.hz.horizon))
        model.lp.add_row(row.terms, upper=limit_total)


def build_model(model: Model) -> Model:
    """Write every column and row of one model (sections 4-6 and 11-15) into its LP."""
    model.cost = [Expr() for _ in model.hz.years]
    specs = model.instance["technologies"]
    model.techs = [make_tech(name, spec, model) for name, spec in specs.items()]
    for tech in model.techs:
        for r in tech.regions:
            add_build_columns(model, tech, r)
            add_activity_columns(model, tech, r)
    add_links(model)
    uses = annual_uses(model)
    suses = slice_uses(model)
    add_activity_bounds(model)
    add_balances(model, uses, suses)
    add_reserves(model, uses, suses)
    add_resource_limits(model, uses)
    add_build_growth(model)
    add_budget(model)
    return model


@dataclass
class Solution:
    """Status, objective and primal values of one HiGHS solve."""

    status: str
    objective: float | None
    x: np.ndarray | None = None


def solve_lp(lp: LinearProgram, mip_gap: float) -> Solution:
    """Hand the LP to HiGHS (column-wise matrix) and map the status."""
    if lp.trivially_infeasible:
        return Solution("infeasible", None)
    n_cols, n_rows = len(lp.cost), len(lp.row_lower)
    if n_cols == 0:
        return Solution("optimal", lp.offset, np.zeros(0))
    rows, cols, vals = (np.asarray(v) for v in lp.entries)
    order = np.argsort(cols, kind="stable")
    start = np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=n_cols))])
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = n_cols, n_rows
    model.col_cost_ = np.asarray(lp.cost, dtype=float)
    model.col_lower_ = np.asarray(lp.lower, dtype=float)
    model.col_upper_ = np.asarray(lp.upper, dtype=float)
    model.row_lower_ = np.asarray(lp.row_lower, dtype=float)
    model.row_upper_ = np.asarray(lp.row_upper, dtype=float)
    model.offset_ = lp.offset
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.num_col_, model.a_matrix_.num_row_ = n_cols, n_rows
    model.a_matrix_.start_ = start.astype(np.int32)
    model.a_matrix_.index_ = rows[order].astype(np.int32)
    model.a_matrix_.value_ = vals[order].astype(float)
    if any(lp.integer):
        model.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in lp.integer
        ]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", mip_gap)
    h.passModel(model)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        x = np.asarray(h.getSolution().col_value, dtype=float)
        return Solution("optimal", float(h.getInfo().objective_function_value), x)
    if status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return Solution("infeasible", None)
    return Solution(h.modelStatusToString(status).lower(), None)


def horizon(instance: dict[str, Any], last: int | None = None, extend: bool = True) -> Horizon:
    """The horizon y0..last (default yN), plus the end-effect years when `extend`."""
    years = instance["years"]
    y0, y_n = int(years["start"]), int(years["end"]) if last is None else last
    extra = int((instance.get("end_effects") or {}).get("extend_years", 0)) if extend else 0
    return Horizon(
        years=list(range(y0, y_n + extra + 1)),
        regions=[str(r) for r in instance.get("regions") or ["world"]],
        rate=float(instance.get("discount_rate", 0.0)),
        n_horizon=y_n - y0 + 1,
    )


def values_of(model: Model, x: np.ndarray) -> dict[Key, float]:
    """Primal values of a model's columns by readable key."""
    return {key: float(x[col]) for key, col in model.cols.items()}


def solve_single(
    instance: dict[str, Any],
    mip_gap: float,
    hz: Horizon,
    changes: Iterable[dict[str, Any]] = (),
    fix_before: int | None = None,
    fixed: dict[Key, float] | None = None,
) -> dict[str, Any]:
    """Build and solve one model (deterministic run, myopic window or one case alone)."""
    lp = LinearProgram()
    model = Model(lp, instance, Data(instance, hz, changes), make_time(instance))
    model.fix_before, model.fixed = fix_before, dict(fixed or {})
    build_model(model)
    lp.set_objective(model.objective())
    sol = solve_lp(lp, mip_gap)
    out: dict[str, Any] = {"status": sol.status, "objective": sol.objective}
    out["objective_horizon"], out["columns"] = None, len(lp.cost)
    if sol.x is not None:
        out["objective_horizon"] = model.objective(hz.horizon).value(sol.x)
        out["values"] = values_of(model, sol.x)
    return out


def solve_myopic(instance: dict[str, Any], mip_gap: float) -> dict[str, Any]:
    """Myopic foresight (MODEL.md 16): windows y0..b_i solved in turn, every variable
    decided before a_i fixed at its value in the previous window."""
    spec = instance["foresight"]
    window, step = int(spec["window"]), int(spec["step"])
    y0, y_n = int(instance["years"]["start"]), int(instance["years"]["end"])
    start, fixed, windows = y0, None, []
    while True:
        end = min(start + window - 1, y_n)
        hz = horizon(instance, end, extend=end == y_n)
        result = solve_single(instance, mip_gap, hz, fix_before=start, fixed=fixed)
        windows.append(result["objective"])
        if result["status"] != "optimal" or end == y_n:
            result["windows"] = windows
            if result["status"] != "optimal":
                result["objective"] = result["objective_horizon"] = None
            return result
        fixed = result["values"]
        start += step


def add_risk(
    lp: LinearProgram, z: dict[str, Expr], prob: dict[str, float], risk: dict[str, Any]
) -> Expr:
    """(1 - w) sum p_s Z_s + w (theta + sum p_s a_s / (1 - alpha)), a_s >= Z_s - theta."""
    weight, alpha = float(risk.get("weight", 0.0)), float(risk.get("alpha", 0.9))
    objective = Expr()
    for name, z_s in z.items():
        objective.add(z_s, (1.0 - weight) * prob[name])
    if weight == 0.0:
        return objective
    theta = lp.add_col(lower=-np.inf)
    objective.add(col_expr(theta, weight))
    for name, z_s in z.items():
        excess = lp.add_col()
        objective.add(col_expr(excess, weight * prob[name] / (1.0 - alpha)))
        row = col_expr(excess)
        row.add(col_expr(theta))
        row.add(z_s, -1.0)
        lp.add_expr(row, lower=0.0)
    return objective


def solve_scenarios(instance: dict[str, Any], mip_gap: float, evpi: bool) -> dict[str, Any]:
    """Two-stage stochastic programme (MODEL.md 17): first-stage columns (decision time
    before branch_year) shared by all cases, everything else per case."""
    spec = instance["scenarios"]
    cases = spec["cases"]
    prob = {name: float(case["probability"]) for name, case in cases.items()}
    hz, time, lp = horizon(instance), make_time(instance), LinearProgram()
    models = {}
    for name, case in cases.items():
        data = Data(instance, hz, (case or {}).get("changes") or [])
        model = Model(lp, instance, data, time, case=name, share_before=int(spec["branch_year"]))
        models[name] = build_model(model)
    for key, sharers in lp.sharers.items():
        if len(sharers) < len(cases):  # a case without the variable fixes it to 0
            lp.upper[lp.shared[key]] = min(lp.upper[lp.shared[key]], 0.0)
    z = {name: model.objective() for name, model in models.items()}
    lp.set_objective(add_risk(lp, z, prob, spec.get("risk") or {}))
    sol = solve_lp(lp, mip_gap)
    out: dict[str, Any] = {"status": sol.status, "objective": sol.objective}
    out["objective_horizon"], out["columns"] = None, len(lp.cost)
    if sol.x is not None:
        x = sol.x
        out["cases"] = {name: z_s.value(x) for name, z_s in z.items()}
        out["objective_horizon"] = sum(
            prob[name] * model.objective(hz.horizon).value(x) for name, model in models.items()
        )
        out["case_values"] = {name: values_of(model, x) for name, model in models.items()}
    if evpi:
        alone = {
            name: solve_single(instance, mip_gap, hz, (case or {}).get("changes") or [])
            for name, case in cases.items()
        }
        feasible = all(result["status"] == "optimal" for result in alone.values())
        out["ws"] = (
            sum(prob[name] * result["objective"] for name, result in alone.items())
            if feasible
            else None
        )
        weight = float((spec.get("risk") or {}).get("weight", 0.0))
        if out["ws"] is not None and sol.objective is not None and weight == 0.0:
            out["evpi"] = sol.objective - out["ws"]
    return out


def reference_details(
    instance: dict[str, Any], mip_gap: float = 1e-4, evpi: bool = False
) -> dict[str, Any]:
    """Solve a parsed (valid) instance; return a dict with `status`, `objective`,
    `objective_horizon`, `columns` (of the LP solved last), `values` ({key: value})
    and, where relevant, `windows` (each
    myopic window's objective), `cases` ({case: Z_s}), `case_values` ({case: {key:
    value}}), and with `evpi=True` for a scenario instance `ws` and (risk weight 0)
    `evpi`; `evpi` is ignored for other instances."""
    mode = (instance.get("foresight") or {}).get("mode", "perfect")
    if instance.get("scenarios"):
        if mode == "myopic":
            raise ValueError("myopic foresight cannot be combined with scenarios")
        return solve_scenarios(instance, mip_gap, evpi)
    if mode == "myopic":
        return solve_myopic(instance, mip_gap)
    return solve_single(instance, mip_gap, horizon(instance))


def reference_solve(instance: dict[str, Any], mip_gap: float = 1e-4) -> tuple[str, float | None]:
    """Solve a parsed (valid) instance; return ("optimal", objective) or ("infeasible", None).

    The objective includes the constant fixed O&M of residual capacity.
    """
    result = reference_details(instance, mip_gap)
    return result["status"], result["objective"]
