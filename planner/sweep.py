"""Budget and parameter sweeps: warm re-solves, local or Dask workers, resumable on disk.

`sweep(instance, points)` solves the instance once per point and returns one tidy row per
point (parameters, status, objective, spend, unserved demand, final-year capacity per
layer, shadow prices of the budget and of each resource, times).

Warm re-solves: each worker keeps one model loaded in HiGHS (`WarmModel`). For a new
point it rebuilds only the arrays (`build_model(data, pyomo=False)`) and compares them
with what HiGHS holds: when the columns, the rows and the sparsity pattern are the same,
it pushes the changed right-hand sides, coefficients, costs, bounds and the objective
constant into HiGHS and re-solves from the previous basis. Otherwise it rebuilds.

Durability: with `out`, every finished point is written at once as its own Parquet file
(DIR/points/NNNNNN.parquet, written to a temporary name, fsynced, renamed), by the one
process that drives the sweep. `resume=True` skips the points already on disk. A lock
(`fcntl.flock` on DIR/.lock, released by the kernel even on SIGKILL) refuses a second
sweep writing the same directory.

Faults: a local worker process that dies (killed, out of memory) is replaced; the point it
was solving is retried once, then recorded with status "worker_died", and the sweep goes
on. On Dask, the scheduler re-runs a task whose worker died (up to its allowed-failures);
a point that arrives twice is recorded once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import multiprocessing as mp
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing import connection
from pathlib import Path
from time import perf_counter
from typing import Any

import highspy
import numpy as np
import pandas as pd

from planner.data import COL_B, COL_N, ModelData, prepare
from planner.loader import load_instance
from planner.model import Layout, build_model, layout, spending
from planner.output import fsync_dir
from planner.params import Param, ParamError, apply, check, points_from
from planner.results import schedule_table
from planner.schema import LAYERS, Instance
from planner.solver import Handoff, Solution, SolveOptions, handoff, row_bounds, run

KEEP = (None, "schedule")
FULL_CHECK = 50
"""Up to this many points, every point's instance is validated before the sweep starts;
beyond it, the extreme values of each parameter (a bad value is recorded per point)."""


class SweepError(RuntimeError):
    """The sweep cannot start or could not finish (its finished points stay on disk)."""


# --- one worker's warm model ---------------------------------------------------------------


@dataclass
class Outcome:
    """A solved (or failed) point, as the worker that solved it saw it."""

    status: str
    solution: Solution | None
    data: ModelData | None
    layout: Layout | None
    warm: bool = False
    iterations: int | None = None
    times: dict[str, float] = field(default_factory=dict)


class WarmModel:
    """One model held in HiGHS, updated in place between points of the same structure."""

    def __init__(self, options: SolveOptions | None = None) -> None:
        self.options = options or SolveOptions()
        self.hand: Handoff | None = None
        self.lay: Layout | None = None
        self.upper: np.ndarray | None = None
        self.rebuilds = 0
        self.warm_solves = 0

    def solve(self, instance: Instance) -> Outcome:
        """Solve `instance`, warm if it differs from the live model only in numbers."""
        start = perf_counter()
        data = prepare(instance)
        lay = layout(build_model(data, pyomo=False))
        times = {"build": perf_counter() - start}
        if lay.infeasible_rows:  # a row without variables that cannot hold (as api.solve)
            return Outcome("infeasible", None, data, lay, times=times)
        start = perf_counter()
        warm = self.hand is not None and self._update(data, lay)
        if not warm:
            m = build_model(data)
            lay = layout(m)
            self.hand = handoff(m, self.options)
            self.upper = data.upper_bounds()
            self.rebuilds += 1
        else:
            self.warm_solves += 1
        self.lay = lay
        times["update" if warm else "handoff"] = perf_counter() - start
        assert self.hand is not None
        sol = run(self.hand)
        iterations = int(self.hand.highs.getInfo().simplex_iteration_count)
        times.update(sol.times)
        if sol.status not in ("optimal", "infeasible"):
            self.hand = None  # an interrupted solve: start the next point afresh
        return Outcome(sol.status, sol, data, lay, warm, iterations, times)

    def _update(self, data: ModelData, lay: Layout) -> bool:
        """Push the new numbers into HiGHS if the structure is unchanged; False otherwise."""
        old, hand = self.lay, self.hand
        assert old is not None and hand is not None and self.upper is not None
        if data.n_cols != old.data.n_cols or not np.array_equal(data.col_kind, old.data.col_kind):
            return False
        if list(lay.families) != list(old.families):
            return False
        for name, fam in lay.families.items():
            prev = old.families[name]
            if (
                fam.sense != prev.sense
                or fam.keys != prev.keys
                or not np.array_equal(fam.A.indptr, prev.A.indptr)
                or not np.array_equal(fam.A.indices, prev.A.indices)
            ):
                return False
        col_pos = hand.col_pos
        in_lp = col_pos >= 0
        if np.any(~in_lp & (lay.objective != 0)):
            return False  # a column HiGHS does not hold would now cost something
        h = hand.highs
        if hand.integer.size:  # run() relaxed the integers to get duals: restore them
            n = hand.integer.size
            h.changeColsIntegrality(n, hand.integer, [highspy.HighsVarType.kInteger] * n)
        for name, fam in lay.families.items():
            prev = old.families[name]
            rows_of = hand.row_pos[name]
            changed = np.flatnonzero(fam.A.data != prev.A.data)
            if changed.size:
                row_index = np.repeat(np.arange(len(fam.keys)), np.diff(fam.A.indptr))
                for r, c, v in zip(
                    rows_of[row_index[changed]].tolist(),
                    col_pos[fam.A.indices[changed]].tolist(),
                    fam.A.data[changed].tolist(),
                    strict=True,
                ):
                    h.changeCoeff(r, c, v)
            moved = np.flatnonzero(fam.rhs != prev.rhs)
            if moved.size:
                lower, upper = row_bounds(fam.sense, fam.rhs[moved])
                h.changeRowsBounds(moved.size, rows_of[moved], lower, upper)
        cost_moved = np.flatnonzero(in_lp & (lay.objective != old.objective))
        if cost_moved.size:
            h.changeColsCost(cost_moved.size, col_pos[cost_moved], lay.objective[cost_moved])
        upper = data.upper_bounds()
        reset = in_lp & ((upper != self.upper) | (data.col_kind == COL_N))
        if hand.integer.size:
            reset |= in_lp & (data.col_kind == COL_B)  # fixed by the duals' LP of the last point
        idx = np.flatnonzero(reset)
        if idx.size:
            h.changeColsBounds(idx.size, col_pos[idx], np.zeros(idx.size), upper[idx])
        if lay.objective_constant != old.objective_constant:
            h.changeObjectiveOffset(float(lay.objective_constant))
        self.upper = upper
        return True


_LOCAL = threading.local()


def _warm_for(key: str, options: SolveOptions) -> WarmModel:
    """This thread's warm model for the sweep `key` (kept between tasks of one worker)."""
    held = getattr(_LOCAL, "models", None)
    if held is None or held[0] != key:
        held = (key, WarmModel(options))
        _LOCAL.models = held
    return held[1]


