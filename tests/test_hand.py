"""Tiny instances solved by hand; the arithmetic is in the comments."""

from __future__ import annotations

import copy

import pytest

from planner import SolveOptions, solve, validate_instance


def one(tech: dict, demand: object = 10, years: tuple[int, int] = (2026, 2028), **extra) -> dict:
    """One commodity `power`, one technology `plant` producing it."""
    inst = {
        "name": "hand",
        "years": {"start": years[0], "end": years[1]},
        "commodities": {"power": {"unit": "GWh", "demand": demand}},
        "technologies": {
            "plant": {"layer": "energy", "output": "power", "output_per_capacity": 1.0, **tech}
        },
    }
    for key, value in extra.items():
        inst[key] = value
    return inst


def run(inst: dict, **options):
    return solve(validate_instance(copy.deepcopy(inst)), SolveOptions(**options))


def test_lead_time_and_annuity_end_effect():
    # demand 0 in 2026, 10 in 2027-2028; lead time 1 so builds can start arriving in 2027.
    # rate 0: CRF = 1/10. Build 10 in 2027; annuity 100*10/10 = 100 in 2027 and 2028,
    # nothing after the horizon: objective 200.
    r = run(one({"capex": 100, "lifetime": 10, "lead_time": 1}, {2026: 0, 2027: 10}))
    assert r.status == "optimal"
    assert r.objective == pytest.approx(200)
    builds = r.schedule.set_index("year")["build"]
    assert builds[2027] == pytest.approx(10)
    # spending is spread over the construction year before commissioning: 1000 in 2026
    spend = r.budget.set_index("scope").loc["year"].set_index("year")["spend"]
    assert spend[2026] == pytest.approx(1000)


def test_lead_time_makes_early_hard_demand_infeasible():
    # demand 10 already in 2026, but nothing built can arrive before 2027: infeasible,
    # and the diagnosis names the demand and the lead time.
    r = run(one({"capex": 100, "lifetime": 10, "lead_time": 1}, 10))
    assert r.status == "infeasible"
    cause = " ".join(r.summary["cause"])
    assert "hard demand for power in 2026" in cause
    assert "lead time 1" in cause


def test_discount_and_technology_rate():
    # instance rate 10 %: df(2027) = 1/1.1, df(2028) = 1/1.21.
    # technology rate 5 %, life 10: CRF = 0.05 / (1 - 1.05^-10) = 0.1295045750.
    # objective = 10 * 100 * CRF * (1/1.1 + 1/1.21) = 1000 * 0.1295045750 * 1.7355371901
    inst = one(
        {"capex": 100, "lifetime": 10, "lead_time": 1, "discount_rate": 0.05},
        {2026: 0, 2027: 10},
        discount_rate=0.1,
    )
    r = run(inst)
    crf = 0.05 / (1 - 1.05**-10)
    assert r.objective == pytest.approx(1000 * crf * (1 / 1.1 + 1 / 1.21), rel=1e-9)


def test_lifetime_rebuild_and_fixed_om():
    # life 2, rate 0 -> CRF 1/2; demand 5 in 2026-2028; residual 2, so builds supply 3.
    # Build 3 in 2026 (in service 2026-27) and 3 in 2028 (2029 lies beyond the horizon).
    # annuity: 3*10/2 = 15 in each of 3 years = 45; fixed O&M 1 on all capacity
    # (residual included): 5*1*3 = 15. Objective 60.
    r = run(one({"capex": 10, "lifetime": 2, "fixed_om": 1, "residual": 2}, 5))
    assert r.objective == pytest.approx(60)
    builds = r.schedule.set_index("year")["build"]
    assert builds.to_dict() == pytest.approx({2026: 3, 2027: 0, 2028: 3})


def test_global_resource_binds_with_shadow_price():
    # two regions, demand 10 each; cheap plant (vom 1) uses 1 packaging per unit,
    # expensive plant (vom 5) uses none. Global packaging limit 12: 12 cheap + 8 expensive.
    # objective (one year) = 12*1 + 8*5 = 52; one more packaging unit saves 5 - 1 = 4.
    inst = {
        "years": {"start": 2030, "end": 2030},
        "regions": ["a", "b"],
        "commodities": {"power": {"demand": 10}},
        "resources": {"packaging": {"scope": "global", "limit": 12}},
        "technologies": {
            "cheap": {
                "layer": "chips",
                "output": "power",
                "output_per_capacity": 1,
                "lifetime": 1,
                "variable_om": 1,
                "inputs": {"per_activity": {"packaging": 1}},
            },
            "dear": {
                "layer": "chips",
                "output": "power",
                "output_per_capacity": 1,
                "lifetime": 1,
                "variable_om": 5,
            },
        },
    }
    r = run(inst)
    assert r.objective == pytest.approx(52)
    res = r.resources.iloc[0]
    assert (res["region"], res["use"], res["shadow_price"]) == (
        "global",
        pytest.approx(12),
        pytest.approx(4),
    )
    # the same limit as a regional resource holds in each region separately (§9.6): all cheap
    inst["resources"]["packaging"]["scope"] = "regional"
    assert run(inst).objective == pytest.approx(20)


