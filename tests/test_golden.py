"""Golden objectives of the shipped instances, and agreement with the independent reference
implementation of MODEL.md (tests/reference.py) on shipped and generated instances."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from reference import reference_details, reference_solve

from planner import load_instance, solve, validate_instance

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from gen_instance import generate  # noqa: E402

GOLDEN = {
    "tiny": 10661.725457614848,
    "base": 13213.89229776491,
    "regions": 8271.948188979284,
    "power": 274.4987066803268,
    "boom_bust": 410.66539602056605,
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_objective(name):
    r = solve(load_instance(ROOT / "instances" / f"{name}.yaml"))
    assert r.status == "optimal"
    assert r.objective == pytest.approx(GOLDEN[name], rel=1e-9)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_shipped_match_reference(name):
    data = yaml.safe_load((ROOT / "instances" / f"{name}.yaml").read_text())
    status, objective = reference_solve(data)
    assert status == "optimal"
    assert solve(validate_instance(data)).objective == pytest.approx(objective, rel=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_generated_lp_match_reference(seed):
    data = generate(2 + seed % 3, 4 + seed, 2, seed=seed)
    status, objective = reference_solve(data)
    r = solve(validate_instance(data))
    assert r.status == status
    assert r.objective == pytest.approx(objective, rel=1e-6)


@pytest.mark.parametrize("seed", [0, 3])
def test_generated_milp_match_reference(seed):
    # small MILPs: both solve to the default 1e-4 gap, so agree to about 2e-4
    data = generate(2, 4, 2, seed=seed, milp=True)
    status, objective = reference_solve(data)
    r = solve(validate_instance(data))
    assert r.status == status == "optimal"
    assert r.objective == pytest.approx(objective, rel=2e-4)


def test_binding_budget_matches_reference():
    # the generator's budgets are loose; a tight one makes the budget rows bind
    data = generate(3, 6, 2, seed=5)
    data["budget"] = {
        "total": 0.15 * float(solve(validate_instance(data)).budget["spend"].iloc[-1])
    }
    status, objective = reference_solve(data)
    r = solve(validate_instance(data))
    assert r.status == status == "optimal"
    assert r.objective == pytest.approx(objective, rel=1e-6)
    total = r.budget.set_index("scope").loc["total"]
    assert total["shadow_price"] > 0


# --- MODEL.md §11-§17 on generated instances: planner against the reference ------------------

FEATURES: dict[str, dict] = {
    "slices": {"slices": (2, 3)},
    "storage": {"slices": (1, 4), "storage": True},
    "reserve": {"reserve": True},
    "reserve_sliced": {"slices": (2, 2), "reserve": True},
    "flexibility": {"slices": (2, 3), "flexibility": True},
    "min_limits": {"min_limits": True},
    "extend_years": {"extend_years": 2},
    "myopic": {"slices": (1, 3), "storage": True},
    "myopic_extended": {"reserve": True, "min_limits": True, "extend_years": 1},
    "scenarios": {"scenarios": 3},
    "risk": {"scenarios": 2, "risk": 0.5},
    "sliced_scenarios": {"slices": (1, 3), "storage": True, "flexibility": True, "scenarios": 2},
    "all_deterministic": {
        "slices": (2, 2),
        "storage": True,
        "reserve": True,
        "flexibility": True,
        "min_limits": True,
        "extend_years": 2,
    },
    "all": {
        "slices": (2, 2),
        "storage": True,
        "reserve": True,
        "flexibility": True,
        "min_limits": True,
        "extend_years": 1,
        "scenarios": 2,
        "risk": 0.3,
    },
}
MYOPIC = {"myopic": {"window": 2, "step": 1}, "myopic_extended": {"window": 2, "step": 2}}
CASES = [
    pytest.param(feature, shape, seed, id=f"{feature}-{seed}")
    for i, feature in enumerate(FEATURES)
    for shape, seed in (
        [((1, 3, 1), 0), ((2, 3, 2), 1)] if feature.startswith("all") else [((2, 3, 1 + i % 2), i)]
    )
]


def _close(got, want, what: str) -> None:
    assert got == pytest.approx(want, rel=1e-6, abs=1e-6), what


@pytest.mark.parametrize(("feature", "shape", "seed"), CASES)
def test_generated_features_match_reference(feature, shape, seed):
    # objective, LP columns, objective over y0..yN, each myopic window's objective, each
    # case's Z_s, WS and EVPI: the planner and the reference oracle solve the same model
    data = generate(*shape, seed=seed, **FEATURES[feature])
    if feature in MYOPIC:
        data["foresight"] = {"mode": "myopic", **MYOPIC[feature]}
    scenarios = "scenarios" in data
    ref = reference_details(data, evpi=scenarios)
    r = solve(validate_instance(data), evpi=scenarios)
    assert r.status == ref["status"] == "optimal"
    _close(r.objective, ref["objective"], "objective")
    assert r.summary["columns"] == ref["columns"]
    _close(r.summary["objective_horizon"], ref["objective_horizon"], "objective_horizon")
    if feature in MYOPIC:
        windows = r.summary["foresight"]["windows"]
        assert len(windows) == len(ref["windows"]) > 1
        for got, want in zip(windows, ref["windows"], strict=True):
            _close(got["objective"], want, f"window {got['start']}-{got['end']}")
    if scenarios:
        info = r.summary["scenarios"]
        assert set(info["cases"]) == set(ref["cases"])
        for case, z in ref["cases"].items():
            _close(info["cases"][case]["objective"], z, f"Z of {case}")
        _close(info["wait_and_see"], ref["ws"], "wait and see")
        if "evpi" in ref:
            _close(info["evpi"], ref["evpi"], "EVPI")
        else:
            assert info["evpi"] is None


def test_generated_feature_milp_matches_reference():
    # unit sizes with slices, storage and a reserve: both solve to the 1e-4 gap
    features = {"slices": (1, 3), "storage": True, "reserve": True}
    data = generate(2, 3, 1, seed=3, milp=True, **features)
    ref = reference_details(data)
    r = solve(validate_instance(data))
    assert r.status == ref["status"] == "optimal"
    assert r.summary["integer_columns"] > 0
    assert r.objective == pytest.approx(ref["objective"], rel=2e-4)


def _two_regions(reserve: bool) -> dict:
    """x in a (demand 10) and b (demand 4, unmet cost 100), t in both (capex 1 in a, 5 in b,
    vom 1, fom 1, residual 2, loose limits, 1 unit of resource p per unit), a peaker (capex 3,
    vom 50), a link a -> b (capacity 3, cost 0.5), loose budgets; with `reserve` a 20 % margin
    (firm 1 per unit of either technology)."""
    tech = {"layer": "energy", "output": "x", "output_per_capacity": 1.0, "lifetime": 1}
    x = {"layer": "energy", "unit": "u", "demand": {"a": 10, "b": 4}, "unmet_cost": 100}
    if reserve:
        x["reserve"] = {"margin": 0.2}
    return {
        "years": {"start": 2026, "end": 2027},
        "regions": ["a", "b"],
        "commodities": {"x": x},
        "resources": {"p": {"unit": "k", "limit": {"a": 100}}},
        "technologies": {
            "t": {
                **tech,
                "capex": {"a": 1, "b": 5},
                "variable_om": 1,
                "fixed_om": 1,
                "residual": 2,
                "max_build": 100,
                "max_capacity": 100,
                "max_activity": 100,
                "firm_capacity": 1.0,
                "inputs": {"per_activity": {"p": 1.0}},
            },
            "peaker": {**tech, "capex": 3, "firm_capacity": 1.0, "variable_om": 50},
        },
        "links": {"ab": {"commodity": "x", "from": "a", "to": "b", "capacity": 3, "cost": 0.5}},
        "budget": {"per_year": 100, "total": 200},
    }


SCENARIO_CHANGES = [
    pytest.param(
        "technologies.t.output_per_capacity",
        {"multiply": {2026: 1, 2027: 0.5}},
        False,
        id="output_per_capacity",
    ),
    pytest.param("technologies.t.capex", {"multiply": {2026: 1, 2027: 2}}, False, id="capex"),
    pytest.param("technologies.t.fixed_om", {"add": {2026: 0, 2027: 2}}, False, id="fixed_om"),
    pytest.param("technologies.t.variable_om", {"multiply": 2}, False, id="variable_om"),
    pytest.param(
        "technologies.t.residual", {"set": {"a": {2026: 2, 2027: 5}, "b": 2}}, False, id="residual"
    ),
    pytest.param("technologies.t.max_build", {"multiply": 0.05}, False, id="max_build"),
    pytest.param("technologies.t.max_capacity", {"multiply": 0.1}, False, id="max_capacity"),
    pytest.param("technologies.t.max_activity", {"multiply": 0.1}, False, id="max_activity"),
    pytest.param(
        "technologies.t.min_build", {"set": {"a": {2026: 0, 2027: 20}}}, False, id="min_build"
    ),
    pytest.param(
        "technologies.t.min_capacity", {"set": {"b": {2026: 0, 2027: 9}}}, False, id="min_capacity"
    ),
    pytest.param(
        "technologies.t.min_activity", {"add": {2026: 0, 2027: 8}}, False, id="min_activity"
    ),
    pytest.param(
        "technologies.t.firm_capacity",
        {"multiply": {2026: 1, 2027: 0.5}},
        True,
        id="firm_capacity",
    ),
    pytest.param("commodities.x.demand", {"add": {2026: 0, 2027: 3}}, False, id="demand"),
    pytest.param("commodities.x.reserve.margin", {"add": 0.5}, True, id="reserve_margin"),
    pytest.param(
        "commodities.x.reserve.peak_factor", {"set": {2026: 1, 2027: 1.5}}, True, id="peak_factor"
    ),
    pytest.param("resources.p.limit", {"set": {"a": {2026: 100, 2027: 10}}}, False, id="limit"),
    pytest.param("links.ab.capacity", {"set": {2026: 3, 2027: 0}}, False, id="link_capacity"),
    pytest.param("links.ab.cost", {"add": {2026: 0, 2027: 10}}, False, id="link_cost"),
    pytest.param("budget.per_year", {"set": {2026: 100, 2027: 5}}, False, id="per_year"),
    pytest.param("budget.total", {"set": 15}, False, id="total"),
]


@pytest.mark.parametrize(("path", "change", "reserve"), SCENARIO_CHANGES)
def test_scenario_change_of_each_parameter_matches_reference(path, change, reserve):
    # One case changes the parameter from 2027 (the branch year) on, the other keeps it; the
    # change must matter (Z differs between the cases in the reference), and the planner must
    # agree with the reference on the objective and each Z_s (MODEL.md §17, §19.10).
    data = _two_regions(reserve)
    data["scenarios"] = {
        "branch_year": 2027,
        "cases": {
            "changed": {"probability": 0.5, "changes": [{"path": path, **change}]},
            "same": {"probability": 0.5},
        },
    }
    ref = reference_details(data)
    assert ref["status"] == "optimal"
    assert abs(ref["cases"]["changed"] - ref["cases"]["same"]) > 1.0
    r = solve(validate_instance(data))
    assert r.status == "optimal"
    _close(r.objective, ref["objective"], "objective")
    for case, z in ref["cases"].items():
        _close(r.summary["scenarios"]["cases"][case]["objective"], z, f"Z of {case}")
