"""One sweep point: solved through the one pipeline (`planner.solver.pipeline.solve`) on the
worker's warm `Session`, and summarised from its result tables into one row."""

from __future__ import annotations

import math
import os
import signal
import socket
import threading
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from planner.instance.paths import apply
from planner.instance.schema import LAYERS, Instance
from planner.results.base import TABLES, Results
from planner.solver.api import solve
from planner.solver.options import SolveOptions
from planner.solver.pipeline import Session

ROW_TABLES = ("schedule", "commodities", "resources", "budget")
"""The tables a point's row reads (`point_row`): the only ones a sweep point builds unless
it keeps more."""

Item = tuple[dict[str, Any], dict[str, pd.DataFrame]]
"""A finished point: its row, and the tables the sweep keeps (`keep`), with a point column."""

_LOCAL = threading.local()


def session_for(key: str) -> Session:
    """This thread's warm session for the sweep `key`: kept between the tasks a Dask
    worker runs for one sweep, replaced when a task of another sweep arrives."""
    held = getattr(_LOCAL, "session", None)
    if held is None or held[0] != key:
        held = (key, Session())
        _LOCAL.session = held
    return held[1]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Fault:
    """Tests only: PLANNER_SWEEP_FAULT="POINT" makes the process that starts solving POINT
    kill itself with SIGKILL (as the out-of-memory killer would), every time; "POINT:FILE"
    only the first time (the process that creates FILE). Read once per task."""

    point: int
    once: str

    @classmethod
    def from_env(cls) -> Fault | None:
        spec = os.environ.get("PLANNER_SWEEP_FAULT")
        if spec is None:
            return None
        point, _, once = spec.partition(":")
        return cls(int(point), once)

    def strike(self, index: int) -> None:
        if index != self.point:
            return
        if self.once:
            try:
                os.close(os.open(self.once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
        os.kill(os.getpid(), signal.SIGKILL)


def chunked(
    items: Sequence[tuple[int, dict[str, float]]], workers: int, size: int | None
) -> list[list[tuple[int, dict[str, float]]]]:
    """Consecutive runs of neighbouring points: about two chunks per worker by default."""
    if not items:
        return []
    if size is None:
        size = max(1, math.ceil(len(items) / max(1, 2 * workers))) if workers > 1 else len(items)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def point_row(index: int, point: Mapping[str, float], results: Results, keep: str | None) -> Item:
    """The sweep row of a solved point, and the tables it keeps: the schedule with
    `keep="schedule"`, every table with `keep="tables"`."""
    row: dict[str, Any] = {"point": index, **{k: float(v) for k, v in point.items()}}
    row["status"] = results.status
    row["objective"] = results.objective if results.objective is not None else np.nan
    row["max_violation"] = results.summary.get("max_violation", np.nan)
    kept = {}
    if results.tables and "scenarios" in results.summary:
        row.update(_programme_figures(results))
    elif results.tables:
        row.update(_figures(results))
        for name in [] if keep is None else ["schedule"] if keep == "schedule" else TABLES:
            kept[name] = results.tables[name].copy()
            kept[name].insert(0, "point", index)
    times = results.summary.get("times", {})
    row["warm"] = bool(results.summary.get("warm", False))
    row["iterations"] = int(results.summary.get("iterations", -1))
    row["solve_time"] = times.get("solve", np.nan)
    row["time"] = float(sum(times.values()))
    row["worker"] = worker_name()
    row["error"] = ""
    return row, kept


def _figures(results: Results) -> dict[str, float]:
    """Spend, unserved demand, final capacity per layer and shadow prices of one point."""
    t = results.tables
    out: dict[str, float] = {}
    budget = t["budget"].set_index("scope")
    total = budget.loc["total"]
    out["spend_total"] = float(total["spend"])
    com = t["commodities"].groupby("commodity", sort=False)[["unserved", "demand"]].sum()
    for c, r in com[com["demand"] > 0].iterrows():
        out[f"unserved.{c}"] = float(r["unserved"])
        out[f"unserved_share.{c}"] = float(r["unserved"] / r["demand"])
    sched = t["schedule"]
    final = sched[sched["year"] == sched["year"].max()].groupby("layer")["capacity"].sum()
    out.update({f"capacity.{layer}": float(final.get(layer, 0.0)) for layer in LAYERS})
    out["shadow.budget_total"] = (
        float(total["shadow_price"]) if pd.notna(total["limit"]) else np.nan
    )
    years = budget.loc[["year"]]
    limited = years[years["limit"].notna()]
    if len(limited):
        out["shadow.budget_year.max"] = float(limited["shadow_price"].max())
        out["shadow.budget_year.mean"] = float(limited["shadow_price"].mean())
    res = t["resources"]
    for p, group in res.groupby("resource", sort=False):
        prices = group.loc[group["limit"].notna(), "shadow_price"]
        out[f"shadow.{p}.max"] = float(prices.max()) if len(prices) else np.nan
        out[f"shadow.{p}.mean"] = float(prices.mean()) if len(prices) else np.nan
    return out


def _programme_figures(results: Results) -> dict[str, float]:
    """A two-stage point: expected cost and CVaR, each case's cost, expected figures."""
    info = results.summary["scenarios"]
    out = {"expected_cost": info["expected_cost"], "cvar": info["cvar"]}
    out.update({f"objective.{c}": v["objective"] for c, v in info["cases"].items()})
    weighted: dict[str, float] = {}
    for case, c in info["cases"].items():
        one = {n: t[t["scenario"] == case] for n, t in results.tables.items()}
        for key, value in _figures(Results(results.status, None, {}, one)).items():
            weighted[key] = weighted.get(key, 0.0) + c["probability"] * value
    out.update(weighted)
    return out


def failed_row(
    index: int, point: Mapping[str, float], error: BaseException | str
) -> dict[str, Any]:
    """The row of a point that raised (or whose worker died)."""
    if isinstance(error, BaseException):
        text = "".join(traceback.format_exception_only(type(error), error)).strip()
    else:
        text = error
    return {
        "point": index,
        **{k: float(v) for k, v in point.items()},
        "status": "error",
        "objective": np.nan,
        "max_violation": np.nan,
        "warm": False,
        "iterations": -1,
        "solve_time": np.nan,
        "time": np.nan,
        "worker": worker_name(),
        "error": text,
    }


def solve_chunk(
    instance: Instance,
    key: str,
    chunk: Sequence[tuple[int, Mapping[str, float]]],
    options: SolveOptions,
    keep: str | None,
    sink: Any = None,
    session: Session | None = None,
) -> list[Item]:
    """Solve neighbouring points one after the other on one warm session: `session`, or
    (for tasks of a Dask worker) this thread's session for the sweep `key`.

    Each finished point goes to `sink.put(...)` at once when a sink is given (a queue read
    by the process that writes the results), else into the returned list.
    """
    session = session if session is not None else session_for(key)
    fault = Fault.from_env()
    needed = None if keep == "tables" else (*ROW_TABLES, *([keep] if keep else []))
    options = replace(options, tables=needed)
    done = []
    for index, point in chunk:
        if fault is not None:
            fault.strike(index)
        try:
            item = point_row(index, point, solve(apply(instance, point), options, session), keep)
        except Exception as exc:  # a failed point is a row, not the end of the sweep
            session.reset()
            item = (failed_row(index, point, exc), {})
        if sink is not None:
            sink.put(item)
        else:
            done.append(item)
    return done
