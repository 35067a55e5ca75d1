"""The shipped instances power.yaml (time slices, storage, reserve margin, flexible load:
MODEL.md §11-§14 each binding somewhere) and boom_bust.yaml (a two-stage hedge that differs
from planning for the mean), checked from their result tables."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from planner import load_instance, solve, validate_instance

INSTANCES = Path(__file__).parent.parent / "instances"
TOL = 1e-7


def read(name: str) -> dict:
    return yaml.safe_load((INSTANCES / f"{name}.yaml").read_text())


@pytest.fixture(scope="module")
def power():
    r = solve(load_instance(INSTANCES / "power.yaml"))
    assert r.status == "optimal"
    return r


@pytest.fixture(scope="module")
def boom_bust():
    r = solve(load_instance(INSTANCES / "boom_bust.yaml"), evpi=True)
    assert r.status == "optimal"
    return r


@pytest.mark.parametrize("name", ["power", "boom_bust"])
def test_validates_without_warnings(name):
    assert load_instance(INSTANCES / f"{name}.yaml").warnings == []


# ------------------------------------------------------------------ power.yaml


def horizon(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the years y0..yN (not the end-effect extension years)."""
    return table[~table["extension"].astype(bool)]


def binding(r, constraint: str, name: str) -> pd.DataFrame:
    """Rows of one constraint family and name that hold with equality at a positive price."""
    c = horizon(r.constraints)
    c = c[(c["constraint"] == constraint) & (c["name"] == name)]
    return c[(c["slack"].abs() < TOL) & (c["shadow_price"] > 1e-6)]


def test_power_serves_all_demand(power):
    c = power.commodities
    assert c["unserved"].abs().max() < TOL


def test_power_slice_prices_differ(power):
    # §11: time matters. From 2030, with solar and batteries in the mix, the cheapest and
    # dearest slice of every year differ by more than 10 %, and on an ordinary winter day
    # (d335) midday is cheaper than the evening.
    s = horizon(power.slices)
    s = s[(s["commodity"] == "electricity") & (s["year"] >= 2030)]
    spread = s.groupby("year")["price"].agg(["min", "max"])
    assert (spread["max"] > 1.1 * spread["min"]).all()
    day = s[(s["year"] == 2033) & (s["period"] == "d335")].set_index("slice")["price"]
    assert day["h12"] < day["h20"] - 1e-4


def test_power_solar_follows_availability(power):
    # §11.1: solar sits at α w a Cap wherever the sun shines and is zero at night
    data = read("power")
    order = {t: i for i, t in enumerate(data["time"]["periods"]["d002"]["slices"])}
    solar = data["time"]["profiles"]["solar"]
    d = horizon(power.dispatch)
    d = d[d["technology"] == "solar_pv"]
    w = horizon(power.slices)[["year", "period", "slice", "weight"]].drop_duplicates()
    cap = power.schedule[power.schedule["technology"] == "solar_pv"][["year", "capacity"]]
    d = d.merge(w, on=["year", "period", "slice"]).merge(cap, on="year")
    d["availability"] = [solar[p][order[t]] for p, t in zip(d["period"], d["slice"], strict=True)]
    bound = d["availability"] * 8.76 * d["weight"] * d["capacity"]
    assert np.allclose(d["activity"], bound, rtol=1e-6, atol=1e-9)
    assert (d.loc[d["availability"] == 0, "activity"].abs() < TOL).all()
    assert (d["availability"] == 0).any() and (d["activity"] > 0.1).any()
    assert len(binding(power, "slice_activity_bound", "solar_pv")) > 0


def test_power_storage_cycles(power):
    # §12: within one representative day the battery charges in some slices and
    # discharges in others, and its energy capacity binds somewhere
    b = horizon(power.dispatch)
    b = b[b["technology"] == "battery"]
    cycling = [
        key
        for key, g in b.groupby(["year", "period"])
        if (g["charge"] > 1e-4).any() and (g["activity"] > 1e-4).any()
    ]
    assert len(cycling) >= 20
    both = b[(b["charge"] > 1e-4) & (b["activity"] > 1e-4)]
    assert both.empty  # never charged and discharged in the same slice
    day = b[(b["year"] == 2033) & (b["period"] == "d335")].set_index("slice")
    assert day.loc["h12", "charge"] > 0 and day.loc["h20", "activity"] > 0
    assert len(binding(power, "energy_capacity", "battery")) > 0


