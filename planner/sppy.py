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
"""Pyomo's persistent HiGHS interface (highspy), for LPs and MILPs. It takes no quadratic
objective, so `solve_ph` linearises PH's proximal term."""


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


def _first_stage(instance: Instance) -> tuple[np.ndarray, bool]:
    """Sorted ids of the first-stage LP columns of every case (their union), and whether
    every case has all of them."""
    sc = instance.scenarios
    if sc is None:
        raise ValueError(f"instance {instance.name!r} has no `scenarios` block")
    found: list[np.ndarray] = []
    for case in sc.cases:
        d = prepare(instance, case)
        ids = column_ids(d)[: d.n_lp]
        found.append(ids[d.col_tau[: d.n_lp] < sc.branch_year])
    union = np.unique(np.concatenate(found))
    return union, all(f.size == union.size for f in found)


def first_stage_ids(instance: Instance) -> np.ndarray:
    """Sorted ids of the first-stage LP columns of every case (their union): the order of
    the first-stage (nonanticipative) list in every case."""
    return _first_stage(instance)[0]


def mpisppy_options(instance: Instance) -> tuple[dict[str, Any], dict[str, Any]]:
    """mpi-sppy options and `scenario_creator_kwargs` for the instance's cases.

    Where a case lacks a first-stage column its stand-in's name differs from the other
    cases' variable at that place, so mpi-sppy's name check is turned off (the list is
    ordered by column id, which names a column across cases)."""
    ids, coincide = _first_stage(instance)
    return {"turn_off_names_check": not coincide}, {"instance": instance, "first_stage": ids}


