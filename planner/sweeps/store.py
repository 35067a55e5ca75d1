"""The sweep's output directory: DIR/sweep.json (what the sweep is), DIR/points/*.parquet
(one file per finished point, written at once, durably), DIR/sweep.parquet and sweep.csv
(all rows, written at the end). A lock (`fcntl.flock` on DIR/.lock, released by the kernel
even on SIGKILL) refuses a second sweep writing the same directory."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path
from typing import Any

import pandas as pd

from planner import atomic


class SweepError(RuntimeError):
    """The sweep cannot start or could not finish (its finished points stay on disk)."""


class SweepIncomplete(SweepError):
    """Some points did not finish (workers lost); a resumed sweep can finish them."""


class Store:
    """DIR/sweep.json (what the sweep is), DIR/points/*.parquet (one file per finished
    point), DIR/sweep.parquet and sweep.csv (all rows, written at the end)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.points_dir = self.root / "points"
        self._lock_fd: int | None = None

    def lock(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip()
            os.close(fd)
            raise SweepError(
                f"{self.root}: another sweep is writing this directory"
                + (f" (process {holder})" if holder else "")
                + "; wait for it to finish or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{socket.gethostname()}:{os.getpid()}".encode())
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def start(self, manifest: dict[str, Any], resume: bool) -> set[int]:
        """Write or check the manifest; return the points already finished."""
        path = self.root / "sweep.json"
        if path.exists():
            if not resume:
                raise SweepError(
                    f"{self.root} already holds a sweep; use --resume to continue it "
                    "or choose another --out"
                )
            previous = json.loads(path.read_text())
            for item in ("instance_hash", "params", "points"):
                if previous.get(item) != manifest[item]:
                    raise SweepError(
                        f"{self.root} holds a different sweep ({item} differ); "
                        "resume it with the same instance and --param values, "
                        "or choose another --out"
                    )
        else:
            if self.points_dir.exists() and any(self.points_dir.glob("*.parquet")):
                raise SweepError(f"{self.root}/points holds files but no sweep.json")
            atomic.write_text(path, json.dumps(manifest, indent=2))
        self.points_dir.mkdir(exist_ok=True)
        for stale in self.points_dir.glob(".*.tmp*"):
            stale.unlink(missing_ok=True)  # a write cut short by a kill
        return {int(p.stem) for p in self.points_dir.glob("[0-9]*.parquet") if p.stem.isdigit()}

    def write_point(self, row: dict[str, Any], tables: dict[str, pd.DataFrame]) -> None:
        """The point's kept tables, then its row (the row marks the point finished)."""
        index = int(row["point"])
        for name, table in tables.items():
            _atomic_parquet(self.points_dir / f"{index:06d}.{name}.parquet", table)
        _atomic_parquet(self.points_dir / f"{index:06d}.parquet", pd.DataFrame([row]))

    def rows(self) -> pd.DataFrame:
        files = sorted(p for p in self.points_dir.glob("[0-9]*.parquet") if p.stem.isdigit())
        return tidy([pd.read_parquet(p) for p in files])

    def tables(self, names: list[str]) -> dict[str, pd.DataFrame]:
        """Every point's kept tables, one frame per table."""
        out = {}
        for name in names:
            files = sorted(self.points_dir.glob(f"[0-9]*.{name}.parquet"))
            frames = [pd.read_parquet(p) for p in files]
            out[name] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return out

    def finish(self, table: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> None:
        _atomic_parquet(self.root / "sweep.parquet", table)
        atomic.write_text(self.root / "sweep.csv", table.to_csv(index=False))
        for name, frame in tables.items():
            _atomic_parquet(self.root / f"{name}.parquet", frame)


def _atomic_parquet(path: Path, table: pd.DataFrame) -> None:
    atomic.write_with(path, lambda tmp: table.to_parquet(tmp, index=False))


def tidy(rows: list[pd.DataFrame] | list[dict[str, Any]]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=["point", "status", "objective"])
    frames = [r if isinstance(r, pd.DataFrame) else pd.DataFrame([r]) for r in rows]
    frames = [f.dropna(axis=1, how="all") if len(f) else f for f in frames]
    table = pd.concat(frames, ignore_index=True)
    table = table.sort_values("point", kind="stable").reset_index(drop=True)
    first = [c for c in table.columns if c not in _TAIL]
    return table[first + [c for c in _TAIL if c in table.columns]]


_TAIL = ("warm", "iterations", "solve_time", "time", "worker", "error")
