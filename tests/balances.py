"""Rebuild every commodity balance, resource row, activity bound and the objective from the result
tables alone (plus the instance's coefficients), independently of the model code.

The time-slice part (MODEL.md §11-§14) rebuilds each slice balance from the `slices` and
`dispatch` tables: slice weights from the `time` block, each technology's slice use (a slice
technology's from its slice activity, any other's spread by its normalised `use_profile`),
flexible use within its shift and curtail bounds, storage charge, discharge and state of charge,
and the reserve rows. A two-stage result (§17) is checked case by case, plus the shared first
stage and the objective as (1 - ω) Σ p_s Z_s + ω CVaR.

Instance values are read with the planner's series evaluation only (`regional_array`,
`series_array`); everything else is rebuilt here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner import Instance, Results
from planner.instance.series import regional_array, series_array

TOL = 1e-6
SliceKey = tuple[str, str]  # (period, slice)

READ_FROM_INSTANCE = (
    "residual", "output_per_capacity", "firm_capacity", "reserve.margin", "reserve.peak_factor",
    "min_build", "min_capacity", "min_activity", "max_build", "max_capacity", "max_activity",
)  # fmt: skip
"""Parameters the rebuild reads from the instance (a scenario change of them is not supported)."""


def _near(a: float, b: float, what: str, tol: float = TOL) -> None:
    assert abs(a - b) <= tol * max(1.0, abs(a), abs(b)), f"{what}: {a!r} != {b!r}"


def _at_most(a: float, b: float, what: str, tol: float = TOL) -> None:
    assert a <= b + tol * max(1.0, abs(b)), f"{what}: {a!r} > {b!r}"


def _construction(builds: dict[int, float], lead: int, year: int) -> float:
    """CB in `year`: builds commissioned in b with b - L <= year <= b - 1, each over L years."""
    if lead == 0:
        return builds.get(year, 0.0)
    return sum(builds.get(b, 0.0) for b in range(year + 1, year + lead + 1)) / lead


@dataclass
class Slices:
    """MODEL.md §11 from the instance alone: slices in file order, ω_p(t), δ_t, w_t, H."""

    keys: list[SliceKey]
    omega: dict[SliceKey, float]
    hours: dict[SliceKey, float]
    H: float
    profiles: dict[str, dict[SliceKey, float]]

    @property
    def w(self) -> dict[SliceKey, float]:
        return {t: self.omega[t] * self.hours[t] / self.H for t in self.keys}

    def periods(self) -> dict[str, list[SliceKey]]:
        out: dict[str, list[SliceKey]] = defaultdict(list)
        for t in self.keys:
            out[t[0]].append(t)
        return out

    def raw(self, name: str | None) -> dict[SliceKey, float]:
        """A profile used as given (availability; 1 without one)."""
        return dict.fromkeys(self.keys, 1.0) if name is None else self.profiles[name]

    def normalised(self, name: str | None) -> dict[SliceKey, float]:
        """v_t / sum_t w_t v_t (1 without a profile)."""
        v = self.raw(name)
        scale = sum(self.w[t] * v[t] for t in self.keys)
        return {t: v[t] / scale for t in self.keys}


def time_slices(inst: Instance) -> Slices:
    """The instance's slices; without `time`, one period `year` (weight 1), one slice `all`."""
    if inst.time is None:
        key = ("year", "all")
        return Slices([key], {key: 1.0}, {key: 8760.0}, 8760.0, {})
    keys, omega, hours = [], {}, {}
    for p, period in inst.time.periods.items():
        for s, h in period.slices.items():
            keys.append((p, s))
            omega[(p, s)], hours[(p, s)] = period.weight, h
    H = sum(omega[t] * hours[t] for t in keys)
    profiles = {
        name: {
            (p, s): float(values[p][i])
            for p, period in inst.time.periods.items()
            for i, s in enumerate(period.slices)
        }
        for name, values in inst.time.profiles.items()
    }
    return Slices(keys, omega, hours, H, profiles)


