"""`planner sweep`: solve an instance over a grid of parameter values (registered in cli.py).

Exit codes: 0 every point optimal, 1 bad input (instance, --param, output directory),
2 the sweep finished and every failed point is infeasible, 3 other failures (time limit,
errors, a point whose worker process died twice, points that did not finish: rerun with
--resume).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from planner.errors import InstanceError
from planner.frontier import write_frontier
from planner.loader import load_instance
from planner.params import ParamError, parse_spec
from planner.solver import SolveOptions
from planner.sweep import SweepError, sweep

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def sweep_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance YAML file.", show_default=False)],
    param: Annotated[
        list[str],
        typer.Option(
            "--param",
            "-p",
            help="PATH=START:STOP:N (linear), PATH=START:STOP:N:log, or PATH=V1,V2,... "
            "PATH as in the YAML (budget.total, technologies.gpu_b200.capex); "
            "scale:PATH multiplies. Several --param: every combination.",
            show_default=False,
        ),
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for sweep.parquet, CSV and plots.")
    ],
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-w", help="Local worker processes [default: core count].", min=1
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the sweep already in --out.")
    ] = False,
    keep_schedule: Annotated[
        bool, typer.Option("--keep-schedule", help="Also write every point's build schedule.")
    ] = False,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Solver time limit per point (s).", min=0)
    ] = None,
    mip_gap: Annotated[float, typer.Option("--mip-gap", help="Relative MIP gap.", min=0)] = 1e-4,
    chunk_size: Annotated[
        int | None,
        typer.Option("--chunk-size", help="Neighbouring points per task [default: auto].", min=1),
    ] = None,
    png: Annotated[bool, typer.Option("--png/--no-png", help="Render frontier.png.")] = True,
) -> None:
    """Sweep parameters: one solve per point, warm re-solves, in parallel, resumable."""
    try:
        inst = load_instance(instance)
    except InstanceError as exc:
        err.print(f"[bold red]error:[/] {exc.render()}", soft_wrap=True)
        raise typer.Exit(1) from None
    try:
        axes = dict(parse_spec(spec) for spec in param)
        if len(axes) != len(param):
            raise ParamError("a parameter is given twice in --param")
        table = sweep(
            inst,
            axes,
            out=out_dir,
            workers=workers or os.cpu_count() or 1,
            scheduler=scheduler,
            resume=resume,
            keep="schedule" if keep_schedule else None,
            options=SolveOptions(mip_gap=mip_gap, time_limit=time_limit),
            chunk_size=chunk_size,
            progress=True,
        )
    except (ParamError, InstanceError) as exc:
        text = exc.render() if isinstance(exc, InstanceError) else str(exc)
        err.print(f"[bold red]error:[/] {text}", soft_wrap=True)
        raise typer.Exit(1) from None
    except SweepError as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(3 if "did not finish" in str(exc) else 1) from None
    for warning in write_frontier(table, out_dir, png=png):
        err.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    print_table(table)
    out.print(f"results in {out_dir}/ (sweep.parquet, sweep.csv, frontier.html, frontier.png)")
    failed = table[table["status"] != "optimal"]
    if len(failed):
        out.print(f"[yellow]{len(failed)} of {len(table)} point(s) not optimal[/]")
        raise typer.Exit(2 if (failed["status"] == "infeasible").all() else 3)


def print_table(table: pd.DataFrame, limit: int = 40) -> None:
    """One line per point: parameters, status, objective, demand served, budget price."""
    params = list(table.attrs.get("params", []))
    shares = [c for c in table.columns if c.startswith("unserved_share.")]
    view = Table(title="Sweep", title_justify="left")
    for column in [*params, "status", "objective", "served (mean)", "budget price", "time s"]:
        view.add_column(column, justify="left" if column == "status" else "right")
    rows = (
        table
        if len(table) <= limit
        else pd.concat([table.head(limit // 2), table.tail(limit // 2)])
    )
    for _, row in rows.iterrows():
        served = 1.0 - float(row[shares].mean()) if shares else math.nan
        price = row.get("shadow.budget_total", math.nan)
        view.add_row(
            *[f"{row[p]:,.6g}" for p in params],
            str(row["status"]),
            _fmt(row["objective"]),
            "" if math.isnan(served) else f"{served:.1%}",
            _fmt(price),
            _fmt(row.get("time", math.nan), ".2f"),
        )
    out.print(view)


def _fmt(value: object, spec: str = ",.6g") -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(number) else format(number, spec)
