"""Sweeps: rows equal one-off solves (serial, local processes, Dask), warm updates, resume
after SIGKILL, locking, and clear errors for bad paths, values and ranges."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from planner import load_instance, solve, sweep, validate_instance
from planner.errors import InstanceError
from planner.instance.paths import ParamError, apply, check, linspace, logspace, parse_spec, product
from planner.solver.pipeline import Session
from planner.sweeps import Store, SweepError

ROOT = Path(__file__).resolve().parents[1]
# the pre-calibration base (fast, annual, five layers): these tests need a fast multi-layer
# instance whose budgets (16000/12000/9000/7000 B$) bind; instances/base.yaml is now time-sliced
BASE = ROOT / "tests" / "data" / "base_2025.yaml"
TINY = ROOT / "instances" / "tiny.yaml"
sys.path.insert(0, str(ROOT / "scripts"))


@pytest.fixture(scope="module")
def base():
    return load_instance(BASE)


@pytest.fixture(scope="module")
def tiny():
    return load_instance(TINY)


def assert_matches_one_off(instance, table, rel=1e-6):
    """Every row equals a fresh build + cold solve at the same parameters."""
    for _, row in table.iterrows():
        point = {name: row[name] for name in table.attrs["params"]}
        ref = solve(apply(instance, point))
        assert row["status"] == ref.status, point
        if ref.objective is None:
            assert np.isnan(row["objective"])
            continue
        assert row["objective"] == pytest.approx(ref.objective, rel=rel), point
        spend = float(ref.budget["spend"].iloc[-1])
        assert row["spend_total"] == pytest.approx(spend, rel=1e-6, abs=1e-6)
        shadow = float(ref.budget["shadow_price"].iloc[-1])
        if "budget_total" in {c for c in ref.constraints["constraint"]}:
            assert row["shadow.budget_total"] == pytest.approx(shadow, rel=1e-5, abs=1e-6)


BUDGETS = [16000.0, 12000.0, 9000.0, 7000.0]


def test_serial_budget_sweep_matches_one_off_solves(base):
    table = sweep(base, {"budget.total": BUDGETS})
    assert list(table["point"]) == [0, 1, 2, 3]
    assert list(table["budget.total"]) == BUDGETS
    assert (table["status"] == "optimal").all()
    assert table["warm"].iloc[1:].all()  # only numbers changed: no rebuild after the first
    assert (table["spend_total"] <= table["budget.total"] * (1 + 1e-9)).all()
    # a tighter budget costs more and its shadow price does not fall
    assert table["objective"].is_monotonic_increasing
    assert table["shadow.budget_total"].iloc[-1] > 0
    assert_matches_one_off(base, table)
    for column in ("unserved.tokens_chat", "unserved_share.tokens_chat", "capacity.energy"):
        assert column in table
    assert {"shadow.packaging.max", "shadow.packaging.mean", "solve_time"} <= set(table)


def test_product_of_costs_limits_and_scaled_demand(base):
    points = {
        "budget.total": [12000.0, 9000.0],
        "technologies.solar_pv.capex": [0.5, 1.5],
        "scale:commodities.tokens_chat.demand": [1.0, 1.3],
        "resources.packaging.limit": [80.0],
    }
    table = sweep(base, points)
    assert len(table) == 8
    # snake order: consecutive points differ in one parameter
    values = table[table.attrs["params"]].to_numpy()
    assert all((values[i] != values[i + 1]).sum() == 1 for i in range(len(values) - 1))
    assert table["warm"].iloc[1:].all()
    assert_matches_one_off(base, table)


def test_generated_instance_with_regions_links_and_yearly_budget():
    from gen_instance import generate

    inst = validate_instance(generate(2, 6, 2, seed=5), "gen")
    factor = [1.0, 0.7, 0.5]
    table = sweep(
        inst,
        {"scale:budget.per_year": factor, "scale:technologies.chips_1.capex": [1.0, 2.0]},
    )
    assert len(table) == 6
    assert table["warm"].iloc[1:].all()
    assert "shadow.budget_year.max" in table
    assert_matches_one_off(inst, table)


def test_structure_change_rebuilds(base):
    session = Session()
    first = solve(apply(base, {"budget.total": 9000.0}), session=session)
    # a budget where there was none adds a row: the model must be rebuilt
    second = solve(base, session=session)
    third = solve(apply(base, {"budget.total": 8000.0}), session=session)
    warm = [r.summary["warm"] for r in (first, second, third)]
    assert warm == [False, False, False]
    assert second.objective == pytest.approx(solve(base).objective, rel=1e-9)
    fourth = solve(apply(base, {"budget.total": 9000.0}), session=session)
    assert fourth.summary["warm"]
    assert fourth.objective == pytest.approx(first.objective, rel=1e-9)


def test_failed_point_is_recorded_and_the_sweep_goes_on(tiny):
    table = sweep(tiny, [{"technologies.datacenter.max_capacity": v} for v in (10, 0.1, 10, 5)])
    assert list(table["status"]) == ["optimal", "infeasible", "optimal", "optimal"]
    assert np.isnan(table["objective"].iloc[1])
    assert_matches_one_off(tiny, table)


def test_keep_schedule(tiny):
    table = sweep(tiny, {"budget.total": [50000.0, 20000.0]}, keep="schedule")
    schedules = table.attrs["schedules"]
    assert set(schedules["point"]) == {0, 1}
    ref = solve(apply(tiny, {"budget.total": 20000.0}))
    got = schedules[schedules["point"] == 1].drop(columns="point").reset_index(drop=True)
    np.testing.assert_allclose(got["build"], ref.schedule["build"], rtol=1e-6, atol=1e-6)


def test_parallel_local_processes_match_serial(base, tmp_path):
    out = tmp_path / "sweep"
    serial = sweep(base, {"budget.total": BUDGETS})
    parallel = sweep(base, {"budget.total": BUDGETS}, workers=2, out=out)
    assert not parallel["worker"].str.endswith(f":{os.getpid()}").any()  # other processes
    np.testing.assert_allclose(parallel["objective"], serial["objective"], rtol=1e-6)
    on_disk = __import__("pandas").read_parquet(out / "sweep.parquet")
    assert list(on_disk["point"]) == [0, 1, 2, 3]
    assert (out / "sweep.csv").is_file()


def test_dask_local_cluster_matches_serial(base):
    distributed = pytest.importorskip("distributed")
    serial = sweep(base, {"budget.total": BUDGETS})
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        table = sweep(base, {"budget.total": BUDGETS}, client=client)
    assert list(table["point"]) == [0, 1, 2, 3]
    np.testing.assert_allclose(table["objective"], serial["objective"], rtol=1e-6)


KILLED = """
import sys, time
from planner import load_instance, sweep
from planner.instance.paths import linspace

