"""A rich progress bar on stderr for runs of many solves (sweep points, myopic windows)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress_bar(
    total: int, done: int, enabled: bool, label: str = "sweep"
) -> Iterator[Callable[[dict], None]]:
    """A rich progress bar (points done, failures, ETA) on stderr; yields `advance(row)`."""
    if not enabled:
        yield lambda row: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    failures = 0
    bar = Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    with bar:
        task = bar.add_task(label, total=total, completed=done, failed="0 failed")

        def advance(row: dict) -> None:
            nonlocal failures
            if row.get("status") != "optimal":
                failures += 1
            style = "red" if failures else "dim"
            bar.update(task, advance=1, failed=f"[{style}]{failures} failed[/]")

        yield advance
