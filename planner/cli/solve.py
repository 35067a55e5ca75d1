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
    SolverOpt,
    ThreadsOpt,
    TimeLimitOpt,
    err,
    exit_for,
    fail,
    load,
    out,
    solver_choice,
)
from planner.errors import InstanceError

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
    columns = data.n_lp
    if inst.scenarios is not None:  # the two-stage programme shares its first-stage columns
        from planner.solver.api import build

        columns = build(inst).n_lp
    out.print(f"  {kind} with {columns:,} columns")


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
    foresight: Annotated[
        str | None,
        typer.Option("--foresight", help="perfect, or myopic:WINDOW:STEP (overrides the file)."),
    ] = None,
    evpi: Annotated[
        bool, typer.Option("--evpi", help="Scenarios: also solve each case alone (WS, EVPI).")
    ] = False,
    solver: SolverOpt = "simplex",
    threads: ThreadsOpt = None,
) -> None:
    """Solve an instance and write every result table plus summary.json into --out."""
    from planner.atomic import Swapped
    from planner.instance.paths import ParamError, with_budget_total, with_foresight
    from planner.results.io import OutputError, check_target, write_results
    from planner.solver.api import solve
    from planner.solver.options import SolveOptions

    formats = _formats(fmt_)
    inst = load(instance)
    try:
        check_target(out_dir, inst.source, force)  # before solving: refuse early
        if budget_total is not None:
            inst = with_budget_total(inst, budget_total)
        if foresight is not None:
            inst = with_foresight(inst, foresight)
    except (OutputError, ParamError) as exc:
        fail(str(exc))
    except InstanceError as exc:
        fail(exc.render())
    options = SolveOptions(
        mip_gap=mip_gap,
        time_limit=time_limit,
        verbose=verbose,
        solver=solver_choice(solver),  # type: ignore[arg-type]
        threads=threads,
    )
    try:
        results = solve(inst, options, evpi=evpi, progress=True)
        write_results(results, out_dir, formats, force=force)
    except OutputError as exc:
        fail(str(exc))
    except Swapped:
        err.print(f"[bold red]interrupted[/] after the results were written to {out_dir}")
        raise typer.Exit(EXIT_INTERRUPTED) from None
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
    _print_foresight(s.get("foresight"))
    _print_scenarios(s.get("scenarios"))
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


def _print_foresight(info: dict | None) -> None:
    if not info:
        return
    spans = info["windows"]
    out.print(
        f"myopic foresight: window {info['window']} years, step {info['step']}, "
        f"{len(spans)} windows; the tables are the last window's"
    )
    for w in spans:
        value = "none" if w["objective"] is None else f"{w['objective']:,.6g}"
        out.print(
            f"  {w['start']}-{w['end']}: {w['status']}, objective {value} ({w['seconds']:.2f} s)"
        )


def _print_scenarios(info: dict | None) -> None:
    if not info:
        return
    risk = info["risk"]
    out.print(
        f"two-stage: branch year {info['branch_year']}, risk weight {risk['weight']:g} "
        f"(CVaR at {risk['alpha']:g})"
    )
    for case, c in info["cases"].items():
        alone = f", alone {c['alone']:,.6g}" if c.get("alone") is not None else ""
        out.print(f"  {case} (p = {c['probability']:g}): cost {c['objective']:,.6g}{alone}")
    if info.get("evpi") is not None:
        out.print(
            f"wait-and-see {info['wait_and_see']:,.6g}; expected value of perfect information "
            f"(EVPI) {info['evpi']:,.6g}"
        )


def _built_table(results: Results) -> object:
    """Built and final capacity per technology (per case for a two-stage programme), over
    the horizon (extension years left out)."""
    from rich.table import Table

    from planner.instance.schema import LAYERS

    sched = results.tables["schedule"]
    if "extension" in sched:
        sched = sched[~sched["extension"].astype(bool)]
    cases = list(dict.fromkeys(sched["scenario"])) if "scenario" in sched else [None]
    table = Table(title="Built over the horizon", title_justify="left")
    table.add_column("layer")
    table.add_column("technology")
    for case in cases:
        label = "" if case is None else f" ({case})"
        table.add_column(f"built{label}", justify="right")
        table.add_column(f"final capacity{label}", justify="right")
    table.add_column("unit")
    last = sched["year"].max()
    for layer in LAYERS:
        rows = sched[sched["layer"] == layer]
        for tech, group in rows.groupby("technology", sort=False):
            cells = []
            for case in cases:
                g = group if case is None else group[group["scenario"] == case]
                built = g["build"].sum()
                final = g.loc[g["year"] == last, "capacity"].sum()
                cells += [built, final]
            if max(cells) > 1e-9:
                unit = group["capacity_unit"].iloc[0]
                table.add_row(layer, str(tech), *(fmt.quantity(v) for v in cells), unit)
    return table
