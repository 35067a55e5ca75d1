"""`solve(instance)`: perfect foresight, myopic windows or a two-stage programme, each
through the one pipeline (`planner.solver.pipeline.solve_model`)."""

from __future__ import annotations

from time import perf_counter

from planner.instance.schema import Instance
from planner.model.assemble import Model, assemble
from planner.model.data import prepare
from planner.model.stochastic import combine
from planner.results.base import Results
from planner.solver.myopic import solve_myopic
from planner.solver.options import SolveOptions
from planner.solver.pipeline import Session, solve_model


def solve(
    instance: Instance,
    options: SolveOptions | None = None,
    session: Session | None = None,
    *,
    evpi: bool = False,
    progress: bool = False,
) -> Results:
    """Build the model of docs/model.md, solve it with HiGHS and return the result tables.

    An instance with `foresight: {mode: myopic}` is solved window by window (`progress`
    shows a bar over the windows); one with `scenarios` as a two-stage programme, and with
    `evpi` each case is also solved alone for the wait-and-see value and the EVPI.
    """
    options = options or SolveOptions()
    fs = instance.foresight
    if fs is not None and fs.mode == "myopic":
        return solve_myopic(instance, options, progress)
    start = perf_counter()
    model = build(instance, release=session is None)
    results = solve_model(model, options, session, build_time=perf_counter() - start)
    if instance.scenarios is not None and evpi and results.optimal:
        wait_and_see(instance, results, options)
    return results


def build(instance: Instance, release: bool = True) -> Model:
    """The model of a perfect-foresight instance: the two-stage programme of its scenarios,
    or the deterministic model (`release`: see `assemble`)."""
    if instance.scenarios is not None:
        return combine(instance)
    return assemble(prepare(instance), release)


def wait_and_see(instance: Instance, results: Results, options: SolveOptions) -> None:
    """WS = sum_s p_s (optimum of case s alone) and EVPI = objective - WS (for risk weight 0)
    into `results.summary["scenarios"]` (docs/model.md §17)."""
    sc = instance.scenarios
    assert sc is not None and results.objective is not None
    alone = {}
    for case in sc.cases:
        one = solve_model(assemble(prepare(instance, case)), options)
        alone[case] = one.objective if one.optimal else None
    info = results.summary["scenarios"]
    for case, value in alone.items():
        info["cases"][case]["alone"] = value
    if all(v is not None for v in alone.values()):
        ws = sum(sc.cases[c].probability * v for c, v in alone.items())  # type: ignore[operator]
        info["wait_and_see"] = ws
        weight = sc.risk.weight if sc.risk is not None else 0.0
        info["evpi"] = results.objective - ws if weight == 0 else None
