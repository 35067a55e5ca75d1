"""The library entry point: `solve(instance, options) -> Results`."""

from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np

from planner.data import prepare
from planner.diagnose import describe
from planner.iis import infeasibility_causes
from planner.model import build_model, layout
from planner.numerics import VIOLATION_TOL, max_violation
from planner.results import Results, extract
from planner.schema import Budget, Instance
from planner.solver import SolveOptions, handoff, run


def with_budget_total(instance: Instance, total: float) -> Instance:
    """A copy of the instance with `budget.total` replaced."""
    old = instance.budget or Budget()
    budget = old.model_copy(update={"total": float(total)})
    copy = instance.model_copy(update={"budget": budget})
    copy.attach(instance.source, instance.warnings)
    return copy


def _absolute(source: str) -> str:
    """A file's absolute path (so results can find their instance from anywhere)."""
    path = Path(source)
    return str(path.resolve()) if path.is_file() else source


def solve(instance: Instance, options: SolveOptions | None = None) -> Results:
    """Build the model of MODEL.md, solve it with HiGHS and return the result tables."""
    options = options or SolveOptions()
    times: dict[str, float] = {}
    start = perf_counter()
    data = prepare(instance)
    m = build_model(data)
    times["build"] = perf_counter() - start
    lay = layout(m)
    summary: dict[str, Any] = {
        "instance": instance.name,
        "source": _absolute(instance.source),
        "warnings": instance.warnings,
    }
    if lay.infeasible_rows:
        found = [describe(data, *row) for row in lay.infeasible_rows]
        summary.update(status="infeasible", objective=None, cause=[c.render() for c in found])
        summary["times"] = times
        return Results("infeasible", None, summary)
    start = perf_counter()
    hand = handoff(m, options)
    times["handoff"] = perf_counter() - start
    sol = run(hand)
    times.update(sol.times)
    summary.update(
        status=sol.status,
        objective=sol.objective,
        solver=sol.solver,
        rows=hand.n_rows,
        columns=hand.n_cols,
        nonzeros=hand.n_nonzeros,
        integer_columns=int(hand.integer.size),
        mip_gap=sol.mip_gap,
        feasible_solution=sol.has_solution,
    )
    if sol.status == "infeasible":
        summary["diagnosis"], summary["cause"] = infeasibility_causes(data, lay, hand)
    del hand  # HiGHS's memory goes before the tables are built
    status = sol.status
    if sol.has_solution:
        assert sol.x is not None
        violation = max_violation(data, lay, sol.x)
        summary["max_violation"] = violation
        if violation > VIOLATION_TOL:
            status = "numerical_trouble"
            summary["cause"] = [
                f"HiGHS returned a solution that violates a constraint by {violation:.2e} "
                f"(relative; tolerance {VIOLATION_TOL:g}): it is not a plan. Rescale the "
                "instance's units (see the coefficient-range warnings) and solve again"
            ]
    summary["status"] = status
    summary["solution"] = (
        "none"
        if not sol.has_solution or status == "numerical_trouble"
        else "optimal"
        if status == "optimal"
        else "feasible, not proven optimal"
    )
    tables = {}
    if summary["solution"] != "none":
        start = perf_counter()
        tables = extract(data, lay, sol)
        times["extract"] = perf_counter() - start
        summary.update(_headline(tables))
    summary["times"] = times
    return Results(status, sol.objective, summary, tables)


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
