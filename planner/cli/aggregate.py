"""`planner aggregate`: representative days from hourly profiles, as a `time` block."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planner.cli.common import fail, out


def aggregate_cmd(
    hourly: Annotated[Path, typer.Argument(help="Hourly CSV: 8760 rows, one column per profile.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="YAML file to write.")],
    periods: Annotated[
        int, typer.Option("--periods", "-n", help="Representative days, the peak day included.")
    ] = 6,
    slices: Annotated[
        str,
        typer.Option(
            "--slices", "-m", help="Slices per day: a divisor of 24, or hours such as 8,4,4,8."
        ),
    ] = "6",
    peak: Annotated[
        str,
        typer.Option(
            "--peak", help="Profile whose highest hour is kept as its own day; 'none': no peak."
        ),
    ] = "auto",
    availability: Annotated[
        str | None,
        typer.Option(
            "--availability", help="Profiles kept in [0, 1], e.g. solar,wind (default: auto)."
        ),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="tsam, hierarchical (SciPy) or auto.")
    ] = "auto",
    representation: Annotated[
        str, typer.Option("--representation", help="medoid (a real day) or mean.")
    ] = "medoid",
) -> None:
    """Cluster a year of hourly profiles into representative days (a `time` block)."""
    from planner.timeseries.aggregate import aggregate, write_time_yaml
    from planner.timeseries.hourly import AggregateError

    try:
        block = aggregate(
            hourly,
            periods=periods,
            slices=slices,
            peak=None if peak.lower() == "none" else peak,
            availability=availability,
            method=method,
            representation=representation,
        )
        write_time_yaml(block, output)
    except AggregateError as exc:
        fail(str(exc))
    info = block.info
    peak_day = "none" if info.peak_day is None else f"day {info.peak_day + 1}"
    out.print(
        f"{info.periods} periods of {len(info.slice_hours)} slices from {info.days} days "
        f"({info.method}); peak: {peak_day}"
    )
    worst = max((abs(e) for e in info.mean_error.values()), default=0.0)
    out.print(f"largest error of an annual mean: {worst:.2e}; written to {output}")
