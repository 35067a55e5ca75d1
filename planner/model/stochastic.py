"""The two-stage stochastic programme of docs/model.md §17 as one model.

Each case is the instance with the case's changes, built as its own `Model`. The programme
stacks their rows and shares their first-stage columns: every LP column whose decision
time τ (docs/model.md §16) is before `branch_year` is one column of the programme, shared
by every case that has it (named across cases by `column_ids`); the others exist once per
case. A shared column satisfies every case's bounds (the tightest of them), and is 0 in a
case that lacks it. The objective is (1 - ω) Σ p_s Z_s + ω (θ + Σ p_s a_s / (1 - α)) with
a_s >= Z_s - θ, a_s >= 0, θ free (the CVaR part only when ω > 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from planner.instance.schema import Instance
from planner.model.assemble import Model, assemble
from planner.model.data import column_ids, prepare
from planner.model.linear import Block, Keys
from planner.model.registry import CVAR_EXCESS


@dataclass
class StochasticModel(Model):
    """The programme's LP (rows, bounds, costs over its own columns) and its cases."""

    cases: dict[str, Model] = field(default_factory=dict)
    probability: dict[str, float] = field(default_factory=dict)
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    """Per case: the programme's column of each of the case's LP columns."""
    branch_year: int = 0
    weight: float = 0.0  # ω, the CVaR weight
    alpha: float = 0.9


def _share(models: dict[str, Model], branch: int) -> tuple[dict[str, np.ndarray], int, int]:
    """The programme's column of every case LP column: first-stage ones (τ < branch)
    shared by id, numbered in order of first appearance; then each case's own columns."""
    import pandas as pd

    ids, first = {}, {}
    for case, m in models.items():
        ids[case] = column_ids(m.data)[: m.n_lp]
        first[case] = m.data.col_tau[: m.n_lp] < branch
    codes, uniques = pd.factorize(np.concatenate([ids[c][first[c]] for c in models]))
    n_shared = len(uniques)
    columns = {}
    next_col, offset = n_shared, 0
    for case in models:
        cols = np.empty(ids[case].size, dtype=np.int64)
        count = int(first[case].sum())
        cols[first[case]] = codes[offset : offset + count]
        offset += count
        own = int((~first[case]).sum())
        cols[~first[case]] = np.arange(next_col, next_col + own)
        next_col += own
        columns[case] = cols
    return columns, n_shared, next_col


def _bounds(sm: StochasticModel, n: int, n_shared: int) -> None:
    """Each column's bounds: the tightest over the cases; a shared column (the first
    `n_shared`) is 0 where a case lacks it."""
    lower = np.full(n, -np.inf)
    upper = np.full(n, np.inf)
    present = np.zeros(n, dtype=np.int64)
    integer = np.zeros(n, dtype=bool)
    for case, m in sm.cases.items():
        cols = sm.columns[case]
        np.maximum.at(lower, cols, m.lower)
        np.minimum.at(upper, cols, m.upper)
        np.add.at(present, cols, 1)
        integer[cols[m.integer]] = True
    lacking = np.flatnonzero(present[:n_shared] < len(sm.cases))
    upper[lacking] = np.minimum(upper[lacking], 0.0)
    sm.lower, sm.upper, sm.integer = lower, upper, np.flatnonzero(integer)


def _remap(A: sp.csr_array, cols: np.ndarray, n: int) -> sp.csr_array:
    return sp.csr_array((A.data, cols[A.indices], A.indptr), shape=(A.shape[0], n))


def define_cvar_excess(sm: StochasticModel) -> None:
    """Columns θ (free) and a_s >= 0, and rows a_s + θ - Z_s >= 0 (Z_s = c_s x + const_s)
    of the CVaR (§17), with their costs ω and ω p_s / (1 - α)."""
    cases = list(sm.cases)
    n = sm.n_lp
    theta, excess = n, n + 1 + np.arange(len(cases))
    sm.n_lp = n + 1 + len(cases)
    sm.lower = np.concatenate([sm.lower, [-np.inf], np.zeros(len(cases))])
    sm.upper = np.concatenate([sm.upper, np.full(1 + len(cases), np.inf)])
    costs = [sm.weight * sm.probability[c] / (1 - sm.alpha) for c in cases]
    sm.cost = np.concatenate([sm.cost, [sm.weight], costs])
    rows, cols, vals, rhs = [], [], [], []
    for i, (case, m) in enumerate(sm.cases.items()):
        c = m.cost[: m.n_lp]
        nz = np.flatnonzero(c)
        rows += [np.full(nz.size + 2, i)]
        cols += [sm.columns[case][nz], [theta, excess[i]]]
        vals += [-c[nz], [1.0, 1.0]]
        rhs.append(m.constant)
    A = sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(cases), sm.n_lp),
    )
    for block in sm.blocks.values():
        block.A = sp.csr_array(
            (block.A.data, block.A.indices, block.A.indptr), (len(block), sm.n_lp)
        )
    keys = Keys({"scenario": np.array(cases, dtype=object)})
    name = CVAR_EXCESS.name
    count = len(cases)
    sm.blocks[name] = Block(name, name, ">=", keys, A, np.array(rhs), np.arange(count), count)


def combine(inst: Instance) -> StochasticModel:
    """The two-stage programme of the instance's `scenarios` (see the module docstring)."""
    sc = inst.scenarios
    assert sc is not None
    models = {case: assemble(prepare(inst, case)) for case in sc.cases}
    columns, n_shared, n = _share(models, sc.branch_year)
    first = next(iter(models.values()))
    risk = sc.risk
    sm = StochasticModel(
        first.data,
        cases=models,
        probability={c: case.probability for c, case in sc.cases.items()},
        columns=columns,
        branch_year=sc.branch_year,
        weight=risk.weight if risk is not None else 0.0,
        alpha=risk.alpha if risk is not None else 0.9,
        n_lp=n,
    )
    _bounds(sm, n, n_shared)
    sm.cost = np.zeros(n)
    for case, m in models.items():
        share = (1 - sm.weight) * sm.probability[case]
        np.add.at(sm.cost, columns[case], share * m.cost[: m.n_lp])
        sm.constant += share * m.constant
        for name, block in m.blocks.items():
            sm.blocks[f"{case}/{name}"] = Block(
                f"{case}/{name}", block.family, block.sense, block.index,
                _remap(block.A, columns[case], n), block.rhs, block.rows, block.n_written, case,
            )  # fmt: skip
        sm.infeasible_rows += [(*row, case) for row in m.infeasible_rows]
    if sm.weight > 0:
        define_cvar_excess(sm)
    return sm
