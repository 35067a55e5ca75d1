"""Hourly profiles -> the `time` block of docs/model.md §11 (representative days and slices).

The days of one year of hourly values (8760 or 8784 rows, one column per profile) are cut
into slices (contiguous blocks of hours; slice value = block mean). The day holding the
highest value of the peak column is kept as its own period `peak` with weight 1; the other
days are clustered by Ward's hierarchical clustering of their min-max normalised slice values
(each slice weighted by its hours) and represented by their medoid (or mean) day, weighted by
the number of days in the cluster. The representative values are rescaled, as tsam's
`rescaleClusterPeriods` does, so that the weighted annual mean of every profile matches the
data; availability-like columns stay in [0, 1].

The clustering runs in tsam (`pip install 'planner[tsam]'`) when it is installed and its
classic API is present, else in SciPy, which implements the same algorithm.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from planner import atomic
from planner.timeseries.cluster import (
    Clusters,
    block_means,
    cluster_scipy,
    cluster_tsam,
    tsam_class,
)
from planner.timeseries.hourly import (
    DAY_HOURS,
    LOAD_WORDS,
    AggregateError,
    hourly_profiles,
    parse_slices,
    read_hourly,
    whole,
)

METHODS = ("auto", "tsam", "hierarchical")


REPRESENTATIONS = ("medoid", "mean")


PEAK_PERIOD = "peak"


@dataclass(frozen=True)
class AggregationInfo:
    """How a time block was made, for the header of the YAML file and for checks."""

    source: str
    method: str
    days: int
    slice_hours: tuple[int, ...]
    peak: str | None
    peak_day: int | None
    """0-based index of the peak day in the data (None without a peak period)."""
    availability: tuple[str, ...]
    representative_days: dict[str, int]
    """Period name -> 0-based index of the day that represents it (medoid, or peak day)."""
    data_mean: dict[str, float]
    mean_error: dict[str, float]
    """Relative error of the weighted annual mean (absolute where the data mean is 0)."""
    clipped: dict[str, int]
    """Values held at the bound while rescaling, per profile."""
    notes: tuple[str, ...] = field(default=())

    @property
    def periods(self) -> int:
        return len(self.representative_days)


class TimeBlock(dict):
    """The `time` block, a dict (`periods`, `profiles`) with `info` attached. PyYAML dumps it
    as a plain mapping (a representer is registered for it)."""

    info: AggregationInfo

    def __init__(self, data: dict, info: AggregationInfo) -> None:
        super().__init__(data)
        self.info = info


for _dumper in (yaml.SafeDumper, yaml.Dumper):
    yaml.add_representer(TimeBlock, yaml.SafeDumper.represent_dict, Dumper=_dumper)


def _check_periods(periods: int, days: int, keep_peak: bool, source: str) -> None:
    """1 <= periods <= days, and room for the peak day if it is kept."""
    if not whole(periods) or periods < 1:
        raise AggregateError(
            source, f"periods={periods!r} is not a whole number >= 1", "use periods >= 1"
        )
    if periods > days:
        raise AggregateError(
            source,
            f"periods={periods} is more than the {days} days in the data",
            f"use at most {days} periods",
        )
    if keep_peak and periods < 2:
        raise AggregateError(
            source,
            "periods=1 leaves no period for the clustered days besides the peak day",
            "use periods >= 2, or keep no peak day (peak=None)",
        )


def _choose_columns(
    names: list[str],
    values: np.ndarray,
    availability: Sequence[str] | None,
    peak: str | None,
    source: str,
) -> tuple[tuple[str, ...], str | None]:
    """The availability-like profiles (kept in [0, 1]) and the peak column (or None)."""
    listing = ", ".join(names)
    asked = [] if availability is None else list(availability)
    if isinstance(availability, str):  # "solar,wind", as a command line gives it
        asked = [name.strip() for name in availability.split(",") if name.strip()]
    for name in [*asked, *([] if peak in (None, "auto") else [peak])]:
        if name not in names:
            raise AggregateError(
                source,
                f"no profile column {name!r} (columns: {listing})",
                "use one of the column names",
            )
    top = values.max(axis=0)
    if availability is None:
        avail = tuple(n for n, t in zip(names, top, strict=True) if t <= 1 and n != peak)
    else:
        avail = tuple(n for n in names if n in asked)
    for name in avail:
        if top[names.index(name)] > 1:
            raise AggregateError(
                source,
                f"availability profile {name!r} has values above 1 "
                f"(max {top[names.index(name)]:g})",
                "give availability as capacity factors in [0, 1], or leave it out of availability",
            )
    if peak == "auto":
        loads = [n for n in names if any(word in n.lower() for word in LOAD_WORDS)]
        peak = next(iter([*loads, *(n for n in names if n not in avail)]), None)
    return avail, peak


def _choose_method(method: str, source: str) -> tuple[str, Any | None]:
    """The method that runs ("tsam" or "hierarchical") and tsam's class if it is used."""
    if method not in METHODS:
        raise AggregateError(
            source, f"unknown method {method!r}", "use one of " + ", ".join(METHODS)
        )
    found = tsam_class() if method in ("auto", "tsam") else None
    if method == "tsam" and found is None:
        raise AggregateError(
            source,
            "method 'tsam' needs tsam with its classic API (tsam < 4), which is not installed",
            "pip install 'planner[tsam]', or use method 'hierarchical'",
        )
    return ("tsam" if found is not None else "hierarchical"), found


