"""Command line: `planner validate|solve|explain|report|sweep`. It parses and prints; the
library does the work. Each command imports the library only when it runs.

Exit codes: 0 optimal (or valid), 1 bad input, 2 infeasible, 3 not solved to optimality,
130 interrupted (Ctrl-C or SIGTERM; the output directory is left as it was).
"""

from __future__ import annotations

import gc
import signal
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from planner.cli.aggregate import aggregate_cmd
from planner.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, err
from planner.cli.explain import explain_cmd, report_cmd
from planner.cli.solve import solve_cmd, validate_cmd
from planner.cli.sweep import sweep_cmd


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
        gc.freeze()  # the process ends: no cycle collection of every object at shutdown (0.2 s)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_Group,
    help="Plan energy, chips, datacenters, models and apps to meet AI demand at least cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("validate")(validate_cmd)
app.command("solve")(solve_cmd)
app.command("explain")(explain_cmd)
app.command("report")(report_cmd)
app.command("sweep")(sweep_cmd)
app.command("aggregate")(aggregate_cmd)


def main() -> None:
    """Entry point of the `planner` command."""
    app()
