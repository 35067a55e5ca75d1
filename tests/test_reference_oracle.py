"""Tests of the reference oracle (tests/reference.py) on hand-solvable instances, and of
the instance generator (scripts/gen_instance.py) against the oracle."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from reference import crf, reference_solve, series

_spec = importlib.util.spec_from_file_location(
    "gen_instance", Path(__file__).parents[1] / "scripts" / "gen_instance.py"
)
assert _spec is not None and _spec.loader is not None
gen_instance = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_instance)


def one_tech(
    years: tuple[int, int] = (2026, 2026), rate: float = 0.0, **tech: Any
) -> dict[str, Any]:
    """One region, one commodity `x`, one technology `t` producing it."""
    spec: dict[str, Any] = {
        "layer": "energy",
        "output": "x",
        "output_per_capacity": 1.0,
        "lifetime": 1,
    }
    spec.update(tech)
    return {
        "years": {"start": years[0], "end": years[1]},
        "discount_rate": rate,
        "commodities": {"x": {"layer": "energy", "unit": "u", "demand": 10}},
        "technologies": {"t": spec},
    }


def solve(instance: dict[str, Any]) -> float:
    """Objective of an instance that must solve to optimality."""
    status, objective = reference_solve(instance)
    assert status == "optimal"
    assert objective is not None
    return objective


def test_series_interpolation() -> None:
    # {2026: 10, 2030: 40}: 10, 17.5, 25, 32.5, 40; constant outside the listed years.
    assert list(series({2026: 10, 2030: 40}, list(range(2025, 2032)))) == [
        10,
        10,
        17.5,
        25,
        32.5,
        40,
        40,
    ]
    assert crf(0.0, 4) == 0.25
    assert crf(0.1, 2) == pytest.approx(0.1 / (1 - 1.1**-2))


def test_annuity_fixed_and_variable_costs() -> None:
    # Demand 10, a = 2 -> B[2026] = 5 covers both years (lifetime 2), rate 0 -> CRF 1/2.
    # Annuity 0.5 * 100 * 5 = 250 per year x 2 = 500; fixed 3 * 5 * 2 = 30;
    # variable 1 * 10 * 2 = 20. Total 550.
    inst = one_tech(
        (2026, 2027), output_per_capacity=2.0, capex=100, lifetime=2, fixed_om=3, variable_om=1
    )
    assert solve(inst) == pytest.approx(550.0)


def test_discounted_annuity_with_technology_rate() -> None:
    # rate 10 %, lifetime 2 inside the horizon, B = 5 at capex 100 (overnight 500).
    # CRF = 0.1 / (1 - 1.1^-2) = 0.576190; annuities are paid in the build year and the
    # next (df 1 and 1/1.1): 500 * CRF * (1 + 1/1.1) = 500 * 1.1 = 550 (an annuity
    # formula paying from the first year is worth one year of interest more).
    inst = one_tech((2026, 2027), rate=0.1, output_per_capacity=2.0, capex=100, lifetime=2)
    assert solve(inst) == pytest.approx(550.0)
    # A technology rate of 0 changes the CRF to 1/2, still discounted at 10 %:
    # 250 + 250 / 1.1 = 477.2727...
    inst["technologies"]["t"]["discount_rate"] = 0.0
    assert solve(inst) == pytest.approx(250 + 250 / 1.1)


def test_annuities_after_the_horizon_carry_no_cost() -> None:
    # lifetime 4, rate 0 -> CRF 1/4; B = 10 at capex 100 -> 250 per year, 2 years = 500.
    inst = one_tech((2026, 2027), capex=100, lifetime=4)
    assert solve(inst) == pytest.approx(500.0)


def test_residual_fixed_cost_is_a_constant() -> None:
    # Residual 10 covers demand; fixed_om 2 on it: 2 * 10 = 20, although nothing is built.
    inst = one_tech(capex=100, fixed_om=2, residual=10)
    assert solve(inst) == pytest.approx(20.0)


def test_lead_time_and_unmet_demand() -> None:
    # Lead time 1: B[2026] does not exist, so 2026's demand of 10 goes unserved at 1000
    # -> 10000. B[2027] = 5 (a = 2, lifetime 2) serves 2027 and 2028: CRF 1/2 * 100 * 5
    # = 250 per year, twice = 500. Total 10500.
    inst = one_tech((2026, 2028), output_per_capacity=2.0, capex=100, lifetime=2, lead_time=1)
    inst["commodities"]["x"]["unmet_cost"] = 1000
    assert solve(inst) == pytest.approx(10500.0)


def test_per_build_inputs_spread_over_construction_years() -> None:
    # Lead time 2: a build commissioned in 2028 is under construction in 2026 and 2027,
    # using 1/2 * 1 * B electricians each year. Limit 3 per year -> B[2028] <= 6.
    # Demand 10 in 2028 only (soft, 1000): 4 unserved -> 4000; annuity (rate 0,
    # lifetime 1, CRF 1) 1 * 6 = 6. Total 4006.
    inst = one_tech((2026, 2028), capex=1, lead_time=2, inputs={"per_build": {"electricians": 1.0}})
    inst["commodities"]["x"].update({"demand": {2027: 0, 2028: 10}, "unmet_cost": 1000})
    inst["resources"] = {"electricians": {"unit": "k", "limit": 3}}
    assert solve(inst) == pytest.approx(4006.0)
    # With a budget per year of 2 (spend = capex * B / L = B / 2 per year): B <= 4 ->
    # 6 unserved: 6000 + 4 = 6004.
    inst["budget"] = {"per_year": 2}
    assert solve(inst) == pytest.approx(6004.0)


def test_per_capacity_input_of_residual_and_commodity_chain() -> None:
    # Residual 10 of t needs 0.5 y per unit of capacity: 5 units of y every year, made
    # by s at variable cost 3 -> 15, plus s's own build (capex 0). One year.
    inst = one_tech(residual=10, inputs={"per_capacity": {"y": 0.5}})
    inst["commodities"]["y"] = {"layer": "energy", "unit": "u"}
    inst["technologies"]["s"] = {
        "layer": "energy",
        "output": "y",
        "output_per_capacity": 1.0,
        "lifetime": 1,
        "variable_om": 3,
    }
    assert solve(inst) == pytest.approx(15.0)


def test_link_with_loss_and_cost() -> None:
    # Demand 9 in b, the technology only exists in a. The link a -> b loses 10 %: it
    # must carry F = 10, so X = 10. Cost: variable 1 * 10 + link 2 * 10 = 30.
    inst = one_tech(regions=["a"], variable_om=1)
    inst["regions"] = ["a", "b"]
    inst["commodities"]["x"]["demand"] = {"b": 9}  # a is unlisted: demand 0 there
    inst["links"] = {"ab": {"commodity": "x", "from": "a", "to": "b", "loss": 0.1, "cost": 2}}
    assert solve(inst) == pytest.approx(30.0)
    # Declared the other way it only works when bidirectional.
    inst["links"] = {"ba": {"commodity": "x", "from": "b", "to": "a", "loss": 0.1, "cost": 2}}
    assert reference_solve(inst)[0] == "infeasible"
    inst["links"]["ba"]["bidirectional"] = True
    assert solve(inst) == pytest.approx(30.0)
    # A capacity of 5 per direction leaves b short: infeasible (hard demand).
    inst["links"]["ba"]["capacity"] = 5
    assert reference_solve(inst)[0] == "infeasible"


def test_build_growth() -> None:
    # Demand 2, 4, 10 (soft at 100), capex 1, lifetime 1, rate 0. Growth 50 % plus
    # headroom 1: B28 = 10 needs B27 >= 6 and B26 >= 10/3, cheaper than unserved
    # demand: 10/3 + 6 + 10 = 19.333...
    inst = one_tech((2026, 2028), capex=1, build_growth={"rate": 0.5, "headroom": 1})
    inst["commodities"]["x"].update({"demand": {2026: 2, 2027: 4, 2028: 10}, "unmet_cost": 100})
    assert solve(inst) == pytest.approx(10 / 3 + 6 + 10)
    # Lead time 1: B26 is fixed to 0, so B27 <= headroom 1 and B28 <= 2.5 (2026 unserved
    # 200, 2027 3 * 100, 2028 7.5 * 100; builds 3.5) -> 1253.5.
    inst["technologies"]["t"]["lead_time"] = 1
    assert solve(inst) == pytest.approx(200 + 300 + 750 + 3.5)


def test_resource_scopes() -> None:
    # Two regions with demand 4 each (soft at 10), 1 unit of p per unit of output.
    inst = one_tech(inputs={"per_activity": {"p": 1.0}})
    inst["regions"] = ["a", "b"]
    inst["commodities"]["x"].update({"demand": 4, "unmet_cost": 10})
    # Global limit 6: 2 unserved -> 20.
    inst["resources"] = {"p": {"unit": "k", "scope": "global", "limit": 6}}
    assert solve(inst) == pytest.approx(20.0)
    # Regional plain limit 3: the limit holds in each region -> 2 unserved -> 20.
    inst["resources"] = {"p": {"unit": "k", "limit": 3}}
    assert solve(inst) == pytest.approx(20.0)
    # Regional map: b unlisted has no limit -> 1 unserved in a -> 10.
    inst["resources"] = {"p": {"unit": "k", "limit": {"a": 3}}}
    assert solve(inst) == pytest.approx(10.0)
    # No limit key: no constraint.
    inst["resources"] = {"p": {"unit": "k"}}
    assert solve(inst) == pytest.approx(0.0)


def test_unit_size_milp() -> None:
    # Demand 10, units of 4 -> 3 units = 12 at capex 1 (CRF 1): 12, against 10 as an LP.
    inst = one_tech(capex=1, unit_size=4)
    assert solve(inst) == pytest.approx(12.0)


def test_infeasible_cases() -> None:
    # max_capacity below residual (MODEL.md 9.11).
    assert reference_solve(one_tech(residual=10, max_capacity=5))[0] == "infeasible"
    # Hard demand with a max_activity below it.
    assert reference_solve(one_tech(max_activity=5)) == ("infeasible", None)


TINY = {
    "name": "tiny",
    "years": {"start": 2026, "end": 2030},
    "discount_rate": 0.05,
    "regions": ["world"],
    "commodities": {
        "electricity": {"layer": "energy", "unit": "TWh"},
        "hosting": {"layer": "infrastructure", "unit": "GW-IT"},
        "compute": {"layer": "chips", "unit": "EFLOP/s-year"},
        "serving": {"layer": "models", "unit": "Ptokens"},
        "tokens": {
            "layer": "applications",
            "unit": "Ptokens",
            "demand": {2026: 10, 2030: 40},
            "unmet_cost": 1000,
        },
    },
    "resources": {
        "electricians": {"unit": "thousand worker-years", "limit": 5},
        "packaging": {
            "unit": "thousand wafers",
            "scope": "global",
            "limit": {2026: 100, 2030: 200},
        },
    },
    "technologies": {
        "solar": {
            "layer": "energy",
            "output": "electricity",
            "output_per_capacity": 2.2,
            "capex": 1000,
            "lifetime": 30,
            "lead_time": 1,
            "inputs": {"per_build": {"electricians": 0.5}},
        },
        "gpu": {
            "layer": "chips",
            "output": "compute",
            "output_per_capacity": 1.0,
            "capex": 30,
            "lifetime": 5,
            "inputs": {
                "per_capacity": {"hosting": 0.0014},
                "per_activity": {"electricity": 0.012},
                "per_build": {"packaging": 0.03},
            },
        },
        "datacenter": {
            "layer": "infrastructure",
            "output": "hosting",
            "output_per_capacity": 1.0,
            "capex": 10000,
            "lifetime": 20,
            "lead_time": 2,
            "residual": {2026: 1.0, 2030: 0.5},
            "inputs": {"per_activity": {"electricity": 2.6}, "per_build": {"electricians": 1.2}},
        },
        "frontier_model": {
            "layer": "models",
            "output": "serving",
            "output_per_capacity": 1.0,
            "capex": 5,
            "lifetime": 2,
            "inputs": {"per_build": {"compute": 0.5}},
        },
        "assistant": {
            "layer": "applications",
            "output": "tokens",
            "output_per_capacity": 1.0,
            "capex": 0,
            "lifetime": 1,
            "inputs": {"per_activity": {"serving": 1.0, "compute": 0.2}},
        },
    },
    "budget": {"total": 50000},
    "links": {},
}


def test_model_md_tiny_instance() -> None:
    # Solar has a 1-year lead time and there is no residual electricity, so in 2026 the
    # residual datacenter cannot run, GPUs (which need hosting) cannot exist and the
    # 10 Ptokens of 2026 go unserved: 10 * 1000 = 10000 (df = 1). From 2027 the stack is
    # built; serving 17.5..40 Ptokens costs a few hundred (GPU and model annuities, a
    # little solar), far below the 1000 per Ptoken penalty. The oracle gives 10661.73.
    assert solve(TINY) == pytest.approx(10661.725457614848, rel=1e-6)
    assert solve(TINY) > 10000


@pytest.mark.parametrize(
    ("size", "seed"), [((1, 3, 1), 0), ((2, 5, 2), 0), ((2, 5, 2), 1), ((3, 6, 2), 2)]
)
def test_generated_instances_are_optimal(size: tuple[int, int, int], seed: int) -> None:
    instance = gen_instance.generate(*size, seed=seed)
    lp_objective = solve(instance)
    assert lp_objective > 0
    regions, years, techs = size
    columns = gen_instance.expected_columns(instance)
    # X for every tech, region and year; B for most years; plus U and F.
    assert 5 * techs * years <= columns <= 5 * techs * regions * years * 3 + 20 * regions * years
    milp = gen_instance.generate(*size, seed=seed, milp=True)
    assert any("unit_size" in t for t in milp["technologies"].values())
    assert gen_instance.expected_columns(milp) > columns
    # Same data plus unit sizes: the MILP costs at least the LP (up to the 1e-4 gap).
    assert solve(milp) >= lp_objective * (1 - 1e-6)


def test_generator_is_seeded_and_lp_only_without_milp() -> None:
    a, b = gen_instance.generate(3, 4, 3, seed=5), gen_instance.generate(3, 4, 3, seed=5)
    assert a == b
    assert gen_instance.generate(3, 4, 3, seed=6) != a
    assert not any("unit_size" in t for t in a["technologies"].values())
