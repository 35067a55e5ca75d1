"""A results directory: written atomically by `write_results` (a reader sees the old run or
the new one), read back by `load_results`.

DIR holds one file per table (CSV, Parquet, or sheets of results.xlsx), summary.json, and
model.json: what `planner explain` and `planner report` need to know about the model
(`ModelInfo`), so that they never read the instance file again.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner import atomic
from planner.model.info import ModelInfo
from planner.results.base import SLICE_TABLES, TABLES, Results

if TYPE_CHECKING:  # pandas loads where tables are read or written (a fast `planner validate`)
    import pandas as pd

FORMATS = ("csv", "parquet", "xlsx")
INT_COLUMNS = ("year",)
BOOL_COLUMNS = ("binding",)
TEXT_COLUMNS = {"period": str, "slice": str}  # names, even where they look like numbers


class OutputError(ValueError):
    """The output directory cannot be written as asked."""


class ResultsDirError(ValueError):
    """The directory does not hold a planner run (no summary.json)."""


def check_target(target: Path, source: str, force: bool) -> None:
    """Refuse to replace a non-empty directory holding another run's results without `force`."""
    atomic.restore_interrupted(target)
    if force or not target.exists() or not any(target.iterdir()):
        return
    summary = target / "summary.json"
    if summary.is_file():
        try:
            previous = json.loads(summary.read_text()).get("source")
        except (OSError, ValueError):
            previous = None
        if previous is not None and Path(previous).resolve() == Path(source).resolve():
            return  # the same instance solved again: replacing it loses nothing new
    raise OutputError(
        f"{target}: the directory is not empty and holds another run's files; "
        "use --force to replace it, or choose another --out"
    )


def _clean(value: Any) -> Any:
    """JSON without NaN or infinity (null instead)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def write_results(
    results: Results,
    out: str | Path,
    formats: tuple[str, ...] = ("csv",),
    force: bool = False,
) -> Path:
    """Write every table in each format, summary.json and model.json into `out`."""
    target = Path(out)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise OutputError(f"unknown format {', '.join(unknown)}: use {', '.join(FORMATS)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    check_target(target, str(results.summary.get("source")), force)
    staging = None
    try:
        with atomic.deferred():
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        staging.chmod(0o755)
        for name, table in results.tables.items():
            write_table(table, staging / name, formats)
        if "xlsx" in formats and results.tables:
            import pandas as pd

            with pd.ExcelWriter(staging / "results.xlsx", engine="openpyxl") as book:
                for name, table in results.tables.items():
                    table.to_excel(book, sheet_name=name, index=False)
        (staging / "summary.json").write_text(json.dumps(_clean(results.summary), indent=2))
        if results.info is not None:
            (staging / "model.json").write_text(json.dumps(results.info.to_json(), indent=2))
        atomic.replace_dir(staging, target)
    finally:
        if staging is not None and staging.exists():
            with atomic.deferred():
                shutil.rmtree(staging, ignore_errors=True)
    return target


def write_table(table: pd.DataFrame, stem: Path, formats: tuple[str, ...]) -> None:
    """A table as stem.csv and/or stem.parquet, written by pyarrow (columnar, fast)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    if "csv" in formats:
        pa_csv.write_csv(arrow, stem.with_suffix(".csv"))
    if "parquet" in formats:
        pq.write_table(arrow, stem.with_suffix(".parquet"))


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    import pandas as pd

    def csv(path: Path) -> pd.DataFrame:
        return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=TEXT_COLUMNS)

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
    """Results from DIR/summary.json, model.json and the tables (parquet preferred)."""
    folder = Path(folder)
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise ResultsDirError(f"{folder}: no summary.json; not a `planner solve --out` directory")
    try:
        summary = json.loads(summary_path.read_text())
    except ValueError as exc:
        raise ResultsDirError(f"{summary_path}: not valid JSON ({exc})") from None
    info = None
    if (folder / "model.json").is_file():
        try:
            info = ModelInfo.from_json(json.loads((folder / "model.json").read_text()))
        except (ValueError, TypeError) as exc:
            raise ResultsDirError(f"{folder / 'model.json'}: not readable ({exc})") from None
    tables = {}
    for name in (*TABLES, *SLICE_TABLES):
        table = _read(folder, name)
        if table is not None:
            tables[name] = table
    status = str(summary.get("status", "unknown"))
    return Results(status, summary.get("objective"), summary, tables, info)
