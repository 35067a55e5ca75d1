"""The two-stage programme of docs/model.md §17 through mpi-sppy (optional extra `sppy`).

An independent check of `planner.model.stochastic.combine`: each case is the planner's
own Pyomo model (`build_model(prepare(instance, case))`) and mpi-sppy, not planner, ties
the cases together, either as its extensive form (`solve_ef`) or by progressive hedging
(`solve_ph`). See docs/sppy.md.

- First stage: the LP columns with decision time τ < branch_year, as one list in the same
  order in every case (sorted by `column_ids`). A first-stage column that a case lacks
  (unserved demand U where that case's demand is 0) is, as in the native programme, 0:
  the case gets a stand-in variable fixed by its bounds to 0 in that place of the list.
- Constraints: Pyomo's HiGHS interfaces (`appsi_highs`, `highs`) read each constraint's
  expression, which the view's `MatrixConstraint` families lack, so each family is
  rewritten as an ordinary indexed `Constraint` with the same rows, under the same name.
- Objective: Z_s (constants included). With a CVaR weight ω > 0 the case's objective is
  (1 - ω) Z_s + ω (θ + a_s / (1 - α)) with a_s >= Z_s - θ, a_s >= 0 and θ first stage;
  its expectation over the cases is the objective of §17.

mpi-sppy is imported inside the functions that use it; it runs without mpi4py (one rank).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from planner.instance.schema import Instance
from planner.model.data import column_ids, prepare
from planner.model.linear import Block
from planner.model.pyomo_view import build_model, layout, view_of

SOLVER = "appsi_highs"
"""Pyomo's persistent HiGHS interface (highspy); quadratic objectives (PH's prox) work."""


@dataclass
class SppyResult:
    """A solve through mpi-sppy: the objective (§17) and the first-stage values by column
    id (`planner.model.data.column_ids`; θ of the CVaR under id -1)."""

    method: str
    objective: float
    first_stage: dict[int, float]
    seconds: float
    info: dict[str, Any] = field(default_factory=dict)


def scenario_names(instance: Instance) -> list[str]:
    """The instance's cases, in file order."""
    if instance.scenarios is None:
        raise ValueError(f"instance {instance.name!r} has no `scenarios` block")
    return list(instance.scenarios.cases)


def first_stage_ids(instance: Instance) -> np.ndarray:
    """Sorted ids of the first-stage LP columns of every case (their union)."""
    sc = instance.scenarios
    if sc is None:
        raise ValueError(f"instance {instance.name!r} has no `scenarios` block")
    found: list[np.ndarray] = []
    for case in sc.cases:
        d = prepare(instance, case)
        ids = column_ids(d)[: d.n_lp]
        found.append(ids[d.col_tau[: d.n_lp] < sc.branch_year])
    return np.unique(np.concatenate(found))


def plain_rows(block: Block, columns: list) -> pyo.Constraint:
    """A family's rows as an ordinary indexed Pyomo `Constraint` (one per row)."""
    A = block.A
    lower = block.rhs if block.sense in (">=", "==") else np.full(len(block), None)
    upper = block.rhs if block.sense in ("<=", "==") else np.full(len(block), None)

    def rule(_: pyo.ConcreteModel, i: int) -> Any:
        lo, hi = A.indptr[i], A.indptr[i + 1]
        lb = None if lower[i] is None else float(lower[i])
        ub = None if upper[i] is None else float(upper[i])
        if lo == hi:
            if (lb is not None and lb > 1e-9) or (ub is not None and ub < -1e-9):
                raise ValueError(f"row {i} of {block.name} has no variables and cannot hold")
            return pyo.Constraint.Skip
        expr = LinearExpression(
            constant=0.0,
            linear_coefs=A.data[lo:hi].tolist(),
            linear_vars=[columns[j] for j in A.indices[lo:hi].tolist()],
        )
        return (lb, expr, ub)

    return pyo.Constraint(range(len(block)), rule=rule)


