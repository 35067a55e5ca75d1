"""Budget and parameter sweeps: warm re-solves, local or Dask workers, resumable on disk.

`sweep(instance, points)` solves the instance once per point, through the one solve
pipeline, and returns one tidy row per point (parameters, status, objective, spend, unserved
demand, final-year capacity per layer, shadow prices of the budget and of each resource,
times).

Warm re-solves: each worker keeps one model loaded in HiGHS (`planner.solver.Session`);
a point whose model differs only in numbers is pushed into it in place and re-solved from
the previous basis. Neighbouring points go to the same worker (`chunked`).

Durability: with `out`, every finished point is written at once (`planner.sweeps.store`)
by the one process that drives the sweep; `resume=True` skips the points already on disk.

Faults: a local worker process that dies (killed, out of memory) is replaced; the point it
was solving is retried once, then recorded with status "worker_died", and the sweep goes
on (`planner.sweeps.local`). On Dask, the scheduler re-runs a task whose worker died (up to
its allowed-failures); a point that arrives twice is recorded once (`planner.sweeps.dask`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner.instance.loader import load_instance
from planner.instance.paths import Param, ParamError, apply, check, points_from
from planner.instance.schema import Instance
from planner.progress import progress_bar
from planner.results.base import TABLES
from planner.solver.options import SolveOptions
from planner.solver.pipeline import Session
from planner.sweeps.local import Direct, run_local
from planner.sweeps.point import Item, solve_chunk
from planner.sweeps.store import Store, SweepIncomplete, tidy

KEEP = (None, "schedule", "tables")
FULL_CHECK = 50
"""Up to this many points, every point's instance is validated before the sweep starts;
beyond it, the extreme values of each parameter (a bad value is recorded per point)."""


def instance_hash(instance: Instance) -> str:
    """A fingerprint of the instance's content (what a resumed sweep must match)."""
    text = json.dumps(
        instance.model_dump(mode="json", by_alias=True, warnings=False), sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _prevalidate(instance: Instance, points: list[dict[str, float]]) -> None:
    """Check every value (or each parameter's extremes) against the schema up front."""
    if len(points) <= FULL_CHECK:
        chosen = points
    else:
        chosen = [points[0], points[-1]]
        for name in points[0]:
            chosen.append(min(points, key=lambda p, n=name: p[n]))
            chosen.append(max(points, key=lambda p, n=name: p[n]))
    for point in chosen:
        apply(instance, point)


@dataclass
class _Recorder:
    """Takes each finished point: writes it (with `out`), keeps it, reports progress."""

    store: Store | None
    advance: Callable[[dict[str, Any]], None]
    on_point: Callable[[dict[str, Any]], None] | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    kept: dict[str, list[pd.DataFrame]] = field(default_factory=dict)

    def __call__(self, item: Item) -> None:
        row, tables = item
        if self.store is not None:
            self.store.write_point(row, tables)
        self.rows.append(row)
        for name, table in tables.items():
            self.kept.setdefault(name, []).append(table)
        self.advance(row)
        if self.on_point is not None:
            self.on_point(row)


def _points(
    instance: Instance, points: Mapping[str, Any] | Sequence[Mapping[str, float]]
) -> tuple[list[str], list[dict[str, float]]]:
    """The parameter names and the points, checked against the instance up front."""
    pts = points_from(points)
    params: list[Param] = check(instance, list(pts[0]))
    pts = [
        {p.text: float(point[orig]) for p, orig in zip(params, point, strict=True)} for point in pts
    ]
    _prevalidate(instance, pts)
    return [p.text for p in params], pts


def sweep(
    instance: Instance | str | Path,
    points: Mapping[str, Sequence[float] | float] | Sequence[Mapping[str, float]],
    *,
    out: str | Path | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    resume: bool = False,
    keep: str | None = None,
    options: SolveOptions | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
    on_point: Callable[[dict[str, Any]], None] | None = None,
) -> pd.DataFrame:
    """Solve `instance` at every point; one row per point, sorted by point number.

    points: ``{path: values}`` (every combination, in snake order so neighbours follow
    each other) or a list of ``{path: value}`` (in the given order). Paths: see
    `planner.instance.paths` (``budget.total``, ``scale:commodities.tokens.demand``, ...).
    workers: local worker processes (1: in this process). scheduler / client: run on a
    Dask distributed cluster instead (an address such as ``tcp://host:8786``, or a
    `distributed.Client`). out: a directory; each finished point is written there at once,
    then sweep.parquet and sweep.csv. resume: continue the sweep already in `out`.
    keep="schedule": also keep every point's build schedule, in ``table.attrs["schedules"]``
    (and out/schedule.parquet); keep="tables": every result table of every point, in
    ``table.attrs["tables"]`` (and out/<table>.parquet). A failed point (infeasible, time
    limit, error, a worker process that died on it twice) is a row with its status; it
    does not stop the sweep.
    """
    if keep not in KEEP:
        raise ParamError(f"keep must be None, 'schedule' or 'tables', got {keep!r}")
    if workers < 1:
        raise ParamError(f"workers must be >= 1, got {workers}")
    if resume and out is None:
        raise ParamError("resume needs an output directory (out=...)")
    if not isinstance(instance, Instance):
        instance = load_instance(instance)
    options = options or SolveOptions()
    names, pts = _points(instance, points)
    key = instance_hash(instance)
    manifest = {
        "instance": instance.name,
        "source": instance.source,
        "instance_hash": key,
        "params": names,
        "points": pts,
        "keep": keep,
    }
    store = Store(out) if out is not None else None
    if store is not None:
        store.lock()
    try:
        done = store.start(manifest, resume) & set(range(len(pts))) if store else set()
        todo = [(i, p) for i, p in enumerate(pts) if i not in done]
        with progress_bar(len(pts), len(done), progress) as advance:
            record = _Recorder(store, advance, on_point)
            if not todo:
                pass
            elif client is not None or scheduler is not None:
                from planner.sweeps.dask import run_dask

                run_dask(instance, key, todo, options, keep, record, client, scheduler, chunk_size)
            elif workers > 1:
                run_local(instance, key, todo, options, keep, record, workers, chunk_size)
            else:
                solve_chunk(instance, key, todo, options, keep, Direct(record), Session())
        table, kept = _collect(store, record, len(pts), done, keep)
    finally:
        if store is not None:
            store.unlock()
    table.attrs["params"] = names
    if keep is not None:
        table.attrs["tables"] = kept
        table.attrs["schedules"] = kept["schedule"]
    return table


def _collect(
    store: Store | None, record: _Recorder, total: int, done: set[int], keep: str | None
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """All rows (and kept tables); the final files once every point has finished."""
    finished = {int(r["point"]) for r in record.rows} | done
    missing = sorted(set(range(total)) - finished)
    names = [] if keep is None else ["schedule"] if keep == "schedule" else list(TABLES)
    if store is not None:
        table = store.rows()
        kept = store.tables(names)
        if not missing:
            store.finish(table, kept)
    else:
        table = tidy(record.rows)
        kept = {
            name: pd.concat(record.kept[name], ignore_index=True)
            if record.kept.get(name)
            else pd.DataFrame()
            for name in names
        }
    if missing:
        raise SweepIncomplete(
            f"{len(missing)} point(s) did not finish (workers lost?): {missing[:10]}"
            + ("; rerun with --resume to finish them" if store is not None else "")
        )
    return table, kept