def _method_label(used: str, asked: str, representation: str) -> str:
    """How the days were clustered, for the YAML header."""
    if used == "tsam":
        from importlib.metadata import version

        return f"tsam {version('tsam')} (hierarchical Ward clustering, {representation} days)"
    why = "tsam is not installed" if asked == "auto" else "method 'hierarchical'"
    return f"hierarchical, the fallback ({why}): SciPy Ward clustering, {representation} days"


def aggregate(
    frame: pd.DataFrame | str | os.PathLike,
    periods: int = 6,
    slices: int | str | Sequence[int] = 6,
    peak: str | None = "auto",
    availability: Sequence[str] | None = None,
    method: str = "auto",
    representation: str = "medoid",
    decimals: int | None = 6,
) -> TimeBlock:
    """Cluster the days of an hourly year into `periods` representative days of `slices`.

    frame: hourly profiles (or the path of a CSV, read by `read_hourly`).
    periods: periods in the block, the peak day included.
    slices: equal blocks per day (a divisor of 24) or block lengths in hours, e.g. "8,4,4,8".
    peak: column whose highest hour marks the peak day, kept as period `peak` with weight 1;
        "auto": the first profile named like a load ("load", "demand" in its name), else the
        first that is not availability-like; None: no peak day.
    availability: profiles used as given and kept in [0, 1] (names, or "solar,wind"); None:
        those with values <= 1 (a peak column named explicitly is never taken for one).
    method: "tsam", "hierarchical" (SciPy) or "auto" (tsam if installed).
    representation: "medoid" (a real day, rescaled) or "mean" of the days of a cluster.
    decimals: rounding of the profile values (None: no rounding).
    """
    if not isinstance(frame, pd.DataFrame):
        frame = read_hourly(frame)
    source = str(frame.attrs.get("source", "<frame>"))
    names, values = hourly_profiles(frame)
    days = len(values) // DAY_HOURS
    hours = parse_slices(slices, source)
    avail, peak_column = _choose_columns(names, values, availability, peak, source)
    _check_periods(periods, days, peak_column is not None, source)
    used, aggregation_class = _choose_method(method, source)
    if representation not in REPRESENTATIONS:
        raise AggregateError(
            source, f"unknown representation {representation!r}", "use medoid or mean"
        )
    if decimals is not None and not (whole(decimals) and 0 <= decimals <= 12):
        raise AggregateError(
            source,
            f"decimals={decimals!r} is not a whole number from 0 to 12",
            "use 0 to 12, or None for no rounding",
        )
    blocks = block_means(values.reshape(days, DAY_HOURS, len(names)), hours)
    peak_day = None
    if peak_column is not None:
        peak_day = int(np.argmax(values[:, names.index(peak_column)])) // DAY_HOURS
    clustered = np.array([d for d in range(days) if d != peak_day])
    k = periods - (peak_day is not None)
    weights = np.asarray(hours, dtype=int)
    if aggregation_class is not None:
        found = cluster_tsam(aggregation_class, blocks[clustered], weights, k, representation)
    else:
        found = cluster_scipy(blocks[clustered], weights, k, representation)
    label = _method_label(used, method, representation)
    settings = dict(source=source, method=label, peak=peak_column, availability=avail)
    return _assemble(names, values, blocks, hours, clustered, peak_day, found, decimals, settings)


