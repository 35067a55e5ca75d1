"""Hourly profiles -> the `time` block of MODEL.md §11/§18 (representative days and slices).

The days of one year of hourly values (8760 or 8784 rows, one column per profile) are cut
into slices (contiguous blocks of hours; slice value = block mean). The day holding the
highest value of the peak column is kept as its own period `peak` with weight 1; the other
days are clustered by Ward's hierarchical clustering of their min-max normalised slice values
(each slice weighted by its hours) and represented by their medoid (or mean) day, weighted by
the number of days in the cluster. The representative values are rescaled, as tsam's
`rescaleClusterPeriods` does, so that the weighted annual mean of every profile matches the
data; availability-like columns stay in [0, 1].

The clustering runs in tsam (`pip install 'planner[tsam]'`) when it is installed and its
classic API is present, else in SciPy, which implements the same algorithm. This module
imports nothing from the rest of `planner`.
"""

from __future__ import annotations

import csv
import numbers
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import yaml

DAY_HOURS = 24
INDEX_COLUMNS = ("hour", "timestamp", "datetime", "time", "date")
"""Column names (any case) read as the time index of a CSV, not as profiles."""
METHODS = ("auto", "tsam", "hierarchical")
REPRESENTATIONS = ("medoid", "mean")
RESCALE_TOLERANCE = 1e-10
RESCALE_ITERATIONS = 100
PEAK_PERIOD = "peak"
LOAD_WORDS = ("load", "demand")
"""A profile whose name contains one of these is the default peak column."""


class AggregateError(ValueError):
    """Hourly data or options that cannot be aggregated: names the source, problem and fix."""

    def __init__(self, source: str, message: str, fix: str, line: int | None = None) -> None:
        self.source = source
        self.message = message
        self.fix = fix
        self.line = line
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {message}. Fix: {fix}")


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


def tsam_class() -> Any | None:
    """tsam's `TimeSeriesAggregation` class, or None if tsam (classic API, < 4) is absent."""
    try:
        from tsam.timeseriesaggregation import TimeSeriesAggregation
    except ImportError:
        return None
    return TimeSeriesAggregation


def read_hourly(path: str | os.PathLike) -> pd.DataFrame:
    """Read an hourly CSV (header row, one row per hour); `attrs` keep its name for errors."""
    source = str(path)
    if not Path(path).is_file():
        raise AggregateError(source, "no such file", "give the path of an hourly CSV file")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            header = next((row for row in csv.reader(handle) if row), [])
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, encoding="utf-8-sig", skipinitialspace=True, index_col=False)
    except (
        UnicodeDecodeError,
        pd.errors.ParserError,
        pd.errors.ParserWarning,
        pd.errors.EmptyDataError,
    ) as exc:
        if isinstance(exc, pd.errors.ParserWarning):
            raise AggregateError(
                source,
                "a row has more values than the header has names",
                "give every row one value per header column",
            ) from exc
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")
        raise AggregateError(
            source, f"not a readable CSV file ({reason})", "save it as UTF-8 CSV with a header row"
        ) from exc
    names = [name.strip() for name in header]
    if "" in names:
        raise AggregateError(
            source,
            f"column {names.index('') + 1} of the header has no name",
            "name every column (hour or timestamp, then one name per profile)",
            line=1,
        )
    for name in names:
        if names.count(name) > 1:
            raise AggregateError(
                source, f"column {name!r} appears twice", "give each column its own name", line=1
            )
    if len(names) != len(frame.columns):
        raise AggregateError(
            source,
            f"the header names {len(names)} columns but the rows have {len(frame.columns)}",
            "give every row one value per header column",
            line=1,
        )
    frame.columns = names
    frame.attrs["source"] = source
    frame.attrs["first_line"] = 2
    return frame


def _where(frame: pd.DataFrame, row: int) -> tuple[int | None, str]:
    """The CSV line of data row `row` if known, else a row label for the message."""
    first = frame.attrs.get("first_line")
    if first is None:
        return None, f" (row {row})"
    return int(first) + row, ""