def test_link_loss_and_cost():
    # only region a can produce (vom 1); b needs 9; link a->b loses 10 % and costs 0.5 per
    # unit sent: send 10, deliver 9. objective = 10*1 + 10*0.5 = 15.
    # price in b = (1 + 0.5) / 0.9 = 1.6667; price in a = 1.
    inst = {
        "years": {"start": 2030, "end": 2030},
        "regions": ["a", "b"],
        "commodities": {"power": {"demand": {"b": 9}}},
        "technologies": {
            "plant": {
                "layer": "energy",
                "output": "power",
                "output_per_capacity": 1,
                "lifetime": 1,
                "variable_om": 1,
                "regions": ["a"],
            }
        },
        "links": {"ab": {"commodity": "power", "from": "a", "to": "b", "loss": 0.1, "cost": 0.5}},
    }
    r = run(inst)
    assert r.objective == pytest.approx(15)
    price = r.commodities.set_index("region")["price"]
    assert price["b"] == pytest.approx(1.5 / 0.9)
    assert price["a"] == pytest.approx(1.0)
    assert r.flows["sent"].iloc[0] == pytest.approx(10)


def test_binding_budget_total():
    # capex 100 per unit, life 1, rate 0: serving a unit costs 100; unserved costs 200.
    # budget.total 500 buys 5 units: objective 5*100 + 5*200 = 1500.
    # one more unit of budget buys 0.01 unit, saving 0.01*(200-100) = 1: shadow price 1.
    inst = one(
        {"capex": 100, "lifetime": 1},
        years=(2030, 2030),
        budget={"total": 500},
    )
    inst["commodities"]["power"]["unmet_cost"] = 200
    r = run(inst)
    assert r.objective == pytest.approx(1500)
    total = r.budget.set_index("scope").loc["total"]
    assert total["spend"] == pytest.approx(500)
    assert total["shadow_price"] == pytest.approx(1)
    assert r.commodities["unserved"].iloc[0] == pytest.approx(5)


def test_build_growth():
    # demand 1 in 2026, 5 in 2027-2028; life 10, rate 0: each unit costs 1 per year alive,
    # so b1 (2026) costs 3 per unit and b2 (2027) 2. Growth: b2 <= 1.5 b1 + 1.
    # min 3 b1 + 2 b2, b1 + b2 >= 5, b1 >= 1  ->  b1 = 1.6, b2 = 3.4: 4.8 + 6.8 = 11.6
    # (without the growth limit: b1 = 1, b2 = 4, objective 11).
    tech = {"capex": 10, "lifetime": 10, "build_growth": {"rate": 0.5, "headroom": 1}}
    r = run(one(tech, {2026: 1, 2027: 5}))
    assert r.objective == pytest.approx(11.6)
    del tech["build_growth"]
    assert run(one(tech, {2026: 1, 2027: 5})).objective == pytest.approx(11)


def test_build_growth_after_lead_time_uses_headroom_only():
    # lead time 1: B[2026] is fixed to 0, so B[2027] <= 0*(1+g) + headroom = 2 (§9.5);
    # demand 4 from 2027 with 1000 per unserved unit: build 2 in 2027, 2 in 2028 (<= 1.5*2+2),
    # capex 1 life 10 rate 0 -> 0.1 per unit-year: 2*0.2 + 2*0.1 = 0.6 plus 2*1000 unserved.
    inst = one(
        {"capex": 1, "lifetime": 10, "lead_time": 1, "build_growth": {"rate": 0.5, "headroom": 2}},
        {2026: 0, 2027: 4},
    )
    inst["commodities"]["power"]["unmet_cost"] = 1000
    r = run(inst)
    assert r.objective == pytest.approx(2000.6)


def test_unit_size_milp_and_fixed_lp_duals():
    # demand 10, units of 4: 3 units = 12 capacity. capex 10, life 1, rate 0: objective 120
    # (the LP relaxation would give 100).
    r = run(one({"capex": 10, "lifetime": 1, "unit_size": 4}, 10, years=(2030, 2030)))
    assert r.status == "optimal"
    assert r.objective == pytest.approx(120)
    assert r.schedule["build"].iloc[0] == pytest.approx(12)
    assert r.summary["integer_columns"] == 1
    # duals come from the LP with N fixed: extra demand is free up to 12
    assert r.commodities["price"].iloc[0] == pytest.approx(0)


def test_max_capacity_below_residual_warns():
    inst = validate_instance(one({"lifetime": 5, "residual": 3, "max_capacity": 2}, 1))
    assert any("max_capacity 2 is below residual capacity 3" in w for w in inst.warnings)
    assert solve(inst).status == "infeasible"