def _assemble(
    names: list[str],
    values: np.ndarray,
    blocks: np.ndarray,
    hours: tuple[int, ...],
    clustered: np.ndarray,
    peak_day: int | None,
    found: Clusters,
    decimals: int | None,
    settings: dict[str, Any],
) -> TimeBlock:
    """The block (periods ordered by their medoid day, the peak day last) and its info."""
    order = np.argsort(clustered[found.medoids], kind="stable")
    days = [int(clustered[found.medoids[j]]) for j in order]
    counts = np.bincount(found.labels, minlength=len(order))
    period_names = [f"d{day + 1:03d}" for day in days]
    weights = [int(counts[j]) for j in order]
    rows = [found.centers[j] for j in order]
    if peak_day is not None:
        period_names.append(PEAK_PERIOD)
        days.append(peak_day)
        weights.append(1)
        rows.append(blocks[peak_day])
    avail = [names.index(name) for name in settings["availability"]]
    table, notes = _finish(np.stack(rows), names, avail, decimals)
    data_mean = values.mean(axis=0)
    annual = np.einsum("p,pmc,m->c", np.asarray(weights, float), table, np.asarray(hours, float))
    annual = annual / len(values)
    scale = np.where(data_mean > 0, data_mean, 1.0)  # absolute error where the mean is 0
    info = AggregationInfo(
        source=settings["source"],
        method=settings["method"],
        days=len(values) // DAY_HOURS,
        slice_hours=tuple(hours),
        peak=settings["peak"],
        peak_day=peak_day,
        availability=tuple(settings["availability"]),
        representative_days=dict(zip(period_names, days, strict=True)),
        data_mean=dict(zip(names, map(float, data_mean), strict=True)),
        mean_error=dict(zip(names, map(float, (annual - data_mean) / scale), strict=True)),
        clipped={} if found.held is None else dict(zip(names, map(int, found.held), strict=True)),
        notes=(*found.notes, *notes),
    )
    return TimeBlock(_block_dict(period_names, weights, hours, names, table), info)


def _finish(
    table: np.ndarray, names: list[str], avail: list[int], decimals: int | None
) -> tuple[np.ndarray, list[str]]:
    """Clip (>= 0; availability to [0, 1]) and round the values; note what the clip changed."""
    upper = np.full(len(names), np.inf)
    upper[avail] = 1.0
    outside = ((table < 0) | (table > upper)).sum(axis=(0, 1))
    notes = [
        f"{count} values of {name} clipped to [0, {upper[c]:g}]"
        for c, (name, count) in enumerate(zip(names, outside, strict=True))
        if count
    ]
    table = np.clip(table, 0.0, upper)
    if decimals is not None:
        table = np.round(table, decimals)
    return table + 0.0, notes  # + 0.0: no -0.0 in the file


def _block_dict(
    period_names: list[str],
    weights: list[int],
    hours: tuple[int, ...],
    names: list[str],
    table: np.ndarray,
) -> dict[str, Any]:
    """The `time` block as plain dicts, lists, ints and floats."""
    starts = np.cumsum((0, *hours))[:-1]
    slice_names = [
        "day" if h == DAY_HOURS else f"h{s:02d}" for s, h in zip(starts, hours, strict=True)
    ]
    slices = dict(zip(slice_names, hours, strict=True))
    return {
        "periods": {
            name: {"weight": weight, "slices": dict(slices)}
            for name, weight in zip(period_names, weights, strict=True)
        },
        "profiles": {
            name: {p: [float(v) for v in table[i, :, c]] for i, p in enumerate(period_names)}
            for c, name in enumerate(names)
        },
    }


def header_lines(block: dict) -> list[str]:
    """The comment lines that open a written time block: source, method, sizes, errors."""
    periods = block.get("periods", {})
    first = next(iter(periods.values()), {"slices": {}})
    hours = list(first["slices"].values())
    info: AggregationInfo | None = getattr(block, "info", None)
    if info is None:
        return [
            "time block (docs/model.md §11), source and method not recorded",
            f"periods: {len(periods)}, slices: {len(hours)} per day of {hours} hours",
        ]
    clustered = info.periods - (info.peak_day is not None)
    lines = [
        "time block (docs/model.md §11), made by `planner aggregate`",
        f"source: {info.source} ({info.days} days; weights sum to {info.days})",
        f"method: {info.method}",
        f"periods (N): {info.periods} ({clustered} clustered"
        + (", plus the peak day)" if info.peak_day is not None else ", no peak day)"),
        f"slices (M): {len(hours)} per day, of " + ", ".join(map(str, hours)) + " hours",
    ]
    if info.peak_day is not None:
        lines.append(
            f"peak: the day holding the highest {info.peak} (day {info.peak_day + 1} of the "
            "data) is period `peak`, weight 1"
        )
    if info.availability:
        held = (
            ""
            if not info.clipped
            else "; values held at 1 while rescaling: "
            + ", ".join(f"{n} {info.clipped[n]}" for n in info.availability)
        )
        lines.append(f"availability, clipped to [0, 1]: {', '.join(info.availability)}{held}")
    errors = ", ".join(f"{n} {e:+.2e}" for n, e in info.mean_error.items())
    lines.append(f"weighted annual mean, relative error: {errors}")
    lines.extend(f"note: {note}" for note in info.notes)
    return lines


def write_time_yaml(block: dict, path: str | os.PathLike) -> Path:
    """Write `time: block` to `path` atomically (temporary file, fsync, rename), with a header."""
    path = Path(path)
    header = "".join(f"# {line}\n" for line in header_lines(block))
    body = yaml.safe_dump(
        {"time": dict(block)}, sort_keys=False, default_flow_style=None, width=100
    )
    return atomic.write_text(path, header + body)
