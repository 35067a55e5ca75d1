"""Command line: `planner validate|solve`. It parses and prints; the library does the work.

Exit codes: 0 optimal (or valid), 1 bad input, 2 infeasible, 3 not solved to optimality,
130 interrupted (Ctrl-C or SIGTERM; the output directory is left as it was).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from planner.api import solve, with_budget_total
from planner.cli_sweep import sweep_cmd
from planner.data import prepare
from planner.errors import InstanceError
from planner.loader import load_instance
from planner.output import FORMATS, OutputError, check_target, write_results
from planner.results import Results
from planner.schema import LAYERS, Instance
from planner.solver import SolveOptions

EXIT_BAD_INPUT = 1
EXIT_INFEASIBLE = 2
EXIT_NOT_OPTIMAL = 3
EXIT_INTERRUPTED = 130  # the shell's code for a run stopped by SIGINT


class _Group(TyperGroup):
    """Click's usage errors (a missing or malformed option) are bad input: exit code 1, as
    every bad input, not click's 2 (which here means infeasible)."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops like Ctrl-C
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except KeyboardInterrupt:
            err.print("[bold red]interrupted[/]")
            sys.exit(EXIT_INTERRUPTED)
        except typer.TyperException as exc:  # click's errors, as typer vendors them
            exc.show()  # type: ignore[attr-defined]
            sys.exit(EXIT_BAD_INPUT)
        except typer.Abort:
            err.print("aborted")
            sys.exit(EXIT_BAD_INPUT)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_Group,
    help="Plan energy, chips, datacenters, models and apps to meet AI demand at least cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

InstanceArg = Annotated[Path, typer.Argument(help="Instance YAML file.", show_default=False)]


def _load(path: Path) -> Instance:
    try:
        return load_instance(path)
    except InstanceError as exc:
        err.print(f"[bold red]error:[/] {exc.render()}", soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _warn(instance: Instance) -> None:
    for warning in instance.warnings:
        err.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)


@app.command()
def validate(instance: InstanceArg) -> None:
    """Check an instance file and print its size and any warnings, without solving."""
    inst = _load(instance)
    _warn(inst)
    data = prepare(inst)
    per_layer = {
        layer: [k for k, t in inst.technologies.items() if t.layer == layer] for layer in LAYERS
    }
    out.print(f"[bold green]valid:[/] {instance} ({inst.name})")
    out.print(
        f"  years {inst.years.start}-{inst.years.end}, {len(inst.regions)} region(s), "
        f"{len(inst.commodities)} commodities, {len(inst.resources)} resources, "
        f"{len(inst.technologies)} technologies, {len(data.links)} directed links"
    )
    for layer, names in per_layer.items():
        if names:
            out.print(f"  {layer:<15} {', '.join(names)}")
    integer = sum(1 for t in data.techs if t.unit_size is not None)
    kind = "MILP" if integer else "LP"
    out.print(f"  {kind} with {data.n_cols:,} columns")


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(f.strip() for f in value.split(",") if f.strip())
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise typer.BadParameter(f"use one or more of {', '.join(FORMATS)}, comma-separated")
    return chosen


@app.command("solve")
def solve_cmd(
    instance: InstanceArg,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory for the result tables.")],
    fmt: Annotated[
        str, typer.Option("--format", help="csv, parquet, xlsx (comma-separated for several).")
    ] = "csv",
    budget_total: Annotated[
        float | None, typer.Option("--budget-total", help="Override budget.total.", min=0)
    ] = None,
    mip_gap: Annotated[float, typer.Option("--mip-gap", help="Relative MIP gap.", min=0)] = 1e-4,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Solver time limit (s).", min=0)
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace another run's results in --out.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show the HiGHS log.")] = False,
    report: Annotated[
        bool, typer.Option("--report", help="Also write OUT/report.html (see `planner report`).")
    ] = False,
) -> None:
    """Solve an instance and write every result table plus summary.json into --out."""
    formats = _formats(fmt)
    inst = _load(instance)
    _warn(inst)
    try:
        check_target(out_dir, inst.source, force)  # before solving: refuse early
    except OutputError as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if budget_total is not None:
        inst = with_budget_total(inst, budget_total)
    options = SolveOptions(mip_gap=mip_gap, time_limit=time_limit, verbose=verbose)
    try:
        results = solve(inst, options)
        write_results(results, out_dir, formats, force=force)
    except OutputError as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        err.print(
            f"[bold red]interrupted:[/] nothing was written; {out_dir} holds what it held before",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    print_summary(results, out_dir)
    if report:
        from planner.report import build_report

        out.print(f"report written to {build_report(out_dir, out_dir / 'report.html')}")
    if results.status == "infeasible":
        raise typer.Exit(EXIT_INFEASIBLE)
    if results.status != "optimal":
        raise typer.Exit(EXIT_NOT_OPTIMAL)


def _number(value: float) -> str:
    """Readable quantity: 3 significant digits below 1000, whole numbers with commas above."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


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
                table.add_row(layer, str(tech), _number(built), _number(final), unit)
    out.print(table)
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


MoneyOpt = Annotated[str, typer.Option("--money", help="Label of the instance's money unit.")]


def _results_of(source: Path) -> Results:
    """A results directory read back, or an instance file solved now."""
    from planner.results_io import ResultsDirError, load_results

    if source.is_dir():
        try:
            return load_results(source)
        except ResultsDirError as exc:
            err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
    inst = _load(source)
    _warn(inst)
    return solve(inst)


@app.command()
def explain(
    source: Annotated[
        Path, typer.Argument(help="Results directory or instance YAML.", show_default=False)
    ],
    top: Annotated[int, typer.Option("--top", help="Bottlenecks shown per year.", min=1)] = 5,
    money: MoneyOpt = "cost units",
) -> None:
    """Why the plan looks as it does: binding limits per year with shadow prices, and prices."""
    from planner.insight import explain_lines, price_lines

    results = _results_of(source)
    for line in explain_lines(results, top=top, money=money):
        out.print(line, soft_wrap=True)
    if results.tables:
        out.print("[bold]marginal cost of each commodity (that year's money per unit):[/]")
        for line in price_lines(results, money=money):
            out.print(f"  {line}", soft_wrap=True)
    if results.status == "infeasible":
        raise typer.Exit(EXIT_INFEASIBLE)
    if results.status != "optimal":
        raise typer.Exit(EXIT_NOT_OPTIMAL)


@app.command("report")
def report_cmd(
    results_dir: Annotated[
        Path, typer.Argument(help="A `planner solve --out` directory.", show_default=False)
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path(
        "report.html"
    ),
    png: Annotated[
        bool, typer.Option("--png", help="Also write each chart as PNG (kaleido + Chromium).")
    ] = False,
    money: MoneyOpt = "cost units",
) -> None:
    """Write a self-contained HTML report (charts work offline) of a results directory."""
    from planner.report import build_report
    from planner.results_io import ResultsDirError

    try:
        path = build_report(results_dir, output, money=money, png=png)
    except ResultsDirError as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    out.print(f"report written to {path}")


app.command("sweep")(sweep_cmd)


def main() -> None:
    """Entry point of the `planner` command."""
    app()
