"""What the report shows: the horizon years (extension years of §15 left out unless asked
for), the year of the time-slice charts and, for a two-stage run, the case shown."""

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


class ReportCaseError(ValueError):
    """The case asked for is not one of the run's scenario cases."""


def case_probabilities(results: Results) -> dict[str, float]:
    """Case -> probability of a two-stage run (§17), in the instance's order; {} otherwise."""
    cases = (results.summary.get("scenarios") or {}).get("cases") or {}
    return {str(name): float(c["probability"]) for name, c in cases.items()}


def chosen_case(results: Results, case: str | None) -> str | None:
    """The case the per-case charts show: `case`, or by default the most probable one (the
    first of equals); None for a run without scenarios and no case asked for."""
    cases = case_probabilities(results)
    if case is None:
        return max(cases, key=lambda c: cases[c]) if cases else None
    if not cases:
        raise ReportCaseError(
            f"case {case!r} asked for, but this run has no scenario cases "
            "(--case applies to two-stage results)"
        )
    if case not in cases:
        raise ReportCaseError(f"case {case!r} is not in this run: choose {', '.join(cases)}")
    return case


def one_case(results: Results, case: str) -> Results:
    """The results of one scenario case: each table's rows of that case, without the
    `scenario` column (so that nothing sums the cases)."""
    tables = {
        name: t[t["scenario"] == case].drop(columns="scenario").reset_index(drop=True)
        if "scenario" in t
        else t
        for name, t in results.tables.items()
    }
    return replace(results, tables=tables)
