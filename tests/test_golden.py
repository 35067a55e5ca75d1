"""Golden objectives of the shipped instances, and agreement with the independent reference
implementation of MODEL.md (tests/reference.py) on shipped and generated instances."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from reference import reference_solve

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
