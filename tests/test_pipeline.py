"""One pipeline for every caller: a sweep point and a one-off `solve` of the same point
agree on status, objective, the violation check and every table."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from balances import check_balances

import planner.solver.pipeline as pipeline
from planner import Session, SolveOptions, load_instance, solve, sweep, validate_instance
from planner.instance.paths import apply
from planner.results.base import TABLES

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from gen_instance import generate  # noqa: E402

BUDGETS = [12000.0, 9000.0, 7000.0]


@pytest.fixture(scope="module")
def base():
    # the pre-calibration base: fast, five layers, and the budgets below bind on it
    return load_instance(ROOT / "tests" / "data" / "base_2025.yaml")


def assert_same_table(got: pd.DataFrame, want: pd.DataFrame, name: str) -> None:
    assert list(got.columns) == list(want.columns), name
    assert len(got) == len(want), name
    for column in got.columns:
        if pd.api.types.is_float_dtype(got[column]):
            np.testing.assert_allclose(
                got[column].to_numpy(float),
                want[column].to_numpy(float),
                rtol=1e-9,
                atol=1e-9,
                err_msg=f"{name}.{column}",
            )
        else:
            assert got[column].astype(str).tolist() == want[column].astype(str).tolist()


@pytest.mark.parametrize("budget", BUDGETS)
def test_a_sweep_point_equals_a_one_off_solve(base, budget, tmp_path):
    # a sweep's first point is solved cold on its worker's session: every table equals solve()
    table = sweep(base, {"budget.total": [budget]}, keep="tables", out=tmp_path / "s")
    one_off = solve(apply(base, {"budget.total": budget}))
    row = table.iloc[0]
    assert row["status"] == one_off.status == "optimal"
    assert row["objective"] == pytest.approx(one_off.objective, rel=1e-12)
    assert row["max_violation"] == one_off.summary["max_violation"]
    for name in TABLES:
        got = table.attrs["tables"][name].drop(columns="point")
        assert_same_table(got, one_off.tables[name], name)
        on_disk = pd.read_parquet(tmp_path / "s" / f"{name}.parquet").drop(columns="point")
        assert len(on_disk) == len(one_off.tables[name])


def test_warm_points_are_the_same_plans(base):
    # later points re-solve warm: the same optimum; where the LP is degenerate the duals
    # (and alternative optima) may differ, so each warm plan is checked on its own
    table = sweep(base, {"budget.total": BUDGETS}, keep="tables")
    tables = table.attrs["tables"]
    session = Session()
    for i, budget in enumerate(BUDGETS):
        inst = apply(base, {"budget.total": budget})
        one_off = solve(inst)
        row = table.iloc[i]
        assert row["warm"] == (i > 0)
        assert row["status"] == one_off.status == "optimal"
        assert row["objective"] == pytest.approx(one_off.objective, rel=1e-9)
        assert row["max_violation"] < 1e-9
        warm = solve(inst, session=session)  # what the sweep's worker did
        assert warm.summary["warm"] == (i > 0)
        for name in TABLES:
            point = tables[name][tables[name]["point"] == i].drop(columns="point")
            assert_same_table(point.reset_index(drop=True), warm.tables[name], name)
        check_balances(inst, warm)


def test_an_infeasible_point_is_diagnosed_the_same_way():
    tiny = load_instance(ROOT / "instances" / "tiny.yaml")
    point = {"technologies.datacenter.max_capacity": 0.1}
    row = sweep(tiny, [point]).iloc[0]
    one_off = solve(apply(tiny, point))
    assert row["status"] == one_off.status == "infeasible"
    swept = solve(apply(tiny, point), session=Session())
    assert swept.summary["cause"] == one_off.summary["cause"]
    assert "max_capacity" in " ".join(one_off.summary["cause"])


def test_a_doubtful_warm_status_is_checked_cold(base, monkeypatch):
    # a warm re-solve that ends infeasible is solved again from scratch before it is
    # believed: the first warm run below is made to report "infeasible"
    session = Session()
    solve(apply(base, {"budget.total": BUDGETS[0]}), session=session)
    real = pipeline.run
    calls = []

    def run_once_infeasible(hand):
        sol = real(hand)
        calls.append(sol.status)
        if len(calls) == 1:
            sol.status = "infeasible"
        return sol

    monkeypatch.setattr(pipeline, "run", run_once_infeasible)
    inst = apply(base, {"budget.total": BUDGETS[1]})
    r = solve(inst, session=session)
    assert len(calls) == 2
    assert r.status == "optimal" and r.summary["warm_retried"] == "infeasible"
    assert r.summary["warm"] is False  # the answer is the cold solve's
    assert r.objective == pytest.approx(solve(inst).objective, rel=1e-9)


def test_myopic_windows_kept_warm_equal_rebuilt_windows():
    # on this instance HiGHS's warm re-solve of the last window's view once ended
    # "infeasible" (tiny fixed values from the previous window, no presolve on a warm
    # start); the cold check makes both ways reach the same plan
    data = generate(10, 15, 5, seed=1)
    data["foresight"] = {"mode": "myopic", "window": 6, "step": 3}
    inst = validate_instance(data, "generated")
    kept = solve(inst, SolveOptions(reuse_windows=True))
    rebuilt = solve(inst, SolveOptions(reuse_windows=False))
    assert kept.status == rebuilt.status == "optimal"
    assert kept.objective == pytest.approx(rebuilt.objective, rel=1e-9)
    for a, b in zip(
        kept.summary["foresight"]["windows"], rebuilt.summary["foresight"]["windows"], strict=True
    ):
        assert a["status"] == b["status"] == "optimal"
        assert a["objective"] == pytest.approx(b["objective"], rel=1e-9)


def test_a_solve_stopped_early_with_a_solution_builds_every_table(base, monkeypatch):
    # a time-limited solve ends its run (a myopic window, a sweep point): the tables a
    # caller meant to skip are built, since they are what the user gets
    real = pipeline.run

    def time_limited(hand):
        sol = real(hand)
        sol.status = "time_limit"
        return sol

    monkeypatch.setattr(pipeline, "run", time_limited)
    r = solve(base, SolveOptions(tables=("budget",)))
    assert r.status == "time_limit" and r.summary["solution"] == "feasible, not proven optimal"
    assert set(TABLES) <= set(r.tables)
    monkeypatch.setattr(pipeline, "run", real)
    assert set(solve(base, SolveOptions(tables=("budget",))).tables) == {"budget"}