def _show(cell: Any) -> str:
    """A cell for a message: strings quoted, numbers plain."""
    if isinstance(cell, str):
        return repr(cell)
    try:
        return f"{float(cell):g}"
    except (TypeError, ValueError):
        return repr(cell)


def _check_hour_column(frame: pd.DataFrame, name: str, source: str) -> None:
    """An hour column counts 0, 1, 2, ... or 1, 2, 3, ... in order."""
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    start = values[0] if len(values) and values[0] in (0.0, 1.0) else 0.0
    expected = start + np.arange(len(values))
    bad = np.flatnonzero(~(values == expected))
    if len(bad):
        line, label = _where(frame, int(bad[0]))
        raise AggregateError(
            source,
            f"column {name!r} must count the hours 0, 1, 2, ... (or 1, 2, 3, ...) in order; "
            f"found {_show(frame[name].iloc[bad[0]])} where {expected[bad[0]]:g} was due{label}",
            "sort the rows by hour and remove gaps and repeated hours",
            line,
        )


def _check_time_column(frame: pd.DataFrame, name: str, source: str) -> None:
    """A timestamp column parses as dates and steps by exactly one hour."""
    raw = frame[name]
    stamps = pd.to_datetime(raw.astype(str), errors="coerce", utc=True, format="mixed")
    bad = np.flatnonzero(stamps.isna().to_numpy())
    if len(bad):
        line, label = _where(frame, int(bad[0]))
        raise AggregateError(
            source,
            f"column {name!r}: {raw.iloc[bad[0]]!r} is not a date and time{label}",
            "write ISO 8601 timestamps such as 2021-01-01 00:00",
            line,
        )
    steps = stamps.diff().dt.total_seconds().to_numpy()[1:]
    bad = np.flatnonzero(steps != 3600)
    if len(bad):
        line, label = _where(frame, int(bad[0]) + 1)
        raise AggregateError(
            source,
            f"column {name!r}: {raw.iloc[bad[0] + 1]!r} is {steps[bad[0]] / 3600:g} h after "
            f"the row before, not 1 h{label}",
            "sort the rows by time, one row per hour with no gaps (use standard time, or "
            "timestamps with their UTC offset)",
            line,
        )


def _column_values(frame: pd.DataFrame, name: str, source: str) -> np.ndarray:
    """One profile column as floats: numbers, no gaps, finite, >= 0."""
    raw = frame[name]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    checks = (
        (raw.isna().to_numpy(), "is empty (or NaN)", "fill the gap so every hour has a value"),
        (np.isnan(values), "is not a number", "write plain numbers with a dot as decimal mark"),
        (np.isinf(values), "is infinite", "write finite numbers"),
        (values < 0, "is negative", "profiles must be >= 0 (MODEL.md §11): correct the value"),
    )
    for mask, problem, fix in checks:
        bad = np.flatnonzero(mask)
        if len(bad):
            line, label = _where(frame, int(bad[0]))
            shown = "" if problem.startswith("is empty") else f" {_show(raw.iloc[bad[0]])}"
            message = f"column {name!r}: value{shown} {problem}{label}"
            raise AggregateError(source, message, fix, line)
    return values