def native_first_stage(instance: Instance, x: np.ndarray) -> dict[int, float]:
    """The first stage of a solution `x` of the native programme (`combine(instance)`,
    e.g. `planner.solve(instance).x`) by column id, θ under -1 when the CVaR is on."""
    from planner.model.stochastic import combine

    sm = combine(instance)
    out: dict[int, float] = {}
    for case, m in sm.cases.items():
        ids = column_ids(m.data)[: m.n_lp]
        first = m.data.col_tau[: m.n_lp] < sm.branch_year
        out.update(zip(ids[first].tolist(), x[sm.columns[case][first]].tolist(), strict=True))
    if sm.weight > 0:
        out[-1] = float(x[sm.n_lp - 1 - len(sm.cases)])  # θ precedes the excess a_s
    return out


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
    if len(ids_all) != len(position) + len(missing):
        raise ValueError(f"first_stage lacks first-stage columns of case {name!r}")
    m.absent_first_stage = pyo.Var(missing, bounds=(0.0, 0.0))  # indexed by column id
    stand_in = m.absent_first_stage
    nonants = [columns[position[i]] if i in position else stand_in[i] for i in ids_all.tolist()]
    c = model.cost[: model.n_lp]
    first_cost = sum(c[j] * columns[j] for j in first.tolist() if c[j])
    m._planner_first_stage_costs = [
        c[position[i]] if i in position else 0.0 for i in ids_all.tolist()
    ]
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
    options, kwargs = mpisppy_options(instance)
    ids = kwargs["first_stage"]
    ef = ExtensiveForm(
        {**options, "solver": solver},
        scenario_names(instance),
        scenario_creator,
        scenario_creator_kwargs=kwargs,
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


def cost_rho(scenario: pyo.ConcreteModel, factor: float = 1.0) -> list[tuple[int, float]]:
    """PH's ρ per first-stage variable: `factor` times its cost coefficient in the case's
    objective (Watson and Woodruff's cost-proportional ρ), with a floor of `factor` times
    1e-3 of the largest one for variables without cost (and for θ)."""
    coefs = np.abs(np.asarray(scenario._planner_first_stage_costs, dtype=float))
    floor = 1e-3 * float(coefs.max()) if coefs.size and coefs.max() > 0 else 1.0
    node = scenario._mpisppy_node_list[0]
    rho = factor * np.maximum(coefs, floor)
    out = [(id(v), float(r)) for v, r in zip(node.nonant_vardata_list, rho.tolist(), strict=False)]
    out += [(id(v), factor * floor) for v in node.nonant_vardata_list[len(out) :]]
    return out


def evaluate(
    instance: Instance, candidates: list[dict[int, float]], solver: str = SOLVER
) -> list[float]:
    """The objective (§17) at each candidate first stage (values by column id, θ under
    -1): every case solved with its first stage fixed there (clipped to its bounds), +inf
    where a case is then not solved to optimality (infeasible). The case models are built
    once and re-solved."""
    ids = first_stage_ids(instance)
    keys = [*ids.tolist(), -1]
    models = [scenario_creator(name, instance, ids) for name in scenario_names(instance)]
    solvers = [pyo.SolverFactory(solver) for _ in models]
    out = []
    for values in candidates:
        total = 0.0
        for m, opt in zip(models, solvers, strict=True):
            for key, v in zip(keys, m._mpisppy_node_list[0].nonant_vardata_list, strict=False):
                lb, ub = v.bounds
                value = values[key] if lb is None else max(values[key], lb)
                v.fix(value if ub is None else min(value, ub))
            results = opt.solve(m, load_solutions=False)
            if results.solver.termination_condition != pyo.TerminationCondition.optimal:
                total = np.inf
                break
            m.solutions.load_from(results)
            total += m._mpisppy_probability * pyo.value(m.cost)
        out.append(total)
    return out


def _candidates(ph: Any, ids: np.ndarray, cases: int) -> list[tuple[str, dict[int, float]]]:
    """x̄, then the first stage of PH's last iterate in the `cases` most probable cases."""
    scenarios = sorted(ph.local_scenarios.items(), key=lambda kv: -kv[1]._mpisppy_probability)
    xbars = scenarios[0][1]._mpisppy_model.xbars
    out = [("xbar", _first_stage_values([pyo.value(x) for x in xbars.values()], ids))]
    for name, s in scenarios[:cases]:
        values = [pyo.value(v) for v in s._mpisppy_node_list[0].nonant_vardata_list]
        out.append((name, _first_stage_values(values, ids)))
    return out


def _lagrangian_bound(ph: Any) -> tuple[float | None, list[str]]:
    """Σ p_s min (objective_s + W_s x) with PH's final weights (Σ p_s W_s = 0): a lower
    bound, or None with the cases whose subproblem was not solved to optimality (HiGHS
    may report a subproblem without the proximal term unbounded or fail on it)."""
    for s in ph.local_scenarios.values():
        s._mpisppy_model.prox_on = 0
    ph.solve_loop()
    failed = [n for n, s in ph.local_scenarios.items() if not s._mpisppy_data.solution_available]
    return (None if failed else float(ph.Eobjective())), failed


def solve_ph(
    instance: Instance,
    solver: str = SOLVER,
    *,
    rho: float = 1.0,
    iterations: int = 50,
    convthresh: float = 1e-3,
    linearize: bool = True,
    xhat_cases: int = 3,
    solver_options: dict[str, float] | None = None,
) -> SppyResult:
    """Progressive hedging (mpi-sppy `PH`, one rank) with ρ = `rho` x cost (`cost_rho`).

    `linearize` replaces the quadratic proximal term by mpi-sppy's piecewise-linear cuts
    (LP subproblems; HiGHS's QP solver fails on these badly scaled models at its default
    tolerances). `objective` is the best §17 objective over the candidate first stages of
    `_candidates` (`evaluate`: an upper bound, +inf if none is feasible for every case);
    `info` has the iterations, PH's convergence metric, the chosen candidate, the trivial
    bound (wait-and-see, from iteration 0) and the Lagrangian bound of the final weights
    (both lower bounds; `_lagrangian_bound`)."""
    from mpisppy.opt.ph import PH

    start = perf_counter()
    base, kwargs = mpisppy_options(instance)
    ids = kwargs["first_stage"]
    options = {
        **base,
        "solver_name": solver,
        "PHIterLimit": iterations,
        "defaultPHrho": 1.0,
        "convthresh": convthresh,
        "verbose": False,
        "display_progress": False,
        "display_timing": False,
        "iter0_solver_options": dict(solver_options or {}),
        "iterk_solver_options": dict(solver_options or {}),
        "rho_setter_kwargs": {"factor": rho},
        "linearize_proximal_terms": linearize,
    }
    ph = PH(
        options,
        scenario_names(instance),
        scenario_creator,
        scenario_creator_kwargs=kwargs,
        rho_setter=cost_rho,
    )
    conv, _, trivial = ph.ph_main()
    iterations_done = ph._PHIter
    candidates = _candidates(ph, ids, xhat_cases)
    lagrangian, failed = _lagrangian_bound(ph)
    ph_seconds = perf_counter() - start
    values = evaluate(instance, [c for _, c in candidates], solver)
    best = int(np.argmin(values))
    return SppyResult(
        "mpi-sppy PH",
        values[best],
        candidates[best][1],
        perf_counter() - start,
        {
            "iterations": iterations_done,
            "conv": float(conv),
            "xhat": candidates[best][0],
            "xhat_values": dict(zip([n for n, _ in candidates], values, strict=True)),
            "trivial_bound": float(trivial),
            "lagrangian_bound": lagrangian,
            "lagrangian_failed": failed,
            "ph_seconds": ph_seconds,
        },
    )
