"""Reading one year of hourly profiles from a CSV file, with errors that name the line."""

from __future__ import annotations

import csv
import numbers
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DAY_HOURS = 24


INDEX_COLUMNS = ("hour", "timestamp", "datetime", "time", "date")
"""Column names (any case) read as the time index of a CSV, not as profiles."""


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
        (values < 0, "is negative", "profiles must be >= 0 (docs/model.md §11): correct the value"),
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


def whole(value: Any) -> bool:
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
    if not slices or not all(whole(h) for h in slices):
        raise AggregateError(source, f"slice hours {list(slices)} are not whole numbers", fix_count)
    hours = tuple(int(h) for h in slices)
    if min(hours) < 1 or sum(hours) != DAY_HOURS:
        raise AggregateError(
            source,
            f"slice hours {list(hours)} must each be >= 1 and sum to 24 (they sum to {sum(hours)})",
            "give block lengths of whole hours that add up to 24, e.g. 8,4,4,8",
        )
    return hours
