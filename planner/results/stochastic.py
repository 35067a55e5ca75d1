"""Result tables of a two-stage programme (docs/model.md §17): each case's tables, from its
own model and its share of the solution, stacked with a `scenario` column; a `stage`
column marks what was decided before the branch year (first stage, shared by every case).

Prices of a case are its rows' duals divided by p_s df(y): the programme's duals carry the
case's probability, so they are divided by p_s here and by df(y) as for any solve.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from planner.model.registry import CVAR_EXCESS
from planner.model.stochastic import StochasticModel
from planner.results.tables import extract
from planner.solver.highs import Solution


def case_solution(sm: StochasticModel, case: str, sol: Solution) -> Solution:
    """The case's share of the programme's solution: its columns' values, its rows' duals
    divided by p_s, and its reduced costs c_s - A_s^T (y_s / p_s)."""
    assert sol.x is not None
    m = sm.cases[case]
    cols = sm.columns[case]
    p = sm.probability[case]
    duals = {
        block.family: sol.duals[name] / p
        for name, block in sm.blocks.items()
        if block.case == case and name in sol.duals
    }
    reduced = None
    if sol.reduced_costs is not None:
        # c_j - A^T y of the programme, divided by p_s: the case's cost weight, its rows, and
        # (with a risk weight) its CVaR row, which holds -c_s
        cvar = _cvar_dual(sm, case, sol) / p
        reduced = (1 - sm.weight + cvar) * m.cost[: m.n_lp]
        for family, y in duals.items():
            reduced -= m.blocks[family].A.T @ y
    return Solution(
        sol.status,
        sol.objective,
        sol.x[cols],
        duals,
        reduced,
        sol.mip_gap,
        sol.has_solution,
        sol.iterations,
    )


def _cvar_dual(sm: StochasticModel, case: str, sol: Solution) -> float:
    """The dual of the case's CVaR row (0 without a risk weight)."""
    name = CVAR_EXCESS.name
    if name not in sol.duals:
        return 0.0
    rows = list(sm.blocks[name].index.fields["scenario"])
    return float(sol.duals[name][rows.index(case)])


def _stage(table: pd.DataFrame, branch: int) -> pd.Series:
    """ "first" for rows of years before the branch year, else "second" (None without a year)."""
    years = pd.to_numeric(table["year"], errors="coerce").astype(float)
    stage = np.where(years.to_numpy() < branch, "first", "second")
    return pd.Series(stage, index=table.index).where(years.notna(), None)


def stochastic_tables(
    sm: StochasticModel, sol: Solution, names: Collection[str] | None = None
) -> tuple[dict[str, pd.DataFrame], dict]:
    """Every case's tables `names` (None: all) stacked (scenario and stage columns), and
    each case's cost Z_s (over the model's years and over the horizon)."""
    per_case: dict[str, dict[str, pd.DataFrame]] = {}
    figures: dict[str, dict[str, Any]] = {}
    wanted = None if names is None else {*names, "schedule", "costs"}
    for case, m in sm.cases.items():
        tables = extract(m, case_solution(sm, case, sol), wanted)
        per_case[case] = tables
        costs = tables["costs"]
        horizon = costs["year"] <= m.data.horizon_end
        figures[case] = {
            "probability": sm.probability[case],
            "objective": float(costs["discounted"].sum()),
            "objective_horizon": float(costs.loc[horizon, "discounted"].sum()),
        }
    out = {}
    for name in next(iter(per_case.values())):
        frames = []
        for case, tables in per_case.items():
            frame = tables[name].copy()
            frame.insert(0, "scenario", case)
            if "year" in frame and len(frame):
                frame["stage"] = _stage(frame, sm.branch_year)
            frames.append(frame)
        out[name] = pd.concat(frames, ignore_index=True)
    sched = out["schedule"]
    lead = {t.name: t.lead_time for t in sm.data.techs}
    lead_times = sched["technology"].astype(str).map(lead).to_numpy(dtype=np.int64)
    decided = np.maximum(sched["year"].to_numpy(dtype=np.int64) - lead_times, int(sm.data.years[0]))
    sched["build_stage"] = np.where(decided < sm.branch_year, "first", "second")
    return out, figures


def cvar(values: list[float], probabilities: list[float], alpha: float) -> float:
    """Conditional value at risk of a discrete cost: the expected cost of the worst 1 - alpha
    of the probability mass (= min over θ of θ + E[(Z - θ)+] / (1 - alpha), §17)."""
    tail = 1.0 - alpha
    total = 0.0
    mass = 0.0
    for z, p in sorted(zip(values, probabilities, strict=True), reverse=True):
        take = min(p, tail - mass)
        if take <= 0:
            break
        total += take * z
        mass += take
    return total / tail


def risk_figures(cases: dict[str, dict[str, Any]], alpha: float) -> dict[str, float]:
    """The expected cost and its CVaR at `alpha` over the cases' costs Z_s."""
    z = [c["objective"] for c in cases.values()]
    p = [c["probability"] for c in cases.values()]
    return {
        "expected_cost": float(sum(pi * zi for pi, zi in zip(p, z, strict=True))),
        "cvar": cvar(z, p, alpha),
    }