def hourly_profiles(frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Validated profile names and values (hours x profiles) of an hourly frame."""
    source = str(frame.attrs.get("source", "<frame>"))
    rows = len(frame)
    if rows not in (365 * DAY_HOURS, 366 * DAY_HOURS):
        raise AggregateError(
            source,
            f"{rows} row{'' if rows == 1 else 's'} of data, expected 8760 (365 days) or 8784 "
            "(366 days)",
            "give one row per hour of one year, after one header row",
        )
    names = [str(name) for name in frame.columns]
    profiles = [name for name in names if name.strip().lower() not in INDEX_COLUMNS]
    for column, name in zip(frame.columns, names, strict=True):
        if name not in profiles:
            check = _check_hour_column if name.strip().lower() == "hour" else _check_time_column
            check(frame, column, source)
    if not profiles:
        raise AggregateError(
            source,
            "no profile column (only " + ", ".join(names) + ")" if names else "no column",
            "add one column per profile, such as solar, wind, load",
        )
    columns = [frame.columns[names.index(name)] for name in profiles]
    values = np.column_stack([_column_values(frame, c, source) for c in columns])
    return profiles, values


def _whole(value: Any) -> bool:
    """An integer (Python's or NumPy's), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def parse_slices(slices: int | str | Sequence[int], source: str = "<options>") -> tuple[int, ...]:
    """Slice lengths in hours: M equal blocks (M divides 24) or explicit lengths summing to 24."""
    fix_count = "use 1, 2, 3, 4, 6, 8, 12 or 24 slices, or give the block lengths, e.g. 8,4,4,8"
    if isinstance(slices, str):
        parts = [part.strip() for part in slices.split(",")]
        if not all(part.isdigit() for part in parts):
            raise AggregateError(source, f"slices {slices!r} is not a whole number", fix_count)
        given = [int(part) for part in parts]
        slices = given[0] if len(given) == 1 else given
    if isinstance(slices, bool) or not isinstance(slices, numbers.Integral | Sequence):
        raise AggregateError(source, f"slices {slices!r} is not a whole number", fix_count)
    if isinstance(slices, numbers.Integral):
        slices = int(slices)
        if slices < 1 or slices > DAY_HOURS:
            raise AggregateError(source, f"slices={slices} is not between 1 and 24", fix_count)
        if DAY_HOURS % slices:
            raise AggregateError(
                source,
                f"slices={slices} does not cut the 24 hours of a day into equal blocks",
                fix_count,
            )
        return (DAY_HOURS // slices,) * slices
    if not slices or not all(_whole(h) for h in slices):
        raise AggregateError(source, f"slice hours {list(slices)} are not whole numbers", fix_count)
    hours = tuple(int(h) for h in slices)
    if min(hours) < 1 or sum(hours) != DAY_HOURS:
        raise AggregateError(
            source,
            f"slice hours {list(hours)} must each be >= 1 and sum to 24 (they sum to {sum(hours)})",
            "give block lengths of whole hours that add up to 24, e.g. 8,4,4,8",
        )
    return hours


def block_means(daily: np.ndarray, hours: Sequence[int]) -> np.ndarray:
    """(days, 24, profiles) -> (days, slices, profiles): the mean of each block of hours."""
    edges = np.cumsum((0, *hours)).astype(int)
    sums = np.add.reduceat(daily, edges[:-1], axis=1)
    return sums / np.asarray(hours, dtype=float)[None, :, None]


def _ward_labels(features: np.ndarray, k: int) -> np.ndarray:
    """Ward's hierarchical clustering of the rows of `features` into exactly k clusters."""
    if k == 1:
        return np.zeros(len(features), dtype=int)
    from scipy.cluster.hierarchy import cut_tree, linkage

    tree = linkage(features, method="ward")
    return cut_tree(tree, n_clusters=k).ravel().astype(int)


def _medoids(features: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per cluster, the member with the least sum of Euclidean distances to the others."""
    from scipy.spatial.distance import cdist

    medoids = np.empty(k, dtype=int)
    for j in range(k):
        members = np.flatnonzero(labels == j)
        inner = cdist(features[members], features[members])
        medoids[j] = members[int(np.argmin(inner.sum(axis=0)))]
    return medoids


def _normalise(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Min-max normalisation per profile (as tsam's): normalised values, minimum, span."""
    low = blocks.min(axis=(0, 1))
    span = blocks.max(axis=(0, 1)) - low
    span = np.where(span > 0, span, 1.0)
    return (blocks - low) / span, low, span


def _rescale(
    centers: np.ndarray, counts: np.ndarray, norm: np.ndarray, hours: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scale normalised centers per profile so that their weighted sum matches the data's,
    holding them in [0, 1] (the data's range), as tsam's rescaleClusterPeriods does.
    Returns the centers and the number of values held at the bound, per profile."""
    centers = centers.copy()
    held = np.zeros(centers.shape, dtype=bool)
    for c in range(centers.shape[2]):
        target = float(np.einsum("dm,m->", norm[:, :, c], hours))
        for _ in range(RESCALE_ITERATIONS):
            current = float(np.einsum("k,km,m->", counts, centers[:, :, c], hours))
            if current <= 0 or abs(target - current) <= RESCALE_TOLERANCE * target:
                break
            scaled = centers[:, :, c] * (target / current)
            held[:, :, c] |= scaled > 1
            centers[:, :, c] = np.minimum(scaled, 1.0)
    return centers, held.sum(axis=(0, 1))


class _Clusters(NamedTuple):
    labels: np.ndarray
    """Cluster of each clustered day, 0..k-1."""
    medoids: np.ndarray
    """Per cluster, its medoid day (index into the clustered days)."""
    centers: np.ndarray
    """Per cluster, the rescaled slice values (clusters x slices x profiles)."""
    held: np.ndarray | None
    """Per profile, values held at the bound while rescaling (None: not known)."""
    notes: list[str]


def _cluster_scipy(blocks: np.ndarray, hours: np.ndarray, k: int, representation: str) -> _Clusters:
    """Ward clustering of the days in SciPy, medoid or mean days, rescaled."""
    norm, low, span = _normalise(blocks)
    features = (norm * np.sqrt(hours)[None, :, None]).reshape(len(blocks), -1)
    labels = _ward_labels(features, k)
    medoids = _medoids(features, labels, k)
    if representation == "medoid":
        centers = norm[medoids]
    else:
        centers = np.stack([norm[labels == j].mean(axis=0) for j in range(k)])
    counts = np.bincount(labels, minlength=k)
    centers, held = _rescale(centers, counts, norm, hours)
    return _Clusters(labels, medoids, low + centers * span, held, [])


def _cluster_tsam(
    aggregation_class: Any, blocks: np.ndarray, hours: np.ndarray, k: int, representation: str
) -> _Clusters:
    """The same clustering in tsam, fed the days as hourly series constant within each slice
    (so each slice weighs by its hours). tsam does not report values held at the bound."""
    days, _, count = blocks.shape
    hourly = np.repeat(blocks, hours, axis=1).reshape(days * DAY_HOURS, count)
    columns = [f"c{i:04d}" for i in range(count)]  # tsam sorts columns by name
    series = pd.DataFrame(
        hourly, columns=columns, index=pd.date_range("2001-01-01", periods=len(hourly), freq="h")
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        model = aggregation_class(
            series,
            resolution=1.0,
            noTypicalPeriods=k,
            hoursPerPeriod=DAY_HOURS,
            clusterMethod="hierarchical",
            representationMethod=f"{representation}Representation",
            rescaleClusterPeriods=True,
        )
        typical = model.createTypicalPeriods()
    labels = np.asarray(model.clusterOrder, dtype=int)
    centers = typical[columns].to_numpy(dtype=float).reshape(k, DAY_HOURS, count)
    if representation == "medoid":
        medoids = np.asarray(model.clusterCenterIndices, dtype=int)
    else:
        norm, _, _ = _normalise(blocks)
        features = (norm * np.sqrt(hours)[None, :, None]).reshape(days, -1)
        medoids = _medoids(features, labels, k)
    notes = []
    for caught_warning in caught:  # tsam's own warnings go to the header, others pass on
        if issubclass(caught_warning.category, UserWarning):
            notes.append(f"tsam: {caught_warning.message}")
        else:
            warnings.warn(caught_warning.message, caught_warning.category, stacklevel=2)
    return _Clusters(labels, medoids, block_means(centers, hours), None, notes)


def _check_periods(periods: int, days: int, keep_peak: bool, source: str) -> None:
    """1 <= periods <= days, and room for the peak day if it is kept."""
    if not _whole(periods) or periods < 1:
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
    if decimals is not None and not (_whole(decimals) and 0 <= decimals <= 12):
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
        found = _cluster_tsam(aggregation_class, blocks[clustered], weights, k, representation)
    else:
        found = _cluster_scipy(blocks[clustered], weights, k, representation)
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
    found: _Clusters,
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
            "time block of MODEL.md §11 (source and method not recorded)",
            f"periods: {len(periods)}, slices: {len(hours)} per day of {hours} hours",
        ]
    clustered = info.periods - (info.peak_day is not None)
    lines = [
        "time block of MODEL.md §11, made by planner.aggregate",
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
    directory = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(header + body)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)
    return path
