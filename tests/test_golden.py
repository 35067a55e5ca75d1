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
    "base": 8952.87708630994,
    "regions": 4024.618433362199,
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
