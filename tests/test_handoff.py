"""The fast hand-off gives the same LP optimum as Pyomo's own compiler, and a model stays a
Pyomo model: constraints a user adds are part of the solve."""

from __future__ import annotations

import sys
from pathlib import Path

import pyomo.environ as pyo
import pytest

from planner import SolveOptions, load_instance, prepare, validate_instance
from planner.model.pyomo_view import build_model, layout, view_of
from planner.solver.handoff import compile_lp, direct_lp
from planner.solver.highs import load, run

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from gen_instance import generate  # noqa: E402

SHIPPED = sorted((ROOT / "instances").glob("*.yaml"))


def solve_route(inst, route: str, extend=None):
    m = build_model(prepare(inst))
    if extend is not None:
        extend(m)
    lp = compile_lp(m) if route == "compile" else direct_lp(layout(m), m)
    sol = run(load(lp, SolveOptions()))
    return sol, m


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_routes_agree_on_shipped(path):
    inst = load_instance(path)
    direct, _ = solve_route(inst, "direct")
    compiled, _ = solve_route(inst, "compile")
    assert direct.status == compiled.status == "optimal"
    assert direct.objective == pytest.approx(compiled.objective, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_routes_agree_on_generated(seed):
    inst = validate_instance(generate(3, 6, 2, seed=seed, milp=seed == 2))
    direct, _ = solve_route(inst, "direct")
    compiled, _ = solve_route(inst, "compile")
    assert direct.status == compiled.status
    assert direct.objective == pytest.approx(compiled.objective, rel=1e-9)


def test_user_constraint_is_honoured():
    # tiny: the assistant serves 17.5 Ptokens in 2027; capping its activity at 10 in Pyomo
    # leaves 7.5 unserved at 1000 each: 7500 / 1.05 = 7142.86 discounted, less what serving
    # them would have cost (the 2027 token price is about 15 per Ptoken, so well under 40).
    inst = load_instance(ROOT / "instances" / "tiny.yaml")
    base, _ = solve_route(inst, "direct")

    def cap(m):
        m.user_cap = pyo.Constraint(expr=m.X["assistant", "world", 2027] <= 10)

    for route in ("direct", "compile"):
        sol, m = solve_route(inst, route, cap)
        assert sol.status == "optimal"
        target = m.X["assistant", "world", 2027]
        col = next(i for i, v in enumerate(view_of(m).columns) if v is target)
        assert sol.x[col] == pytest.approx(10)
        increase = sol.objective - base.objective
        assert 7500 / 1.05 - 7.5 * 40 < increase < 7500 / 1.05


def test_user_variable_and_objective():
    # a new variable `slack_hosting` that supplies hosting for free would change nothing
    # unless the objective rewards it: replace the objective by cost - 1e-3 * slack with
    # slack <= 1; the optimum then sets slack to its bound.
    inst = load_instance(ROOT / "instances" / "tiny.yaml")

    def extend(m):
        m.slack = pyo.Var(bounds=(0, 1))
        expr = m.cost.expr
        m.cost.deactivate()
        m.new_cost = pyo.Objective(expr=expr - 1e-3 * m.slack)

    sol, _ = solve_route(inst, "direct", extend)
    base, _ = solve_route(inst, "direct")
    assert sol.objective == pytest.approx(base.objective - 1e-3, rel=1e-9)


def test_matrix_rows_are_pyomo_constraints():
    inst = load_instance(ROOT / "instances" / "tiny.yaml")
    m = build_model(prepare(inst))
    fam = layout(m).blocks["balance"]
    row = fam.keys.index(("tokens", "world", 2030))
    con = m.balance[row]
    assert con.lower == pytest.approx(40)
    assert con.upper is None
    assert "X[assistant,world,2030]" in str(con.body)
