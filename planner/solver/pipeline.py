"""The one solve pipeline: every caller (`planner solve`, the Python API, sweep points,
`explain` on an instance) goes through `solve_model`, and so gets the same statuses, the
same violation check, the same infeasibility diagnosis and the same tables.

    instance --prepare--> ModelData --assemble--> Model --HiGHS--> Solution --> Results

A `Session` keeps one model loaded in HiGHS between solves (sweeps): a model that differs
from the loaded one only in numbers is pushed into HiGHS in place and re-solved from the
previous basis (`planner.solver.warm`).
"""

from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.model.assemble import Model
from planner.model.info import ModelInfo
from planner.model.stochastic import StochasticModel
from planner.results.base import Results
from planner.results.stochastic import risk_figures, stochastic_tables
from planner.results.tables import extract, horizon_cost
from planner.solver import warm
from planner.solver.check import VIOLATION_TOL, max_violation
from planner.solver.diagnose import empty_row_causes, infeasibility_causes
from planner.solver.handoff import compile_lp, direct_lp
from planner.solver.highs import Handoff, Solution, load, run
from planner.solver.options import SolveOptions

if TYPE_CHECKING:
    import pyomo.environ as pyo


class Session:
    """One model held in HiGHS across solves, updated in place when only numbers change."""

    def __init__(self) -> None:
        self.hand: Handoff | None = None
        self.model: Model | None = None

    def load(self, model: Model, options: SolveOptions) -> tuple[Handoff, bool]:
        """The model in HiGHS: updated in place (True) or loaded afresh (False)."""
        if self.hand is not None and self.model is not None:
            update = warm.diff(self.model, model)
            if update is not None:
                warm.apply(update, self.hand)
                self.model = model
                return self.hand, True
        self.hand = load(direct_lp(model), options)
        self.model = model
        return self.hand, False

    def reset(self) -> None:
        """Forget the loaded model (the next solve loads afresh)."""
        self.hand = None
        self.model = None


def solve_pyomo(m: pyo.ConcreteModel, options: SolveOptions | None = None) -> Results:
    """Solve a Pyomo model made by `planner.build_model`, with whatever a user added to it."""
    from planner.model.pyomo_view import layout

    return solve_model(layout(m), options, pyomo=m)


def solve_model(
    model: Model,
    options: SolveOptions | None = None,
    session: Session | None = None,
    pyomo: pyo.ConcreteModel | None = None,
    build_time: float = 0.0,
) -> Results:
    """The pipeline from a built model to `Results` (see the module docstring)."""
    options = options or SolveOptions()
    d = model.data
    times: dict[str, float] = {"build": build_time}
    summary: dict[str, Any] = {
        "instance": d.instance.name,
        "source": _absolute(d.instance.source),
        "warnings": d.instance.warnings,
        "horizon": {"start": int(d.years[0]), "end": d.horizon_end, "model_end": int(d.years[-1])},
    }
    if d.instance.time is not None or any(d.slice_commodity.values()):
        summary["time"] = d.time.describe()
    info = ModelInfo.of(d)
    if model.infeasible_rows:
        summary.update(status="infeasible", objective=None, cause=empty_row_causes(model))
        summary["times"] = times
        return Results("infeasible", None, summary, info=info)
    start = perf_counter()
    hand, warm_start = _load(model, options, session, pyomo)
    times["update" if warm_start else "handoff"] = perf_counter() - start
    sol = run(hand)
    times.update(sol.times)
    summary.update(
        status=sol.status,
        objective=sol.objective,
        solver=sol.solver,
        solver_options=options.describe(),
        rows=hand.n_rows,
        columns=hand.n_cols,
        nonzeros=hand.n_nonzeros,
        integer_columns=int(hand.integer.size),
        mip_gap=sol.mip_gap,
        feasible_solution=sol.has_solution,
        warm=warm_start,
        iterations=sol.iterations,
    )
    if sol.status == "infeasible":
        summary["diagnosis"], summary["cause"] = infeasibility_causes(model, hand)
    if session is None:
        del hand  # HiGHS's memory goes before the tables are built
    elif sol.status not in ("optimal", "infeasible"):
        session.reset()  # an interrupted or stopped solve: start the next point afresh
    return _finish(model, sol, summary, times, info, options)


def _load(
    model: Model, options: SolveOptions, session: Session | None, m: pyo.ConcreteModel | None
) -> tuple[Handoff, bool]:
    if m is not None:
        lp = compile_lp(m) if options.handoff == "compile" else direct_lp(model, m)
        return load(lp, options), False
    if session is not None:
        return session.load(model, options)
    return load(direct_lp(model), options), False


