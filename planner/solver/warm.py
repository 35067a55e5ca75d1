"""Warm re-solves: what changed between two models of the same structure, and pushing it
into the HiGHS model that holds the first.

`diff(old, new)` is pure: it compares the arrays of two built models and returns an
`Update` (changed coefficients, right-hand sides, costs, column bounds, objective
constant), or None when the structure differs (other columns, rows or sparsity pattern).
`apply(update, hand)` is the backend: it maps the planner's rows and columns to HiGHS's and
calls highspy. HiGHS keeps its basis, so the next solve starts from the last optimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.model.assemble import Model
from planner.solver.highs import Handoff, row_bounds, set_integer


@dataclass
class Update:
    """The numbers that differ between two models of the same structure."""

    coefficients: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict
    )  # family -> (row in family, planner column, value)
    rhs: dict[str, tuple[str, np.ndarray, np.ndarray]] = field(
        default_factory=dict
    )  # family -> (sense, row in family, new right-hand side)
    cost_cols: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    costs: np.ndarray = field(default_factory=lambda: np.empty(0))
    bound_cols: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    lower: np.ndarray = field(default_factory=lambda: np.empty(0))  # the new model's, per column
    upper: np.ndarray = field(default_factory=lambda: np.empty(0))
    constant: float | None = None  # the new objective constant, if it changed


def _same_structure(old: Model, new: Model) -> bool:
    if old.n_lp != new.n_lp or not np.array_equal(
        old.data.col_kind[: old.n_lp], new.data.col_kind[: new.n_lp]
    ):
        return False
    if list(old.blocks) != list(new.blocks):
        return False
    for name, block in new.blocks.items():
        prev = old.blocks[name]
        if (
            block.sense != prev.sense
            or block.n_written != prev.n_written
            or not np.array_equal(block.rows, prev.rows)
            or not np.array_equal(block.A.indptr, prev.A.indptr)
            or not np.array_equal(block.A.indices, prev.A.indices)
        ):
            return False
    return True


def diff(old: Model, new: Model) -> Update | None:
    """What to change in a HiGHS model holding `old` to make it hold `new`; None when the
    structure differs and the model must be loaded afresh."""
    if not _same_structure(old, new):
        return None
    update = Update(lower=new.lower, upper=new.upper)
    for name, block in new.blocks.items():
        prev = old.blocks[name]
        changed = np.flatnonzero(block.A.data != prev.A.data)
        if changed.size:
            row_of = np.repeat(np.arange(len(block)), np.diff(block.A.indptr))
            update.coefficients[name] = (
                row_of[changed],
                block.A.indices[changed],
                block.A.data[changed],
            )
        moved = np.flatnonzero(block.rhs != prev.rhs)
        if moved.size:
            update.rhs[name] = (block.sense, moved, block.rhs[moved])
    n = new.n_lp
    update.cost_cols = np.flatnonzero(new.cost[:n] != old.cost[:n])
    update.costs = new.cost[update.cost_cols]
    update.bound_cols = np.flatnonzero((new.lower != old.lower) | (new.upper != old.upper))
    if new.constant != old.constant:
        update.constant = float(new.constant)
    return update


def apply(update: Update, hand: Handoff) -> None:
    """Push an update into the HiGHS model of `hand` (restoring integrality first if the
    last solve relaxed it to compute duals)."""
    h = hand.highs
    bound_cols = update.bound_cols
    if hand.relaxed:
        set_integer(h, hand.integer, True)
        bound_cols = np.union1d(bound_cols, hand.integer)  # run() fixed them at the optimum
        hand.relaxed = False
    for name, (rows, cols, values) in update.coefficients.items():
        positions = hand.row_pos[name][rows]
        for r, c, v in zip(
            positions.tolist(), hand.col_pos[cols].tolist(), values.tolist(), strict=True
        ):
            h.changeCoeff(r, c, v)
    for name, (sense, rows, rhs) in update.rhs.items():
        lower, upper = row_bounds(sense, rhs)
        h.changeRowsBounds(rows.size, hand.row_pos[name][rows], lower, upper)
    if update.cost_cols.size:
        h.changeColsCost(update.cost_cols.size, hand.col_pos[update.cost_cols], update.costs)
    if bound_cols.size:
        h.changeColsBounds(
            bound_cols.size,
            hand.col_pos[bound_cols],
            update.lower[bound_cols],
            update.upper[bound_cols],
        )
    if update.constant is not None:
        h.changeObjectiveOffset(update.constant)
