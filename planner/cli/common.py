"""What every command shares: consoles, exit codes, loading an instance or exiting."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from planner.instance.schema import Instance

EXIT_BAD_INPUT = 1
EXIT_INFEASIBLE = 2
EXIT_NOT_OPTIMAL = 3
EXIT_INTERRUPTED = 130  # the shell's code for a run stopped by SIGINT

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

InstanceArg = Annotated[Path, typer.Argument(help="Instance YAML file.", show_default=False)]
MoneyOpt = Annotated[str, typer.Option("--money", help="Label of the instance's money unit.")]
MipGapOpt = Annotated[float, typer.Option("--mip-gap", help="Relative MIP gap.", min=0)]
SolverOpt = Annotated[
    str,
    typer.Option(
        "--solver",
        help="HiGHS LP algorithm: simplex (default, fastest on planner models), ipm, pdlp, choose.",
    ),
]
ThreadsOpt = Annotated[
    int | None, typer.Option("--threads", help="HiGHS threads (default: HiGHS's).", min=1)
]
TimeLimitOpt = Annotated[
    float | None, typer.Option("--time-limit", help="Solver time limit (s; per point).", min=0)
]


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print an error and exit (bad input by default)."""
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)


def load(path: Path) -> Instance:
    """The instance, with its warnings printed; a bad file prints every problem, exit 1."""
    from planner.errors import InstanceError
    from planner.instance.loader import load_instance

    try:
        instance = load_instance(path)
    except InstanceError as exc:
        fail(exc.render())
    for warning in instance.warnings:
        err.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
    return instance


def exit_for(status: str) -> None:
    """Exit 2 for an infeasible instance, 3 for any other status but optimal."""
    if status == "infeasible":
        raise typer.Exit(EXIT_INFEASIBLE)
    if status != "optimal":
        raise typer.Exit(EXIT_NOT_OPTIMAL)


def solver_choice(value: str) -> str:
    """A valid --solver value, or a usage error (exit 1)."""
    from planner.solver.options import SOLVERS

    if value not in SOLVERS:
        raise typer.BadParameter(f"use one of {', '.join(SOLVERS)}", param_hint="--solver")
    return value