# --- one point's row -----------------------------------------------------------------------


def summarise(
    index: int, point: Mapping[str, float], outcome: Outcome, keep: str | None
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """The sweep row of a point (and its schedule when `keep == "schedule"`)."""
    row: dict[str, Any] = {"point": index, **{k: float(v) for k, v in point.items()}}
    row["status"] = outcome.status
    sol, data, lay = outcome.solution, outcome.data, outcome.layout
    row["objective"] = sol.objective if sol is not None and sol.objective is not None else np.nan
    schedule = None
    if sol is not None and sol.has_solution and data is not None and lay is not None:
        x = sol.x
        assert x is not None
        spend = spending(data)
        row["spend_total"] = float((spend.A @ x + spend.const).sum())
        for c in data.commodities:
            demand = float(data.demand[c].sum())
            if demand <= 0:
                continue
            unserved = 0.0
            if c in data.u_col:
                col = data.u_col[c]
                unserved = float(x[col[col >= 0]].sum())
            row[f"unserved.{c}"] = unserved
            row[f"unserved_share.{c}"] = unserved / demand
        built = dict.fromkeys(LAYERS, 0.0)
        for t in data.techs:
            cap = data.capacity(t)
            final = (cap.A @ x + cap.const).reshape(len(t.regions), data.ny)[:, -1]
            built[t.layer] += float(final.sum())
        row.update({f"capacity.{layer}": value for layer, value in built.items()})
        duals = sol.duals
        has_total = "budget_total" in lay.families
        row["shadow.budget_total"] = (
            -float(duals["budget_total"][0]) if has_total and "budget_total" in duals else np.nan
        )
        if "budget_year" in lay.families and "budget_year" in duals:
            year_prices = -duals["budget_year"]
            row["shadow.budget_year.max"] = float(year_prices.max())
            row["shadow.budget_year.mean"] = float(year_prices.mean())
        fam = lay.families.get("resource_limit")
        prices: dict[str, list[float]] = {p: [] for p in data.resources}
        if fam is not None and "resource_limit" in duals:
            for key, dual in zip(fam.keys, duals["resource_limit"].tolist(), strict=True):
                prices[key[0]].append(-dual / data.df[int(key[2]) - int(data.years[0])])
        for p, values in prices.items():
            row[f"shadow.{p}.max"] = max(values) if values else np.nan
            row[f"shadow.{p}.mean"] = float(np.mean(values)) if values else np.nan
        if keep == "schedule":
            schedule = schedule_table(data, x)
            schedule.insert(0, "point", index)
    row["warm"] = outcome.warm
    row["iterations"] = outcome.iterations if outcome.iterations is not None else -1
    row["solve_time"] = outcome.times.get("solve", np.nan)
    row["time"] = float(sum(outcome.times.values()))
    row["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    row["error"] = ""
    return row, schedule


def _failed(index: int, point: Mapping[str, float], error: BaseException | str) -> dict[str, Any]:
    if isinstance(error, BaseException):
        text = "".join(traceback.format_exception_only(type(error), error)).strip()
    else:
        text = error
    return {
        "point": index,
        **{k: float(v) for k, v in point.items()},
        "status": "error",
        "objective": np.nan,
        "warm": False,
        "iterations": -1,
        "solve_time": np.nan,
        "time": np.nan,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "error": text,
    }


def solve_chunk(
    instance: Instance,
    key: str,
    chunk: Sequence[tuple[int, Mapping[str, float]]],
    options: SolveOptions,
    keep: str | None,
    sink: Any = None,
) -> list[tuple[dict[str, Any], pd.DataFrame | None]]:
    """Solve neighbouring points one after the other on this thread's warm model.

    Each finished point goes to `sink.put(...)` at once when a sink is given (a queue read
    by the process that writes the results), else into the returned list.
    """
    model = _warm_for(key, options)
    done = []
    for index, point in chunk:
        _fault(index)
        try:
            outcome = model.solve(apply(instance, point))
            item = summarise(index, point, outcome, keep)
        except Exception as exc:  # a failed point is a row, not the end of the sweep
            model.hand = None
            item = (_failed(index, point, exc), None)
        if sink is not None:
            sink.put(item)
        else:
            done.append(item)
    return done


def _fault(index: int) -> None:
    """Tests only: PLANNER_SWEEP_FAULT="POINT" makes the process that starts solving POINT
    kill itself with SIGKILL (as the out-of-memory killer would), every time;
    "POINT:FILE" only the first time (the process that creates FILE)."""
    spec = os.environ.get("PLANNER_SWEEP_FAULT")
    if spec is None:
        return
    point, _, once = spec.partition(":")
    if int(point) != index:
        return
    if once:
        try:
            os.close(os.open(once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
    os.kill(os.getpid(), signal.SIGKILL)


# --- the output directory ------------------------------------------------------------------


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
            _atomic_write(path, json.dumps(manifest, indent=2).encode())
        self.points_dir.mkdir(exist_ok=True)
        for stale in self.points_dir.glob(".*.tmp*"):
            stale.unlink(missing_ok=True)  # a write cut short by a kill
        return {int(p.stem) for p in self.points_dir.glob("[0-9]*.parquet") if p.stem.isdigit()}

    def write_point(self, row: dict[str, Any], schedule: pd.DataFrame | None) -> None:
        index = int(row["point"])
        if schedule is not None:
            _atomic_parquet(self.points_dir / f"{index:06d}.schedule.parquet", schedule)
        _atomic_parquet(self.points_dir / f"{index:06d}.parquet", pd.DataFrame([row]))

    def rows(self) -> pd.DataFrame:
        files = sorted(p for p in self.points_dir.glob("[0-9]*.parquet") if p.stem.isdigit())
        return _tidy([pd.read_parquet(p) for p in files])

    def schedules(self) -> pd.DataFrame:
        files = sorted(self.points_dir.glob("[0-9]*.schedule.parquet"))
        frames = [pd.read_parquet(p) for p in files]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def finish(self, table: pd.DataFrame, schedules: pd.DataFrame | None) -> None:
        _atomic_parquet(self.root / "sweep.parquet", table)
        _atomic_write(self.root / "sweep.csv", table.to_csv(index=False).encode())
        if schedules is not None and len(schedules):
            _atomic_parquet(self.root / "schedule.parquet", schedules)


def _atomic_write(path: Path, payload: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _atomic_parquet(path: Path, table: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    table.to_parquet(tmp, index=False)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _tidy(rows: list[pd.DataFrame] | list[dict[str, Any]]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=["point", "status", "objective"])
    frames = [r if isinstance(r, pd.DataFrame) else pd.DataFrame([r]) for r in rows]
    frames = [f.dropna(axis=1, how="all") if len(f) else f for f in frames]
    table = pd.concat(frames, ignore_index=True)
    table = table.sort_values("point", kind="stable").reset_index(drop=True)
    first = [c for c in table.columns if c not in _TAIL]
    return table[first + [c for c in _TAIL if c in table.columns]]


_TAIL = ("warm", "iterations", "solve_time", "time", "worker", "error")


# --- progress --------------------------------------------------------------------------------


@contextlib.contextmanager
def progress_bar(total: int, done: int, enabled: bool) -> Iterator[Callable[[dict], None]]:
    """A rich progress bar (points done, failures, ETA) on stderr; yields `advance(row)`."""
    if not enabled:
        yield lambda row: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    failures = 0
    bar = Progress(
        TextColumn("[bold]sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    with bar:
        task = bar.add_task("sweep", total=total, completed=done, failed="0 failed")

        def advance(row: dict) -> None:
            nonlocal failures
            if row.get("status") != "optimal":
                failures += 1
            style = "red" if failures else "dim"
            bar.update(task, advance=1, failed=f"[{style}]{failures} failed[/]")

        yield advance


# --- the sweep -----------------------------------------------------------------------------


def instance_hash(instance: Instance) -> str:
    """A fingerprint of the instance's content (what a resumed sweep must match)."""
    text = json.dumps(
        instance.model_dump(mode="json", by_alias=True, warnings=False), sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def chunked(
    items: Sequence[tuple[int, dict[str, float]]], workers: int, size: int | None
) -> list[list[tuple[int, dict[str, float]]]]:
    """Consecutive runs of neighbouring points: about two chunks per worker by default."""
    if not items:
        return []
    if size is None:
        size = max(1, math.ceil(len(items) / max(1, 2 * workers))) if workers > 1 else len(items)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


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
    `planner.params` (``budget.total``, ``scale:commodities.tokens.demand``, ...).
    workers: local worker processes (1: in this process). scheduler / client: run on a
    Dask distributed cluster instead (an address such as ``tcp://host:8786``, or a
    `distributed.Client`). out: a directory; each finished point is written there at once,
    then sweep.parquet and sweep.csv. resume: continue the sweep already in `out`.
    keep="schedule": also keep every point's build schedule, in ``table.attrs["schedules"]``
    (and out/schedule.parquet). A failed point (infeasible, time limit, error, a worker
    process that died on it twice) is a row with its status; it does not stop the sweep.
    """
    if keep not in KEEP:
        raise ParamError(f"keep must be None or 'schedule', got {keep!r}")
    if workers < 1:
        raise ParamError(f"workers must be >= 1, got {workers}")
    if resume and out is None:
        raise ParamError("resume needs an output directory (out=...)")
    if not isinstance(instance, Instance):
        instance = load_instance(instance)
    options = options or SolveOptions()
    pts = points_from(points)
    params: list[Param] = check(instance, list(pts[0]))
    names = [p.text for p in params]
    pts = [
        {p.text: float(point[orig]) for p, orig in zip(params, point, strict=True)} for point in pts
    ]
    _prevalidate(instance, pts)
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
    done: set[int] = set()
    rows: list[dict[str, Any]] = []
    schedules: list[pd.DataFrame] = []
    if store is not None:
        store.lock()
    try:
        if store is not None:
            done = store.start(manifest, resume) & set(range(len(pts)))
        todo = [(i, p) for i, p in enumerate(pts) if i not in done]

        with progress_bar(len(pts), len(done), progress) as advance:

            def record(item: tuple[dict[str, Any], pd.DataFrame | None]) -> None:
                row, schedule = item
                if store is not None:
                    store.write_point(row, schedule)
                rows.append(row)
                if schedule is not None:
                    schedules.append(schedule)
                advance(row)
                if on_point is not None:
                    on_point(row)

            if todo:
                if client is not None or scheduler is not None:
                    _run_dask(
                        instance, key, todo, options, keep, record, client, scheduler, chunk_size
                    )
                elif workers > 1:
                    _run_local(instance, key, todo, options, keep, record, workers, chunk_size)
                else:
                    solve_chunk(instance, key, todo, options, keep, _Direct(record))
        finished = {int(r["point"]) for r in rows} | done
        missing = sorted(set(range(len(pts))) - finished)
        if store is not None:
            table = store.rows()
            sched = store.schedules() if keep == "schedule" else None
            if not missing:
                store.finish(table, sched)
        else:
            table = _tidy(rows)
            sched = pd.concat(schedules, ignore_index=True) if schedules else None
        if missing:
            raise SweepError(
                f"{len(missing)} point(s) did not finish (workers lost?): {missing[:10]}"
                + ("; rerun with --resume to finish them" if store is not None else "")
            )
    finally:
        if store is not None:
            store.unlock()
    table.attrs["params"] = names
    if keep == "schedule":
        table.attrs["schedules"] = sched if sched is not None else pd.DataFrame()
    return table


class _Direct:
    """A sink that records each point at once, in this process."""

    def __init__(self, record: Callable[[Any], None]) -> None:
        self.record = record

    def put(self, item: Any) -> None:
        self.record(item)


class _DaskSink:
    """Puts rows on the Dask queue `name` (created on the worker: only the name travels)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "_queue": None}

    def put(self, item: Any) -> None:
        if self._queue is None:
            from distributed import Queue, get_client

            self._queue = Queue(self.name, client=get_client())
        self._queue.put(item)


def _worker(
    conn: Any, instance: Instance, key: str, options: SolveOptions, keep: str | None
) -> None:
    """A local worker process: solve each chunk it is sent, send back each point's row."""
    sink = _Direct(conn.send)
    with contextlib.suppress(EOFError, BrokenPipeError):  # the sweep has gone
        while (chunk := conn.recv()) is not None:
            solve_chunk(instance, key, chunk, options, keep, sink)


@dataclass
class _Running:
    """A local worker process, its pipe and the points of its chunk not yet received."""

    process: Any
    conn: Any
    work: list[tuple[int, dict[str, float]]]


def _received(conn: Any) -> tuple[list[Any], bool]:
    """The items waiting on `conn`, and whether its other end has closed."""
    items = []
    try:
        while conn.poll():
            items.append(conn.recv())
    except (EOFError, OSError):  # the worker has died, maybe mid-message
        return items, True
    return items, False


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        hint = "; out of memory?" if -code == signal.SIGKILL else ""
        return f"signal {-code}: {signal.strsignal(-code)}{hint}"
    return f"exit code {code}"


def _drain(
    futures: Sequence[Any],
    record: Callable[[Any], None],
    poll: Callable[[], list[Any]],
    expected: int,
    grace: float = 10.0,
) -> list[BaseException]:
    """Record items as they arrive until all `expected` points did, or every task has ended
    and nothing more arrived for `grace` seconds; return the tasks' errors in that case.
    A point that arrives twice (from a task Dask re-ran after its worker died) is recorded
    once."""
    seen: set[int] = set()
    ended_at: float | None = None
    while len(seen) < expected:
        items = poll()
        for item in items:
            index = int(item[0]["point"])
            if index not in seen:
                seen.add(index)
                record(item)
        if items:
            continue
        if ended_at is None:
            if all(f.done() for f in futures):
                ended_at = time.monotonic()
        elif time.monotonic() - ended_at > grace:
            break
    if len(seen) < expected:
        return [e for e in (_exception(f) for f in futures) if e is not None]
    return []


def _poll_dask(q: Any) -> list[Any]:
    n = q.qsize()
    if not n:
        time.sleep(0.1)
        return []
    items = q.get(batch=n)
    return list(items)


def _exception(future: Any) -> BaseException | None:
    try:
        return future.exception()
    except Exception as exc:
        return exc


def _run_local(
    instance: Instance,
    key: str,
    todo: list[tuple[int, dict[str, float]]],
    options: SolveOptions,
    keep: str | None,
    record: Callable[[Any], None],
    workers: int,
    chunk_size: int | None,
) -> None:
    """Worker processes (spawned: HiGHS must not be forked), each warm across its chunks.

    Each worker has its own pipe, so one that dies (killed, out of memory) takes nothing
    else with it: a fresh worker goes on with the rest of its chunk, starting with the
    point it was solving. A point that kills its worker a second time is recorded with
    status "worker_died" and the chunk goes on without it.
    """
    ctx = mp.get_context("spawn")
    pending = chunked(todo, workers, chunk_size)[::-1]  # pop() takes the first chunk
    deaths: dict[int, int] = {}
    live: list[_Running] = []
    started: list[Any] = []

    def start(work: list[tuple[int, dict[str, float]]]) -> None:
        conn, child = ctx.Pipe()
        process = ctx.Process(
            target=_worker, args=(child, instance, key, options, keep), daemon=True
        )
        process.start()
        child.close()  # the worker holds the only other end: its death is an EOF here
        started.append(process)
        live.append(_Running(process, conn, work))
        send(conn, work)

    def send(conn: Any, message: Any) -> None:
        with contextlib.suppress(BrokenPipeError):  # a dead worker: wait() reports it next
            conn.send(message)

    def died(w: _Running) -> None:
        live.remove(w)
        w.conn.close()
        if w.work:
            index, point = w.work[0]
            deaths[index] = deaths.get(index, 0) + 1
            if deaths[index] > 1:
                text = f"its worker process died twice ({_death(w.process.exitcode)})"
                row = _failed(index, point, text)
                row.update(status="worker_died", worker=f"{socket.gethostname()}:{w.process.pid}")
                record((row, None))
                w.work = w.work[1:]
        if w.work:
            start(w.work)
        elif pending:
            start(pending.pop())

    try:
        while pending and len(live) < workers:
            start(pending.pop())
        while live:
            ready = set(
                connection.wait([w.conn for w in live] + [w.process.sentinel for w in live])
            )
            for w in [w for w in live if w.conn in ready or w.process.sentinel in ready]:
                items, closed = _received(w.conn)
                for item in items:
                    w.work.pop(0)
                    record(item)
                if closed:
                    w.process.join()
                if not w.process.is_alive():
                    died(w)
                elif not w.work:
                    if pending:
                        w.work = pending.pop()
                        send(w.conn, w.work)
                    else:
                        send(w.conn, None)
                        w.conn.close()
                        live.remove(w)
    finally:
        for w in live:
            w.process.kill()
        for process in started:
            process.join()


def _run_dask(
    instance: Instance,
    key: str,
    todo: list[tuple[int, dict[str, float]]],
    options: SolveOptions,
    keep: str | None,
    record: Callable[[Any], None],
    client: Any,
    scheduler: str | None,
    chunk_size: int | None,
) -> None:
    """The same chunks as tasks on a Dask cluster; rows come back through a Dask queue.

    Dask re-runs a task whose worker died, up to the scheduler's allowed-failures; then the
    task fails (KilledWorker) and so does the sweep, its finished points kept on disk.
    """
    from distributed import Client, Queue

    own = client is None
    if own:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        nworkers = max(1, sum(client.nthreads().values()))
        chunks = chunked(todo, nworkers, chunk_size)
        name = f"planner-sweep-{key}-{os.getpid()}-{time.time_ns()}"
        q = Queue(name, client=client)
        [inst_future] = client.scatter([instance], broadcast=True)
        futures = [
            client.submit(
                solve_chunk,
                inst_future,
                key,
                c,
                options,
                keep,
                _DaskSink(name),
                pure=False,
                retries=0,
            )
            for c in chunks
        ]
        errors = _drain(futures, record, lambda: _poll_dask(q), len(todo))
        if errors:
            raise SweepError(f"a Dask task failed: {errors[0]!r}")
        client.cancel(futures)
    finally:
        if own:
            client.close()