def _add_cvar(m: pyo.ConcreteModel, weight: float, alpha: float) -> None:
    """θ (free), a >= 0, a >= Z - θ; the objective (1 - ω) Z + ω (θ + a / (1 - α))."""
    m.Z = pyo.Expression(expr=m.cost.expr)
    m.theta = pyo.Var(domain=pyo.Reals)
    m.excess = pyo.Var(domain=pyo.NonNegativeReals)
    m.cvar_excess = pyo.Constraint(expr=m.excess + m.theta - m.Z >= 0)
    m.cost.set_value((1 - weight) * m.Z + weight * (m.theta + m.excess / (1 - alpha)))


def scenario_creator(
    name: str, instance: Instance, first_stage: np.ndarray | None = None
) -> pyo.ConcreteModel:
    """The Pyomo model of case `name` with mpi-sppy's root node and probability attached.

    `first_stage` is `first_stage_ids(instance)` (computed when None: pass it in to build
    many cases)."""
    sc = instance.scenarios
    if sc is None or name not in sc.cases:
        raise ValueError(f"instance {instance.name!r} has no case {name!r}")
    from mpisppy.utils import sputils

    ids_all = first_stage_ids(instance) if first_stage is None else first_stage
    d = prepare(instance, name)
    m = build_model(d)
    model, columns = layout(m), view_of(m).columns
    if model.infeasible_rows:
        raise ValueError(f"case {name!r} has rows that cannot hold: {model.infeasible_rows}")
    for block_name, block in model.blocks.items():
        m.del_component(block_name)
        m.add_component(block_name, plain_rows(block, columns))
    ids = column_ids(d)[: d.n_lp]
    first = np.flatnonzero(d.col_tau[: d.n_lp] < sc.branch_year)
    position = dict(zip(ids[first].tolist(), first.tolist(), strict=True))
    missing = [i for i in ids_all.tolist() if i not in position]
    m.absent_first_stage = pyo.Var(range(len(missing)), bounds=(0.0, 0.0))
    stand_in = dict(zip(missing, m.absent_first_stage.values(), strict=True))
    nonants = [columns[position[i]] if i in position else stand_in[i] for i in ids_all.tolist()]
    c = model.cost[: model.n_lp]
    first_cost = sum(c[j] * columns[j] for j in first.tolist() if c[j])
    risk = sc.risk
    if risk is not None and risk.weight > 0:
        _add_cvar(m, risk.weight, risk.alpha)
        nonants.append(m.theta)
        first_cost = (1 - risk.weight) * first_cost + risk.weight * m.theta
    m.first_stage_cost = pyo.Expression(expr=first_cost)
    sputils.attach_root_node(m, m.first_stage_cost, nonants)
    m._mpisppy_probability = sc.cases[name].probability
    return m


def _first_stage_values(values: list[float], ids: np.ndarray) -> dict[int, float]:
    """Values of the nonant list keyed by column id (θ, if present, last: id -1)."""
    keys = [*ids.tolist(), -1][: len(values)]
    return dict(zip(keys, values, strict=True))


def solve_ef(instance: Instance, solver: str = SOLVER, tee: bool = False) -> SppyResult:
    """mpi-sppy's extensive form of the instance's cases, solved by `solver`."""
    from mpisppy.opt.ef import ExtensiveForm
    from mpisppy.utils import sputils

    start = perf_counter()
    ids = first_stage_ids(instance)
    ef = ExtensiveForm(
        {"solver": solver},
        scenario_names(instance),
        scenario_creator,
        scenario_creator_kwargs={"instance": instance, "first_stage": ids},
    )
    built = perf_counter() - start
    results = ef.solve_extensive_form(tee=tee)
    if sputils.not_good_enough_results(results):
        raise RuntimeError(f"extensive form not solved: {results.solver.termination_condition}")
    values = [pyo.value(v) for v in ef.ef.ref_vars.values()]
    return SppyResult(
        "mpi-sppy EF",
        float(ef.get_objective_value()),
        _first_stage_values(values, ids),
        perf_counter() - start,
        {"build_seconds": built, "first_stage": len(values)},
    )
