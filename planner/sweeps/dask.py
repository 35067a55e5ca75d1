"""Sweeps on a Dask cluster: the same chunks as tasks; rows come back through a Dask queue
to the one process that writes the results."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from planner.instance.schema import Instance
from planner.solver.options import SolveOptions
from planner.sweeps.point import chunked, solve_chunk
from planner.sweeps.store import SweepError


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


def run_dask(
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
