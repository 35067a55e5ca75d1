"""Rebuild every commodity balance, resource row, activity bound and the objective from the
result tables alone (plus the instance's coefficients), independently of the model code.

Instances with time slices are checked on their annual sums (storage charge and curtailed
flexible load taken from the tables), with end effects on every model year, and with
scenarios case by case (the objective as the probability-weighted sum of the cases)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from planner import Instance, Results
from planner.instance.series import regional_array

TOL = 1e-6


def _construction(builds: dict[int, float], lead: int, year: int) -> float:
    """CB in `year`: builds commissioned in b with b - L <= year <= b - 1, each over L years."""
    if lead == 0:
        return builds.get(year, 0.0)
    return sum(builds.get(b, 0.0) for b in range(year + 1, year + lead + 1)) / lead


def check_balances(inst: Instance, r: Results) -> None:
    """Assert that the tables satisfy MODEL.md §6 and add up to the objective."""
    if "scenario" not in r.schedule.columns:
        _check_tables(inst, r.tables, r.objective)
        return
    cases = r.summary["scenarios"]["cases"]
    for case, info in cases.items():
        tables = {
            name: table[table["scenario"] == case] if "scenario" in table.columns else table
            for name, table in r.tables.items()
        }
        _check_tables(inst, tables, info["objective"])
    expected = sum(info["probability"] * info["objective"] for info in cases.values())
    assert abs(expected - r.objective) <= 1e-6 * max(1.0, abs(r.objective))


def _check_tables(inst: Instance, tables: dict, objective: float) -> None:
    sched = tables["schedule"]
    use: dict[tuple[str, str, int], float] = defaultdict(float)
    production: dict[tuple[str, str, int], float] = defaultdict(float)
    years = range(inst.years.start, int(sched["year"].max()) + 1)  # end-effect years too
    ys = np.arange(inst.years.start, int(sched["year"].max()) + 1)
    for (tech, region), rows in sched.groupby(["technology", "region"], sort=False):
        k = inst.technologies[tech]
        rows = rows.set_index("year")
        builds = rows["build"].to_dict()
        for y in years:
            act = rows.at[y, "activity"]
            cap = rows.at[y, "capacity"]
            alive = sum(builds[b] for b in years if b <= y < b + k.lifetime)
            j = y - inst.years.start
            residual = regional_array(k.residual, [region], ys, 0.0)[0, j]
            a = regional_array(k.output_per_capacity, [region], ys, 0.0)[0, j]
            cb = _construction(builds, k.lead_time, y)
            production[(k.output, region, y)] += act
            for kind, value in (("per_activity", act), ("per_capacity", cap), ("per_build", cb)):
                for item, coef in getattr(k.inputs, kind).items():
                    use[(item, region, y)] += coef * value
            # capacity = residual + builds in service; activity within a * capacity
            assert abs(cap - residual - alive) <= TOL * max(1.0, cap)
            assert -TOL <= act <= a * cap + TOL * max(1.0, a * cap)
        for y in years:
            if y - k.lead_time < inst.years.start:
                assert abs(builds[y]) <= TOL, "a build before its lead time allows"
    # flexible load: consumption is use net of curtailment (shifts cancel over each period)
    dispatch = tables.get("dispatch")
    if dispatch is not None and not dispatch.empty:
        cut = dispatch.groupby(["technology", "region", "year"])["curtailed"].sum()
        for (tech, region, y), value in cut.items():
            flex = inst.technologies[tech].flexibility
            if flex is not None:
                use[(flex.commodity, region, y)] -= value
    for row in tables["commodities"].itertuples():
        key = (row.commodity, row.region, row.year)
        charge = getattr(row, "charge", 0.0)
        charge = 0.0 if np.isnan(charge) else charge
        assert abs(row.production - production[key]) <= TOL * max(1.0, abs(production[key]))
        assert abs(row.consumption - use[key]) <= TOL * max(1.0, abs(use[key]))
        supply = row.production + row.imports - row.exports + row.unserved
        need = row.demand + row.consumption + charge
        assert supply >= need - TOL * max(1.0, need)
        assert -TOL <= row.unserved <= row.demand + TOL
        assert row.price >= -TOL or np.isnan(row.price)
    for row in tables["resources"].itertuples():
        if row.scope == "global":
            total = sum(v for (p, _, y), v in use.items() if p == row.resource and y == row.year)
        else:
            total = use[(row.resource, row.region, row.year)]
        assert abs(row.use - total) <= TOL * max(1.0, abs(total))
        if not np.isnan(row.limit):
            assert row.use <= row.limit + TOL * max(1.0, row.limit)
        assert row.shadow_price >= -TOL
    budget = tables["budget"]
    for row in budget.itertuples():
        if not np.isnan(row.limit):
            assert row.spend <= row.limit + TOL * max(1.0, row.limit)
    # the cost table (fixed O&M on all capacity, residual included) adds up to the objective
    total_cost = tables["costs"]["discounted"].sum()
    assert abs(total_cost - objective) <= 1e-6 * max(1.0, abs(objective))
