"""Independent reference implementation of MODEL.md, used as a test oracle.

It reads the parsed YAML instance (a plain mapping), writes the LP/MILP of MODEL.md
sections 4-7 as a sparse column-wise matrix (numpy only) and solves it with highspy
directly, without Pyomo and without any code from the `planner` package.

Readings of MODEL.md made here (see also the tests):
- A mapping is a region map when any of its keys is a string, otherwise a year map;
  an empty mapping is a region map that lists no region.
- Variables that MODEL.md fixes to 0 (B before y0 + lead time, U where demand is 0)
  are simply not created.
- A per_capacity input applies to the whole capacity, residual included, so residual
  capacity consumes its inputs as a constant.
- Residual capacity of a technology counts only in the regions where it may exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

Terms = dict[int, float]


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


@dataclass
class Horizon:
    """Years, regions and discounting of an instance."""

    years: list[int]
    regions: list[str]
    rate: float

    @property
    def df(self) -> np.ndarray:
        """Discount factor per year index: (1 + rho)^-(y - y0)."""
        return (1.0 + self.rate) ** -np.arange(len(self.years), dtype=float)


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


@dataclass
class Tech:
    """A technology with its parameters evaluated on the horizon and its columns."""

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
    x_col: dict[str, list[int]] = field(default_factory=dict)
    b_col: dict[str, dict[int, int]] = field(default_factory=dict)


QUANTITY_KEYS = ("output_per_capacity", "capex", "fixed_om", "variable_om", "residual")
LIMIT_KEYS = ("max_build", "max_capacity", "max_activity")


def make_tech(name: str, spec: dict[str, Any], hz: Horizon) -> Tech:
    """Read one technology's data (defaults of MODEL.md section 9.1)."""
    params = {key: regional(spec.get(key), hz, 0.0) for key in QUANTITY_KEYS}
    params.update({key: regional(spec.get(key), hz, None) for key in LIMIT_KEYS})
    inputs = spec.get("inputs") or {}
    growth = spec.get("build_growth")
    lifetime = int(spec["lifetime"])
    return Tech(
        name=name,
        output=spec["output"],
        regions=[r for r in hz.regions if r in (spec.get("regions") or hz.regions)],
        lifetime=lifetime,
        lead=int(spec.get("lead_time", 0)),
        crf=crf(float(spec.get("discount_rate", hz.rate)), lifetime),
        params=params,
        inputs={
            kind: dict(inputs.get(kind) or {})
            for kind in ("per_activity", "per_capacity", "per_build")
        },
        growth=None
        if growth is None
        else (float(growth.get("rate", 0.0) or 0.0), float(growth.get("headroom", 0.0) or 0.0)),
        unit_size=None if spec.get("unit_size") is None else float(spec["unit_size"]),
    )


class LinearProgram:
    """Columns, rows and nonzeros of the LP, collected before handing them to HiGHS."""

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

    def add_col(self, cost: float = 0.0, upper: float = np.inf, integer: bool = False) -> int:
        """Add a column with bounds [0, upper]; return its index."""
        self.lower.append(0.0)
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


def add_tech_columns(lp: LinearProgram, tech: Tech, hz: Horizon) -> None:
    """Create X for every year and B (and N with unit_size) for years y >= y0 + L.

    The objective coefficient of B[b] collects, over the years b..min(b+n-1, yN) where
    the build is alive, the discounted annuity CRF * capex(b) and fixed O&M.
    """
    df = hz.df
    n_years = len(hz.years)
    for r in tech.regions:
        p = {key: val[r] for key, val in tech.params.items()}
        x_ub = p["max_activity"] if p["max_activity"] is not None else np.full(n_years, np.inf)
        tech.x_col[r] = [lp.add_col(df[t] * p["variable_om"][t], x_ub[t]) for t in range(n_years)]
        tech.b_col[r] = {}
        for t in range(tech.lead, n_years):
            alive = range(t, min(t + tech.lifetime, n_years))
            cost = sum(df[s] * (tech.crf * p["capex"][t] + p["fixed_om"][s]) for s in alive)
            b_ub = np.inf if p["max_build"] is None else p["max_build"][t]
            b = lp.add_col(cost, b_ub)
            tech.b_col[r][t] = b
            if tech.unit_size is not None:
                count = lp.add_col(integer=True)
                lp.add_row({b: 1.0, count: -tech.unit_size}, 0.0, 0.0)
        residual = p["residual"]
        lp.offset += float(np.sum(df * p["fixed_om"] * residual))


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


