"""Read a results directory written by `planner solve --out DIR` back into `Results`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from planner.results import TABLES, Results

INT_COLUMNS = ("year",)
BOOL_COLUMNS = ("binding",)


class ResultsDirError(ValueError):
    """The directory does not hold a planner run (no summary.json)."""


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    csv = lambda path: pd.read_csv(path, keep_default_na=False, na_values=[""])  # noqa: E731
    for suffix, reader in ((".parquet", pd.read_parquet), (".csv", csv)):
        path = folder / f"{name}{suffix}"
        if path.is_file():
            try:
                table = reader(path)
            except pd.errors.EmptyDataError:
                return pd.DataFrame()
            for column in INT_COLUMNS:
                if column in table.columns:
                    table[column] = pd.array(table[column], dtype="Int64")
            for column in BOOL_COLUMNS:
                if column in table.columns and table[column].dtype != bool:
                    table[column] = table[column].astype(str).str.lower().eq("true")
            return table
    return None


def load_results(folder: str | Path) -> Results:
    """Results from DIR/summary.json and the tables (parquet preferred, else CSV) beside it."""
    folder = Path(folder)
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise ResultsDirError(f"{folder}: no summary.json; not a `planner solve --out` directory")
    try:
        summary = json.loads(summary_path.read_text())
    except ValueError as exc:
        raise ResultsDirError(f"{summary_path}: not valid JSON ({exc})") from None
    tables = {}
    for name in TABLES:
        table = _read(folder, name)
        if table is not None:
            tables[name] = table
    return Results(str(summary.get("status", "unknown")), summary.get("objective"), summary, tables)
