"""planner: an optimization-based investment planner for the five-layer AI stack.

    from planner import load_instance, solve
    results = solve(load_instance("instances/tiny.yaml"))

The names below are imported on first use, so that `import planner` (and the command
line's start-up) stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Instance": "planner.instance.schema",
    "InstanceError": "planner.errors",
    "Model": "planner.model.assemble",
    "Results": "planner.results.base",
    "Session": "planner.solver.pipeline",
    "SolveOptions": "planner.solver.options",
    "assemble": "planner.model.assemble",
    "build_model": "planner.model.pyomo_view",
    "load_instance": "planner.instance.loader",
    "load_results": "planner.results.io",
    "prepare": "planner.model.data",
    "solve": "planner.solver.api",
    "solve_pyomo": "planner.solver.pipeline",
    "sweep": "planner.sweeps.run",
    "validate_instance": "planner.instance.loader",
    "with_budget_total": "planner.instance.paths",
    "write_results": "planner.results.io",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
