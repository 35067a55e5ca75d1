"""Numerical health before solving: coefficient ranges of an instance.

HiGHS works in double precision with feasibility tolerances around 1e-7; a model whose
matrix or cost coefficients span more than about nine orders of magnitude risks wrong
"optimal" answers. `scaling_warnings` names the instance parameters at both ends of each
range (the solution is checked after the solve by `planner.solver.check`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from planner.errors import Problem
from planner.instance.schema import Instance

MAX_RATIO = 1e9
"""Largest tolerated ratio of the largest to the smallest nonzero coefficient."""


def _values(series: Any) -> Iterator[float]:
    """Every number of a series or regional series."""
    if isinstance(series, dict):
        for value in series.values():
            yield from _values(value)
    elif series is not None:
        yield float(series)


def _coefficients(inst: Instance) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """(matrix coefficients, cost coefficients) as (field path, value), nonzero only."""
    matrix: list[tuple[str, float]] = []
    costs: list[tuple[str, float]] = []
    for name, k in inst.technologies.items():
        base = f"technologies.{name}"
        matrix += [(f"{base}.output_per_capacity", v) for v in _values(k.output_per_capacity)]
        for kind in ("per_activity", "per_capacity", "per_build"):
            spread = max(k.lead_time, 1) if kind == "per_build" else 1
            for item, value in getattr(k.inputs, kind).items():
                matrix.append((f"{base}.inputs.{kind}.{item}", value / spread))
        if inst.budget is not None:
            matrix += [(f"{base}.capex", v / max(k.lead_time, 1)) for v in _values(k.capex)]
        if k.unit_size is not None:
            matrix.append((f"{base}.unit_size", k.unit_size))
        costs += [(f"{base}.capex", v) for v in _values(k.capex)]
        costs += [(f"{base}.fixed_om", v) for v in _values(k.fixed_om)]
        costs += [(f"{base}.variable_om", v) for v in _values(k.variable_om)]
    for name, link in inst.links.items():
        matrix.append((f"links.{name}.loss", 1.0 - link.loss))
        costs += [(f"links.{name}.cost", v) for v in _values(link.cost)]
    for name, com in inst.commodities.items():
        if com.unmet_cost is not None:
            costs.append((f"commodities.{name}.unmet_cost", com.unmet_cost))
    if matrix:
        matrix.append(("(structural coefficients)", 1.0))
    return [(p, v) for p, v in matrix if v != 0], [(p, v) for p, v in costs if v != 0]


def scaling_warnings(inst: Instance) -> list[Problem]:
    """A warning for each coefficient range (matrix, costs) wider than MAX_RATIO."""
    warnings = []
    matrix, costs = _coefficients(inst)
    for what, entries in (("matrix", matrix), ("cost", costs)):
        if not entries:
            continue
        small = min(entries, key=lambda e: abs(e[1]))
        large = max(entries, key=lambda e: abs(e[1]))
        ratio = abs(large[1]) / abs(small[1])
        if ratio > MAX_RATIO:
            warnings.append(
                Problem(
                    small[0],
                    f"{what} coefficients span {abs(small[1]):.3g} ({small[0]}) to "
                    f"{abs(large[1]):.3g} ({large[0]}), a ratio of {ratio:.1e} > {MAX_RATIO:.0e} "
                    "that can make HiGHS's answer inaccurate",
                    "change the units of the quantities involved (e.g. MW -> GW, $ -> M$) so "
                    "that coefficients lie between about 1e-4 and 1e6",
                )
            )
    return warnings
