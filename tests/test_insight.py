"""Bottlenecks, marginal costs and infeasibility diagnosis on instances solved by hand."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from planner import SolveOptions, solve, validate_instance
from planner.results.insight import bottlenecks, explain_lines, marginal_costs
from planner.results.io import ResultsDirError, load_results, write_results

ROOT = Path(__file__).resolve().parents[1]


def run(inst: dict):
    return solve(validate_instance(copy.deepcopy(inst)), SolveOptions())


# Crews limit the build-out. Years 2026-2027, discount rate 0.1: df(2026) = 1, df(2027) = 1/1.1.
# power demand 10 each year (hard). `old`: residual 20, variable cost 5, cannot be built
# (capex 1000). `new`: capex 0, variable cost 1, lifetime 10, lead time 0, one crew per unit
# built; crews limited to 4 per year; land (limit 100 per unit of capacity) never binds.
# Optimum: build 4 `new` each year (crews bind): new output 4 then 8, old 6 then 2.
# Power price: `old` is at the margin both years -> 5 per unit in that year's money.
# Value of one more crew in 2026: one more unit of `new` from 2026 on, which replaces `old`
# output at a saving of 5 - 1 = 4 in 2026 and 4 in 2027: discounted 4 + 4/1.1 = 7.6364,
# in 2026 money (df 1) 7.6364. In 2027: saves 4 in 2027 money -> shadow price 4.
# Rent (shadow price x limit): 2026 7.6364 x 4 = 30.545; 2027 4 x 4 = 16.
CREWS = {
    "name": "crews",
    "years": {"start": 2026, "end": 2027},
    "discount_rate": 0.1,
    "commodities": {"power": {"layer": "energy", "unit": "GWh", "demand": 10}},
    "resources": {
        "crews": {"unit": "crew-years", "limit": 4},
        "land": {"unit": "km2", "limit": 100},
    },
    "technologies": {
        "old": {
            "layer": "energy",
            "output": "power",
            "output_per_capacity": 1.0,
            "capex": 1000,
            "variable_om": 5,
            "lifetime": 30,
            "residual": 20,
        },
        "new": {
            "layer": "energy",
            "output": "power",
            "output_per_capacity": 1.0,
            "capex": 0,
            "variable_om": 1,
            "lifetime": 10,
            "capacity_unit": "GW",
            "inputs": {"per_build": {"crews": 1.0}, "per_capacity": {"land": 1.0}},
        },
    },
}


def test_bottleneck_names_the_binding_resource_with_its_shadow_price():
    r = run(CREWS)
    assert r.status == "optimal"
    table = r.bottlenecks()
    # exactly the crews limit, each year; nothing else (land is slack, demand is a balance)
    assert list(zip(table["year"], table["constraint"], table["name"], strict=True)) == [
        (2026, "resource_limit", "crews"),
        (2027, "resource_limit", "crews"),
    ]
    assert table["shadow_price"].tolist() == pytest.approx([4 + 4 / 1.1, 4.0], rel=1e-6)
    assert table["rent"].tolist() == pytest.approx([4 * (4 + 4 / 1.1), 16.0], rel=1e-6)
    assert (table["unit"] == "cost units per crew-years").all()
    assert (
        table["text"][0]
        == "crews (world) limit binding, worth 7.636 cost units per extra crew-years"
    )
    assert (table["rank"] == 1).all()


def test_marginal_costs_in_that_years_money():
    r = run(CREWS)
    prices = marginal_costs(r)
    # `old` is the marginal producer both years: 5 per GWh in each year's money
    assert prices["commodity"].tolist() == ["power", "power"]
    assert prices["price"].tolist() == pytest.approx([5.0, 5.0], rel=1e-6)
    assert prices["layer"].iloc[0] == "energy"


def test_round_trip_through_a_results_directory(tmp_path):
    r = run(CREWS)
    write_results(r, tmp_path / "out")
    back = load_results(tmp_path / "out")
    assert back.status == "optimal"
    assert back.objective == pytest.approx(r.objective)
    assert back.bottlenecks()[["year", "name", "shadow_price"]].values.tolist() == (
        r.bottlenecks()[["year", "name", "shadow_price"]].values.tolist()
    )
    with pytest.raises(ResultsDirError):
        load_results(tmp_path)


# A lead time blocks the cheap technology in the first year. Years 2026-2027, rate 0 (df 1).
# power demand 10 each year, unserved at 20 per unit. `old`: residual 6, variable cost 5.
# `new`: capex 2, lifetime 2 (CRF 1/2: annuity 1 per unit per year), variable cost 1, lead
# time 1, so B[new, 2026] is fixed to 0; it has residual 1 in 2026 only.
# 2026: new 1 + old 6, 3 unserved -> power price 20; activity-bound value of `new` capacity
#   20 - 1 = 19 per unit.
# 2027: build 10 `new` (annuity 1 + variable 1 = 2 < 5) -> price 2, capacity value 2 - 1 = 1.
# One more unit of `new` commissioned in 2026 (were it allowed): serves 2026 and 2027 at a
# capacity value of 19 + 1 and pays the annuity 1 in both years: 20 - 2 = 18 saved.
BLOCKED = {
    "name": "blocked",
    "years": {"start": 2026, "end": 2027},
    "commodities": {"power": {"layer": "energy", "unit": "GWh", "demand": 10, "unmet_cost": 20}},
    "technologies": {
        "old": {
            "layer": "energy",
            "output": "power",
            "output_per_capacity": 1.0,
            "variable_om": 5,
            "lifetime": 30,
            "residual": 6,
            "capex": 1000,
        },
        "new": {
            "layer": "energy",
            "output": "power",
            "output_per_capacity": 1.0,
            "capex": 2,
            "variable_om": 1,
            "lifetime": 2,
            "lead_time": 1,
            "residual": {2026: 1, 2027: 0},
            "capacity_unit": "GW",
        },
    },
}


def test_lead_time_blocked_build_is_a_bottleneck():
    r = run(BLOCKED)
    assert r.status == "optimal"
    table = bottlenecks(r)
    assert table[["year", "constraint", "name"]].values.tolist() == [[2026, "lead_time", "new"]]
    assert table["shadow_price"].iloc[0] == pytest.approx(18.0, rel=1e-6)
    assert "cannot be commissioned before 2027" in table["text"].iloc[0]


# Infeasible: hard demand 10 in 2026, the only technology needs one crew per unit built and
# crews are limited to 4. The conflict is the crews limit against the power balance.
INFEASIBLE = copy.deepcopy(CREWS)
INFEASIBLE["technologies"].pop("old")
INFEASIBLE["years"] = {"start": 2026, "end": 2026}


def test_infeasible_instance_names_the_conflicting_limits():
    r = run(INFEASIBLE)
    assert r.status == "infeasible"
    # HiGHS's IIS: the power balance, the crews limit, and the activity bound linking them
    assert r.summary["diagnosis"] == "iis"
    causes = r.summary["cause"]
    assert any("hard demand for power in 2026" in c for c in causes)
    assert any("resource crews (region world) limit in 2026 is too low" in c for c in causes)
    assert sum(c.startswith("conflicting limit") for c in causes) == 2
    text = "\n".join(explain_lines(r))
    assert "raise resources.crews.limit for 2026" in text


def test_infeasible_falls_back_to_elastic_relaxation(monkeypatch):
    import planner.solver.diagnose

    monkeypatch.setattr(planner.solver.diagnose, "iis_causes", lambda *args: None)
    r = run(INFEASIBLE)
    assert r.summary["diagnosis"] == "elastic"
    # the elastic relaxation names one limit that must give way, by how much: 10 - 4 = 6
    assert len(r.summary["cause"]) == 1
    assert "short by 6" in r.summary["cause"][0]


def test_explain_lines_for_the_tiny_instance():
    from planner import load_instance

    r = solve(load_instance(ROOT / "instances" / "tiny.yaml"))
    lines = explain_lines(r)
    # tiny: solar's one-year lead time keeps electricity out of reach in 2026
    assert lines[0].startswith("2026: solar (world) cannot be commissioned before 2027")
