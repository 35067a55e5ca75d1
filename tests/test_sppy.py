"""The two-stage programme (docs/model.md §17) checked through mpi-sppy (planner/sppy.py).

Needs the extra: `pip install -e '.[sppy]'` (CI installs only `[test]`, so there these
tests, all but the first, are skipped). Run: `python -m pytest -q tests/test_sppy.py`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planner import solve, validate_instance
from planner.instance.schema import Instance

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from gen_instance import generate

REL = 1e-6


def _lacking() -> dict[str, Any]:
    """Case s00 has no tokens demand in the first year, so it lacks the first-stage
    unserved-demand columns U[tokens, r, y0] that the other cases (demand x 3) have."""
    raw = generate(2, 6, 2, seed=1, scenarios=3)
    y0 = raw["years"]["start"]
    for case, spec in raw["scenarios"]["cases"].items():
        factor = {y0: 0 if case == "s00" else 3, y0 + 1: 1}
        spec["changes"].append({"path": "commodities.tokens.demand", "multiply": factor})
    return raw


INSTANCES = {
    "annual": lambda: generate(2, 6, 2, seed=1, scenarios=3),
    "slices_storage": lambda: generate(2, 5, 2, seed=2, scenarios=2, slices=(2, 4), storage=True),
    "cvar": lambda: generate(2, 5, 2, seed=3, scenarios=3, risk=0.3),
    "lacking": _lacking,
}


UNIQUE = {"annual", "cvar", "lacking"}
"""Instances whose first stage came out the same both ways (to 1e-12); in slices_storage
the storage charge and generation over a day of 2027 have alternative optima."""


@pytest.fixture(scope="module")
def sppy() -> Any:
    pytest.importorskip("mpisppy")
    import planner.sppy

    return planner.sppy


@pytest.fixture(scope="module", params=list(INSTANCES))
def case(request: pytest.FixtureRequest, sppy: Any) -> tuple[Instance, Any, Any, str]:
    """(instance, native results, mpi-sppy EF result, name)."""
    inst = validate_instance(INSTANCES[request.param]())
    native = solve(inst)
    assert native.optimal, native.summary.get("status")
    return inst, native, sppy.solve_ef(inst), request.param


def test_planner_sppy_does_not_import_mpisppy() -> None:
    code = "import sys, planner.sppy; assert 'mpisppy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ef_objective_matches_native(case: tuple[Instance, Any, Any, str]) -> None:
    _, native, ef, _ = case
    assert ef.objective == pytest.approx(native.objective, rel=REL)


def test_ef_first_stage_matches_native(case: tuple[Instance, Any, Any, str], sppy: Any) -> None:
    inst, native, ef, name = case
    if name not in UNIQUE:
        pytest.skip("alternative optima in the first stage (see UNIQUE)")
    first = sppy.native_first_stage(inst, native.x)
    ids = sorted(first)
    mine, theirs = np.array([first[i] for i in ids]), np.array([ef.first_stage[i] for i in ids])
    np.testing.assert_allclose(theirs, mine, rtol=0, atol=REL * max(1.0, np.abs(mine).max()))


def test_native_first_stage_is_optimal_in_mpisppy_models(
    case: tuple[Instance, Any, Any, str], sppy: Any
) -> None:
    """The native first stage, fixed in mpi-sppy's case models, attains the EF optimum
    (a check that does not need the optimum to be unique)."""
    inst, native, ef, _ = case
    first = sppy.native_first_stage(inst, native.x)
    assert set(first) == set(ef.first_stage)
    (value,) = sppy.evaluate(inst, [first])
    assert value == pytest.approx(ef.objective, rel=REL)
    (again,) = sppy.evaluate(inst, [ef.first_stage])
    assert again == pytest.approx(native.objective, rel=REL)


def test_each_case_model_matches_the_case_alone(sppy: Any) -> None:
    """A case's model from scenario_creator (rows rewritten as plain constraints) solved
    alone has the optimum of `planner` on that case alone."""
    import pyomo.environ as pyo

    inst = validate_instance(INSTANCES["slices_storage"]())
    alone = solve(inst, evpi=True).summary["scenarios"]["cases"]
    for name in sppy.scenario_names(inst):
        m = sppy.scenario_creator(name, instance=inst)
        result = pyo.SolverFactory(sppy.SOLVER).solve(m)
        assert result.solver.termination_condition == pyo.TerminationCondition.optimal
        assert pyo.value(m.cost) == pytest.approx(alone[name]["alone"], rel=REL)


def test_first_stage_lists_line_up_across_cases(sppy: Any) -> None:
    inst = validate_instance(_lacking())
    options, kwargs = sppy.mpisppy_options(inst)
    assert options == {"turn_off_names_check": True}
    models = {n: sppy.scenario_creator(n, **kwargs) for n in sppy.scenario_names(inst)}
    lists = {n: m._mpisppy_node_list[0].nonant_vardata_list for n, m in models.items()}
    assert {len(v) for v in lists.values()} == {len(kwargs["first_stage"])}
    stand_ins = models["s00"].absent_first_stage
    assert len(stand_ins) == 2 and all(v.bounds == (0.0, 0.0) for v in stand_ins.values())
    for i, (column, v) in enumerate(zip(kwargs["first_stage"].tolist(), lists["s00"], strict=True)):
        if column in stand_ins:
            assert v is stand_ins[column]
            assert lists["s01"][i].name.startswith("U[tokens,")
        else:
            assert v.name == lists["s01"][i].name
    annual = validate_instance(INSTANCES["annual"]())
    assert sppy.mpisppy_options(annual)[0] == {"turn_off_names_check": False}


def test_progressive_hedging_brackets_the_optimum(sppy: Any) -> None:
    inst = validate_instance(INSTANCES["annual"]())
    ef = sppy.solve_ef(inst)
    ph = sppy.solve_ph(inst, rho=0.01, iterations=5, xhat_cases=1)
    assert np.isfinite(ph.objective)
    assert ph.objective >= ef.objective * (1 - 1e-9)
    assert ph.objective <= ef.objective * 1.05
    assert ph.info["trivial_bound"] <= ef.objective * (1 + 1e-9)
    assert ph.info["lagrangian_failed"] == []
    assert ph.info["lagrangian_bound"] <= ef.objective * (1 + 1e-9)
    assert ph.info["iterations"] >= 1