def test_power_reserve_margin_binds(power):
    # §13: firm capacity covers 1.2 x peak load in every slice, and the requirement binds
    # (non-zero capacity price) on the peak day from 2028, when new firm capacity is built
    s = horizon(power.slices)
    s = s[s["commodity"] == "electricity"]
    assert (s["firm_capacity"] >= s["required_firm"] * (1 - 1e-9) - TOL).all()
    priced = s[s["capacity_price"] > 1e-3]
    assert set(priced["year"]) >= set(range(2028, 2035))
    assert "peak" in set(priced["period"])
    tight = priced["firm_capacity"] - priced["required_firm"]
    assert (tight.abs() < 1e-6 * priced["required_firm"]).all()
    assert len(binding(power, "slice_reserve_margin", "electricity")) > 0


def test_power_flexible_load(power):
    # §14: the training fleet shifts and curtails load; the per-slice shift and curtail
    # limits bind, the yearly curtailment cap (0.5 %) holds
    f = horizon(power.dispatch)
    f = f[f["technology"] == "gpu_training"]
    assert f["shifted_down"].sum() > 1 and f["shifted_up"].sum() > 1
    assert f["curtailed"].sum() > 1e-3
    moved = f.groupby(["year", "period"])[["shifted_up", "shifted_down"]].sum()
    assert np.allclose(moved["shifted_up"], moved["shifted_down"], atol=1e-9)
    assert len(binding(power, "shift_down_limit", "gpu_training")) > 0
    assert len(binding(power, "curtail_limit", "gpu_training")) > 0
    year = f.groupby("year")[["use", "curtailed"]].sum()
    base = year["use"] + year["curtailed"]  # use is after flexibility; shifts net to 0
    assert (year["curtailed"] <= 0.005 * base + TOL).all()


def test_power_gas_is_firm_backbone(power):
    # an energy analyst's sanity check: gas holds most of the firm capacity in 2035,
    # solar and batteries supply the growth
    cap = power.schedule.set_index(["technology", "year"])["capacity"]
    gas = cap[("gas_ccgt", 2035)] + cap[("gas_ct", 2035)]
    assert gas > 0.5 * (gas + 0.5 * cap[("battery", 2035)] + 0.08 * cap[("solar_pv", 2035)])
    assert cap[("solar_pv", 2035)] > 5 * cap[("solar_pv", 2026)]
    assert cap[("battery", 2035)] > 1


# -------------------------------------------------------------- boom_bust.yaml


def model_years(data: dict) -> np.ndarray:
    extend = data.get("end_effects", {}).get("extend_years", 0)
    return np.arange(data["years"]["start"], data["years"]["end"] + extend + 1)


def evaluate(series: object, years: np.ndarray) -> np.ndarray:
    """A number or a year map on the model years (MODEL.md §3: linear between listed
    years, constant outside them)."""
    if isinstance(series, dict):
        keys = sorted(series)
        return np.interp(years, keys, [series[k] for k in keys])
    return np.full(len(years), float(series))


def mean_instance(data: dict) -> dict:
    """The deterministic instance of the probability-weighted mean of the cases: each
    changed parameter times the expected multiplier, written out year by year."""
    data = copy.deepcopy(data)
    cases = data.pop("scenarios")["cases"]
    years = model_years(data)
    factor: dict[str, np.ndarray] = {}
    for case in cases.values():
        for change in case["changes"]:
            assert set(change) == {"path", "multiply"}
            m = evaluate(change["multiply"], years)
            factor[change["path"]] = factor.get(change["path"], 0) + case["probability"] * m
    for path, f in factor.items():
        *parents, key = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        value = evaluate(node[key], years) * f
        node[key] = {int(y): float(v) for y, v in zip(years, value, strict=True)}
    return data


def first_stage_years(data: dict, tech: str) -> list[int]:
    """Commissioning years whose build is decided before the branch year (MODEL.md §16)."""
    lead = data["technologies"][tech].get("lead_time", 0)
    y0, branch = data["years"]["start"], data["scenarios"]["branch_year"]
    return [int(y) for y in model_years(data) if max(y0, y - lead) < branch]


