"""Build the model: call every family of the registry, in order, and keep the arrays.

`assemble(data)` returns a `Model`: each constraint family as a sparse block of rows over
the LP's columns, each bound family's bounds, the column bounds and the objective. It is
the one description of the LP that the solver hand-off, warm updates, the violation check,
the diagnosis and the result tables all read. `planner.model.pyomo_view` turns it into a
Pyomo model when one is wanted.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from planner.model.costs import objective
from planner.model.data import COL_N, ModelData
from planner.model.linear import Block, Bounds, Rows
from planner.model.registry import BOUNDS, FAMILIES, Entry

TOL = 1e-9
"""A row without variables that misses its right-hand side by more than this is infeasible."""


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Model:
    """The built model as arrays: rows, bounds, objective (see the module docstring)."""

    data: ModelData
    blocks: dict[str, Block] = field(default_factory=dict)
    shadow: dict[str, sp.csr_array] = field(default_factory=dict)
    """Per family: its rows' coefficients on the columns outside the LP (n_lp onwards)."""
    bounds: dict[str, Bounds] = field(default_factory=dict)
    lower: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per LP column
    upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cost: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per model column
    constant: float = 0.0
    infeasible_rows: list[tuple] = field(default_factory=list)
    """(family, key, by how much) of rows or bounds that cannot hold whatever is decided
    (and the case, in a two-stage programme)."""
    n_lp: int = 0  # columns of the LP (the model's first n_lp columns)
    integer: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    """LP columns that are integer (unit counts N)."""

    def add_rows(self, entry: Entry, rows: Rows) -> None:
        """Keep the rows of a family; a row without variables is dropped if it holds and
        recorded in `infeasible_rows` if it does not."""
        lin = rows.lin
        n_lp = self.n_lp
        in_lp = lin.cols < n_lp
        shape = (lin.n_rows, n_lp)
        lp = sp.csr_array((lin.vals[in_lp], (lin.rows[in_lp], lin.cols[in_lp])), shape=shape)
        lp.sum_duplicates()
        lp.eliminate_zeros()
        keep = np.ones(len(rows.keys), dtype=bool) if rows.keep is None else rows.keep
        bound = rows.rhs - lin.const
        empty = np.diff(lp.indptr) == 0
        gap = bound[keep & empty]
        wrong = {">=": gap > TOL, "<=": gap < -TOL, "==": np.abs(gap) > TOL}[entry.sense]
        if wrong.any():
            tuples = rows.keys.take(np.flatnonzero(keep & empty)[wrong]).tuples()
            for key, miss in zip(tuples, np.abs(gap[wrong]).tolist(), strict=True):
                self.infeasible_rows.append((entry.name, key, miss))
        kept = np.flatnonzero(keep & ~empty)
        every = kept.size == lin.n_rows
        self.blocks[entry.name] = Block(
            entry.name,
            entry.name,
            entry.sense,
            rows.keys if every else rows.keys.take(kept),
            lp if every else sp.csr_array(lp[kept]),
            bound[kept],
            kept,
            len(rows.keys),
        )
        if not in_lp.all():  # coefficients on the builds the lead time keeps out of the LP
            position = np.full(lin.n_rows, -1, dtype=np.int64)
            position[kept] = np.arange(kept.size)
            out = ~in_lp & (position[lin.rows] >= 0)
            self.shadow[entry.name] = sp.csr_array(
                (lin.vals[out], (position[lin.rows[out]], lin.cols[out] - n_lp)),
                shape=(kept.size, self.data.n_cols - n_lp),
            )

    def reduced_costs(self, lp: np.ndarray, duals: dict[str, np.ndarray]) -> np.ndarray:
        """Reduced cost c - A^T y of every model column: HiGHS's for the LP columns (`lp`),
        computed from the row duals for the columns outside the LP."""
        out = np.zeros(self.data.n_cols)
        out[: self.n_lp] = lp
        shadow = self.cost[self.n_lp :].copy()
        for name, A in self.shadow.items():
            if name in duals:
                shadow -= A.T @ duals[name]
        out[self.n_lp :] = shadow
        return out

    def full(self, x: np.ndarray) -> np.ndarray:
        """LP column values extended by the columns outside the LP (fixed at 0)."""
        out = np.zeros(self.data.n_cols)
        out[: self.n_lp] = x
        return out

    def add_bounds(self, entry: Entry, bounds: Bounds) -> None:
        """Keep a bound family; those on LP columns tighten the column bounds. A positive
        lower bound on a column outside the LP (fixed at 0) cannot hold."""
        self.bounds[entry.name] = bounds
        in_lp = bounds.cols < self.n_lp
        if entry.sense == ">=" and (bounds.values[~in_lp] > TOL).any():
            wrong = np.flatnonzero(~in_lp & (bounds.values > TOL))
            tuples = bounds.keys.take(wrong).tuples()
            for key, value in zip(tuples, bounds.values[wrong].tolist(), strict=True):
                self.infeasible_rows.append((entry.name, key, value))
        cols, values = bounds.cols[in_lp], bounds.values[in_lp]
        if entry.sense == "<=":
            np.minimum.at(self.upper, cols, values)
        else:
            np.maximum.at(self.lower, cols, values)


def assemble(d: ModelData, release: bool = True) -> Model:
    """Every family of the registry, in order, then the objective (docs/model.md §5-§6).
    With `release`, the expression blocks are dropped (memory for the solver; the tables
    rebuild them); a sweep keeps them, as its points are small and many."""
    with gc_paused():
        model = Model(
            d,
            lower=np.zeros(d.n_lp),
            upper=np.full(d.n_lp, np.inf),
            n_lp=d.n_lp,
            integer=np.flatnonzero(d.col_kind[: d.n_lp] == COL_N),
        )
        for entry in FAMILIES:
            rows = entry.define(d)
            if rows is not None:
                model.add_rows(entry, rows)
        for entry in BOUNDS:
            bounds = entry.define(d)
            if bounds is not None:
                model.add_bounds(entry, bounds)
        model.cost, model.constant = objective(d)
    if release:
        d.release()
    return model
