"""`planner validate` and `planner solve`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from planner import fmt
from planner.cli.common import (
    EXIT_INTERRUPTED,
    InstanceArg,
    MipGapOpt,
    TimeLimitOpt,
    err,
    exit_for,
    fail,
    load,
    out,
)

if TYPE_CHECKING:
    from planner.results.base import Results

FORMATS = ("csv", "parquet", "xlsx")


def validate_cmd(instance: InstanceArg) -> None:
    """Check an instance file and print its size and any warnings, without solving."""
    from planner.instance.schema import LAYERS
    from planner.model.data import prepare

    inst = load(instance)
    data = prepare(inst)
    out.print(f"[bold green]valid:[/] {instance} ({inst.name})")
    out.print(
        f"  years {inst.years.start}-{inst.years.end}, {len(inst.regions)} region(s), "
        f"{len(inst.commodities)} commodities, {len(inst.resources)} resources, "
        f"{len(inst.technologies)} technologies, {len(data.links)} directed links"
    )
    for layer in LAYERS:
        names = [k for k, t in inst.technologies.items() if t.layer == layer]
        if names:
            out.print(f"  {layer:<15} {', '.join(names)}")
    kind = "MILP" if any(t.unit_size is not None for t in data.techs) else "LP"
    out.print(f"  {kind} with {data.n_lp:,} columns")


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(f.strip() for f in value.split(",") if f.strip())
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise typer.BadParameter(f"use one or more of {', '.join(FORMATS)}, comma-separated")
    return chosen


def solve_cmd(
    instance: InstanceArg,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for the result tables.")],
    fmt_: Annotated[
        str, typer.Option("--format", help="csv, parquet, xlsx (comma-separated for several).")
    ] = "csv",
    budget_total: Annotated[
        float | None, typer.Option("--budget-total", help="Override budget.total.", min=0)
    ] = None,
    mip_gap: MipGapOpt = 1e-4,
    time_limit: TimeLimitOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace another run's results in --out.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show the HiGHS log.")] = False,
    report: Annotated[
        bool, typer.Option("--report", help="Also write OUT/report.html (see `planner report`).")
    ] = False,
) -> None:
    """Solve an instance and write every result table plus summary.json into --out."""
    from planner.results.io import OutputError, check_target, write_results
    from planner.solver.api import solve
    from planner.solver.options import SolveOptions
    from planner.solver.pipeline import with_budget_total

    formats = _formats(fmt_)
    inst = load(instance)
    try:
        check_target(out_dir, inst.source, force)  # before solving: refuse early
    except OutputError as exc:
        fail(str(exc))
    if budget_total is not None:
        inst = with_budget_total(inst, budget_total)
    options = SolveOptions(mip_gap=mip_gap, time_limit=time_limit, verbose=verbose)
    try:
        results = solve(inst, options)
        write_results(results, out_dir, formats, force=force)
    except OutputError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        err.print(
            f"[bold red]interrupted:[/] nothing was written; {out_dir} holds what it held before",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    print_summary(results, out_dir)
    if report:
        from planner.report.html import build_report

        out.print(f"report written to {build_report(out_dir, out_dir / 'report.html')}")
    exit_for(results.status)


def print_summary(results: Results, out_dir: Path) -> None:
    """Objective, what was built per layer, unserved demand, binding resources."""
    s = results.summary
    if results.status == "infeasible":
        out.print("[bold red]infeasible[/]: no plan meets every hard limit. Likely cause:")
        for cause in s.get("cause", []):
            out.print(f"  - {cause}", soft_wrap=True)
        out.print(f"summary written to {out_dir}/summary.json")
        return
    colour = "green" if results.optimal else "yellow"
    objective = "none" if results.objective is None else f"{results.objective:,.6g}"
    out.print(f"[bold {colour}]{results.status}[/]  objective {objective}")
    if not results.tables:
        for cause in s.get("cause", []):
            out.print(f"  - {cause}", soft_wrap=True)
        out.print("no usable solution; nothing but summary.json was written")
        return
    if not results.optimal:
        out.print("[yellow]the tables hold the best feasible solution found, not an optimum[/]")
    out.print(_built_table(results))
    for commodity, info in s.get("unserved", {}).items():
        out.print(f"unserved {commodity}: {info['amount']:,.4g} ({info['share']:.1%} of demand)")
    binding = s.get("max_shadow_price", {})
    if binding:
        out.print("binding resources (highest shadow price over the years):")
        for name, price in sorted(binding.items(), key=lambda kv: -kv[1]["value"]):
            per = price["per"] or "unit"
            out.print(f"  {name}: {price['value']:,.4g} per {per} (that year's money)")
    else:
        out.print("no resource limit binds")
    out.print(
        f"{s['rows']:,} rows x {s['columns']:,} columns, solved in "
        f"{s['times'].get('solve', 0):.2f} s; results in {out_dir}/"
    )


def _built_table(results: Results) -> object:
    from rich.table import Table

    from planner.instance.schema import LAYERS

    sched = results.tables["schedule"]
    table = Table(title="Built over the horizon", title_justify="left")
    for column in ("layer", "technology", "built", "final capacity", "unit"):
        table.add_column(
            column, justify="right" if column in ("built", "final capacity") else "left"
        )
    last = sched["year"].max()
    for layer in LAYERS:
        rows = sched[sched["layer"] == layer]
        for tech, group in rows.groupby("technology", sort=False):
            built = group["build"].sum()
            final = group.loc[group["year"] == last, "capacity"].sum()
            if built > 1e-9 or final > 1e-9:
                unit = group["capacity_unit"].iloc[0]
                table.add_row(layer, str(tech), fmt.quantity(built), fmt.quantity(final), unit)
    return table