def first_stage(r) -> pd.Series:
    s = r.schedule[r.schedule["build_stage"] == "first"]
    per_case = s.pivot_table(
        index=["technology", "year"], columns="scenario", values="build", aggfunc="sum"
    )
    assert np.allclose(per_case.min(axis=1), per_case.max(axis=1), atol=1e-9)
    return per_case.iloc[:, 0]


@pytest.fixture(scope="module")
def mean_plan():
    r = solve(validate_instance(mean_instance(read("boom_bust"))))
    assert r.status == "optimal"
    return r


def test_mean_instance_is_the_expected_demand():
    data = read("boom_bust")
    mean = mean_instance(data)["commodities"]["tokens"]["demand"]
    # 2030: 103.1 x (0.3 x 1.78 + 0.7 x (1 - 0.5 x 2/7)) = 103.1 x 1.134
    assert mean[2030] == pytest.approx(103.1 * (0.3 * 1.78 + 0.7 * (1 - 0.5 * 2 / 7)))
    assert mean[2028] == pytest.approx(59.2)


def test_boom_bust_first_stage_is_shared(boom_bust):
    data = read("boom_bust")
    s = boom_bust.schedule
    for tech in data["technologies"]:
        years = set(s[(s["technology"] == tech) & (s["build_stage"] == "first")]["year"])
        assert years == set(first_stage_years(data, tech))
    first_stage(boom_bust)  # identical across cases


def test_boom_bust_hedge_differs_from_mean_plan(boom_bust, mean_plan):
    # The hedge starts at least 40 % more datacenter space before 2029 than the plan for
    # the mean (3.6 vs 2.1 GW-IT), at least 25 % less CCGT for 2031-33 (4.4 vs 6.9 GW),
    # and solar+storage (9.3 GW) that the mean plan does not build.
    data = read("boom_bust")
    hedge = first_stage(boom_bust)
    mean = mean_plan.schedule.set_index(["technology", "year"])["build"]

    def total(builds: pd.Series, tech: str) -> float:
        return float(sum(builds.get((tech, y), 0.0) for y in first_stage_years(data, tech)))

    assert total(hedge, "datacenter") >= 1.4 * total(mean, "datacenter")
    assert total(hedge, "datacenter") - total(mean, "datacenter") >= 1.0
    assert total(hedge, "gas_ccgt") <= 0.75 * total(mean, "gas_ccgt")
    assert total(hedge, "solar_storage") >= 5.0 > total(mean, "solar_storage") + 1.0


def test_boom_bust_evpi(boom_bust):
    info = boom_bust.summary["scenarios"]
    assert info["evpi"] > 0.02 * boom_bust.objective  # ~34 of ~411 B$
    assert info["wait_and_see"] == pytest.approx(boom_bust.objective - info["evpi"])
    alone = sum(c["probability"] * c["alone"] for c in info["cases"].values())
    assert alone == pytest.approx(info["wait_and_see"])


def test_boom_bust_mean_plan_costs_more_than_hedge(boom_bust, mean_plan):
    # value of the stochastic solution: both cases solved with the first stage fixed at the
    # mean plan's builds cost more in expectation than the hedge (~460 B$ more)
    data = read("boom_bust")
    mean = mean_plan.schedule.set_index(["technology", "year"])["build"]
    fixed = copy.deepcopy(data)
    years = model_years(data)
    for name, tech in fixed["technologies"].items():
        assert not isinstance(tech.get("max_build", 0), dict)
        cap = tech.get("max_build")
        first = set(first_stage_years(data, name))
        lower, upper = {}, {}
        for y in map(int, years):
            value = max(float(mean.get((name, y), 0.0)), 0.0)
            lower[y] = max(value * (1 - 1e-9) - 1e-9, 0.0) if y in first else 0.0
            upper[y] = value * (1 + 1e-9) + 1e-9 if y in first else (cap if cap else 1e9)
        tech["min_build"], tech["max_build"] = lower, upper
    r = solve(validate_instance(fixed))
    assert r.status == "optimal"
    assert r.objective > boom_bust.objective + 0.1 * boom_bust.objective
