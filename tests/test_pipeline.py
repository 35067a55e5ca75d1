"""One pipeline for every caller: a sweep point and a one-off `solve` of the same point
agree on status, objective, the violation check and every table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from balances import check_balances

from planner import Session, load_instance, solve, sweep
from planner.instance.paths import apply
from planner.results.base import TABLES

ROOT = Path(__file__).resolve().parents[1]
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
