"""Write result tables and summary.json, atomically: a reader sees the old run or the new one.

All files are written into a fresh sibling directory, which then replaces the output
directory with two renames (old -> backup, new -> target); a backup left by an interrupted
swap is restored on the next write.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from planner.results import Results

FORMATS = ("csv", "parquet", "xlsx")


class OutputError(ValueError):
    """The output directory cannot be written as asked."""


def _backup(target: Path) -> Path:
    return target.with_name(f".{target.name}.previous")


def check_target(target: Path, source: str, force: bool) -> None:
    """Refuse to replace a non-empty directory holding another run's results without `force`."""
    backup = _backup(target)
    if backup.exists() and not target.exists():
        backup.rename(target)  # a swap was interrupted: put the old results back
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
    """Write every table in each format plus summary.json into `out`; return the path."""
    target = Path(out)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise OutputError(f"unknown format {', '.join(unknown)}: use {', '.join(FORMATS)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    check_target(target, str(results.summary.get("source")), force)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    staging.chmod(0o755)
    try:
        for name, table in results.tables.items():
            if "csv" in formats:
                table.to_csv(staging / f"{name}.csv", index=False)
            if "parquet" in formats:
                table.to_parquet(staging / f"{name}.parquet", index=False)
        if "xlsx" in formats and results.tables:
            with pd.ExcelWriter(staging / "results.xlsx", engine="openpyxl") as book:
                for name, table in results.tables.items():
                    table.to_excel(book, sheet_name=name, index=False)
        (staging / "summary.json").write_text(json.dumps(_clean(results.summary), indent=2))
        _sync(staging)
        _swap(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (new names, renames) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync(directory: Path) -> None:
    """Flush every file of `directory`, and the directory itself, to disk."""
    for path in directory.iterdir():
        with open(path, "rb") as f:
            os.fsync(f.fileno())
    fsync_dir(directory)


def _swap(staging: Path, target: Path) -> None:
    """Replace `target` by `staging`: two renames with SIGINT/SIGTERM held back in between, so
    an interruption leaves the old directory or the new one, never neither."""
    backup = _backup(target)
    if backup.exists():
        shutil.rmtree(backup)
    held = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        if target.exists():
            target.rename(backup)
        os.replace(staging, target)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, held)
    if backup.exists():
        shutil.rmtree(backup)
