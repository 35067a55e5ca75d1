"""The command line, through typer's runner: outputs, exit codes, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner.cli import app

ROOT = Path(__file__).parent.parent
TINY = ROOT / "instances" / "tiny.yaml"
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_validate_prints_size():
    result = invoke("validate", TINY)
    assert result.exit_code == 0, result.output
    assert "valid:" in result.output
    assert "5 technologies" in result.output
    assert "LP with 52 columns" in result.output


def test_solve_writes_every_table_and_summary(tmp_path):
    out = tmp_path / "out"
    result = invoke("solve", TINY, "--out", out, "--format", "csv,parquet,xlsx")
    assert result.exit_code == 0, result.output
    assert "optimal" in result.output
    assert "unserved tokens: 10" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(10661.725457614848, rel=1e-9)
    for key in ("rows", "columns", "nonzeros", "solver", "times"):
        assert key in summary
    for table in (
        "schedule",
        "commodities",
        "resources",
        "flows",
        "budget",
        "costs",
        "constraints",
    ):
        assert (out / f"{table}.csv").is_file()
        assert (out / f"{table}.parquet").is_file()
    assert (out / "results.xlsx").is_file()
    sched = pd.read_parquet(out / "schedule.parquet")
    assert set(sched["layer"]) == {"energy", "chips", "infrastructure", "models", "applications"}


def test_budget_override_changes_the_plan(tmp_path):
    loose = invoke("solve", TINY, "--out", tmp_path / "a")
    tight = invoke("solve", TINY, "--out", tmp_path / "b", "--budget-total", "300")
    assert loose.exit_code == tight.exit_code == 0
    a = json.loads((tmp_path / "a" / "summary.json").read_text())["objective"]
    b = json.loads((tmp_path / "b" / "summary.json").read_text())["objective"]
    assert b > a
    budget = pd.read_csv(tmp_path / "b" / "budget.csv")
    total = budget[budget["scope"] == "total"].iloc[0]
    assert total["spend"] == pytest.approx(300)
    assert total["shadow_price"] > 0


def test_bad_input_exits_1_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text().replace("lifetime: 30", "lifetime: 0"))
    result = invoke("solve", bad, "--out", tmp_path / "o")
    assert result.exit_code == 1
    assert (
        "technologies.solar.lifetime: must be >= 1, got 0. Fix: use a value >= 1" in result.output
    )
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_missing_file_exits_1(tmp_path):
    result = invoke("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 1
    assert "cannot read the file" in result.output


def test_infeasible_exits_2_and_names_the_cause(tmp_path):
    bad = tmp_path / "hard.yaml"
    # hard demand (no unmet_cost) from 2026, but electricity needs solar with a lead time of 1
    bad.write_text(TINY.read_text().replace("    unmet_cost: 1000", ""))
    result = invoke("solve", bad, "--out", tmp_path / "o")
    assert result.exit_code == 2, result.output
    assert "infeasible" in result.output
    assert "the supply of electricity for what uses it in 2026 (region world)" in result.output
    assert "solar: lead time 1 (first new capacity 2027)" in result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert summary["cause"]


def test_output_of_another_run_needs_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = invoke("solve", TINY, "--out", out)
    assert result.exit_code == 1
    assert "use --force" in result.output
    assert (out / "notes.txt").read_text() == "mine"
    assert invoke("solve", TINY, "--out", out, "--force").exit_code == 0
    assert not (out / "notes.txt").exists()
    # the same instance solved again replaces its own results without --force
    assert invoke("solve", TINY, "--out", out).exit_code == 0


def test_usage_errors_are_bad_input(tmp_path):
    result = invoke("solve", TINY, "--out", tmp_path / "o", "--format", "docx")
    assert result.exit_code == 1
    assert "use one or more of csv, parquet, xlsx" in result.output
    missing = invoke("solve", TINY)
    assert missing.exit_code == 1
    assert "Missing option '--out'" in missing.output


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "planner", "validate", str(TINY)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "valid:" in done.stdout
