"""Local worker processes for sweeps: spawned (HiGHS must not be forked), each warm across
its chunks; a worker that dies is replaced and its point retried once."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import connection
from typing import Any

from planner.instance.schema import Instance
from planner.solver.options import SolveOptions
from planner.solver.pipeline import Session
from planner.sweeps.point import chunked, failed_row, solve_chunk


class Direct:
    """A sink that records each point at once, in this process."""

    def __init__(self, record: Callable[[Any], None]) -> None:
        self.record = record

    def put(self, item: Any) -> None:
        self.record(item)


def _worker(
    conn: Any, instance: Instance, key: str, options: SolveOptions, keep: str | None
) -> None:
    """A local worker process: solve each chunk it is sent, send back each point's row."""
    sink = Direct(conn.send)
    session = Session()  # warm across every chunk this process is sent
    with contextlib.suppress(EOFError, BrokenPipeError):  # the sweep has gone
        while (chunk := conn.recv()) is not None:
            solve_chunk(instance, key, chunk, options, keep, sink, session)


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


def _send(conn: Any, message: Any) -> None:
    with contextlib.suppress(BrokenPipeError):  # a dead worker: wait() reports it next
        conn.send(message)


class _Pool:
    """The worker processes of one local sweep, and the chunks still to hand out."""

    def __init__(
        self,
        args: tuple[Instance, str, SolveOptions, str | None],
        chunks: list[list[tuple[int, dict[str, float]]]],
        record: Callable[[Any], None],
    ) -> None:
        self.ctx = mp.get_context("spawn")
        self.args = args
        self.pending = chunks[::-1]  # pop() takes the first chunk
        self.record = record
        self.deaths: dict[int, int] = {}
        self.live: list[_Running] = []
        self.started: list[Any] = []

    def start(self, work: list[tuple[int, dict[str, float]]]) -> None:
        conn, child = self.ctx.Pipe()
        process = self.ctx.Process(target=_worker, args=(child, *self.args), daemon=True)
        process.start()
        child.close()  # the worker holds the only other end: its death is an EOF here
        self.started.append(process)
        self.live.append(_Running(process, conn, work))
        _send(conn, work)

    def died(self, w: _Running) -> None:
        """Replace a dead worker; its point fails after a second death."""
        self.live.remove(w)
        w.conn.close()
        if w.work:
            index, point = w.work[0]
            self.deaths[index] = self.deaths.get(index, 0) + 1
            if self.deaths[index] > 1:
                text = f"its worker process died twice ({_death(w.process.exitcode)})"
                row = failed_row(index, point, text)
                row.update(status="worker_died", worker=f"{socket.gethostname()}:{w.process.pid}")
                self.record((row, {}))
                w.work = w.work[1:]
        if w.work:
            self.start(w.work)
        elif self.pending:
            self.start(self.pending.pop())

    def serve(self, w: _Running) -> None:
        """Record what a worker sent; give it more work, or let it go."""
        items, closed = _received(w.conn)
        for item in items:
            w.work.pop(0)
            self.record(item)
        if closed:
            w.process.join()
        if not w.process.is_alive():
            self.died(w)
        elif not w.work:
            if self.pending:
                w.work = self.pending.pop()
                _send(w.conn, w.work)
            else:
                _send(w.conn, None)
                w.conn.close()
                self.live.remove(w)

    def run(self, workers: int) -> None:
        try:
            while self.pending and len(self.live) < workers:
                self.start(self.pending.pop())
            while self.live:
                live = self.live
                ready = set(
                    connection.wait([w.conn for w in live] + [w.process.sentinel for w in live])
                )
                for w in [w for w in live if w.conn in ready or w.process.sentinel in ready]:
                    self.serve(w)
        finally:
            for w in self.live:
                w.process.kill()
            for process in self.started:
                process.join()


def run_local(
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
    pool = _Pool((instance, key, options, keep), chunked(todo, workers, chunk_size), record)
    pool.run(workers)
