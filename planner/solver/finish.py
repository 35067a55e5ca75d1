"""The end of the solve pipeline: from HiGHS's solution to `Results` (violation check,
solution status, tables, headline figures). Imported while HiGHS solves (pandas comes with
the tables; see `planner.solver.pipeline.import_tables_meanwhile`)."""

from __future__ import annotations

from time import perf_counter
from typing import Any

import numpy as np

from planner.model.assemble import Model
from planner.model.info import ModelInfo
from planner.model.stochastic import StochasticModel
from planner.results.base import Results
from planner.results.stochastic import risk_figures, stochastic_tables
from planner.results.tables import extract, horizon_cost
from planner.solver.check import VIOLATION_TOL, max_violation
from planner.solver.highs import Solution
from planner.solver.options import SolveOptions


def finish(
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
    # a solve that stops early with a solution ends its run (a myopic window, a sweep
    # point): it gets every table, whatever the caller meant to skip
    names = options.tables if status == "optimal" else None
    if summary["solution"] != "none" and isinstance(model, StochasticModel):
        start = perf_counter()
        tables, cases = stochastic_tables(model, sol, names)
        times["extract"] = perf_counter() - start
        summary.update(_programme_summary(model, tables, cases))
    elif summary["solution"] != "none":
        start = perf_counter()
        tables = extract(model, sol, names)
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
