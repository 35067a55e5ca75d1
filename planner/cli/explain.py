"""`planner explain` and `planner report`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from planner.cli.common import MoneyOpt, exit_for, fail, load, out

if TYPE_CHECKING:
    from planner.results.base import Results


def _results_of(source: Path) -> Results:
    """A results directory read back, or an instance file solved now."""
    from planner.results.io import ResultsDirError, load_results
    from planner.solver.api import solve

    if source.is_dir():
        try:
            return load_results(source)
        except ResultsDirError as exc:
            fail(str(exc))
    return solve(load(source))


def explain_cmd(
    source: Annotated[
        Path, typer.Argument(help="Results directory or instance YAML.", show_default=False)
    ],
    top: Annotated[int, typer.Option("--top", help="Bottlenecks shown per year.", min=1)] = 5,
    money: MoneyOpt = "cost units",
) -> None:
    """Why the plan looks as it does: binding limits per year with shadow prices, and prices."""
    from planner.results.insight import explain_lines, price_lines

    results = _results_of(source)
    for line in explain_lines(results, top=top, money=money):
        out.print(line, soft_wrap=True)
    if results.tables:
        out.print("[bold]marginal cost of each commodity (that year's money per unit):[/]")
        for line in price_lines(results, money=money):
            out.print(f"  {line}", soft_wrap=True)
    exit_for(results.status)


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
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            help="Year of the dispatch and storage charts of a time-sliced run "
            "(default: the last horizon year).",
        ),
    ] = None,
    show_extension: Annotated[
        bool,
        typer.Option("--show-extension", help="Also chart the extension years of end effects."),
    ] = False,
    case: Annotated[
        str | None,
        typer.Option(
            "--case",
            help="Two-stage results: the scenario case of every chart but the fan charts "
            "(default: the most probable case).",
        ),
    ] = None,
    sensitivity: Annotated[
        Path | None,
        typer.Option(
            "--sensitivity",
            help="A sensitivity table (scripts/sensitivity.py's sensitivity.csv) to draw as "
            "tornado charts (default: DIR/sensitivity.csv if it exists).",
        ),
    ] = None,
) -> None:
    """Write a self-contained HTML report (charts work offline) of a results directory."""
    from planner.report.html import build_report
    from planner.report.select import ReportCaseError, ReportYearError
    from planner.report.tornado import SensitivityError
    from planner.results.io import ResultsDirError

    try:
        path = build_report(
            results_dir,
            output,
            money=money,
            png=png,
            year=year,
            show_extension=show_extension,
            case=case,
            sensitivity=sensitivity,
        )
    except (ResultsDirError, ReportYearError, ReportCaseError, SensitivityError) as exc:
        fail(str(exc))
    out.print(f"report written to {path}")