def check_balances(inst: Instance, r: Results) -> None:
    """Assert that the tables satisfy MODEL.md §6 and §11-§15 and add up to the objective; a
    two-stage result case by case (§17)."""
    if "scenario" in r.schedule:
        check_scenario_balances(inst, r)
        return
    horizon = r.summary.get("objective_horizon")
    check_tables(inst, r.tables, r.objective, horizon)


def check_tables(
    inst: Instance,
    tables: dict[str, pd.DataFrame],
    objective: float | None,
    objective_horizon: float | None = None,
) -> None:
    """Every check on one model's tables (a deterministic solve, a myopic solve's last window
    or one case of a two-stage programme)."""
    sched = tables["schedule"]
    years = sorted(int(y) for y in sched["year"].unique())
    ys = np.array(years)
    y0, y_n = inst.years.start, inst.years.end
    assert years == list(range(y0, years[-1] + 1))
    extend = inst.end_effects.extend_years if inst.end_effects is not None else 0
    assert years[-1] == y_n + extend, "the tables cover y0..yN+E"
    time = time_slices(inst)
    sliced = {c for c, com in inst.commodities.items() if com.balance == "slice"}
    dispatch = tables.get("dispatch")
    if sliced:
        assert dispatch is not None and "slices" in tables
        keys = ["technology", "region", "year", "period", "slice"]
        dispatch = dispatch.set_index(keys).to_dict("index")
    use: dict[tuple[str, str, int], float] = defaultdict(float)
    slice_use: dict[tuple[str, str, int, SliceKey], float] = defaultdict(float)
    slice_prod: dict[tuple[str, str, int, SliceKey], float] = defaultdict(float)
    charge: dict[tuple[str, str, int, SliceKey], float] = defaultdict(float)
    production: dict[tuple[str, str, int], float] = defaultdict(float)
    capacity: dict[tuple[str, str, int], float] = {}
    curtail_cost: dict[tuple[int, str, str], float] = defaultdict(float)
    for (tech, region), rows in sched.groupby(["technology", "region"], sort=False):
        k = inst.technologies[tech]
        rows = rows.sort_values("year")
        assert rows["year"].tolist() == years
        builds = dict(zip(years, rows["build"].tolist(), strict=True))
        acts, caps = rows["activity"].tolist(), rows["capacity"].tolist()

        def arr(value: Any, missing: float, region: str = region) -> np.ndarray:
            return regional_array(value, [region], ys, missing)[0]

        residual, a = arr(k.residual, 0.0), arr(k.output_per_capacity, 0.0)
        lows = {f: arr(getattr(k, f"min_{f}"), 0.0) for f in ("build", "capacity", "activity")}
        highs = {f: arr(getattr(k, f"max_{f}"), np.nan) for f in ("build", "capacity", "activity")}
        is_slice = k.output in sliced
        for j, y in enumerate(years):
            act, cap = acts[j], caps[j]
            capacity[(tech, region, y)] = cap
            alive = sum(builds[b] for b in years if b <= y < b + k.lifetime)
            cb = _construction(builds, k.lead_time, y)
            production[(k.output, region, y)] += act
            for kind, value in (("per_activity", act), ("per_capacity", cap), ("per_build", cb)):
                for item, coef in getattr(k.inputs, kind).items():
                    if item not in sliced:
                        use[(item, region, y)] += coef * value
            # capacity = residual + builds in service; activity within a * capacity
            _near(cap, residual[j] + alive, f"capacity of {tech} {region} {y}")
            _at_most(-act, 0.0, f"activity of {tech}")
            _at_most(act, a[j] * cap, f"activity of {tech} {region} {y}")
            # minimum and maximum limits (§15; an absent region has none)
            for field, value in (("build", builds[y]), ("capacity", cap), ("activity", act)):
                _at_most(lows[field][j], value, f"min_{field} of {tech} {region} {y}")
                if not np.isnan(highs[field][j]):
                    _at_most(value, highs[field][j], f"max_{field} of {tech} {region} {y}")
            if y - k.lead_time < y0:
                assert abs(builds[y]) <= TOL, "a build before its lead time allows"
            if not sliced:
                continue
            if is_slice:
                _slice_technology(time, k, tech, region, y, act, cap, a[j], dispatch, slice_prod)
                if k.storage is not None:
                    _storage(time, k, tech, region, y, cap, a[j], dispatch, charge)
            for c in sorted(sliced & _used(k)):
                where = (tech, region, y)
                base = _slice_base_use(time, k, is_slice, where, c, act, cap, cb, dispatch)
                flexed = _flexible(time, k, tech, region, y, c, base, dispatch, curtail_cost)
                for t in time.keys:
                    slice_use[(c, region, y, t)] += flexed[t]
    flows = tables["flows"]
    imports = flows.groupby(["commodity", "to", "year"])["delivered"].sum().to_dict()
    exports = flows.groupby(["commodity", "from", "year"])["sent"].sum().to_dict()
    for row in tables["commodities"].itertuples():
        key = (row.commodity, row.region, row.year)
        _near(row.imports, imports.get(key, 0.0), f"imports of {key}")
        _near(row.exports, exports.get(key, 0.0), f"exports of {key}")
        _near(row.production, production[key], f"production of {key}")
        if row.commodity in sliced:
            consumed = sum(slice_use[(*key, t)] for t in time.keys)
        else:
            consumed = use[key]
        _near(row.consumption, consumed, f"consumption of {key}")
        supply = row.production + row.imports - row.exports + row.unserved
        charged = getattr(row, "charge", 0.0)
        _at_most(row.demand + row.consumption + charged, supply, f"balance of {key}")
        _at_most(-row.unserved, 0.0, f"unserved {key}")
        _at_most(row.unserved, row.demand, f"unserved {key}")
        assert row.price >= -TOL or np.isnan(row.price)
    for link in flows.itertuples():
        if not np.isnan(link.capacity):
            _at_most(link.sent, link.capacity, f"link {link.link} {link.year}")
    if sliced:
        _slice_balances(inst, tables, time, sliced, slice_use, slice_prod, charge)
    _reserves(inst, tables, time, sliced, use, slice_use, capacity, ys)
    for row in tables["resources"].itertuples():
        if row.scope == "global":
            total = sum(v for (p, _, y), v in use.items() if p == row.resource and y == row.year)
        else:
            total = use[(row.resource, row.region, row.year)]
        _near(row.use, total, f"use of {row.resource} {row.region} {row.year}")
        if not np.isnan(row.limit):
            _at_most(row.use, row.limit, f"limit of {row.resource}")
        assert row.shadow_price >= -TOL
    budget = tables["budget"]
    for row in budget.itertuples():
        if not np.isnan(row.limit):
            _at_most(row.spend, row.limit, f"budget {row.scope} {row.year}")
    per_year = budget[budget["scope"] == "year"]
    total_row = budget[budget["scope"] == "total"]
    # budget.total counts the spending of y0..yN only (§15, §19.8)
    _near(
        float(total_row["spend"].iloc[0]),
        float(per_year.loc[per_year["year"] <= y_n, "spend"].sum()),
        "budget total spend",
    )
    costs = tables["costs"]
    curtailed = costs[costs["component"] == "curtailment"]
    got = curtailed.groupby(["year", "region", "layer"])["cost"].sum().to_dict()
    for key in set(got) | set(curtail_cost):
        _near(got.get(key, 0.0), curtail_cost.get(key, 0.0), f"curtailment cost {key}")
    if extend:
        for name, table in tables.items():
            if "year" in table and len(table):
                years_of = pd.to_numeric(table["year"], errors="coerce")
                flagged = table["extension"].astype(bool)
                assert (flagged == (years_of > y_n)).all(), f"extension rows of {name}"
    # the cost table (fixed O&M on all capacity, residual included) adds up to the objective
    if objective is not None:
        _near(float(costs["discounted"].sum()), objective, "objective")
    if objective_horizon is not None:
        horizon = float(costs.loc[costs["year"] <= y_n, "discounted"].sum())
        _near(horizon, objective_horizon, "objective_horizon")