def slow(row):
    print("done", row["point"], flush=True)
    time.sleep(0.4)

sweep(load_instance(sys.argv[1]), {"budget.total": linspace(16000, 6000, 12)},
      out=sys.argv[2], on_point=slow)
"""


def test_resume_after_sigkill_loses_and_repeats_nothing(base, tmp_path):
    out = tmp_path / "killed"
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(KILLED))
    proc = subprocess.Popen(
        [sys.executable, str(script), str(BASE), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    parts = out / "points"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if parts.is_dir() and len(list(parts.glob("*.parquet"))) >= 4:
            break
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts.glob("*.parquet")}
    assert 4 <= len(before) < 12
    assert not (out / "sweep.parquet").exists()

    with pytest.raises(SweepError, match="--resume"):
        sweep(base, {"budget.total": linspace(16000, 6000, 12)}, out=out)
    computed: list[int] = []
    table = sweep(
        base,
        {"budget.total": linspace(16000, 6000, 12)},
        out=out,
        resume=True,
        on_point=lambda row: computed.append(int(row["point"])),
    )
    done_before = {int(name.split(".")[0]) for name in before}
    assert sorted(computed) == sorted(set(range(12)) - done_before)  # none recomputed
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts.glob("*.parquet")}
    assert {k: after[k] for k in before} == before  # finished points untouched
    assert list(table["point"]) == list(range(12))  # none lost
    reference = sweep(base, {"budget.total": linspace(16000, 6000, 12)})
    np.testing.assert_allclose(table["objective"], reference["objective"], rtol=1e-6)


def test_second_sweep_on_the_same_directory_is_refused(base, tmp_path):
    holder = Store(tmp_path / "busy")
    holder.lock()
    try:
        with pytest.raises(SweepError, match="another sweep"):
            sweep(base, {"budget.total": [9000.0]}, out=tmp_path / "busy")
    finally:
        holder.unlock()
    table = sweep(base, {"budget.total": [9000.0]}, out=tmp_path / "busy")
    assert len(table) == 1


def test_resume_of_a_different_sweep_is_refused(base, tmp_path):
    sweep(base, {"budget.total": [9000.0]}, out=tmp_path / "s")
    with pytest.raises(SweepError, match="different sweep"):
        sweep(base, {"budget.total": [8000.0]}, out=tmp_path / "s", resume=True)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("budget.totl", "did you mean total"),
        ("technologies.gpu_x.capex", "technologies has no key 'gpu_x'"),
        ("resources.packaging.limt", "did you mean limit"),
        ("commodities.tokens_chat.demand.2099", "no key '2099'"),
        ("name", "not a number"),
        ("scale:budget.total", "nothing to scale"),
        ("budget..total", "malformed"),
    ],
)
def test_bad_paths_fail_before_anything_runs(base, tmp_path, path, message):
    out = tmp_path / "never"
    with pytest.raises(ParamError, match=message):
        sweep(base, {path: [1.0]}, out=out)
    assert not out.exists()


def test_bad_values_fail_before_anything_runs(base, tmp_path):
    out = tmp_path / "never"
    with pytest.raises(InstanceError, match=r"budget\.total"):
        sweep(base, {"budget.total": [1000.0, -5.0]}, out=out)
    assert not out.exists()


def test_paths_address_years_regions_and_unset_fields(base):
    params = check(base, ["budget.total", "scale:technologies.solar_pv.capex"])
    assert [(p.keys, p.scale) for p in params] == [
        (("budget", "total"), False),
        (("technologies", "solar_pv", "capex"), True),
    ]
    changed = apply(base, {"commodities.tokens_chat.demand.2030": 1.0})
    assert changed.commodities["tokens_chat"].demand[2030] == 1.0
    assert (
        changed.commodities["tokens_chat"].demand[2031]
        == (base.commodities["tokens_chat"].demand[2031])
    )
    scaled = apply(base, {"scale:commodities.tokens_chat.demand": 2.0})
    for year, value in base.commodities["tokens_chat"].demand.items():
        assert scaled.commodities["tokens_chat"].demand[year] == pytest.approx(2 * value)
    assert base.budget is None and apply(base, {"budget.total": 5.0}).budget.total == 5.0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("budget.total=1e5:2e6:0", "whole number of points >= 1"),
        ("budget.total=1e5:2e6:2.5", "not a whole number"),
        ("budget.total=1e5:2e6", "START:STOP:N"),
        ("budget.total=0:2e6:5:log", "log range needs ends > 0"),
        ("budget.total=abc:2:3", "'abc' is not a number"),
        ("budget.total=1:2:1", "at least 2 points"),
        ("budget.total", "PATH=START:STOP:N"),
        ("budget.total=inf,2", "not a finite number"),
    ],
)
def test_bad_ranges(spec, message):
    with pytest.raises(ParamError, match=message):
        parse_spec(spec)


def test_ranges_and_products():
    assert parse_spec("budget.total=1e5:2e6:3") == ("budget.total", [1e5, 1.05e6, 2e6])
    path, values = parse_spec("x=1:100:3:log")
    assert path == "x" and values == pytest.approx([1, 10, 100])
    assert parse_spec("a=1,2.5") == ("a", [1.0, 2.5])
    assert linspace(1, 1, 1) == [1.0]
    assert logspace(1, 1000, 4) == pytest.approx([1, 10, 100, 1000])
    assert product({"a": [1, 2], "b": [3, 4]}) == [
        {"a": 1, "b": 3},
        {"a": 1, "b": 4},
        {"a": 2, "b": 4},
        {"a": 2, "b": 3},
    ]
