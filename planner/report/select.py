"""What the report shows: the horizon years (extension years of §15 left out unless asked
for) and the year of the time-slice charts."""

from __future__ import annotations

from dataclasses import replace

from planner.results.base import Results


class ReportYearError(ValueError):
    """The year asked for has no time-slice results."""


def within_horizon(results: Results, show_extension: bool = False) -> Results:
    """The results with the rows of extension years left out of every table, unless
    `show_extension` (a run without end effects is returned as it is)."""
    if show_extension or not any("extension" in t for t in results.tables.values()):
        return results
    tables = {
        name: t[~t["extension"].astype(bool)].reset_index(drop=True) if "extension" in t else t
        for name, t in results.tables.items()
    }
    return replace(results, tables=tables)


def slice_year(results: Results, year: int | None) -> int | None:
    """The year of the time-slice charts: `year`, or by default the last year of the slices
    table (after `within_horizon`, the last horizon year); None without time slices."""
    slices = results.tables.get("slices")
    if slices is None or slices.empty:
        return None
    years = sorted({int(y) for y in slices["year"]})
    if year is None:
        return years[-1]
    if year not in years:
        hidden = "extension" in slices and not slices["extension"].any()
        hint = " (extension years: add --show-extension, show_extension=True)" if hidden else ""
        raise ReportYearError(
            f"year {year} has no time-slice results: choose from {years[0]} to {years[-1]}{hint}"
        )
    return year