def _used(k: Any) -> set[str]:
    """Every commodity and resource a technology uses."""
    return {
        j for kind in ("per_activity", "per_capacity", "per_build") for j in getattr(k.inputs, kind)
    }


def _slice_technology(
    time: Slices,
    k: Any,
    tech: str,
    region: str,
    y: int,
    act: float,
    cap: float,
    a: float,
    dispatch: Any,
    slice_prod: dict,
) -> None:
    """X_t <= α(t) a w_t Cap (§11.1) and the annual activity is the sum of the slices."""
    alpha = time.raw(k.availability)
    w = time.w
    total = 0.0
    for t in time.keys:
        x = float(dispatch[(tech, region, y, *t)]["activity"])
        total += x
        slice_prod[(k.output, region, y, t)] += x
        _at_most(-x, 0.0, f"slice activity of {tech}")
        _at_most(x, alpha[t] * a * w[t] * cap, f"slice activity of {tech} {region} {y} {t}")
    _near(total, act, f"annual activity of {tech} {region} {y}")


def _storage(
    time: Slices,
    k: Any,
    tech: str,
    region: str,
    y: int,
    cap: float,
    a: float,
    dispatch: Any,
    charge: dict,
) -> None:
    """Charge bound, state of charge within [0, (h/H) a Cap] and its cyclic recurrence per
    period (§12), charge into the slice balance."""
    st = k.storage
    w = time.w
    energy = st.duration / time.H * a * cap
    for slices in time.periods().values():
        for i, t in enumerate(slices):
            row = dispatch[(tech, region, y, *t)]
            q, x, e = float(row["charge"]), float(row["activity"]), float(row["state_of_charge"])
            charge[(k.output, region, y, t)] += q
            _at_most(-q, 0.0, f"charge of {tech}")
            _at_most(q, a * w[t] * cap, f"charge of {tech} {region} {y} {t}")
            _at_most(-e, 0.0, f"state of charge of {tech} {region} {y} {t}")
            _at_most(e, energy, f"energy capacity of {tech} {region} {y} {t}")
            prev = float(dispatch[(tech, region, y, *slices[i - 1])]["state_of_charge"])
            step = (st.efficiency_charge * q - x / st.efficiency_discharge) / time.omega[t]
            _near(e, prev + step, f"state of charge recurrence of {tech} {region} {y} {t}")


