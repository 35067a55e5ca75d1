"""Sweeps under faults: a worker process killed mid-point (SIGKILL, as the out-of-memory
killer does) is replaced and its point retried once; a point that kills every worker is
recorded as "worker_died" and the sweep goes on; a running sweep holds its directory.

Faults are injected with PLANNER_SWEEP_FAULT (`planner.sweeps.point.Fault`), set only while
the faulty sweep runs: the same variable would kill this process in a serial sweep.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner import load_instance, sweep
from planner.sweeps import SweepError

# the pre-calibration base (fast, annual, five layers): these tests need a fast multi-layer
# instance whose budgets (16000/12000/9000/7000 B$) bind; instances/base.yaml is now time-sliced
BASE = Path(__file__).resolve().parents[1] / "tests" / "data" / "base_2025.yaml"
POINTS = {"budget.total": [16000.0, 12000.0, 9000.0, 7000.0, 6000.0]}


@pytest.fixture(scope="module")
def base():
    return load_instance(BASE)


@pytest.fixture(scope="module")
def reference(base):
    return sweep(base, POINTS)


def faulty_sweep(base, out, fault, monkeypatch, on_point=None):
    """Two local workers, chunks [0, 1] [2, 3] [4], PLANNER_SWEEP_FAULT=fault."""
    computed: list[int] = []

    def seen(row):
        computed.append(int(row["point"]))
        if on_point is not None:
            on_point(row)

    with monkeypatch.context() as m:
        m.setenv("PLANNER_SWEEP_FAULT", fault)
        table = sweep(base, POINTS, workers=2, chunk_size=2, out=out, on_point=seen)
    assert sorted(computed) == list(range(5))  # every point recorded exactly once
    assert sorted(p.name for p in (out / "points").glob("*.parquet")) == [
        f"{i:06d}.parquet" for i in range(5)
    ]
    on_disk = pd.read_parquet(out / "sweep.parquet")  # the sweep finished
    assert list(on_disk["point"]) == list(range(5))
    return table


def test_a_killed_worker_is_replaced_and_its_point_retried(base, reference, tmp_path, monkeypatch):
    fired = tmp_path / "fired"
    refused: list[str] = []

    def second_sweep(row):
        if not refused:  # while this sweep runs, its directory is locked
            with pytest.raises(SweepError, match=f"another sweep.*:{os.getpid()}") as err:
                sweep(base, {"budget.total": [9000.0]}, out=tmp_path / "s", resume=True)
            refused.append(str(err.value))

    table = faulty_sweep(base, tmp_path / "s", f"1:{fired}", monkeypatch, second_sweep)
    assert fired.exists()  # point 1 did kill its first worker
    assert refused
    assert (table["status"] == "optimal").all()
    np.testing.assert_allclose(table["objective"], reference["objective"], rtol=1e-6)
    # point 1 was solved by the replacement of the worker that solved point 0
    assert table["worker"].iloc[1] != table["worker"].iloc[0]


def test_a_point_that_always_kills_its_worker_fails_alone(base, reference, tmp_path, monkeypatch):
    table = faulty_sweep(base, tmp_path / "s", "3", monkeypatch)
    assert list(table["status"]) == ["optimal"] * 3 + ["worker_died", "optimal"]
    assert "died twice (signal 9" in table["error"].iloc[3]
    assert np.isnan(table["objective"].iloc[3])
    keep = table["point"] != 3
    np.testing.assert_allclose(table["objective"][keep], reference["objective"][keep], rtol=1e-6)


def test_dask_reruns_a_task_whose_worker_died_and_records_each_point_once(
    base, reference, tmp_path, monkeypatch
):
    """Point 1 kills its first worker: Dask re-runs its task [0, 1] elsewhere, so point 0
    arrives twice; it is recorded (and written) once."""
    distributed = pytest.importorskip("distributed")
    fired = tmp_path / "fired"
    computed: list[int] = []
    monkeypatch.setenv("PLANNER_SWEEP_FAULT", f"1:{fired}")  # inherited by the workers
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        table = sweep(
            base,
            POINTS,
            client=client,
            chunk_size=2,
            out=tmp_path / "d",
            on_point=lambda row: computed.append(int(row["point"])),
        )
    assert fired.exists()
    assert sorted(computed) == list(range(5))
    assert len(list((tmp_path / "d" / "points").glob("*.parquet"))) == 5
    assert (table["status"] == "optimal").all()
    np.testing.assert_allclose(table["objective"], reference["objective"], rtol=1e-6)
