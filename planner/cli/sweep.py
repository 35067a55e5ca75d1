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
from typing import TYPE_CHECKING, Annotated

import typer

from planner import fmt
from planner.cli.common import (
    EXIT_INFEASIBLE,
    EXIT_NOT_OPTIMAL,
    InstanceArg,
    MipGapOpt,
    SolverOpt,
    ThreadsOpt,
    TimeLimitOpt,
    err,
    fail,
    load,
    out,
    solver_choice,
)

if TYPE_CHECKING:
    import pandas as pd


ParamOpt = Annotated[
    list[str],
    typer.Option(
        "--param",
        "-p",
        help="PATH=START:STOP:N (linear), PATH=START:STOP:N:log, or PATH=V1,V2,... "
        "PATH as in the YAML (budget.total, technologies.gpu_b200.capex); "
        "scale:PATH multiplies. Several --param: every combination.",
        show_default=False,
    ),
]
OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Directory for sweep.parquet, CSV and plots.")
]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", "-w", help="Local worker processes (default: core count).", min=1),
]
SchedulerOpt = Annotated[
    str | None, typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://host:8786.")
]
ResumeOpt = Annotated[bool, typer.Option("--resume", help="Continue the sweep already in --out.")]
KeepOpt = Annotated[
    bool, typer.Option("--keep-schedule", help="Also write every point's build schedule.")
]
KeepAllOpt = Annotated[
    bool, typer.Option("--keep-tables", help="Also write every result table of every point.")
]
ChunkOpt = Annotated[
    int | None,
    typer.Option("--chunk-size", help="Neighbouring points per task (default: auto).", min=1),
]
PngOpt = Annotated[bool, typer.Option("--png/--no-png", help="Render frontier.png.")]


def sweep_cmd(
    instance: InstanceArg,
    param: ParamOpt,
    out_dir: OutOpt,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    resume: ResumeOpt = False,
    keep_schedule: KeepOpt = False,
    keep_tables: KeepAllOpt = False,
    time_limit: TimeLimitOpt = None,
    mip_gap: MipGapOpt = 1e-4,
    chunk_size: ChunkOpt = None,
    png: PngOpt = True,
    solver: SolverOpt = "simplex",
    threads: ThreadsOpt = None,
) -> None:
    """Sweep parameters: one solve per point, warm re-solves, in parallel, resumable."""
    from planner.errors import InstanceError
    from planner.instance.paths import ParamError, parse_spec
    from planner.report.frontier import write_frontier
    from planner.solver.options import SolveOptions
    from planner.sweeps import SweepError, SweepIncomplete, sweep

    inst = load(instance)
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
            keep="tables" if keep_tables else "schedule" if keep_schedule else None,
            options=SolveOptions(
                mip_gap=mip_gap,
                time_limit=time_limit,
                solver=solver_choice(solver),  # type: ignore[arg-type]
                threads=threads,
            ),
            chunk_size=chunk_size,
            progress=True,
        )
    except (ParamError, InstanceError) as exc:
        fail(exc.render() if isinstance(exc, InstanceError) else str(exc))
    except SweepIncomplete as exc:
        fail(str(exc), EXIT_NOT_OPTIMAL)
    except SweepError as exc:
        fail(str(exc))
    for warning in write_frontier(table, out_dir, png=png):
        err.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    print_table(table)
    out.print(f"results in {out_dir}/ (sweep.parquet, sweep.csv, frontier.html, frontier.png)")
    failed = table[table["status"] != "optimal"]
    if len(failed):
        out.print(f"[yellow]{len(failed)} of {len(table)} point(s) not optimal[/]")
        infeasible = (failed["status"] == "infeasible").all()
        raise typer.Exit(EXIT_INFEASIBLE if infeasible else EXIT_NOT_OPTIMAL)


def print_table(table: pd.DataFrame, limit: int = 40) -> None:
    """One line per point: parameters, status, objective, demand served, budget price."""
    import pandas as pd
    from rich.table import Table

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
            str(row.get("status")),
            fmt.cell(row.get("objective")),
            "" if math.isnan(served) else f"{served:.1%}",
            fmt.cell(price),
            fmt.cell(row.get("time", math.nan), ".2f"),
        )
    out.print(view)