def _slice_base_use(
    time: Slices,
    k: Any,
    is_slice: bool,
    where: tuple[str, str, int],
    c: str,
    act: float,
    cap: float,
    cb: float,
    dispatch: Any,
) -> dict[SliceKey, float]:
    """u_t = Use_k[c,r,y,t] of §11: a slice technology's per_activity use follows its slice
    activity and the rest is spread by w_t; any other technology's annual use is spread by
    π_k(t) w_t (its normalised use_profile)."""
    inputs = k.inputs
    fixed = inputs.per_capacity.get(c, 0.0) * cap + inputs.per_build.get(c, 0.0) * cb
    w = time.w
    per_act = inputs.per_activity.get(c, 0.0)
    if is_slice:
        return {
            t: per_act * float(dispatch[(*where, *t)]["activity"]) + w[t] * fixed for t in time.keys
        }
    shape = time.normalised(k.use_profile)
    annual = per_act * act + fixed
    return {t: shape[t] * w[t] * annual for t in time.keys}


def _flexible(
    time: Slices,
    k: Any,
    tech: str,
    region: str,
    y: int,
    c: str,
    base: dict[SliceKey, float],
    dispatch: Any,
    curtail_cost: dict,
) -> dict[SliceKey, float]:
    """Use' = u - SD + SU - CU within the bounds of §14, the dispatch table's `use` column."""
    flex = k.flexibility
    if flex is None or flex.commodity != c:
        return base
    out = {}
    curtailed = 0.0
    for slices in time.periods().values():
        net = 0.0
        for t in slices:
            row = dispatch[(tech, region, y, *t)]
            sd, su, cu = (float(np.nan_to_num(row[f])) for f in
                          ("shifted_down", "shifted_up", "curtailed"))  # fmt: skip
            u = base[t]
            for value, bound, what in ((sd, flex.shift, "SD"), (su, flex.shift, "SU"),
                                       (cu, flex.curtail, "CU")):  # fmt: skip
                _at_most(-value, 0.0, f"{what} of {tech}")
                _at_most(value, bound * u, f"{what} of {tech} {region} {y} {t}")
            net += su - sd
            curtailed += cu
            out[t] = u - sd + su - cu
            _near(float(row["use"]), out[t], f"flexible use of {tech} {region} {y} {t}")
        _near(net, 0.0, f"shifting of {tech} {region} {y} stays in its period")
    _at_most(curtailed, flex.curtail_max * sum(base.values()), f"curtail_max of {tech} {y}")
    curtail_cost[(y, region, k.layer)] += flex.curtail_cost * curtailed
    return out


