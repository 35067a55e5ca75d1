"""Hand-solved instances of MODEL.md §11-§17 for the planner: objectives, the dispatch, slice
and commodity tables, capacity prices, end-effect and foresight summaries, and the two-stage
figures (Z_s, WS, EVPI, CVaR). The arithmetic is in the comments.

The instance builders are those of tests/test_reference_oracle.py (the same hand instances
solved by the reference), plus a few instances of their own.

Unless said otherwise: one year, rate 0, one period `day` occurring 365 times with slices `day`
and `night` of 12 h each (H = 8760, w = 0.5 per slice), technologies with a = 1 and lifetime 1
(CRF 1, so capex is paid once per unit and year).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from balances import check_balances
from test_reference_oracle import (
    day_night,
    flexible_instance,
    hedge,
    lead_time_choice,
    one_tech,
    plant,
)
from typer.testing import CliRunner

from planner import Results, load_instance, solve, validate_instance
from planner.cli import app


def run(instance: dict[str, Any], evpi: bool = False, balances: bool = True) -> Results:
    """Solve with the planner; the result must be optimal (and balance, §6 and §11-§15)."""
    inst = validate_instance(copy.deepcopy(instance))
    r = solve(inst, evpi=evpi)
    assert r.status == "optimal", r.summary.get("cause")
    if balances:
        check_balances(inst, r)
    return r


def objective(instance: dict[str, Any]) -> float:
    r = run(instance, balances=False)
    assert r.objective is not None
    return r.objective


def row(table: pd.DataFrame, **where: Any) -> pd.Series:
    """The one row of `table` matching every column = value."""
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column] == value
    rows = table[mask]
    assert len(rows) == 1, f"{len(rows)} rows match {where}"
    return rows.iloc[0]


# --- §11 time slices -----------------------------------------------------------------------


def test_two_slices_with_a_solar_availability_profile() -> None:
    # Demand 10 shaped [3, 1]: sum w v = 2, normalised [1.5, 0.5]: day 7.5, night 2.5. Gas
    # (capex 30, vom 4) covers the night: 2.5 <= 0.5 Cap -> Cap 5 -> 150, running 2.5 -> 10.
    # Solar (capex 1, by day only) costs 2 per unit of day energy: 7.5 <= 0.5 Cap -> 15.
    # Total 175.
    inst = day_night(profile=[3.0, 1.0])
    inst["technologies"] = {"solar": plant(1, availability="sun"), "gas": plant(30, variable_om=4)}
    r = run(inst)
    assert r.objective == pytest.approx(175.0)
    assert row(r.slices, slice="day")["demand"] == pytest.approx(7.5)
    assert row(r.slices, slice="night")["demand"] == pytest.approx(2.5)
    assert row(r.dispatch, technology="solar", slice="day")["activity"] == pytest.approx(7.5)
    assert row(r.dispatch, technology="gas", slice="night")["activity"] == pytest.approx(2.5)
    # Prices: a unit more by day is 2 of solar capex (1 / w); by night gas capacity 30 / 0.5
    # plus its vom 4 = 64. The annual price is the flat load's: 0.5 * 2 + 0.5 * 64 = 33.
    assert row(r.slices, slice="day")["price"] == pytest.approx(2.0)
    assert row(r.slices, slice="night")["price"] == pytest.approx(64.0)
    assert row(r.commodities, commodity="x")["price"] == pytest.approx(33.0)
    # Without the availability, solar serves both slices: Cap 15 covers 7.5 by day -> 15.
    del inst["technologies"]["solar"]["availability"]
    assert objective(inst) == pytest.approx(15.0)


def test_use_profile_and_unserved_demand_per_slice() -> None:
    # x: demand 4 flat (2 per slice, unmet cost 100, so U_t <= 2). The GPU fleet (compute
    # demand 10, 1 x per unit) spreads its use by use_profile [3, 1] -> [1.5, 0.5]: 7.5 by
    # day, 2.5 by night. Gas (capex 1, max_capacity 16) gives at most 8 per slice: the day
    # needs 2 + 7.5 = 9.5, so 1.5 goes unserved (150); Cap 16 -> 16. Total 166.
    inst = flexible_instance()
    inst["commodities"]["x"].update(demand=4, unmet_cost=100)
    inst["time"]["profiles"]["office"] = {"day": [3.0, 1.0]}
    inst["technologies"]["gpu"]["use_profile"] = "office"
    inst["technologies"] = {"gas": plant(1, max_capacity=16), "gpu": inst["technologies"]["gpu"]}
    r = run(inst)
    assert r.objective == pytest.approx(166.0)
    day = row(r.slices, slice="day")
    assert (day["consumption"], day["unserved"]) == pytest.approx((7.5, 1.5))
    assert row(r.slices, slice="night")["consumption"] == pytest.approx(2.5)
    # Flat use (5 and 5): the day needs 7 -> Cap 14 -> 14.
    del inst["technologies"]["gpu"]["use_profile"]
    assert objective(inst) == pytest.approx(14.0)
    # With the profile and max_capacity 14 the day lacks 9.5 - 7 = 2.5 > 2: infeasible.
    inst["technologies"]["gpu"]["use_profile"] = "office"
    inst["technologies"]["gas"]["max_capacity"] = 14
    assert solve(validate_instance(inst)).status == "infeasible"


def test_slice_technology_spreads_its_capacity_use_by_weight() -> None:
    # Heat by slice, demand 10 flat (5 per slice): a heat pump (capex 0) needs Cap 10. It uses
    # 0.5 x per unit of output and 1 x per unit of capacity spread by w_t: 2.5 + 5 = 7.5 in
    # each slice. Gas (capex 1): 7.5 <= 0.5 Cap -> 15. Its use_profile is ignored (a warning).
    inst = day_night(demand=0.0)
    inst["commodities"]["h"] = {"layer": "energy", "unit": "u", "balance": "slice", "demand": 10}
    inst["time"]["profiles"]["office"] = {"day": [3.0, 1.0]}
    pump = plant(0, output="h", use_profile="office")
    pump["inputs"] = {"per_activity": {"x": 0.5}, "per_capacity": {"x": 1.0}}
    inst["technologies"] = {"gas": plant(1), "pump": pump}
    r = run(inst)
    assert r.objective == pytest.approx(15.0)
    x = r.slices[r.slices["commodity"] == "x"]
    assert x["consumption"].tolist() == pytest.approx([7.5, 7.5])
    assert any("use_profile: ignored" in w for w in r.summary["warnings"])


def test_slice_link_capacity_is_a_yearly_amount_spread_by_weight() -> None:
    # Demand in b only, shaped [3, 1]: day 7.5, night 2.5. The link a -> b (capacity 4 a year,
    # cost 1) carries at most 0.5 * 4 = 2 per slice. Cheap `here` (capex 1) is in a, dear
    # `there` (capex 10) in b. Day: import 2, local 5.5 <= 0.5 Cap -> Cap 11 (110), which
    # covers the night too. a exports 2 by day: Cap 4 (4). Link 2. Total 116.
    inst = day_night(demand=0.0, profile=[3.0, 1.0])
    inst["regions"] = ["a", "b"]
    inst["commodities"]["x"]["demand"] = {"b": 10}
    inst["technologies"] = {"here": plant(1, regions=["a"]), "there": plant(10, regions=["b"])}
    inst["links"] = {"ab": {"commodity": "x", "from": "a", "to": "b", "capacity": 4, "cost": 1}}
    r = run(inst)
    assert r.objective == pytest.approx(116.0)
    b = r.slices[r.slices["region"] == "b"].set_index("slice")
    assert b["imports"].to_dict() == pytest.approx({"day": 2.0, "night": 0.0})
    assert row(r.flows, link="ab")["sent"] == pytest.approx(2.0)


def test_slice_technology_annual_activity_meets_annual_limits_and_inputs() -> None:
    # Flat demand 10 (5 per slice). Gas (capex 1) burns 1 fuel (an annual commodity made by a
    # well at vom 2) per unit and may run 8 a year (max_activity bounds the sum of its
    # slices); `dear` (capex 10) covers the rest. A unit of gas per slice costs 1 / 0.5 + 2 =
    # 4 against dear's 20: gas runs 4 and 4 (Cap 8, 8; fuel 8 * 2 = 16), dear 1 and 1 (Cap 2,
    # 20). Total 44.
    inst = day_night()
    inst["commodities"]["fuel"] = {"layer": "energy", "unit": "u"}
    well = {"layer": "energy", "output": "fuel", "output_per_capacity": 1.0, "lifetime": 1}
    inst["technologies"] = {
        "gas": plant(1, max_activity=8, inputs={"per_activity": {"fuel": 1.0}}),
        "dear": plant(10),
        "well": {**well, "variable_om": 2},
    }
    r = run(inst)
    assert r.objective == pytest.approx(44.0)
    gas = r.dispatch[r.dispatch["technology"] == "gas"]["activity"]
    assert gas.tolist() == pytest.approx([4.0, 4.0])
    fuel = row(r.commodities, commodity="fuel")
    assert (fuel["production"], fuel["consumption"]) == pytest.approx((8.0, 8.0))


# --- §12 storage ---------------------------------------------------------------------------


def solar_and_battery(**storage: float) -> dict[str, Any]:
    """Flat demand 10 (5 per slice), solar (capex 1) by day, a battery (capex 2)."""
    inst = day_night()
    inst["technologies"] = {
        "solar": plant(1, availability="sun"),
        "battery": plant(2, storage=dict(storage)),
    }
    return inst


def test_storage_shifts_energy_with_efficiencies() -> None:
    # The battery (duration 8 h, eta_c 0.9, eta_d 0.8) serves the night: X_night = 5, charged
    # Q_day = 5 / (0.9 * 0.8) = 6.9444 by day. Per occurrence of the period the state swings
    # by 0.9 * 6.9444 / 365 = 6.25 / 365, which the energy capacity (8 / 8760) Cap must hold:
    # Cap >= 6.25 * 24 / 8 = 18.75, above what charge (Q <= 0.5 Cap: 13.89) and discharge
    # (10) need -> 2 * 18.75 = 37.5. Solar makes 5 + 6.9444 by day: Cap 23.8889. Total
    # 61.3889.
    r = run(solar_and_battery(duration=8, efficiency_charge=0.9, efficiency_discharge=0.8))
    q = 5 / 0.72
    assert r.objective == pytest.approx(37.5 + 2 * (5 + q))
    day = row(r.dispatch, technology="battery", slice="day")
    night = row(r.dispatch, technology="battery", slice="night")
    assert (day["charge"], day["activity"]) == pytest.approx((q, 0.0))
    assert (night["charge"], night["activity"]) == pytest.approx((0.0, 5.0))
    # E_day = E_night + 0.9 Q / 365 and E_night = E_day - (5 / 0.8) / 365: the state is full
    # (6.25 / 365) after the day and empty after the night.
    assert day["state_of_charge"] == pytest.approx(6.25 / 365)
    assert night["state_of_charge"] == pytest.approx(0.0, abs=1e-12)
    assert row(r.schedule, technology="battery")["capacity"] == pytest.approx(18.75)
    assert row(r.slices, slice="day")["charge"] == pytest.approx(q)
    assert row(r.commodities, commodity="x")["charge"] == pytest.approx(q)
    # Prices: by day 2 (solar). By night one more unit discharged needs 1 / 0.72 more charge
    # (solar 2 / 0.72 = 2.7778) and 3 * 0.9 / 0.72 = 3.75 more battery capacity (7.5):
    # 10.2778. The annual (flat-load) price is 0.5 * 2 + 0.5 * 10.2778 = 6.1389.
    night_price = 2 / 0.72 + 7.5
    assert row(r.slices, slice="day")["price"] == pytest.approx(2.0)
    assert row(r.slices, slice="night")["price"] == pytest.approx(night_price)
    assert row(r.commodities, commodity="x")["price"] == pytest.approx(1 + night_price / 2)


def test_storage_charge_bound_and_lossless_cycle() -> None:
    # Duration 24 h, efficiencies 0.9 / 0.8: the energy bound (Cap >= 6.25) is loose and the
    # charge bound binds, 6.9444 <= 0.5 Cap -> Cap 13.8889 -> 27.7778 + solar 23.8889.
    r = run(solar_and_battery(duration=24, efficiency_charge=0.9, efficiency_discharge=0.8))
    assert r.objective == pytest.approx(2 * 2 * 5 / 0.72 + 2 * (5 + 5 / 0.72))
    # Efficiencies 1 (the defaults): Q = 5, Cap 10 (charge and discharge bounds) -> 20; solar
    # makes 10 by day -> 20. Total 40, state of charge 5 / 365 after the day.
    r = run(solar_and_battery(duration=24))
    assert r.objective == pytest.approx(40.0)
    day = row(r.dispatch, technology="battery", slice="day")
    assert (day["charge"], day["state_of_charge"]) == pytest.approx((5.0, 5 / 365))


def test_storage_variable_cost_and_inputs_follow_discharge() -> None:
    # The first storage instance with a discharge cost of 1 and 0.5 water (a resource) per
    # unit discharged: 61.3889 + 5 * 1, and 2.5 water (not 0.5 * 6.9444 charged).
    inst = solar_and_battery(duration=8, efficiency_charge=0.9, efficiency_discharge=0.8)
    inst["technologies"]["battery"].update(variable_om=1, inputs={"per_activity": {"water": 0.5}})
    inst["resources"] = {"water": {"unit": "m3"}}
    r = run(inst)
    assert r.objective == pytest.approx(37.5 + 2 * (5 + 5 / 0.72) + 5.0)
    assert row(r.resources, resource="water")["use"] == pytest.approx(2.5)


def test_storage_availability_limits_discharge_only() -> None:
    # An availability of [0, 1] (night only) on the battery of the first storage test does not
    # stop its charging by day: the same 61.3889.
    inst = solar_and_battery(duration=8, efficiency_charge=0.9, efficiency_discharge=0.8)
    inst["time"]["profiles"]["moon"] = {"day": [0.0, 1.0]}
    inst["technologies"]["battery"]["availability"] = "moon"
    assert objective(inst) == pytest.approx(37.5 + 2 * (5 + 5 / 0.72))
    # Available by day only, it cannot discharge at night: the night goes unserved (hard
    # demand): infeasible.
    inst["technologies"]["battery"]["availability"] = "sun"
    assert solve(validate_instance(inst)).status == "infeasible"


def test_storage_cycles_within_each_period() -> None:
    # Two periods: A (300 days of 12 + 12 h) and B (65 days of 20 + 4 h), H = 8760. Demand 10
    # flat (10 / 8760 per hour), solar (capex 1) by day, a lossless battery (capex 2,
    # 8 h). Nothing carries between periods: each night is covered by that period's day.
    # Night energy per occurrence: A 12 h -> 120 / 8760, B 4 h -> 40 / 8760; the energy
    # capacity (8 / 8760) Cap holds the larger: Cap >= 15 (30). The charge bound in A:
    # Q = 4.1096 <= w_A Cap = 0.41096 Cap -> 10, looser. Solar: A's day makes 2 * 4.1096 <=
    # 0.41096 Cap -> 20; B's day 1.484 + 0.2968 <= 0.1484 Cap -> 12. Total 30 + 20 = 50.
    inst = solar_and_battery(duration=8)
    inst["time"]["periods"] = {
        "A": {"weight": 300, "slices": {"day": 12, "night": 12}},
        "B": {"weight": 65, "slices": {"day": 20, "night": 4}},
    }
    inst["time"]["profiles"] = {"sun": {"A": [1.0, 0.0], "B": [1.0, 0.0]}}
    r = run(inst)
    assert r.objective == pytest.approx(50.0)
    battery = r.dispatch[r.dispatch["technology"] == "battery"].set_index(["period", "slice"])
    assert battery.loc[("A", "night"), "activity"] == pytest.approx(120 / 8760 * 300)
    assert battery.loc[("B", "night"), "activity"] == pytest.approx(40 / 8760 * 65)
    # the state after each day is one occurrence's night energy, empty after each night
    assert battery["state_of_charge"].tolist() == pytest.approx(
        [120 / 8760, 0.0, 40 / 8760, 0.0], abs=1e-12
    )


def test_slices_keep_the_order_of_the_file(tmp_path: Path) -> None:
    # Slices written night (16 h) then day (8 h), solar [0, 1]: w = 2/3 and 1/3, demand 6.6667
    # by night and 3.3333 by day. The battery (8 h, 0.9 / 0.8) discharges 6.6667 at night,
    # charged Q = 6.6667 / 0.72 = 9.2593 by day; the charge bound Q <= w_day Cap binds (Cap
    # 27.7778 against 25 for the energy, 10 for discharge): 55.5556. Solar makes 3.3333 +
    # 9.2593 <= Cap / 3 -> 37.7778. Total 93.3333. Read in sorted order, solar would shine in
    # the long slice instead.
    inst = solar_and_battery(duration=8, efficiency_charge=0.9, efficiency_discharge=0.8)
    inst["time"]["periods"]["day"]["slices"] = {"night": 16, "day": 8}
    inst["time"]["profiles"]["sun"] = {"day": [0.0, 1.0]}
    path = tmp_path / "order.yaml"
    path.write_text(yaml.safe_dump(inst, sort_keys=False))
    r = solve(load_instance(path))
    assert r.objective == pytest.approx(2 * 25 / 0.9 + 3 * (10 / 3 + 20 / 3 / 0.72))
    assert r.slices["slice"].tolist() == ["night", "day"]
    assert row(r.dispatch, technology="battery", slice="day")["charge"] == pytest.approx(
        20 / 3 / 0.72
    )


# --- §13 reserve margin --------------------------------------------------------------------


def reserve_instance() -> dict[str, Any]:
    """Demand shaped [1.5, 0.5] (day 7.5, night 2.5), a 20 % margin with peak factor 1.25;
    base (capex 10, firm 0.5) and peaker (capex 3, firm 1, vom 50)."""
    inst = day_night(profile=[3.0, 1.0])
    inst["commodities"]["x"]["reserve"] = {"margin": 0.2, "peak_factor": 1.25}
    inst["technologies"] = {
        "base": plant(10, firm_capacity=0.5),
        "peaker": plant(3, firm_capacity=1.0, variable_om=50),
    }
    return inst


def test_binding_reserve_margin_per_slice_with_peak_factor() -> None:
    # Base must make 7.5 by day: Cap 15 -> 150. Reserve by day: firm >= 1.2 * 1.25 * 7.5 / 0.5
    # = 22.5 (night 7.5). Base gives 0.5 * 15 = 7.5; a unit of firm costs 3 from the peaker
    # and 20 from base: peaker Cap 15 -> 45. Total 195.
    r = run(reserve_instance())
    assert r.objective == pytest.approx(195.0)
    assert row(r.schedule, technology="peaker")["build"] == pytest.approx(15.0)
    day, night = row(r.slices, slice="day"), row(r.slices, slice="night")
    assert (day["load"], day["required_firm"], day["firm_capacity"]) == pytest.approx(
        (7.5, 22.5, 22.5)
    )
    assert night["required_firm"] == pytest.approx(7.5)
    # Capacity price: a unit more of required firm capacity by day is a unit of peaker, 3;
    # the night row is slack, 0. The annual column sums the slices: 3.
    assert (day["capacity_price"], night["capacity_price"]) == pytest.approx((3.0, 0.0))
    assert row(r.commodities, commodity="x")["capacity_price"] == pytest.approx(3.0)
    # The price stays the balance dual: a unit more made by day is 2 units of base capacity
    # (20) whose firm 0.5 * 2 = 1 saves a unit of peaker (3): 17. The night has spare base
    # capacity at no running cost: 0.
    assert (day["price"], night["price"]) == pytest.approx((17.0, 0.0))
    # Without the reserve only base is built: 150.
    inst = reserve_instance()
    del inst["commodities"]["x"]["reserve"]
    assert objective(inst) == pytest.approx(150.0)


def test_capacity_price_is_in_each_years_money() -> None:
    # The same year twice, discounted at 10 % (the technologies' own rate 0 keeps CRF 1):
    # 195 + 195 / 1.1. In 2027 the capacity price is still 3 and the flat-load price
    # 0.5 * 17 + 0.5 * 0 = 8.5: their duals (3 / 1.1, ...) divided by df(2027).
    inst = reserve_instance()
    inst["years"] = {"start": 2026, "end": 2027}
    inst["discount_rate"] = 0.1
    for tech in inst["technologies"].values():
        tech["discount_rate"] = 0.0
    r = run(inst)
    assert r.objective == pytest.approx(195 + 195 / 1.1)
    later = row(r.commodities, commodity="x", year=2027)
    assert (later["capacity_price"], later["price"]) == pytest.approx((3.0, 8.5))
    day = row(r.slices, year=2027, slice="day")
    assert (day["capacity_price"], day["price"]) == pytest.approx((3.0, 17.0))


def test_reserve_margin_on_an_annual_commodity_counts_use() -> None:
    # Annual x: demand 10 plus the use of a consumer (0.5 x per unit of y, demand 4) = 12. Base
    # (capex 10, firm 0.5) makes 12 -> 120; reserve 1.25 * 12 = 15 of firm: base gives 6,
    # the peaker (capex 3, firm 1) 9 -> 27. Total 147.
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
    r = run(inst)
    assert r.objective == pytest.approx(147.0)
    # Capacity price 3 (peaker); x's price 10 - 0.5 * 3 = 8.5 (as by day above); a unit more
    # of y uses 0.5 x (4.25) and raises the requirement by 1.25 * 0.5 (1.875): 6.125.
    x, y = row(r.commodities, commodity="x"), row(r.commodities, commodity="y")
    assert (x["capacity_price"], x["price"], y["price"]) == pytest.approx((3.0, 8.5, 6.125))


def test_reserve_load_counts_unserved_demand() -> None:
    # Demand 10 at an unmet cost of 1: without a reserve all of it goes unserved (10). With a
    # 50 % margin the load keeps the full demand: firm >= 15 -> capacity 15 (capex 10, firm
    # 1) -> 150, and serving the demand is then free.
    inst = one_tech(capex=10, firm_capacity=1.0)
    inst["commodities"]["x"]["unmet_cost"] = 1
    assert objective(inst) == pytest.approx(10.0)
    inst["commodities"]["x"]["reserve"] = {"margin": 0.5}
    r = run(inst)
    assert r.objective == pytest.approx(150.0)
    x = row(r.commodities, commodity="x")
    assert (x["unserved"], x["capacity_price"], x["price"]) == pytest.approx((0.0, 10.0, 0.0))


def test_storage_counts_its_power_as_firm_but_not_its_charge_as_load() -> None:
    # The lossless 24 h battery of the storage tests (Cap 10, firm 1 per unit) with a margin
    # of 0: the load by day is the demand 5 alone (not the charge 5), so firm 10 >= 5 / 0.5
    # in both slices: still 40. Counting the charge would need 20 of firm.
    inst = solar_and_battery(duration=24)
    inst["technologies"]["battery"]["firm_capacity"] = 1.0
    inst["commodities"]["x"]["reserve"] = {"margin": 0.0}
    r = run(inst)
    assert r.objective == pytest.approx(40.0)
    day = row(r.slices, slice="day")
    assert (day["load"], day["required_firm"], day["charge"]) == pytest.approx((5.0, 10.0, 5.0))


# --- §14 flexible load ---------------------------------------------------------------------


def test_flexible_load_shifts_and_curtails() -> None:
    # Without flexibility: gas for the night, 5 <= 0.5 Cap -> 300, running 5 -> 20; solar by
    # day, Cap 10 -> 10. Total 330.
    assert objective(flexible_instance()) == pytest.approx(330.0)
    # Shift 0.2: 1 unit moves from night to day (SD_night = SU_day = 0.2 * 5). Curtail 0.1
    # (0.5 per slice) but the yearly cap 0.03 * 10 = 0.3 binds, at night, cost 1 each. Night
    # 5 - 1 - 0.3 = 3.7: gas Cap 7.4 -> 222, running 3.7 -> 14.8; day 6: solar 12. Total
    # 222 + 14.8 + 12 + 0.3 = 249.1 (a unit of night use costs 64 > 1 curtailed).
    r = run(flexible_instance(shift=0.2, curtail=0.1, curtail_max=0.03, curtail_cost=1.0))
    assert r.objective == pytest.approx(249.1)
    gpu = r.dispatch[r.dispatch["technology"] == "gpu"].set_index("slice")
    assert gpu.loc["day", ["use", "shifted_down", "shifted_up", "curtailed"]].tolist() == (
        pytest.approx([6.0, 0.0, 1.0, 0.0])
    )
    assert gpu.loc["night", ["use", "shifted_down", "shifted_up", "curtailed"]].tolist() == (
        pytest.approx([3.7, 1.0, 0.0, 0.3])
    )
    assert r.slices.set_index("slice")["consumption"].to_dict() == pytest.approx(
        {"day": 6.0, "night": 3.7}
    )
    # the annual consumption is after curtailment (9.7); curtailment is a cost of its own
    assert row(r.commodities, commodity="x")["consumption"] == pytest.approx(9.7)
    costs = r.costs.groupby("component")["cost"].sum()
    assert costs["curtailment"] == pytest.approx(0.3)
    # the night price is gas's 64: the yearly cap, not the per-slice bound, binds
    assert row(r.slices, slice="night")["price"] == pytest.approx(64.0)
    # A looser yearly cap (0.05 -> 0.5): the per-slice bound 0.5 binds instead: night 3.5 ->
    # gas 210 + 14, solar 12, curtailment 0.5: 236.5.
    r = run(flexible_instance(shift=0.2, curtail=0.1, curtail_max=0.05, curtail_cost=1.0))
    assert r.objective == pytest.approx(236.5)
    assert row(r.dispatch, technology="gpu", slice="night")["curtailed"] == pytest.approx(0.5)


def test_flexible_bounds_follow_the_use_profile() -> None:
    # The GPU's use spread by use_profile [3, 1]: u = 7.5 by day and 2.5 by night, so shift 0.2
    # moves at most 0.2 * 2.5 = 0.5 out of the night (not 0.2 * 5): night 2.0 -> gas Cap 4
    # (120) running 2 (8); day 8 -> solar Cap 16 (16). Total 144.
    inst = flexible_instance(shift=0.2)
    inst["time"]["profiles"]["office"] = {"day": [3.0, 1.0]}
    inst["technologies"]["gpu"]["use_profile"] = "office"
    r = run(inst)
    assert r.objective == pytest.approx(144.0)
    gpu = r.dispatch[r.dispatch["technology"] == "gpu"].set_index("slice")
    assert gpu["use"].to_dict() == pytest.approx({"day": 8.0, "night": 2.0})
    assert gpu.loc["night", "shifted_down"] == pytest.approx(0.5)


def test_flexibility_covers_per_capacity_use() -> None:
    # The GPU's use of x is per unit of capacity (1 x per unit, Cap 10): 5 per slice, all of
    # it flexible. Shift 0.5 moves 2.5 to the day: night 2.5 -> gas Cap 5 (150) running 2.5
    # (10); day 7.5 -> solar Cap 15 (15). Total 175.
    inst = flexible_instance(shift=0.5)
    inst["technologies"]["gpu"]["inputs"] = {"per_capacity": {"x": 1.0}}
    r = run(inst)
    assert r.objective == pytest.approx(175.0)
    assert row(r.dispatch, technology="gpu", slice="night")["shifted_down"] == pytest.approx(2.5)


def test_shifting_stays_inside_each_period() -> None:
    # Shift 0.5 within one day (slices day and night): 175, as above with per_activity use.
    inst = flexible_instance(shift=0.5)
    assert objective(inst) == pytest.approx(175.0)
    # The same hours as two periods of one slice each (`sunny` and `dark`, 182.5 days of 24 h;
    # w = 0.5 each): nothing can move between periods, so the plan without flexibility: 330.
    inst["time"]["periods"] = {
        "sunny": {"weight": 182.5, "slices": {"all": 24}},
        "dark": {"weight": 182.5, "slices": {"all": 24}},
    }
    inst["time"]["profiles"] = {"sun": {"sunny": [1.0], "dark": [0.0]}}
    r = run(inst)
    assert r.objective == pytest.approx(330.0)
    gpu = r.dispatch[r.dispatch["technology"] == "gpu"]
    assert gpu["shifted_down"].abs().max() == pytest.approx(0.0, abs=1e-9)


# --- §15 minimum limits and end effects ----------------------------------------------------


def test_minimum_build_capacity_and_activity() -> None:
    # Two years, demand 10, cheap t (capex 1) and dear s (capex 5). Nothing forced: 20.
    inst = one_tech((2026, 2027), capex=1)
    inst["technologies"]["s"] = plant(5)
    assert objective(inst) == pytest.approx(20.0)
    # min_build of s 4 in 2026 only: 20 + t 6 in 2026, 10 in 2027 -> 36.
    inst["technologies"]["s"]["min_build"] = {"world": {2026: 4, 2027: 0}}
    r = run(inst)
    assert r.objective == pytest.approx(36.0)
    assert row(r.schedule, technology="s", year=2026)["build"] == pytest.approx(4.0)
    # min_capacity 3 of s every year instead: (15 + 7) * 2 = 44.
    del inst["technologies"]["s"]["min_build"]
    inst["technologies"]["s"]["min_capacity"] = 3
    assert objective(inst) == pytest.approx(44.0)
    # min_activity 4 of s: it needs Cap 4 -> (20 + 6) * 2 = 52.
    del inst["technologies"]["s"]["min_capacity"]
    inst["technologies"]["s"]["min_activity"] = 4
    r = run(inst)
    assert r.objective == pytest.approx(52.0)
    assert r.schedule.loc[r.schedule["technology"] == "s", "activity"].tolist() == (
        pytest.approx([4.0, 4.0])
    )
    # A region map binds where it lists a region only: a second region `elsewhere` without
    # demand, min_activity {elsewhere: 4}. world is free again (20); elsewhere runs s at 4
    # for nothing (overproduction is allowed): 2 * 5 * 4 = 40. Total 60.
    inst["technologies"]["s"]["min_activity"] = {"elsewhere": 4}
    inst["regions"] = ["world", "elsewhere"]
    inst["commodities"]["x"]["demand"] = {"world": 10}
    r = run(inst)
    assert r.objective == pytest.approx(60.0)
    s = r.schedule[r.schedule["technology"] == "s"].set_index(["region", "year"])["activity"]
    assert s.to_dict() == pytest.approx(
        {("world", 2026): 0.0, ("world", 2027): 0.0, ("elsewhere", 2026): 4.0,
         ("elsewhere", 2027): 4.0}
    )  # fmt: skip


def test_minimum_limits_that_cannot_hold() -> None:
    # min_activity 4 above a max_capacity of 3: infeasible (and validation warns).
    inst = one_tech((2026, 2027), capex=1)
    inst["technologies"]["s"] = plant(5, min_activity=4, max_capacity=3)
    checked = validate_instance(inst)
    assert solve(checked).status == "infeasible"
    # A min_build in a year the lead time rules out (B[2026] fixed to 0): a warning, and
    # infeasible.
    inst["technologies"]["s"] = plant(5, lead_time=1, min_build={2026: 1, 2027: 0})
    checked = validate_instance(inst)
    assert any("min_build 1 in world 2026 falls before s" in w for w in checked.warnings)
    assert solve(checked).status == "infeasible"
    # In 2027 it is fine: t 10 in 2026 (10), s 1 (5) and t 9 in 2027: 24.
    inst["technologies"]["s"]["min_build"] = {2026: 0, 2027: 1}
    assert objective(inst) == pytest.approx(24.0)


def test_min_activity_of_a_slice_technology_bounds_the_annual_sum() -> None:
    # Flat demand 5 + 5. s (capex 5) runs by day only: its annual sum >= 4 needs 4 by day,
    # 4 <= 0.5 Cap -> Cap 8 -> 40. t (capex 1) covers the night, 5 -> Cap 10 -> 10. Total 50.
    inst = day_night()
    inst["technologies"] = {"t": plant(1), "s": plant(5, availability="sun", min_activity=4)}
    r = run(inst)
    assert r.objective == pytest.approx(50.0)
    assert row(r.dispatch, technology="s", slice="day")["activity"] == pytest.approx(4.0)


def test_end_effects_objective_and_objective_horizon() -> None:
    # Rate 10 %, lifetime 4, capex 100, demand 10: B[2026] = 10, annuity 1000 CRF(0.1, 4) =
    # 315.4708 a year. Horizon 2026-2027 (two annuities): 315.4708 (1 + 1 / 1.1) = 602.2624;
    # extended by 2 years all four are paid, discounted on: 1000 x 1.1 = 1100 (1000 up front,
    # grown by one year's interest), while the horizon part stays 602.2624.
    inst = one_tech((2026, 2027), rate=0.1, capex=100, lifetime=4)
    annuity = 1000 * 0.1 / (1 - 1.1**-4)
    plain = run(inst)
    assert plain.objective == pytest.approx(annuity * (1 + 1 / 1.1))
    assert plain.summary["objective_horizon"] == pytest.approx(plain.objective)
    assert "extension" not in plain.schedule
    inst["end_effects"] = {"extend_years": 2}
    r = run(inst)
    assert r.objective == pytest.approx(1100.0)
    assert r.summary["objective_horizon"] == pytest.approx(annuity * (1 + 1 / 1.1))
    assert r.summary["horizon"] == {"start": 2026, "end": 2027, "model_end": 2029}
    # rows of 2028 and 2029 are flagged in every table with a year
    for name in ("schedule", "commodities", "costs", "budget"):
        table = r.tables[name].dropna(subset=["year"])
        assert table.set_index("year")["extension"].groupby(level=0).all().to_dict() == {
            2026: False,
            2027: False,
            2028: True,
            2029: True,
        }, name
    assert r.costs.loc[r.costs["year"] == 2029, "discounted"].sum() == pytest.approx(
        annuity / 1.1**3
    )


def test_end_effects_budget_total_covers_the_horizon_only() -> None:
    # 2026-2027 extended by 1, demand 10 (unmet 1000), t with lead time 1, capex 100.
    # budget.total 1500 covers spending in 2026 (B[2027]) and 2027 (B[2028], commissioned in
    # the extension year but built in 2027): B27 + B28 <= 15 -> B27 = 10, B28 = 5. 2026
    # unserved 10000; 2027 annuity 1000; 2028 annuity 500 + 5 unserved 5000: 16500, of which
    # 11000 in the horizon.
    inst = one_tech((2026, 2027), capex=100, lead_time=1)
    inst["commodities"]["x"]["unmet_cost"] = 1000
    inst["end_effects"] = {"extend_years": 1}
    inst["budget"] = {"total": 1500}
    r = run(inst)
    assert (r.objective, r.summary["objective_horizon"]) == pytest.approx((16500.0, 11000.0))
    total = row(r.budget, scope="total")
    assert (total["spend"], total["extension"]) == (pytest.approx(1500.0), False)
    # per_year applies in the extension years too: extended by 2, per_year 800 caps each of
    # B27, B28 and B29 (built in 2028) at 8: 10000 + 3 * (800 + 2 * 1000) = 18400; the
    # horizon holds 2026 and 2027: 10000 + 800 + 2000 = 12800.
    inst["end_effects"] = {"extend_years": 2}
    inst["budget"] = {"per_year": 800}
    r = run(inst)
    assert (r.objective, r.summary["objective_horizon"]) == pytest.approx((18400.0, 12800.0))


# --- §16 myopic foresight ------------------------------------------------------------------


def windows(r: Results) -> list[float]:
    return [w["objective"] for w in r.summary["foresight"]["windows"]]


def test_myopic_windows_differ_from_perfect_foresight() -> None:
    # Demand 10 in 2026 and 2027; g (capex 10) now or `late` (capex 1, lead time 1). Perfect
    # foresight: g 10 in 2026 (100), late 10 in 2027 (10): 110.
    inst = lead_time_choice()
    assert objective(inst) == pytest.approx(110.0)
    # Window 1, step 1: window 1 (2026) cannot see B_late[2027] (decided in 2026), so window 2
    # has it fixed at 0 and builds g again in 2027: windows 100 and 200 (the second holds the
    # fixed 2026 build).
    inst["foresight"] = {"mode": "myopic", "window": 1, "step": 1}
    r = run(inst)
    assert windows(r) == pytest.approx([100.0, 200.0])
    assert r.objective == pytest.approx(200.0)
    spans = [(w["start"], w["end"], w["status"]) for w in r.summary["foresight"]["windows"]]
    assert spans == [(2026, 2026, "optimal"), (2027, 2027, "optimal")]
    assert all(w["seconds"] >= 0 for w in r.summary["foresight"]["windows"])
    assert row(r.schedule, technology="late", year=2027)["build"] == pytest.approx(0.0)
    assert row(r.schedule, technology="t", year=2027)["build"] == pytest.approx(10.0)
    # A window covering the horizon is perfect foresight.
    inst["foresight"] = {"mode": "myopic", "window": 2, "step": 1}
    assert windows(run(inst)) == pytest.approx([110.0])


def test_myopic_window_fixes_earlier_decisions() -> None:
    # Demand 10, 10, 20 over 2026-2028; g (capex 6, lifetime 3, CRF 1/3) or t (capex 3,
    # lifetime 1). Window 1 (2026): g costs 2 a unit and year, t 3: g 10 (20). Window 2 keeps
    # it (40 on 2026-2027); window 3 adds g 10 in 2028 (one annuity, 20): 60 + 20 = 80.
    inst = one_tech((2026, 2028), capex=3)
    inst["commodities"]["x"]["demand"] = {2026: 10, 2027: 10, 2028: 20}
    inst["technologies"]["g"] = plant(6, lifetime=3)
    inst["foresight"] = {"mode": "myopic", "window": 1, "step": 1}
    assert windows(run(inst)) == pytest.approx([20.0, 40.0, 80.0])
    # Window 2, step 2: 2026-2027 (40), then the whole horizon (80).
    inst["foresight"] = {"mode": "myopic", "window": 2, "step": 2}
    assert windows(run(inst)) == pytest.approx([40.0, 80.0])


def test_an_infeasible_window_ends_the_myopic_solve() -> None:
    # The lead-time choice with g unavailable in 2027 (max_build 0): window 1 builds g for 2026
    # (100) and cannot see late's 2027 build, so window 2 has no way to serve 2027's hard
    # demand: infeasible, and so is the solve.
    inst = lead_time_choice()
    inst["technologies"]["t"]["max_build"] = {2026: 100, 2027: 0}
    inst["foresight"] = {"mode": "myopic", "window": 1, "step": 1}
    r = solve(validate_instance(inst))
    assert r.status == "infeasible"
    found = [(w["status"], w["objective"]) for w in r.summary["foresight"]["windows"]]
    assert found == [("optimal", pytest.approx(100.0)), ("infeasible", None)]
    # with perfect foresight late is built for 2027: 100 + 10
    del inst["foresight"]
    assert objective(inst) == pytest.approx(110.0)


def test_myopic_end_effects_apply_to_the_last_window_only() -> None:
    # Capex 100, lifetime 4, rate 0 (annuity 250 a year for B = 10), 2026-2027 extended by 2,
    # windows of one year. Window 1 (2026, no extension): 250. Window 2 (2026-2029): the fixed
    # build's four annuities, 1000, of which the horizon's 500.
    inst = one_tech((2026, 2027), capex=100, lifetime=4)
    inst["end_effects"] = {"extend_years": 2}
    inst["foresight"] = {"mode": "myopic", "window": 1, "step": 1}
    r = run(inst)
    assert windows(r) == pytest.approx([250.0, 1000.0])
    assert (r.objective, r.summary["objective_horizon"]) == pytest.approx((1000.0, 500.0))


# --- §17 two-stage scenarios ---------------------------------------------------------------


def cases(r: Results) -> dict[str, float]:
    return {name: c["objective"] for name, c in r.summary["scenarios"]["cases"].items()}


def test_two_stage_hedge_z_ws_and_evpi() -> None:
    # 2026: g 10 -> 100 in every case. 2027 demand 20 (boom, p 0.3) or 5 (bust, p 0.7), with
    # `late` b built in 2027 but decided in 2026 (first stage): 4b + 0.3 * 10 (20 - b)+ +
    # 0.7 * 10 (5 - b)+ falls to b = 5 (slope -6), then rises (slope 4 - 3 = 1): b = 5 ->
    # 20 + 0.3 * 150 = 65. Objective 165; Z_boom = 100 + 20 + 150 = 270, Z_bust = 120. Wait
    # and see: boom alone builds late 20 (180), bust late 5 (120): WS = 0.3 * 180 + 0.7 *
    # 120 = 138, EVPI = 27.
    r = run(hedge(), evpi=True)
    info = r.summary["scenarios"]
    assert r.objective == pytest.approx(165.0)
    assert r.summary["objective_horizon"] == pytest.approx(165.0)
    assert cases(r) == pytest.approx({"boom": 270.0, "bust": 120.0})
    alone = {name: c["alone"] for name, c in info["cases"].items()}
    assert alone == pytest.approx({"boom": 180.0, "bust": 120.0})
    assert (info["wait_and_see"], info["evpi"]) == pytest.approx((138.0, 27.0))
    # the first-stage build is one value shared by both cases, and flagged first stage
    late = r.schedule[(r.schedule["technology"] == "late") & (r.schedule["year"] == 2027)]
    assert late["build"].tolist() == pytest.approx([5.0, 5.0])
    assert set(late["build_stage"]) == {"first"} and set(late["stage"]) == {"second"}
    # Prices are dual / (p_s df): a unit more of boom demand in 2027 is recourse g, 10; of
    # bust demand, 1 more of late (4) saving 0.3 * 10 of boom recourse: 1 in the objective,
    # 1 / 0.7 per unit of the case.
    prices = r.commodities[r.commodities["year"] == 2027].set_index("scenario")["price"]
    assert prices.to_dict() == pytest.approx({"boom": 10.0, "bust": 1 / 0.7})
    # In 2026 both cases' balances hold the same shared columns, so the dual may be split
    # between them in any way; weighted by p_s the price is a unit of g, 10.
    first = r.commodities[r.commodities["year"] == 2026].set_index("scenario")["price"]
    assert 0.3 * first["boom"] + 0.7 * first["bust"] == pytest.approx(10.0)
    # Without evpi no case is solved alone.
    assert "wait_and_see" not in run(hedge()).summary["scenarios"]


def test_a_shared_first_stage_build_meets_every_cases_bounds() -> None:
    # The hedge with late's max_build set to 3 in case bust only: the shared B_late[2027] must
    # meet both cases' bounds, b <= 3 (MODEL.md §19.11): 100 + 4 * 3 + 0.3 * 10 * 17 +
    # 0.7 * 10 * 2 = 177.
    inst = hedge()
    change = {"path": "technologies.late.max_build", "set": 3}
    inst["scenarios"]["cases"]["bust"]["changes"].append(change)
    r = run(inst, balances=False)  # (the rebuild reads max_build from the instance)
    assert r.objective == pytest.approx(177.0)
    late = r.schedule[(r.schedule["technology"] == "late") & (r.schedule["year"] == 2027)]
    assert late["build"].tolist() == pytest.approx([3.0, 3.0])


def test_two_stage_prices_are_in_each_years_money() -> None:
    # The hedge discounted at 10 % (the technologies' own rate 0: CRF 1): 100 + 65 / 1.1 =
    # 159.0909, and the 2027 prices are still 10 (boom) and 1 / 0.7 (bust): dual / (p_s df).
    inst = hedge()
    inst["discount_rate"] = 0.1
    for tech in inst["technologies"].values():
        tech["discount_rate"] = 0.0
    r = run(inst)
    assert r.objective == pytest.approx(100 + 65 / 1.1)
    prices = r.commodities[r.commodities["year"] == 2027].set_index("scenario")["price"]
    assert prices.to_dict() == pytest.approx({"boom": 10.0, "bust": 1 / 0.7})


def test_two_stage_cvar_weight() -> None:
    # Weight 0 is the expected cost: 165.
    assert objective(hedge(alpha=0.9, weight=0.0)) == pytest.approx(165.0)
    # Alpha 0.5: the worst half is boom (0.3) and 0.2 of bust; for 5 <= b <= 20, Z_boom =
    # 300 - 6b, Z_bust = 100 + 4b, E = 160 + b and CVaR = (0.3 Z_boom + 0.2 Z_bust) / 0.5 =
    # 220 - 2b. Weight 1: lowest at b = 20, both cases 180, CVaR 180; no EVPI with a risk
    # weight, but WS (138) and the expected cost over the horizon (180) are reported.
    r = run(hedge(alpha=0.5, weight=1.0), evpi=True)
    assert r.objective == pytest.approx(180.0)
    assert cases(r) == pytest.approx({"boom": 180.0, "bust": 180.0})
    assert r.summary["objective_horizon"] == pytest.approx(180.0)
    assert r.summary["scenarios"]["wait_and_see"] == pytest.approx(138.0)
    assert r.summary["scenarios"]["evpi"] is None
    assert r.summary["scenarios"]["risk"] == {"weight": 1.0, "alpha": 0.5}
    # Weight 0.2: 0.8 (160 + b) + 0.2 (220 - 2b) = 172 + 0.4 b, lowest at b = 5: 174, with
    # the cases of the expected-cost plan (270, 120; expected 165).
    r = run(hedge(alpha=0.5, weight=0.2))
    assert r.objective == pytest.approx(174.0)
    assert cases(r) == pytest.approx({"boom": 270.0, "bust": 120.0})
    assert r.summary["objective_horizon"] == pytest.approx(165.0)


def test_two_stage_with_end_effects() -> None:
    # The hedge extended by one year (2028, second stage: late's B[2028] is decided in 2027).
    # The demand factors stay at their 2027 values: 20 (boom) and 5 (bust), built as late
    # (capex 4) by each case: Z_boom = 270 + 80 = 350, Z_bust = 120 + 20 = 140; objective
    # 165 + 0.3 * 80 + 0.7 * 20 = 203; over the horizon 165. WS = 0.3 * 260 + 0.7 * 140 =
    # 176, EVPI 27.
    inst = hedge()
    inst["end_effects"] = {"extend_years": 1}
    r = run(inst, evpi=True)
    assert (r.objective, r.summary["objective_horizon"]) == pytest.approx((203.0, 165.0))
    assert cases(r) == pytest.approx({"boom": 350.0, "bust": 140.0})
    horizon = {n: c["objective_horizon"] for n, c in r.summary["scenarios"]["cases"].items()}
    assert horizon == pytest.approx({"boom": 270.0, "bust": 120.0})
    info = r.summary["scenarios"]
    assert (info["wait_and_see"], info["evpi"]) == pytest.approx((176.0, 27.0))


def test_branch_year_at_either_end() -> None:
    # branch_year 2026 (= y0) shares nothing: each case on its own, objective = WS = 138,
    # EVPI 0 (a warning says so).
    inst = hedge()
    inst["scenarios"]["branch_year"] = 2026
    assert any("share nothing" in w for w in validate_instance(inst).warnings)
    r = run(inst, evpi=True)
    assert r.objective == pytest.approx(138.0)
    assert r.summary["scenarios"]["evpi"] == pytest.approx(0.0, abs=1e-9)
    # branch_year 2028 (> yN) shares everything: late must cover the boom's hard 20 in both
    # cases: 100 + 80 = 180 each.
    inst["scenarios"]["branch_year"] = 2028
    r = run(inst)
    assert r.objective == pytest.approx(180.0)
    assert cases(r) == pytest.approx({"boom": 180.0, "bust": 180.0})


def test_identical_cases_equal_the_deterministic_model() -> None:
    # No change in either case: late 10 in 2027 (40) and g 10 in 2026 (100): 140.
    inst = hedge(boom=1.0, bust=1.0)
    assert objective(inst) == pytest.approx(140.0)
    del inst["scenarios"]
    assert objective(inst) == pytest.approx(140.0)


def test_first_stage_variable_missing_in_a_case_is_fixed_to_zero() -> None:
    # Demand 10 in 2026 (unmet cost 1); case `none` sets it to 0, so it has no U[2026] and the
    # shared first-stage U is 0: the other case must build g (capex 10), and that shared build
    # is paid in both cases: 100 (instead of 0.5 * 10 = 5 with U = 10 in case `same`).
    inst = one_tech((2026, 2026), capex=10)
    inst["commodities"]["x"]["unmet_cost"] = 1
    change = {"path": "commodities.x.demand", "set": 0}
    inst["scenarios"] = {
        "branch_year": 2027,
        "cases": {"same": {"probability": 0.5}, "none": {"probability": 0.5, "changes": [change]}},
    }
    r = run(inst)
    assert r.objective == pytest.approx(100.0)
    assert r.commodities["unserved"].tolist() == pytest.approx([0.0, 0.0])


def test_scenario_changes_act_on_evaluated_values() -> None:
    # demand {2026: 10, 2028: 20} x {2026: 1, 2028: 1.6}: 2027 is 15 x 1.3 = 19.5 (not 21), 2028
    # 32; "no limit" (max_build absent) multiplied by 2 stays no limit.
    inst = one_tech((2026, 2028))
    inst["commodities"]["x"]["demand"] = {2026: 10, 2028: 20}
    path = "commodities.x.demand"
    changes = [
        {"path": path, "multiply": {2026: 1, 2028: 1.6}},
        {"path": "technologies.t.max_build", "multiply": 2},
    ]
    inst["scenarios"] = {
        "branch_year": 2027,
        "cases": {"up": {"probability": 0.5, "changes": changes}, "same": {"probability": 0.5}},
    }
    r = run(inst, balances=False)  # (the rebuild reads max_build from the instance)
    demand = r.commodities.set_index(["scenario", "year"])["demand"]
    assert demand["up"].tolist() == pytest.approx([10.0, 19.5, 32.0])
    assert demand["same"].tolist() == pytest.approx([10.0, 15.0, 20.0])
    # `add` then `multiply` apply in order: capex (0 + 2) x 3 = 6 per unit in case `up`:
    # 6 * (10 + 19.5 + 32) = 369, and 0 in `same`.
    changes[1:] = [
        {"path": "technologies.t.capex", "add": 2},
        {"path": "technologies.t.capex", "multiply": 3},
    ]
    assert cases(run(inst)) == pytest.approx({"up": 369.0, "same": 0.0})


def changed_in_2027(inst: dict[str, Any], path: str, factor: float) -> dict[str, Any]:
    """Two cases from 2027 on: `changed` multiplies `path` by `factor`, `same` does not."""
    change = {"path": path, "multiply": {2026: 1, 2027: factor}}
    inst["scenarios"] = {
        "branch_year": 2027,
        "cases": {
            "changed": {"probability": 0.5, "changes": [change]},
            "same": {"probability": 0.5},
        },
    }
    return inst


def test_scenario_change_of_output_per_capacity() -> None:
    # Demand 10 in 2026 and 2027, t (capex 1, lifetime 1). 2026 is shared: 10. In 2027 the case
    # `changed` halves a: Cap 20 -> 20; `same`: 10. Z = 30 and 20, objective 25.
    inst = changed_in_2027(
        one_tech((2026, 2027), capex=1), "technologies.t.output_per_capacity", 0.5
    )
    r = run(inst, balances=False)  # (the rebuild reads output_per_capacity from the instance)
    assert cases(r) == pytest.approx({"changed": 30.0, "same": 20.0})
    assert r.objective == pytest.approx(25.0)


def test_scenario_change_of_firm_capacity() -> None:
    # Demand 10 a year, margin 0.5: firm >= 15 -> Cap 15 of t (capex 10, firm 1): 150 a year.
    # In 2027 `changed` halves the firm capacity: Cap 30 -> 300. Z = 450 and 300, objective 375.
    inst = one_tech((2026, 2027), capex=10, firm_capacity=1.0)
    inst["commodities"]["x"]["reserve"] = {"margin": 0.5}
    r = run(changed_in_2027(inst, "technologies.t.firm_capacity", 0.5), balances=False)
    assert cases(r) == pytest.approx({"changed": 450.0, "same": 300.0})
    assert r.objective == pytest.approx(375.0)


# --- through the command line: summary.json and the written tables --------------------------


def cli_solve(tmp_path: Path, instance: dict[str, Any], *options: str) -> tuple[int, Path]:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "instance.yaml"
    path.write_text(yaml.safe_dump(instance, sort_keys=False))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["solve", str(path), "--out", str(out), *options])
    assert "Traceback" not in result.output
    return result.exit_code, out


def test_cli_writes_the_two_stage_summary_and_tables(tmp_path: Path) -> None:
    # the hedge: objective 165, Z_boom 270, Z_bust 120 (see test_two_stage_hedge_z_ws_and_evpi)
    code, out = cli_solve(tmp_path, hedge())
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(165.0)
    z = {name: c["objective"] for name, c in summary["scenarios"]["cases"].items()}
    assert z == pytest.approx({"boom": 270.0, "bust": 120.0})
    schedule = pd.read_csv(out / "schedule.csv")
    late = schedule[(schedule["technology"] == "late") & (schedule["year"] == 2027)]
    assert set(late["scenario"]) == {"boom", "bust"}
    assert late["build"].tolist() == pytest.approx([5.0, 5.0])
    assert set(late["build_stage"]) == {"first"}


def test_cli_solve_with_evpi_writes_ws_and_evpi(tmp_path: Path) -> None:
    # WS = 0.3 * 180 + 0.7 * 120 = 138, EVPI = 165 - 138 = 27
    code, out = cli_solve(tmp_path, hedge(), "--evpi")
    assert code == 0
    info = json.loads((out / "summary.json").read_text())["scenarios"]
    assert (info["wait_and_see"], info["evpi"]) == pytest.approx((138.0, 27.0))


def test_cli_writes_slice_tables_and_myopic_windows(tmp_path: Path) -> None:
    # the storage instance (61.3889, charge 6.9444 by day) and the lead-time choice with
    # one-year windows (100, 200)
    code, out = cli_solve(
        tmp_path, solar_and_battery(duration=8, efficiency_charge=0.9, efficiency_discharge=0.8)
    )
    assert code == 0
    dispatch = pd.read_csv(out / "dispatch.csv")
    battery = dispatch[dispatch["technology"] == "battery"].set_index("slice")
    assert battery.loc["day", "charge"] == pytest.approx(5 / 0.72)
    slices = pd.read_csv(out / "slices.csv")
    assert slices["price"].tolist() == pytest.approx([2.0, 2 / 0.72 + 7.5])
    inst = lead_time_choice()
    inst["foresight"] = {"mode": "myopic", "window": 1, "step": 1}
    code, out = cli_solve(tmp_path / "myopic", inst)
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [w["objective"] for w in summary["foresight"]["windows"]] == pytest.approx([100, 200])
    assert summary["objective"] == pytest.approx(200.0)
