"""Durable, atomic writes: a reader sees the old file (or directory) or the new one, never
part of one, and a write that returned survives a power cut. The one home for every
file the planner writes."""

from __future__ import annotations

import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

HELD = (signal.SIGINT, signal.SIGTERM)


class Swapped(KeyboardInterrupt):
    """A stop that came while a directory swap was finishing: the new directory is in place."""


@contextmanager
def deferred(stop: type[KeyboardInterrupt] = KeyboardInterrupt) -> Iterator[None]:
    """Run the block with SIGINT/SIGTERM recorded, not acted on; raise `stop` after it if one
    came. (Python-level handlers, as signals may reach any of HiGHS's threads and only the
    main thread runs handlers; outside the main thread the block runs as is.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = {s: signal.signal(s, record) for s in HELD}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if caught:
        raise stop


def fsync_dir(directory: Path) -> None:
    """Flush a directory's entries (new names, renames) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def write_with(path: str | Path, writer: Callable[[Path], object]) -> Path:
    """Call `writer(tmp)` to write a temporary sibling, flush it, rename it to `path`."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    try:
        writer(tmp)
        fsync_file(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)
    return target


def write_bytes(path: str | Path, payload: bytes) -> Path:
    """Write `payload` to `path` atomically and durably."""
    return write_with(path, lambda tmp: tmp.write_bytes(payload))


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def backup_of(target: Path) -> Path:
    """Where `replace_dir` keeps the old directory while it swaps."""
    return target.with_name(f".{target.name}.previous")


def restore_interrupted(target: Path) -> None:
    """Put back a directory whose swap was interrupted between its two renames."""
    backup = backup_of(target)
    if backup.exists() and not target.exists():
        backup.rename(target)


def replace_dir(staging: Path, target: Path) -> None:
    """Replace directory `target` by `staging` (whose files are flushed here): two renames
    and the old directory's removal with SIGINT/SIGTERM deferred, so an interruption leaves
    the old directory or the new one, never neither and no leftovers; a stop that came
    meanwhile is raised after, as `Swapped`."""
    for path in staging.iterdir():
        fsync_file(path)
    fsync_dir(staging)
    backup = backup_of(target)
    with deferred(Swapped):
        if backup.exists():
            shutil.rmtree(backup)
        if target.exists():
            target.rename(backup)
        os.replace(staging, target)
        fsync_dir(target.parent)
        if backup.exists():
            shutil.rmtree(backup)