def _slice_balances(
    inst: Instance,
    tables: dict[str, pd.DataFrame],
    time: Slices,
    sliced: set[str],
    slice_use: dict,
    slice_prod: dict,
    charge: dict,
) -> None:
    """Each slice balance (§11.2) from the `slices` table, its demand λ_c(t) w_t D and the
    sums of its slices in the annual `commodities` table."""
    slices = tables["slices"]
    annual = tables["commodities"].set_index(["commodity", "region", "year"]).to_dict("index")
    w = time.w
    assert set(slices["commodity"]) == sliced
    sums: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in slices.itertuples():
        t = (row.period, row.slice)
        key = (row.commodity, row.region, row.year, t)
        com = inst.commodities[row.commodity]
        _near(row.weight, w[t], f"weight of {t}")
        _near(row.hours, time.hours[t], f"hours of {t}")
        demand = annual[(row.commodity, row.region, row.year)]["demand"]
        _near(row.demand, time.normalised(com.profile)[t] * w[t] * demand, f"demand of {key}")
        _near(row.production, slice_prod[key], f"slice production of {key}")
        _near(row.consumption, slice_use[key], f"slice consumption of {key}")
        _near(row.charge, charge[key], f"slice charge of {key}")
        supply = row.production + row.imports - row.exports + row.unserved
        need = row.demand + row.consumption + row.charge
        _at_most(need, supply, f"slice balance of {key}")
        _at_most(-row.unserved, 0.0, f"unserved {key}")
        _at_most(row.unserved, row.demand, f"unserved {key}")
        total = sums[(row.commodity, row.region, row.year)]
        for field in ("weight", "production", "consumption", "charge", "imports", "exports",
                      "unserved", "demand"):  # fmt: skip
            total[field] += getattr(row, field)
    for key, total in sums.items():
        _near(total["weight"], 1.0, f"slice weights of {key} sum to 1")
        row = annual[key]
        for field in ("production", "consumption", "imports", "exports", "unserved", "demand"):
            _near(total[field], float(row[field]), f"{field} of {key} over its slices")
        if "charge" in row:
            _near(total["charge"], float(row["charge"]), f"charge of {key} over its slices")


def _reserves(
    inst: Instance,
    tables: dict[str, pd.DataFrame],
    time: Slices,
    sliced: set[str],
    use: dict,
    slice_use: dict,
    capacity: dict,
    ys: np.ndarray,
) -> None:
    """Firm capacity >= (1 + m) pf Load / w_t per slice (or once a year), Load being the full
    demand plus use after flexibility, never storage charge (§13)."""
    annual = tables["commodities"].set_index(["commodity", "region", "year"])["demand"].to_dict()
    slices = tables.get("slices")
    if slices is not None:
        slices = slices.set_index(["commodity", "region", "year", "period", "slice"])
        slices = slices.to_dict("index")
    w = time.w
    for c, com in inst.commodities.items():
        if com.reserve is None:
            continue
        margin = series_array(com.reserve.margin, ys)
        peak = series_array(com.reserve.peak_factor, ys)
        producers = {name: k for name, k in inst.technologies.items() if k.output == c}
        phi = {
            name: regional_array(k.firm_capacity, inst.regions, ys, 0.0)
            for name, k in producers.items()
        }
        for j, y in enumerate(ys.tolist()):
            for i, region in enumerate(inst.regions):
                firm = sum(
                    phi[name][i, j] * capacity[(name, region, y)]
                    for name in producers
                    if (name, region, y) in capacity
                )
                demand = float(annual[(c, region, y)])
                if c not in sliced:
                    need = (1 + margin[j]) * peak[j] * (demand + use[(c, region, y)])
                    _at_most(need, firm, f"reserve of {c} {region} {y}")
                    continue
                for t in time.keys:
                    row = slices[(c, region, y, *t)]  # type: ignore[index]
                    load = float(row["demand"]) + slice_use[(c, region, y, t)]
                    need = (1 + margin[j]) * peak[j] * load / w[t]
                    _near(float(row["load"]), load, f"reserve load of {c} {region} {y} {t}")
                    _near(float(row["required_firm"]), need, f"required firm {c} {y} {t}")
                    _near(float(row["firm_capacity"]), firm, f"firm capacity {c} {y} {t}")
                    _at_most(need, firm, f"reserve of {c} {region} {y} {t}")