def collect_uses(techs: list[Tech], hz: Horizon) -> dict[tuple[str, str, int], Expr]:
    """Use_k[j,r,y] summed over technologies, keyed by (commodity or resource, region, year)."""
    uses: dict[tuple[str, str, int], Expr] = {}
    for tech in techs:
        for r in tech.regions:
            for t in range(len(hz.years)):
                parts = {
                    "per_activity": Expr(0.0, {tech.x_col[r][t]: 1.0}),
                    "per_capacity": capacity(tech, r, t),
                    "per_build": under_construction(tech, r, t),
                }
                for kind, part in parts.items():
                    for j, coef in tech.inputs[kind].items():
                        uses.setdefault((j, r, t), Expr()).add(part, float(coef))
    return uses


def add_activity_bounds(lp: LinearProgram, techs: list[Tech], hz: Horizon) -> None:
    """X <= a * Cap, and Cap <= max_capacity where given."""
    for tech in techs:
        for r in tech.regions:
            a, max_cap = tech.params["output_per_capacity"][r], tech.params["max_capacity"][r]
            for t in range(len(hz.years)):
                cap = capacity(tech, r, t)
                row = Expr(0.0, {tech.x_col[r][t]: 1.0})
                row.add(cap, -float(a[t]))
                lp.add_row(row.terms, upper=-row.const)
                if max_cap is not None:
                    lp.add_row(cap.terms, upper=max_cap[t] - cap.const)


def add_links(lp: LinearProgram, links: dict[str, Any], hz: Horizon) -> list[dict[str, Any]]:
    """Create F for every directed link and year (bidirectional = two directed links)."""
    directed = []
    df = hz.df
    for spec in (links or {}).values():
        ends = [(spec["from"], spec["to"])]
        if spec.get("bidirectional", False):
            ends.append((spec["to"], spec["from"]))
        cap = None if spec.get("capacity") is None else series(spec["capacity"], hz.years)
        cost = series(spec.get("cost", 0.0), hz.years)
        for origin, dest in ends:
            cols = [
                lp.add_col(df[t] * cost[t], np.inf if cap is None else cap[t])
                for t in range(len(hz.years))
            ]
            directed.append(
                {
                    "commodity": spec["commodity"],
                    "from": origin,
                    "to": dest,
                    "loss": float(spec.get("loss", 0.0)),
                    "cols": cols,
                }
            )
    return directed


def add_balances(
    lp: LinearProgram,
    instance: dict[str, Any],
    techs: list[Tech],
    links: list[dict[str, Any]],
    uses: dict[tuple[str, str, int], Expr],
    hz: Horizon,
) -> None:
    """Production + imports*(1-loss) - exports + U >= demand + use, per c, r, y.

    U exists only with unmet_cost and positive demand, bounded by the demand.
    """
    df = hz.df
    for c, spec in instance["commodities"].items():
        spec = spec or {}
        demand = regional(spec.get("demand"), hz, 0.0)
        producers = [tech for tech in techs if tech.output == c]
        c_links = [link for link in links if link["commodity"] == c]
        for r in hz.regions:
            for t in range(len(hz.years)):
                net = Expr()
                for tech in producers:
                    if r in tech.x_col:
                        net.add(Expr(0.0, {tech.x_col[r][t]: 1.0}))
                for link in c_links:
                    if link["to"] == r:
                        net.add(Expr(0.0, {link["cols"][t]: 1.0 - link["loss"]}))
                    if link["from"] == r:
                        net.add(Expr(0.0, {link["cols"][t]: -1.0}))
                d = float(demand[r][t])
                if spec.get("unmet_cost") is not None and d > 0.0:
                    u = lp.add_col(df[t] * float(spec["unmet_cost"]), d)
                    net.terms[u] = 1.0
                if (c, r, t) in uses:
                    net.add(uses[(c, r, t)], -1.0)
                lp.add_row(net.terms, lower=d - net.const)


