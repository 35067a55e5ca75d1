"""Myopic foresight (docs/model.md §16): rolling windows, each solved through the one
pipeline, decisions fixed by their decision time.

Window i covers y0..b_i (a_1 = y0, a_(i+1) = a_i + step, b_i = min(a_i + window - 1, yN);
the last is the first with b_i = yN, and it alone gets the instance's `end_effects`).
Every variable whose decision time τ (max(y0, y - L_k) for a build, else its year) is
before a_i is fixed at its value in window i - 1, or at 0 where that window had no such
variable, clipped to its bounds. The result is the last window's, with every window's
objective and time in `summary["foresight"]`.
"""

from __future__ import annotations

import dataclasses
from time import perf_counter

import numpy as np

from planner.instance.schema import Instance, Years
from planner.model.assemble import Model, assemble
from planner.model.costs import objective
from planner.model.data import COL_N, column_ids, prepare
from planner.progress import progress_bar
from planner.results.base import Results
from planner.solver.options import SolveOptions
from planner.solver.pipeline import Session, solve_model


def windows(start: int, end: int, window: int, step: int) -> list[tuple[int, int]]:
    """(a_i, b_i) of every window."""
    out = []
    a = start
    while True:
        b = min(a + window - 1, end)
        out.append((a, b))
        if b == end:
            return out
        a += step


def window_instance(inst: Instance, end: int, last: bool) -> Instance:
    """The instance on y0..end (end effects in the last window only), perfect foresight."""
    update = {
        "years": Years(start=inst.years.start, end=end),
        "end_effects": inst.end_effects if last else None,
        "foresight": None,
    }
    copy = inst.model_copy(update=update)
    copy.attach(inst.source, inst.warnings)
    return copy


def fix_decided(model: Model, before: int, previous: Model, x: np.ndarray) -> None:
    """Fix every LP column with τ < `before` at its value in the previous window's solution
    `x` (0 where that window had no such column), clipped to this window's bounds."""
    d = model.data
    decided = np.flatnonzero(d.col_tau[: model.n_lp] < before)
    if not decided.size:
        return
    ids = column_ids(d)[decided]
    old_ids = column_ids(previous.data)[: previous.n_lp]
    values = np.zeros(decided.size)
    if old_ids.size:
        order = np.argsort(old_ids)
        pos = np.minimum(np.searchsorted(old_ids[order], ids), old_ids.size - 1)
        hit = old_ids[order[pos]] == ids
        values[hit] = x[order[pos[hit]]]
    integer = d.col_kind[decided] == COL_N
    values[integer] = np.round(values[integer])
    values = np.clip(values, model.lower[decided], model.upper[decided])
    model.lower[decided] = values
    model.upper[decided] = values


def window_view(full: Model, start: int, end: int, previous: np.ndarray | None) -> Model:
    """Window (start, end) as a view of the model of the whole horizon, for a HiGHS model
    kept warm between windows: columns after `end` fixed at 0, rows after it set free
    (their equalities hold at 0), costs of the years up to `end` only, and every column
    with τ < `start` fixed at its value in the previous window's solution (clipped).
    The same optimum as the window's own model (docs/model.md §16)."""
    d = full.data
    n = full.n_lp
    lower, upper = full.lower.copy(), full.upper.copy()
    beyond = d.col_year[:n] > end
    lower[beyond] = upper[beyond] = 0.0
    if previous is not None:
        decided = np.flatnonzero((d.col_tau[:n] < start) & ~beyond)
        values = previous[decided].copy()
        integer = d.col_kind[decided] == COL_N
        values[integer] = np.round(values[integer])
        values = np.clip(values, lower[decided], upper[decided])
        lower[decided] = upper[decided] = values
    blocks = {}
    for name, block in full.blocks.items():
        years = block.index.fields.get("year")
        if years is None or block.sense == "==" or not (years > end).any():
            blocks[name] = block
            continue
        rhs = block.rhs.copy()
        rhs[years > end] = -np.inf if block.sense == ">=" else np.inf
        blocks[name] = dataclasses.replace(block, rhs=rhs)
    cost, constant = objective(d, until=end)
    return dataclasses.replace(
        full, blocks=blocks, lower=lower, upper=upper, cost=cost, constant=constant
    )


def solve_myopic(inst: Instance, options: SolveOptions, progress: bool = False) -> Results:
    """Solve the instance window by window (see the module docstring): with
    `options.reuse_windows`, every window is a view of the whole horizon's model held warm
    in one HiGHS model; else each window's own model is built and solved afresh."""
    fs = inst.foresight
    assert fs is not None and fs.window is not None and fs.step is not None
    spans = windows(inst.years.start, inst.years.end, fs.window, fs.step)
    done: list[dict] = []
    previous: tuple[Model, np.ndarray] | None = None
    results: Results | None = None
    full = (
        assemble(prepare(window_instance(inst, inst.years.end, True)))
        if options.reuse_windows
        else None
    )
    session = Session()
    with progress_bar(len(spans), 0, progress, label="windows") as advance:
        for i, (a, b) in enumerate(spans):
            start = perf_counter()
            last = i == len(spans) - 1
            window_options = options if last else dataclasses.replace(options, tables=())
            if full is not None:
                end = int(full.data.years[-1]) if last else b
                model = window_view(full, a, end, previous[1] if previous else None)
                build = perf_counter() - start
                results = solve_model(model, window_options, session, build_time=build)
            else:
                model = assemble(prepare(window_instance(inst, b, last)))
                if previous is not None:
                    fix_decided(model, a, *previous)
                build = perf_counter() - start
                results = solve_model(model, window_options, build_time=build)
            done.append(
                {
                    "start": a,
                    "end": b,
                    "status": results.status,
                    "objective": results.objective,
                    "seconds": perf_counter() - start,
                }
            )
            advance({"status": results.status})
            if results.x is None or results.status != "optimal":
                break
            previous = (model, results.x)
    assert results is not None
    results.summary["foresight"] = {
        "mode": "myopic",
        "window": fs.window,
        "step": fs.step,
        "windows": done,
    }
    return results