def _finish(
    model: Model,
    sol: Solution,
    summary: dict[str, Any],
    times: dict[str, float],
    info: ModelInfo,
    options: SolveOptions,
) -> Results:
    """Violation check, solution status, tables and headline figures."""
    status = sol.status
    if sol.has_solution:
        assert sol.x is not None
        violation = max_violation(model, sol.x)
        summary["max_violation"] = violation
        if violation > VIOLATION_TOL:
            status = "numerical_trouble"
            summary["cause"] = [
                f"HiGHS returned a solution that violates a constraint by {violation:.2e} "
                f"(relative; tolerance {VIOLATION_TOL:g}): it is not a plan. Rescale the "
                "instance's units (see the coefficient-range warnings) and solve again"
            ]
    summary["status"] = status
    summary["solution"] = _solution_word(sol.has_solution, status)
    tables = {}
    if summary["solution"] != "none" and isinstance(model, StochasticModel):
        start = perf_counter()
        tables, cases = stochastic_tables(model, sol, options.tables)
        times["extract"] = perf_counter() - start
        summary.update(_programme_summary(model, tables, cases))
    elif summary["solution"] != "none":
        start = perf_counter()
        tables = extract(model, sol, options.tables)
        times["extract"] = perf_counter() - start
        summary["objective_horizon"] = horizon_cost(model, sol, tables)
        if {"schedule", "commodities", "resources"} <= set(tables):
            summary.update(_headline(_within_horizon(tables)))
    summary["times"] = times
    x = sol.x if summary["solution"] != "none" else None
    return Results(status, sol.objective, summary, tables, info, x)


def _solution_word(has_solution: bool, status: str) -> str:
    if not has_solution or status == "numerical_trouble":
        return "none"
    return "optimal" if status == "optimal" else "feasible, not proven optimal"


def _absolute(source: str) -> str:
    """A file's absolute path (so results name their instance from anywhere)."""
    path = Path(source)
    return str(path.resolve()) if path.is_file() else source


def _programme_summary(sm: StochasticModel, tables: dict, cases: dict) -> dict[str, Any]:
    """A two-stage programme's figures: each case's cost Z_s (and over the horizon), the
    expected horizon cost, and headline figures weighted by probability."""
    risk = {"weight": sm.weight, "alpha": sm.alpha}
    out: dict[str, Any] = {
        "scenarios": {
            "branch_year": sm.branch_year,
            "risk": risk,
            "cases": cases,
            **risk_figures(cases, sm.alpha),
        },
        "objective_horizon": sum(c["probability"] * c["objective_horizon"] for c in cases.values()),
    }
    heads = {
        case: _headline(_within_horizon({n: t[t["scenario"] == case] for n, t in tables.items()}))
        for case in cases
    }
    p = {case: c["probability"] for case, c in cases.items()}
    layers = {layer for h in heads.values() for layer in h["built_by_layer"]}
    out["built_by_layer"] = {
        layer: sum(p[c] * h["built_by_layer"].get(layer, 0.0) for c, h in heads.items())
        for layer in layers
    }
    out["binding_resources"] = sorted({r for h in heads.values() for r in h["binding_resources"]})
    return out


def _within_horizon(tables: dict) -> dict:
    """The tables without their extension-year rows (headline figures leave them out)."""
    return {
        name: t[~t["extension"].astype(bool)] if "extension" in t else t
        for name, t in tables.items()
    }


def _headline(tables: dict) -> dict[str, Any]:
    """Figures for the human summary: builds per layer, unserved demand, binding resources."""
    sched = tables["schedule"]
    built = sched.groupby("layer", sort=False)["build"].sum()
    com = tables["commodities"]
    unserved = com.groupby("commodity")["unserved"].sum()
    demand = com.groupby("commodity")["demand"].sum()
    res = tables["resources"]
    binding = res[(res["shadow_price"].fillna(0) > 1e-9)]
    return {
        "built_by_layer": {k: float(v) for k, v in built.items()},
        "unserved": {
            c: {"amount": float(unserved[c]), "share": float(unserved[c] / demand[c])}
            for c in unserved.index
            if demand[c] > 0
        },
        "binding_resources": sorted({f"{r.resource} ({r.region})" for r in binding.itertuples()}),
        "max_shadow_price": {
            f"{name[0]} ({name[1]})": {
                "value": float(group["shadow_price"].max()),
                "per": str(group["unit"].iloc[0]),
            }
            for name, group in binding.groupby(["resource", "region"])
        }
        if len(binding)
        else {},
        "total_demand": float(np.nansum(demand.to_numpy())),
    }
