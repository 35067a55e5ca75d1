"""The one solve pipeline: every caller (`planner solve`, the Python API, sweep points,
`explain` on an instance) goes through `solve_model`, and so gets the same statuses, the
same violation check, the same infeasibility diagnosis and the same tables.

    instance --prepare--> ModelData --assemble--> Model --HiGHS--> Solution --> Results

A `Session` keeps one model loaded in HiGHS between solves (sweeps): a model that differs
from the loaded one only in numbers is pushed into HiGHS in place and re-solved from the
previous basis (`planner.solver.warm`).
"""

from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

from planner.model.assemble import Model
from planner.model.info import ModelInfo
from planner.results.base import Results
from planner.solver import warm
from planner.solver.diagnose import empty_row_causes, infeasibility_causes
from planner.solver.handoff import compile_lp, direct_lp
from planner.solver.highs import Handoff, load, run
from planner.solver.options import SolveOptions

if TYPE_CHECKING:
    import pyomo.environ as pyo

DOUBTFUL = ("infeasible", "unbounded")
"""Statuses of a warm re-solve that are checked by solving the same model cold."""

FINISH = "planner.solver.finish"
"""From a solution to Results: the table builders, with pandas (a third of a second)."""


def import_tables_meanwhile() -> threading.Thread | None:
    """Import the table builders in a thread while HiGHS solves (the main thread only waits
    on it, and its simplex leaves a core idle), so a one-off solve does not pay for pandas
    on top of the solve; `join` it before building tables."""
    if FINISH in sys.modules:
        return None
    thread = threading.Thread(target=importlib.import_module, args=(FINISH,), daemon=True)
    thread.start()
    return thread


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
    importing = import_tables_meanwhile()
    sol = run(hand)
    if warm_start and sol.status in DOUBTFUL:
        # HiGHS's re-solve from the last basis can end infeasible where the model is not
        # (seen on myopic window views): believe only a cold solve of the same model
        assert session is not None
        session.reset()
        start = perf_counter()
        hand, warm_start = _load(model, options, session, pyomo)
        times["handoff"] = perf_counter() - start
        summary["warm_retried"] = sol.status
        times["warm_attempt"] = sol.times["solve"]
        sol = run(hand)
    if importing is not None:
        importing.join()
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
    from planner.solver.finish import finish

    return finish(model, sol, summary, times, info, options)


def _load(
    model: Model, options: SolveOptions, session: Session | None, m: pyo.ConcreteModel | None
) -> tuple[Handoff, bool]:
    if m is not None:
        lp = compile_lp(m) if options.handoff == "compile" else direct_lp(model, m)
        return load(lp, options), False
    if session is not None:
        return session.load(model, options)
    return load(direct_lp(model), options), False


def _absolute(source: str) -> str:
    """A file's absolute path (so results name their instance from anywhere)."""
    path = Path(source)
    return str(path.resolve()) if path.is_file() else source
