"""Tests of the reference oracle (tests/reference.py) on hand-solvable instances, and of
the instance generator (scripts/gen_instance.py) against the oracle."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from reference import Data, crf, horizon, reference_details, reference_solve, series

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


# ---------------------------------------------------------------------------------------
# MODEL.md 11-17. Unless said otherwise: one year, rate 0, one period `day` occurring 365
# times with slices `day` and `night` of 12 h each, so H = 8760 and w = 0.5 per slice.
# Technologies have a = 1 and lifetime 1 (CRF 1, so capex is paid once per unit).


def day_night(demand: float = 10.0, profile: list[float] | None = None) -> dict[str, Any]:
    """A slice commodity `x` with flat (or shaped) demand and no technologies yet."""
    x: dict[str, Any] = {"layer": "energy", "unit": "u", "balance": "slice", "demand": demand}
    profiles: dict[str, Any] = {"sun": {"day": [1.0, 0.0]}}
    if profile is not None:
        profiles["shape"] = {"day": profile}
        x["profile"] = "shape"
    return {
        "years": {"start": 2026, "end": 2026},
        "time": {
            "periods": {"day": {"weight": 365, "slices": {"day": 12, "night": 12}}},
            "profiles": profiles,
        },
        "commodities": {"x": x},
        "technologies": {},
    }


def plant(capex: float, **extra: Any) -> dict[str, Any]:
    """A technology producing `x` with a = 1 and lifetime 1."""
    spec = {"layer": "energy", "output": "x", "output_per_capacity": 1.0, "lifetime": 1}
    spec["capex"] = capex
    spec.update(extra)
    return spec


def test_two_slices_with_a_solar_availability_profile() -> None:
    # Demand 10 shaped [3, 1]: sum w v = 0.5 * 3 + 0.5 * 1 = 2, normalised [1.5, 0.5], so
    # day 1.5 * 0.5 * 10 = 7.5 and night 2.5. Gas (capex 30, vom 4) must cover the night:
    # 2.5 <= 0.5 Cap -> Cap 5 -> 150, running 2.5 at night -> 10. Solar (capex 1, only by
    # day) costs 2 per unit of day energy, gas 4 (its capacity already there): solar
    # covers the day, 7.5 <= 0.5 Cap -> 15. Total 150 + 10 + 15 = 175.
    inst = day_night(profile=[3.0, 1.0])
    inst["technologies"] = {
        "solar": plant(1, availability="sun"),
        "gas": plant(30, variable_om=4),
    }
    result = reference_details(inst)
    assert result["objective"] == pytest.approx(175.0)
    assert result["values"][("X", "solar", "world", 2026, "day", "day")] == pytest.approx(7.5)
    assert result["values"][("X", "gas", "world", 2026, "day", "night")] == pytest.approx(2.5)
    # Without the availability, solar serves both slices: Cap 15 covers 7.5 by day -> 15.
    del inst["technologies"]["solar"]["availability"]
    assert solve(inst) == pytest.approx(15.0)


def test_use_profile_and_unserved_demand_per_slice() -> None:
    # x: demand 4 flat (2 per slice, unmet cost 100, so U_t <= 2). A GPU fleet (annual
    # output, compute demand 10, 1 x per unit) spreads its use by use_profile [3, 1],
    # normalised [1.5, 0.5]: 7.5 by day, 2.5 by night. Gas (capex 1, max_capacity 16)
    # gives at most 8 per slice: day 2 + 7.5 = 9.5 leaves 1.5 unserved (150); Cap 16.
    # Total 166.
    inst = flexible_instance()
    inst["commodities"]["x"].update(demand=4, unmet_cost=100)
    inst["time"]["profiles"]["office"] = {"day": [3.0, 1.0]}
    inst["technologies"]["gpu"]["use_profile"] = "office"
    inst["technologies"] = {"gas": plant(1, max_capacity=16), "gpu": inst["technologies"]["gpu"]}
    result = reference_details(inst)
    assert result["objective"] == pytest.approx(166.0)
    assert result["values"][("U", "x", "world", 2026, "day", "day")] == pytest.approx(1.5)
    # Flat use (5 and 5): day 7 fits: Cap 14 -> 14.
    del inst["technologies"]["gpu"]["use_profile"]
    assert solve(inst) == pytest.approx(14.0)
    # With the profile and max_capacity 14, the day lacks 9.5 - 7 = 2.5 > 2: infeasible.
    inst["technologies"]["gpu"]["use_profile"] = "office"
    inst["technologies"]["gas"]["max_capacity"] = 14
    assert reference_solve(inst)[0] == "infeasible"


def test_slice_technology_spreads_capacity_use_by_weight() -> None:
    # Heat h by slice, demand 10 flat (5 per slice): a heat pump (slice technology, capex
    # 0) needs Cap 10 (5 <= 0.5 Cap). It uses 0.5 x per unit of output and 1 x per unit
    # of capacity, the latter spread by w_t: 2.5 + 0.5 * 10 = 7.5 x in each slice. Gas
    # (capex 1): 7.5 <= 0.5 Cap -> 15. A use_profile on a slice technology is ignored.
    inst = day_night(demand=0.0)
    inst["commodities"]["h"] = {"layer": "energy", "unit": "u", "balance": "slice", "demand": 10}
    inst["time"]["profiles"]["office"] = {"day": [3.0, 1.0]}
    pump = plant(0, output="h", use_profile="office")
    pump["inputs"] = {"per_activity": {"x": 0.5}, "per_capacity": {"x": 1.0}}
    inst["technologies"] = {"gas": plant(1), "pump": pump}
    assert solve(inst) == pytest.approx(15.0)


def test_slice_link_capacity_is_a_yearly_amount_spread_by_weight() -> None:
    # Demand in b only, shaped [3, 1]: day 7.5, night 2.5. The link a -> b (capacity 4 a
    # year, cost 1) carries at most 0.5 * 4 = 2 per slice. Cheap `here` (capex 1) exists
    # in a, dear `there` (capex 10) in b. Day: import 2, local 5.5 <= 0.5 Cap -> Cap 11
    # (110), which also covers the night (no import then: the link costs 1, local output
    # is free). a exports 2 by day: Cap 4 (4). Link 2. Total 116.
    inst = day_night(demand=0.0, profile=[3.0, 1.0])
    inst["regions"] = ["a", "b"]
    inst["commodities"]["x"]["demand"] = {"b": 10}
    inst["technologies"] = {"here": plant(1, regions=["a"]), "there": plant(10, regions=["b"])}
    inst["links"] = {"ab": {"commodity": "x", "from": "a", "to": "b", "capacity": 4, "cost": 1}}
    result = reference_details(inst)
    assert result["objective"] == pytest.approx(116.0)
    assert result["values"][("F", "ab", "a", "b", 2026, "day", "day")] == pytest.approx(2.0)
    assert result["values"][("F", "ab", "a", "b", 2026, "day", "night")] == pytest.approx(0.0)


def test_storage_shifts_energy_with_efficiencies() -> None:
    # Flat demand: 5 by day, 5 by night; solar only by day (capex 1); a battery (capex 2,
    # duration 8 h, eta_c 0.9, eta_d 0.8) serves the night: X_night = 5, so it must be
    # charged Q_day = 5 / (0.9 * 0.8) = 6.9444 by day. Per occurrence of the period the
    # state swings by 0.9 * 6.9444 / 365 = 6.25 / 365; the energy capacity
    # (8 / 8760) * 1 * Cap must hold it: Cap >= 6.25 * 24 / 8 = 18.75, above what the
    # charge (Q <= 0.5 Cap: 13.89) and discharge (10) need -> 2 * 18.75 = 37.5.
    # Solar makes 5 + 6.9444 = 11.9444 by day: 11.9444 <= 0.5 Cap -> Cap 23.8889.
    # Total 61.3889.
    inst = day_night()
    storage = {"duration": 8, "efficiency_charge": 0.9, "efficiency_discharge": 0.8}
    inst["technologies"] = {
        "solar": plant(1, availability="sun"),
        "battery": plant(2, storage=storage),
    }
    result = reference_details(inst)
    solar = 2 * (5 + 5 / 0.72)
    assert result["objective"] == pytest.approx(37.5 + solar)
    values = result["values"]
    assert values[("Q", "battery", "world", 2026, "day", "day")] == pytest.approx(5 / 0.72)
    assert values[("X", "battery", "world", 2026, "day", "night")] == pytest.approx(5.0)
    assert values[("B", "battery", "world", 2026)] == pytest.approx(18.75)
    # A longer duration (24 h): the charge bound binds, 0.5 Cap >= 6.9444 -> Cap 13.8889.
    storage["duration"] = 24
    assert solve(inst) == pytest.approx(2 * 2 * 5 / 0.72 + solar)


def test_binding_reserve_margin_per_slice_with_peak_factor() -> None:
    # Demand shaped [1.5, 0.5] (as above): day 7.5, night 2.5. Base (capex 10, firm 0.5)
    # must make 7.5 by day: Cap 15 -> 150. Reserve: firm >= 1.2 * 1.25 * 7.5 / 0.5 = 22.5
    # by day (night 7.5). Base gives 0.5 * 15 = 7.5; firm from a peaker (capex 3, firm 1)
    # costs 3 per unit against 20 from base: peaker Cap 15 -> 45. Total 195.
    inst = day_night(profile=[3.0, 1.0])
    inst["commodities"]["x"]["reserve"] = {"margin": 0.2, "peak_factor": 1.25}
    inst["technologies"] = {
        "base": plant(10, firm_capacity=0.5),
        "peaker": plant(3, firm_capacity=1.0, variable_om=50),
    }
    result = reference_details(inst)
    assert result["objective"] == pytest.approx(195.0)
    assert result["values"][("B", "peaker", "world", 2026)] == pytest.approx(15.0)
    # Without the reserve only base is built: 150.
    del inst["commodities"]["x"]["reserve"]
    assert solve(inst) == pytest.approx(150.0)


def test_reserve_margin_on_an_annual_commodity_counts_use() -> None:
    # Annual x: demand 10 plus the use of a consumer (per_activity 0.5 of x for a demand
    # of 4 of y) = 12. Base (capex 10, firm 0.5) makes 12 -> 120; reserve 1.25 * 12 = 15
    # of firm: base gives 6, the peaker (capex 3, firm 1) 9 -> 27. Total 147.
    inst = one_tech(capex=10, firm_capacity=0.5)
    inst["commodities"]["x"]["reserve"] = {"margin": 0.25}
    inst["technologies"]["peaker"] = plant(3, firm_capacity=1.0, variable_om=50)
    inst["commodities"]["y"] = {"layer": "chips", "unit": "u", "demand": 4}
    inst["technologies"]["user"] = {
        "layer": "chips",
        "output": "y",
        "output_per_capacity": 1.0,
        "lifetime": 1,
        "inputs": {"per_activity": {"x": 0.5}},
    }
    assert solve(inst) == pytest.approx(147.0)


def flexible_instance(**flex: Any) -> dict[str, Any]:
    """Electricity `x` by slice (no demand) for a GPU fleet with hard compute demand 10
    using 1 x per unit: its use spreads flat, 5 by day and 5 by night."""
    inst = day_night(demand=0.0)
    inst["commodities"]["compute"] = {"layer": "chips", "unit": "u", "demand": 10}
    gpu = {"layer": "chips", "output": "compute", "output_per_capacity": 1.0, "lifetime": 1}
    gpu["inputs"] = {"per_activity": {"x": 1.0}}
    if flex:
        gpu["flexibility"] = {"commodity": "x", **flex}
    inst["technologies"] = {
        "solar": plant(1, availability="sun"),
        "gas": plant(30, variable_om=4),
        "gpu": gpu,
    }
    return inst


def test_flexible_load_shifts_and_curtails() -> None:
    # Without flexibility: gas for the night, 5 <= 0.5 Cap -> 300, running 5 -> 20; solar
    # by day, Cap 10 -> 10. Total 330.
    assert solve(flexible_instance()) == pytest.approx(330.0)
    # Shift 0.2: 1 unit moves from night to day (SD_night = SU_day = 0.2 * 5). Curtail 0.1
    # (0.5 per slice) but the yearly cap 0.03 * 10 = 0.3 binds, at night, cost 1 each.
    # Night 5 - 1 - 0.3 = 3.7: gas Cap 7.4 -> 222, running 3.7 -> 14.8; day 6: solar 12.
    # Total 222 + 14.8 + 12 + 0.3 = 249.1 (a unit of night use costs 64 > 1 curtailed).
    inst = flexible_instance(shift=0.2, curtail=0.1, curtail_max=0.03, curtail_cost=1.0)
    result = reference_details(inst)
    assert result["objective"] == pytest.approx(249.1)
    night = ("world", 2026, "day", "night")
    assert result["values"][("SD", "gpu", *night)] == pytest.approx(1.0)
    assert result["values"][("CU", "gpu", *night)] == pytest.approx(0.3)
    # A looser yearly cap (0.05 -> 0.5): the per-slice bound 0.5 binds instead:
    # night 3.5 -> gas 210 + 14, solar 12, curtailment 0.5: 236.5.
    inst["technologies"]["gpu"]["flexibility"]["curtail_max"] = 0.05
    assert solve(inst) == pytest.approx(236.5)


def test_flexibility_with_shift_and_curtail_zero_changes_nothing() -> None:
    flex = flexible_instance(shift=0.0, curtail=0.0, curtail_max=0.5, curtail_cost=1.0)
    assert solve(flex) == pytest.approx(solve(flexible_instance()))


def test_minimum_build_capacity_and_activity() -> None:
    # Two years, demand 10, cheap t (capex 1) and dear s (capex 5, no variable cost).
    # Nothing forced: 10 + 10 = 20.
    inst = one_tech((2026, 2027), capex=1)
    inst["technologies"]["s"] = plant(5)
    assert solve(inst) == pytest.approx(20.0)
    # min_build of s 4 in 2026 only: 20 + t 6 in 2026, 10 in 2027 -> 36.
    inst["technologies"]["s"]["min_build"] = {"world": {2026: 4, 2027: 0}}
    assert solve(inst) == pytest.approx(36.0)
    # min_capacity 3 of s every year instead: (15 + 7) * 2 = 44.
    del inst["technologies"]["s"]["min_build"]
    inst["technologies"]["s"]["min_capacity"] = 3
    assert solve(inst) == pytest.approx(44.0)
    # min_activity 4 of s: it needs Cap 4 -> (20 + 6) * 2 = 52.
    del inst["technologies"]["s"]["min_capacity"]
    inst["technologies"]["s"]["min_activity"] = 4
    assert solve(inst) == pytest.approx(52.0)
    # min_activity above a max_capacity: infeasible.
    inst["technologies"]["s"]["max_capacity"] = 3
    assert reference_solve(inst)[0] == "infeasible"
    # A min_build in a year the lead time rules out (B[2026] is fixed to 0): infeasible.
    del inst["technologies"]["s"]["max_capacity"], inst["technologies"]["s"]["min_activity"]
    inst["technologies"]["s"].update(lead_time=1, min_build={2026: 1, 2027: 0})
    assert reference_solve(inst)[0] == "infeasible"
    # In 2027 it is fine: t 10 in 2026 (10), s 1 (5) and t 9 in 2027: 24.
    inst["technologies"]["s"]["min_build"] = {2026: 0, 2027: 1}
    assert solve(inst) == pytest.approx(24.0)


def test_min_activity_of_a_slice_technology_bounds_the_annual_sum() -> None:
    # Flat demand 5 + 5. s (capex 5) runs by day only: its annual sum >= 4 needs 4 by day,
    # 4 <= 0.5 Cap -> Cap 8 -> 40. t (capex 1) covers night 5 -> Cap 10 -> 10. Total 50.
    inst = day_night()
    inst["technologies"] = {"t": plant(1), "s": plant(5, availability="sun", min_activity=4)}
    result = reference_details(inst)
    assert result["objective"] == pytest.approx(50.0)
    assert result["values"][("X", "s", "world", 2026, "day", "day")] == pytest.approx(4.0)


def test_end_effects_objective_and_objective_horizon() -> None:
    # Rate 10 %, lifetime 4, capex 100, demand 10: B[2026] = 10, annuity
    # 1000 * CRF(0.1, 4) per year. Horizon 2026-2027: two annuities (no end effects);
    # extend 2 years: four, discounted on (df continues), the horizon part unchanged.
    inst = one_tech((2026, 2027), rate=0.1, capex=100, lifetime=4)
    annuity = 1000 * crf(0.1, 4)
    plain = reference_details(inst)
    assert plain["objective"] == pytest.approx(annuity * (1 + 1 / 1.1))
    assert plain["objective_horizon"] == pytest.approx(plain["objective"])
    inst["end_effects"] = {"extend_years": 2}
    ext = reference_details(inst)
    assert ext["objective"] == pytest.approx(annuity * sum(1.1**-i for i in range(4)))
    assert ext["objective"] == pytest.approx(1100.0)  # 1000 paid up front, grown by 10 %
    assert ext["objective_horizon"] == pytest.approx(plain["objective"])
    inst["end_effects"] = {"extend_years": 0}
    assert reference_details(inst)["objective"] == pytest.approx(plain["objective"])


def test_end_effects_budget_total_counts_construction_before_the_horizon_end() -> None:
    # 2026-2027 extended by 1 year, demand 10 (unmet 1000), t with lead time 1, capex 100.
    # budget.total 1500 covers spending in 2026 (B[2027]) and 2027 (B[2028], commissioned
    # in the extension year but built in 2027): B27 + B28 <= 15, so B27 = 10 and B28 = 5.
    # 2026 unserved 10000; 2027 annuity 1000; 2028 annuity 500 + 5 unserved 5000.
    inst = one_tech((2026, 2027), capex=100, lead_time=1)
    inst["commodities"]["x"]["unmet_cost"] = 1000
    inst["end_effects"] = {"extend_years": 1}
    inst["budget"] = {"total": 1500}
    result = reference_details(inst)
    assert result["objective"] == pytest.approx(16500.0)
    assert result["objective_horizon"] == pytest.approx(11000.0)
    # per_year applies in the extension years too: extended by 2, per_year 800 caps each
    # of B27, B28 and B29 (built in 2028) at 8: 10000 + 3 * (800 + 2 * 1000) = 18400.
    inst["end_effects"] = {"extend_years": 2}
    inst["budget"] = {"per_year": 800}
    result = reference_details(inst)
    assert result["objective"] == pytest.approx(18400.0)
    assert result["objective_horizon"] == pytest.approx(12800.0)


def lead_time_choice() -> dict[str, Any]:
    """Demand 10 in 2026 and 2027; g (capex 10) now, or t (capex 1) one year later."""
    inst = one_tech((2026, 2027), capex=10)
    inst["technologies"]["t"]["layer"] = "energy"
    inst["technologies"]["late"] = plant(1, lead_time=1)
    return inst


def test_myopic_windows_differ_from_perfect_foresight() -> None:
    # Perfect foresight: g 10 in 2026 (100), late 10 in 2027 (10): 110.
    inst = lead_time_choice()
    assert solve(inst) == pytest.approx(110.0)
    # Window 1, step 1: window 1 (2026) cannot see B_late[2027] (decided in 2026), so
    # window 2 fixes it at 0 and builds g again in 2027: windows 100 and 200 (the second
    # includes the fixed 2026 build).
    inst["foresight"] = {"mode": "myopic", "window": 1, "step": 1}
    result = reference_details(inst)
    assert result["windows"] == pytest.approx([100.0, 200.0])
    assert result["objective"] == pytest.approx(200.0)
    assert result["values"][("B", "late", "world", 2027)] == pytest.approx(0.0)
    # A window covering the horizon is perfect foresight.
    inst["foresight"] = {"mode": "myopic", "window": 2, "step": 1}
    assert reference_details(inst)["windows"] == pytest.approx([110.0])


def test_myopic_window_fixes_earlier_decisions() -> None:
    # Demand 10, 10, 20 over 2026-2028; g (capex 6, lifetime 3, CRF 1/3) or t (capex 3,
    # lifetime 1). Perfect foresight: g 10 in 2026 serves three years for 60 (cheaper
    # than t three times, 90), and 10 more of g in 2028 is paid one annuity, 20, versus
    # 30 with t: 60 + 20 = 80.
    inst = one_tech((2026, 2028), capex=3)
    inst["commodities"]["x"]["demand"] = {2026: 10, 2027: 10, 2028: 20}
    inst["technologies"]["g"] = plant(6, lifetime=3)
    assert solve(inst) == pytest.approx(80.0)
    # Window 1 (2026 alone): g is paid 2 per unit and year, t 3: g 10 (20). Window 2 keeps
    # it (40 on 2026-2027), window 3 adds g 10 in 2028: 60 + 20 = 80, all three 20/40/80.
    inst["foresight"] = {"mode": "myopic", "window": 1, "step": 1}
    result = reference_details(inst)
    assert result["windows"] == pytest.approx([20.0, 40.0, 80.0])
    # Window 2, step 2: window 1 is 2026-2027 (40), window 2 the whole horizon (80).
    inst["foresight"] = {"mode": "myopic", "window": 2, "step": 2}
    assert reference_details(inst)["windows"] == pytest.approx([40.0, 80.0])


def hedge(boom: float = 2.0, bust: float = 0.5, **risk: float) -> dict[str, Any]:
    """Demand 10 in 2026; in 2027 x boom (p 0.3) or x bust (p 0.7) (a year map: factor 1
    in 2026, so that year is the same in both cases). `late` (capex 4) must
    be decided in 2026 (lead time 1, first stage with branch_year 2027); g (capex 10) is
    the recourse."""
    inst = one_tech((2026, 2027), capex=10)
    inst["technologies"]["late"] = plant(4, lead_time=1)
    path = "commodities.x.demand"
    inst["scenarios"] = {
        "branch_year": 2027,
        "cases": {
            "boom": {
                "probability": 0.3,
                "changes": [{"path": path, "multiply": {2026: 1, 2027: boom}}],
            },
            "bust": {
                "probability": 0.7,
                "changes": [{"path": path, "multiply": {2026: 1, 2027: bust}}],
            },
        },
    }
    if risk:
        inst["scenarios"]["risk"] = risk
    return inst


def test_two_stage_hedge_and_evpi() -> None:
    # 2026: g 10 -> 100 in every case. 2027 demand 20 (boom) or 5 (bust), built late b:
    # cost 4b + 0.3 * 10 (20 - b)+ + 0.7 * 10 (5 - b)+, falling to b = 5 (slope -6), then
    # rising (slope 4 - 3 = 1): b = 5 -> 20 + 0.3 * 150 = 65. Objective 165;
    # Z_boom = 100 + 20 + 150 = 270, Z_bust = 120. Wait and see: boom alone builds late 20
    # (180), bust late 5 (120): WS = 0.3 * 180 + 0.7 * 120 = 138, EVPI = 27.
    result = reference_details(hedge(), evpi=True)
    assert result["objective"] == pytest.approx(165.0)
    assert result["cases"] == pytest.approx({"boom": 270.0, "bust": 120.0})
    assert result["ws"] == pytest.approx(138.0)
    assert result["evpi"] == pytest.approx(27.0)
    assert result["evpi"] >= 0
    b = ("B", "late", "world", 2027)
    assert result["case_values"]["boom"][b] == result["case_values"]["bust"][b]
    assert result["case_values"]["boom"][b] == pytest.approx(5.0)


def test_two_stage_cvar() -> None:
    # Weight 0 is the expected cost.
    assert solve(hedge(alpha=0.9, weight=0.0)) == pytest.approx(165.0)
    # Weight 1, alpha 0.5: the worst half is boom (0.3) and 0.2 of bust; for 5 <= b <= 20
    # CVaR = (0.3 (300 - 6b) + 0.2 (100 + 4b)) / 0.5 = 220 - 2b, lowest where the cases
    # cost the same, b = 20: Z = 180 in both cases, CVaR 180.
    result = reference_details(hedge(alpha=0.5, weight=1.0), evpi=True)
    assert result["objective"] == pytest.approx(180.0)
    assert result["cases"] == pytest.approx({"boom": 180.0, "bust": 180.0})
    # Expected cost 0.3 * 180 + 0.7 * 180; WS as before (138) but no EVPI with risk.
    assert result["objective_horizon"] == pytest.approx(180.0)
    assert result["ws"] == pytest.approx(138.0)
    assert "evpi" not in result


def test_identical_cases_equal_the_deterministic_model() -> None:
    # No change in either case: late 10 in 2027 (40) and g 10 in 2026 (100): 140.
    inst = hedge(boom=1.0, bust=1.0)
    assert solve(inst) == pytest.approx(140.0)
    del inst["scenarios"]
    assert solve(inst) == pytest.approx(140.0)


def test_first_stage_variable_missing_in_a_case_is_fixed_to_zero() -> None:
    # Demand 10 in 2026 (unmet cost 1); case `none` sets 2026's demand to 0, so it has no
    # U[2026] and the shared first-stage U is fixed to 0: the other case must build g
    # (capex 10) in 2026, and that shared build is paid in both cases: 100 (instead of
    # 0.5 * 10 = 5 with U[2026] = 10 in case `same`).
    inst = one_tech((2026, 2026), capex=10)
    inst["commodities"]["x"]["unmet_cost"] = 1
    change = {"path": "commodities.x.demand", "set": 0}
    inst["scenarios"] = {
        "branch_year": 2027,
        "cases": {"same": {"probability": 0.5}, "none": {"probability": 0.5, "changes": [change]}},
    }
    assert solve(inst) == pytest.approx(100.0)


def test_scenario_changes_act_on_evaluated_values() -> None:
    # demand {2026: 10, 2028: 20} x {2026: 1, 2028: 1.6}: 2027 is 15 x 1.3 = 19.5.
    inst = one_tech((2026, 2028))
    inst["commodities"]["x"]["demand"] = {2026: 10, 2028: 20}
    changes = [{"path": "commodities.x.demand", "multiply": {2026: 1, 2028: 1.6}}]
    data = Data(inst, horizon(inst), changes)
    assert list(data.regional(("commodities", "x", "demand"), 0.0)["world"]) == pytest.approx(
        [10, 19.5, 32]
    )
    # `add` then `multiply` apply in order; "no limit" stays no limit.
    changes = [
        {"path": "technologies.t.capex", "add": 2},
        {"path": "technologies.t.capex", "multiply": 3},
        {"path": "technologies.t.max_build", "multiply": 2},
        {"path": "budget.total", "set": 7},
    ]
    data = Data(inst, horizon(inst), changes)
    assert list(data.regional(("technologies", "t", "capex"), 0.0)["world"]) == [6, 6, 6]
    assert data.regional(("technologies", "t", "max_build"), None)["world"] is None
    assert data.number(("budget", "total")) == 7


# ---------------------------------------------------------------------------------------
# Invariances of MODEL.md 11-17 on generated instances.

FEATURES: dict[str, dict[str, Any]] = {
    "slices": {"slices": (2, 3)},
    "storage": {"slices": (1, 4), "storage": True},
    "reserve": {"reserve": True},
    "reserve_sliced": {"slices": (2, 2), "reserve": True},
    "flexibility": {"slices": (2, 3), "flexibility": True},
    "min_limits": {"min_limits": True},
    "extend_years": {"extend_years": 3},
    "scenarios": {"scenarios": 3},
    "risk": {"scenarios": 2, "risk": 0.5},
    "all": {
        "slices": (2, 3),
        "storage": True,
        "reserve": True,
        "flexibility": True,
        "min_limits": True,
        "extend_years": 2,
        "scenarios": 2,
        "risk": 0.3,
    },
}


@pytest.mark.parametrize("feature", sorted(FEATURES))
@pytest.mark.parametrize(("size", "seed"), [((1, 3, 1), 0), ((2, 4, 2), 1), ((3, 5, 2), 2)])
def test_generated_feature_instances_are_optimal(
    feature: str, size: tuple[int, int, int], seed: int
) -> None:
    instance = gen_instance.generate(*size, seed=seed, **FEATURES[feature])
    result = reference_details(instance)
    assert result["status"] == "optimal"
    assert result["objective"] > 0
    assert result["columns"] == gen_instance.expected_columns(instance)
    if "scenarios" in instance:
        assert sum(c["probability"] for c in instance["scenarios"]["cases"].values()) == (
            pytest.approx(1.0, abs=1e-9)
        )
        assert set(result["cases"]) == set(instance["scenarios"]["cases"])


def test_generated_feature_milp_is_optimal() -> None:
    instance = gen_instance.generate(2, 4, 2, seed=3, milp=True, **FEATURES["all"])
    assert reference_details(instance)["status"] == "optimal"


def test_generator_features_keep_the_base_instance() -> None:
    # The options draw from their own random stream: the resources, links and budget of the
    # plain instance are untouched, and the features show up where documented.
    plain = gen_instance.generate(3, 4, 2, seed=4)
    rich = gen_instance.generate(3, 4, 2, seed=4, **FEATURES["all"])
    for key in ("years", "regions", "resources", "links", "budget"):
        assert rich[key] == plain[key]
    assert rich["name"].startswith(plain["name"]) and rich["name"] != plain["name"]
    assert rich["commodities"]["electricity"]["balance"] == "slice"
    assert len(rich["time"]["periods"]) == 2
    assert "energy_storage" in rich["technologies"]
    assert "energy_firm" in rich["technologies"]
    assert any("flexibility" in t for t in rich["technologies"].values())
    assert "min_build" in rich["technologies"]["energy_0"]
    assert rich["end_effects"] == {"extend_years": 2}
    assert rich["scenarios"]["risk"]["weight"] == 0.3


def test_generator_cli_writes_a_feature_instance(tmp_path: Path) -> None:
    out = tmp_path / "inst.yaml"
    args = ["--regions", "2", "--years", "3", "--techs", "2", "--seed", "1", "--slices", "2", "2"]
    args += ["--storage", "--reserve", "--scenarios", "2", "-o", str(out)]
    assert gen_instance.main(args) == 0
    instance = yaml.safe_load(out.read_text())
    assert len(instance["scenarios"]["cases"]) == 2
    assert reference_details(instance)["status"] == "optimal"


def without_time_features(seed: int) -> dict[str, Any]:
    """A generated instance with electricity by slice but no `time` block."""
    return gen_instance.generate(2, 4, 2, seed=seed, storage=True, flexibility=True, reserve=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_no_time_equals_one_explicit_slice(seed: int) -> None:
    # Without `time`: one period `year` (weight 1) with one slice `all` of 8760 h. One
    # day of 24 h occurring 365 times is the same single slice (w = 1).
    instance = without_time_features(seed)
    implicit = solve(instance)
    instance["time"] = {"periods": {"d": {"weight": 365, "slices": {"all": 24}}}}
    assert solve(instance) == pytest.approx(implicit, rel=1e-9)
    # A slice commodity without time is its annual balance (no storage, no flexibility).
    plain = gen_instance.generate(2, 4, 2, seed=seed, reserve=True)
    annual = solve(plain)
    plain["commodities"]["electricity"]["balance"] = "slice"
    assert solve(plain) == pytest.approx(annual, rel=1e-9)


def split_periods(instance: dict[str, Any]) -> dict[str, Any]:
    """Each period replaced by two identical copies with half its weight."""
    out = copy.deepcopy(instance)
    periods = out["time"]["periods"]
    out["time"]["periods"] = {
        f"{p}{half}": {"weight": spec["weight"] / 2, "slices": spec["slices"]}
        for p, spec in periods.items()
        for half in ("a", "b")
    }
    out["time"]["profiles"] = {
        name: {f"{p}{half}": vals for p, vals in prof.items() for half in ("a", "b")}
        for name, prof in out["time"]["profiles"].items()
    }
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_splitting_a_period_in_two_halves_changes_nothing(seed: int) -> None:
    instance = gen_instance.generate(2, 4, 2, seed=seed, **FEATURES["all"])
    assert solve(split_periods(instance)) == pytest.approx(solve(instance), rel=1e-7)


def test_zero_reserve_margin_with_ample_firm_capacity_changes_nothing() -> None:
    # One region (no imports): every technology counts its full output rate a as firm and
    # X_t <= alpha a w_t Cap with alpha <= 1, so production covering the load already
    # meets a margin 0, peak factor 1 reserve.
    instance = gen_instance.generate(1, 4, 2, seed=2, slices=(2, 3), storage=True, reserve=True)
    reference = copy.deepcopy(instance)
    del reference["commodities"]["electricity"]["reserve"]
    instance["commodities"]["electricity"]["reserve"] = {"margin": 0.0}
    for tech in instance["technologies"].values():
        tech["firm_capacity"] = tech["output_per_capacity"]
    assert solve(instance) == pytest.approx(solve(reference), rel=1e-9)
    # A real margin then costs something.
    instance["commodities"]["electricity"]["reserve"] = {"margin": 0.5, "peak_factor": 1.2}
    assert solve(instance) > solve(reference) * (1 + 1e-6)


def test_zero_shift_and_curtail_change_nothing_on_a_generated_instance() -> None:
    instance = gen_instance.generate(2, 4, 2, seed=5, slices=(2, 3), flexibility=True)
    base = copy.deepcopy(instance)
    for tech in base["technologies"].values():
        tech.pop("flexibility", None)
    flexible = solve(instance)
    assert flexible <= solve(base) * (1 + 1e-9)
    for tech in instance["technologies"].values():
        if "flexibility" in tech:
            tech["flexibility"].update(shift=0.0, curtail=0.0)
    assert solve(instance) == pytest.approx(solve(base), rel=1e-9)


def test_extend_years_zero_equals_no_block() -> None:
    instance = gen_instance.generate(2, 4, 2, seed=6, slices=(1, 3), reserve=True)
    plain = solve(instance)
    instance["end_effects"] = {"extend_years": 0}
    assert solve(instance) == pytest.approx(plain, rel=1e-12)


def test_myopic_on_a_generated_instance() -> None:
    # A window covering the horizon is perfect foresight; shorter windows give a solution
    # that is feasible for the whole model, so they cost at least as much.
    instance = gen_instance.generate(2, 5, 2, seed=1, slices=(1, 3), storage=True)
    perfect = solve(instance)
    instance["foresight"] = {"mode": "myopic", "window": 5, "step": 2}
    result = reference_details(instance)
    assert result["windows"] == pytest.approx([perfect], rel=1e-9)
    instance["foresight"] = {"mode": "myopic", "window": 3, "step": 2}
    result = reference_details(instance)
    assert result["status"] == "optimal"
    assert len(result["windows"]) == 2
    assert result["objective"] >= perfect * (1 - 1e-9)


def test_scenarios_on_a_generated_instance() -> None:
    # Cases without changes are the deterministic model; with changes, EVPI >= 0 and the
    # expected cost is the probability-weighted sum of the Z_s.
    instance = gen_instance.generate(2, 4, 2, seed=2, slices=(2, 2), scenarios=3)
    deterministic = copy.deepcopy(instance)
    del deterministic["scenarios"]
    same = copy.deepcopy(instance)
    for case in same["scenarios"]["cases"].values():
        case["changes"] = []
    assert solve(same) == pytest.approx(solve(deterministic), rel=1e-9)
    result = reference_details(instance, evpi=True)
    cases = instance["scenarios"]["cases"]
    expected = sum(cases[name]["probability"] * z for name, z in result["cases"].items())
    assert result["objective"] == pytest.approx(expected, rel=1e-9)
    assert result["evpi"] >= -1e-6 * abs(result["objective"])
    assert result["objective_horizon"] <= result["objective"] * (1 + 1e-9)
