"""`planner sweep` on the command line: files written, exit codes, --scheduler."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from planner import load_instance, sweep
from planner.cli import app

ROOT = Path(__file__).resolve().parents[1]
# the pre-calibration base (fast, annual, five layers): these tests need a fast multi-layer
# instance whose budgets (16000/12000/9000/7000 B$) bind; instances/base.yaml is now time-sliced
BASE = ROOT / "tests" / "data" / "base_2025.yaml"
runner = CliRunner()


def test_cli_sweep_writes_table_and_frontier(tmp_path):
    out = tmp_path / "s"
    args = ["sweep", str(BASE), "--param", "budget.total=16000:8000:3", "--out", str(out)]
    result = runner.invoke(app, [*args, "--workers", "1", "--no-png"])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "sweep.parquet")
    assert list(table["budget.total"]) == [16000.0, 12000.0, 8000.0]
    assert len(pd.read_csv(out / "sweep.csv")) == 3
    assert (out / "frontier.html").stat().st_size > 0
    assert len(list((out / "points").glob("*.parquet"))) == 3
    again = runner.invoke(app, [*args, "--workers", "1", "--no-png"])
    assert again.exit_code == 1 and "--resume" in again.output
    resumed = runner.invoke(app, [*args, "--workers", "1", "--no-png", "--resume"])
    assert resumed.exit_code == 0, resumed.output


@pytest.mark.parametrize(
    "spec", ["budget.totl=1:2:3", "budget.total=1:2:0", "technologies.nope.capex=1,2"]
)
def test_cli_bad_param_is_exit_1(tmp_path, spec):
    result = runner.invoke(app, ["sweep", str(BASE), "--param", spec, "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "error" in result.output


def test_cli_sweep_on_a_dask_scheduler(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        dashboard_address=None,
    ) as cluster:
        out = tmp_path / "d"
        result = runner.invoke(
            app,
            [
                "sweep",
                str(BASE),
                "--param",
                "budget.total=15000,9000",
                "--param",
                "scale:commodities.tokens_chat.demand=1,1.2",
                "--out",
                str(out),
                "--scheduler",
                cluster.scheduler_address,
                "--no-png",
            ],
        )
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out / "sweep.parquet")
    serial = sweep(
        load_instance(BASE),
        {"budget.total": [15000.0, 9000.0], "scale:commodities.tokens_chat.demand": [1, 1.2]},
    )
    np.testing.assert_allclose(table["objective"], serial["objective"], rtol=1e-6)