def add_resource_limits(
    lp: LinearProgram, instance: dict[str, Any], uses: dict[tuple[str, str, int], Expr], hz: Horizon
) -> None:
    """Sum of use <= limit: per region and year (regional) or per year (global)."""
    for p, spec in (instance.get("resources") or {}).items():
        spec = spec or {}
        if spec.get("limit") is None:
            continue
        for t in range(len(hz.years)):
            if spec.get("scope", "regional") == "global":
                total = Expr()
                for r in hz.regions:
                    total.add(uses.get((p, r, t), Expr()))
                limit = series(spec["limit"], hz.years)[t]
                lp.add_row(total.terms, upper=limit - total.const)
                continue
            limits = regional(spec["limit"], hz, None)
            for r in hz.regions:
                if limits[r] is not None:
                    use = uses.get((p, r, t), Expr())
                    lp.add_row(use.terms, upper=limits[r][t] - use.const)


def add_build_growth(lp: LinearProgram, techs: list[Tech], hz: Horizon) -> None:
    """B[y] <= (1 + g) B[y-1] + headroom from the second year (fixed B counts as 0)."""
    for tech in techs:
        if tech.growth is None:
            continue
        rate, headroom = tech.growth
        for r in tech.regions:
            cols = tech.b_col[r]
            for t in range(1, len(hz.years)):
                if t not in cols:
                    continue
                terms = {cols[t]: 1.0}
                if t - 1 in cols:
                    terms[cols[t - 1]] = -(1.0 + rate)
                lp.add_row(terms, upper=headroom)


def add_budget(
    lp: LinearProgram, budget: dict[str, Any] | None, techs: list[Tech], hz: Horizon
) -> None:
    """Undiscounted overnight spending: per year (series) and total (number)."""
    if not budget:
        return
    if budget.get("per_year") is not None:
        limit = series(budget["per_year"], hz.years)
        for t in range(len(hz.years)):
            row = Expr()
            for tech in techs:
                for r in tech.regions:
                    row.add(Expr(0.0, spending(tech, r, t)))
            lp.add_row(row.terms, upper=limit[t])
    if budget.get("total") is not None:
        row = Expr()
        for tech in techs:
            for r in tech.regions:
                capex = tech.params["capex"][r]
                row.add(Expr(0.0, {col: capex[b] for b, col in tech.b_col[r].items()}))
        lp.add_row(row.terms, upper=float(budget["total"]))


def solve_lp(lp: LinearProgram, mip_gap: float) -> tuple[str, float | None]:
    """Hand the LP to HiGHS (column-wise matrix) and map the status."""
    if lp.trivially_infeasible:
        return "infeasible", None
    n_cols, n_rows = len(lp.cost), len(lp.row_lower)
    if n_cols == 0:
        return "optimal", lp.offset
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
        return "optimal", float(h.getInfo().objective_function_value)
    if status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return "infeasible", None
    return h.modelStatusToString(status).lower(), None


def reference_solve(instance: dict[str, Any], mip_gap: float = 1e-4) -> tuple[str, float | None]:
    """Solve a parsed (valid) instance; return ("optimal", objective) or ("infeasible", None).

    The objective includes the constant fixed O&M of residual capacity.
    """
    years = instance["years"]
    hz = Horizon(
        years=list(range(int(years["start"]), int(years["end"]) + 1)),
        regions=[str(r) for r in instance.get("regions") or ["world"]],
        rate=float(instance.get("discount_rate", 0.0)),
    )
    lp = LinearProgram()
    techs = [make_tech(name, spec, hz) for name, spec in instance["technologies"].items()]
    for tech in techs:
        add_tech_columns(lp, tech, hz)
    links = add_links(lp, instance.get("links") or {}, hz)
    uses = collect_uses(techs, hz)
    add_activity_bounds(lp, techs, hz)
    add_balances(lp, instance, techs, links, uses, hz)
    add_resource_limits(lp, instance, uses, hz)
    add_build_growth(lp, techs, hz)
    add_budget(lp, instance.get("budget"), techs, hz)
    return solve_lp(lp, mip_gap)