def check_scenario_balances(inst: Instance, r: Results) -> None:
    """A two-stage result (§17): every case's tables on their own, first-stage values equal in
    every case, and the objective (1 - ω) Σ p_s Z_s + ω (θ + Σ p_s (Z_s - θ)+ / (1 - α))."""
    sc = inst.scenarios
    assert sc is not None
    for case in sc.cases.values():
        for change in case.changes:
            field = change.path.split(".", 2)[-1]
            assert field not in READ_FROM_INSTANCE, f"the rebuild cannot follow {change.path}"
    cases = r.summary["scenarios"]["cases"]
    assert set(cases) == set(sc.cases)
    for name in sc.cases:
        tables = {
            t: table[table["scenario"] == name]
            .drop(columns=["scenario", "stage", "build_stage"], errors="ignore")
            .reset_index(drop=True)
            for t, table in r.tables.items()
        }
        check_tables(inst, tables, cases[name]["objective"], cases[name]["objective_horizon"])
    _first_stage(inst, r, sc.branch_year)
    p = {name: case.probability for name, case in sc.cases.items()}
    z = {name: cases[name]["objective"] for name in sc.cases}
    expected = sum(p[s] * z[s] for s in z)
    weight = sc.risk.weight if sc.risk is not None else 0.0
    alpha = sc.risk.alpha if sc.risk is not None else 0.9
    # CVaR is convex piecewise linear in θ with its kinks at the Z_s: the minimum is at one
    cvar = min(th + sum(p[s] * max(z[s] - th, 0.0) for s in z) / (1 - alpha) for th in z.values())
    _near(r.objective, (1 - weight) * expected + weight * cvar, "two-stage objective")
    horizon = sum(p[s] * cases[s]["objective_horizon"] for s in z)
    _near(r.summary["objective_horizon"], horizon, "two-stage objective_horizon")


def _first_stage(inst: Instance, r: Results, branch: int) -> None:
    """Builds decided before the branch year, and every value of the years before it, are the
    same in every case."""
    sched = r.schedule
    lead = sched["technology"].map({k: t.lead_time for k, t in inst.technologies.items()})
    decided = np.maximum(sched["year"] - lead, inst.years.start)  # τ(B) of §16
    assert ((decided < branch) == (sched["build_stage"] == "first")).all()
    first = sched[sched["build_stage"] == "first"]
    spread = first.groupby(["technology", "region", "year"])["build"].agg(["min", "max"])
    gap = (spread["max"] - spread["min"]).abs()
    assert (gap <= TOL * np.maximum(1.0, spread["max"].abs())).all(), "first-stage builds"
    for name, keys, fields in (
        ("schedule", ["technology", "region", "year"], ["build", "activity"]),
        ("commodities", ["commodity", "region", "year"], ["production", "unserved"]),
        ("dispatch", ["technology", "region", "year", "period", "slice"],
         ["activity", "charge", "state_of_charge", "use"]),
    ):  # fmt: skip
        table = r.tables.get(name)
        if table is None or not len(table):
            continue
        assert ((table["year"] < branch) == (table["stage"] == "first")).all()
        early = table[table["year"] < branch]
        for field in fields:
            spread = early.groupby(keys)[field].agg(["min", "max"]).dropna()
            gap = (spread["max"] - spread["min"]).abs()
            assert (gap <= TOL * np.maximum(1.0, spread["max"].abs())).all(), f"{name}.{field}"
