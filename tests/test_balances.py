"""Every balance, limit and cost rebuilt from the result tables of solved instances."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np
import pytest
from balances import check_balances

from planner import Instance, Results, SolveOptions, load_instance, solve, validate_instance
from planner.model.registry import CVAR_EXCESS
from planner.model.stochastic import combine
from planner.results.stochastic import case_solution
from planner.solver.handoff import direct_lp
from planner.solver.highs import load, run

ROOT = Path(__file__).parent.parent
INSTANCES = sorted((ROOT / "instances").glob("*.yaml"))
sys.path.insert(0, str(ROOT / "scripts"))
from gen_instance import generate  # noqa: E402


@pytest.mark.parametrize("path", INSTANCES, ids=lambda p: p.stem)
def test_shipped_instances_balance(path):
    inst = load_instance(path)
    r = solve(inst)
    assert r.status == "optimal"
    check_balances(inst, r)


SLICED = {"slices": (2, 3), "storage": True, "reserve": True, "flexibility": True}


def solved(**options) -> tuple[Instance, Results]:
    """A small generated instance (2 regions, 3 years) with `options`, solved optimally."""
    inst = validate_instance(generate(2, 3, 2, seed=1, **options))
    r = solve(inst)
    assert r.status == "optimal"
    return inst, r


@pytest.fixture(scope="module")
def featured() -> tuple[Instance, Results]:
    """Time slices, storage, a reserve margin, flexible load (with a use_profile on some
    users), minimum limits and end effects in one generated instance."""
    return solved(min_limits=True, extend_years=2, **SLICED)


def test_every_slice_feature_balances(featured):
    inst, r = featured
    assert {"slices", "dispatch"} <= set(r.tables)
    dispatch = r.dispatch
    # the instance exercises what the rebuild checks: storage cycling, shifting, a reserve
    assert dispatch["charge"].fillna(0).max() > 0
    assert dispatch["shifted_up"].fillna(0).max() > 0
    assert dispatch["curtailed"].fillna(0).max() > 0
    assert r.slices["capacity_price"].max() > 0
    assert any(t.use_profile for t in inst.technologies.values())
    check_balances(inst, r)


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("slices", "consumption"),
        ("slices", "weight"),
        ("dispatch", "state_of_charge"),
        ("dispatch", "shifted_up"),
        ("dispatch", "activity"),
        ("slices", "required_firm"),
    ],
)
def test_the_rebuild_catches_a_changed_value(featured, table, column):
    # one value moved by 1 % (at least 1e-3) where it is not zero must break a check
    inst, r = featured
    tables = copy.deepcopy(r.tables)
    frame = tables[table]
    i = frame[column].fillna(0).abs().idxmax()
    frame.loc[i, column] += max(0.01 * abs(frame.loc[i, column]), 1e-3)
    with pytest.raises(AssertionError):
        check_balances(inst, Results(r.status, r.objective, r.summary, tables))


@pytest.fixture(scope="module")
def two_stage() -> tuple[Instance, Results]:
    return solved(extend_years=1, scenarios=2, risk=0.3, **SLICED)


def test_two_stage_programme_balances_per_scenario(two_stage):
    inst, r = two_stage
    assert set(r.schedule["scenario"]) == set(inst.scenarios.cases)
    assert r.dispatch["charge"].fillna(0).max() > 0
    check_balances(inst, r)


@pytest.mark.parametrize("what", ["first-stage build", "objective"])
def test_the_two_stage_rebuild_catches_a_changed_value(two_stage, what):
    # a first-stage build that differs between the cases, or an objective that is not
    # (1 - ω) Σ p_s Z_s + ω CVaR, must break a check
    inst, r = two_stage
    tables = copy.deepcopy(r.tables)
    objective = r.objective
    if what == "objective":
        objective *= 1 + 1e-4
    else:
        sched = tables["schedule"]
        first = sched[(sched["build_stage"] == "first") & (sched["build"] > 0)]
        sched.loc[first.index[0], "build"] *= 1.01
    with pytest.raises(AssertionError):
        check_balances(inst, Results(r.status, objective, r.summary, tables))


def test_myopic_last_window_balances():
    # the last window's tables, with every earlier decision fixed in them
    data = generate(2, 4, 1, seed=1, min_limits=True, extend_years=1, **SLICED)
    data["foresight"] = {"mode": "myopic", "window": 2, "step": 1}
    inst = validate_instance(data)
    r = solve(inst)
    assert r.status == "optimal"
    assert len(r.summary["foresight"]["windows"]) == 3
    check_balances(inst, r)


def test_two_stage_case_reduced_costs_add_up_to_the_programme_s(two_stage):
    # The programme's reduced cost of column j is sum over the cases s holding j of
    # p_s * (case s's reduced cost of its column): (1 - ω) p_s c_s + y_cvar,s c_s - A_s^T y_s
    # summed over s. With a risk weight the CVaR rows' duals are part of it, so leaving
    # them out (or the (1 - ω) factor) breaks the identity.
    inst, _ = two_stage
    sm = combine(inst)
    sol = run(load(direct_lp(sm), SolveOptions()))
    assert sol.status == "optimal" and sol.reduced_costs is not None
    assert np.abs(sol.duals[CVAR_EXCESS.name]).max() > 1e-6  # the risk term is active
    total = np.zeros_like(sol.reduced_costs)
    covered = np.zeros(total.size, dtype=bool)  # not θ and a_s, which are in no case
    for case, cols in sm.columns.items():
        covered[cols] = True
        reduced = case_solution(sm, case, sol).reduced_costs
        np.add.at(total, cols, sm.probability[case] * reduced)
    scale = max(1.0, float(np.abs(sol.reduced_costs).max()))
    assert np.abs(total - sol.reduced_costs)[covered].max() <= 1e-7 * scale
