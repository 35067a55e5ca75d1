"""Numerics: coefficient-range warnings before solving, violation checks after, and honest
statuses for solves that stop early."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import planner.solver.pipeline
from planner import SolveOptions, load_instance, solve, validate_instance
from planner.cli import app
from planner.model.assemble import assemble
from planner.model.data import prepare
from planner.solver.check import max_violation

ROOT = Path(__file__).parent.parent
TINY = ROOT / "instances" / "tiny.yaml"
sys.path.insert(0, str(ROOT / "scripts"))
from gen_instance import generate  # noqa: E402


def tiny() -> dict:
    return yaml.safe_load(TINY.read_text())


def test_badly_scaled_instance_is_warned_about():
    data = tiny()
    # 1.2e-8 against the largest coefficient, datacenter capex 10000 / lead time 2 = 5000 in
    # the budget row: a ratio of 4.2e11 > 1e9
    data["technologies"]["gpu"]["inputs"]["per_activity"]["electricity"] = 1.2e-8
    inst = validate_instance(data, "x.yaml")
    assert inst.warnings == [
        "x.yaml: technologies.gpu.inputs.per_activity.electricity: matrix coefficients span "
        "1.2e-08 (technologies.gpu.inputs.per_activity.electricity) to 5e+03 "
        "(technologies.datacenter.capex), a ratio of 4.2e+11 > 1e+09 that can make HiGHS's "
        "answer inaccurate. Fix: change the units of the quantities involved (e.g. MW -> GW, "
        "$ -> M$) so that coefficients lie between about 1e-4 and 1e6"
    ]
    # 1.2e-5 gives a ratio of 4.2e8: no warning
    data["technologies"]["gpu"]["inputs"]["per_activity"]["electricity"] = 1.2e-5
    assert validate_instance(data, "x.yaml").warnings == []


def test_cost_range_warning_names_both_ends():
    data = tiny()
    data["commodities"]["tokens"]["unmet_cost"] = 1e14
    inst = validate_instance(data, "x.yaml")
    assert len(inst.warnings) == 1
    assert (
        "cost coefficients span 5 (technologies.frontier_model.capex) to 1e+14"
        in (inst.warnings[0])
    )
    assert "(commodities.tokens.unmet_cost)" in inst.warnings[0]


def test_shipped_instances_have_no_scaling_warnings():
    for path in sorted((ROOT / "instances").glob("*.yaml")):
        assert load_instance(path).warnings == [], path


def test_violation_is_reported_for_every_solve():
    r = solve(load_instance(TINY))
    assert 0 <= r.summary["max_violation"] < 1e-9
    assert r.summary["solution"] == "optimal"


def test_max_violation_finds_a_broken_row():
    inst = load_instance(TINY)
    model = assemble(prepare(inst))
    zero = np.zeros(model.n_lp)
    # nothing built, nothing produced: the tokens balance (demand 40 in 2030 against
    # unserved 0) is violated by 40 / 40 = 1 relative
    assert max_violation(model, zero) == pytest.approx(1.0)


def test_a_violating_solution_is_not_a_plan(monkeypatch):
    real_run = planner.solver.pipeline.run

    def broken(hand):
        sol = real_run(hand)
        sol.x = sol.x * 0.5  # halve every value: balances no longer hold
        return sol

    monkeypatch.setattr(planner.solver.pipeline, "run", broken)
    r = solve(load_instance(TINY))
    assert r.status == "numerical_trouble"
    assert r.tables == {}
    assert r.summary["solution"] == "none"
    assert "violates a constraint" in r.summary["cause"][0]


def test_time_limited_milp_is_honest(tmp_path):
    # a MILP whose 1e-4 gap takes minutes to prove; stopped after 2 s it has an incumbent
    path = tmp_path / "milp.yaml"
    path.write_text(yaml.safe_dump(generate(4, 10, 2, seed=1, milp=True), sort_keys=False))
    r = solve(load_instance(path), SolveOptions(time_limit=2.0))
    assert r.status == "time_limit"
    assert r.summary["feasible_solution"] is True
    assert r.summary["solution"] == "feasible, not proven optimal"
    assert r.summary["mip_gap"] > 1e-4
    assert len(r.schedule) > 0
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["solve", str(path), "--out", str(out), "--time-limit", "2"])
    assert result.exit_code == 3, result.output
    assert "the tables hold the best feasible solution found, not an optimum" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "time_limit"
    assert summary["solution"] == "feasible, not proven optimal"
