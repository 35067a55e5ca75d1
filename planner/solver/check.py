"""After the solve: is the returned solution a plan? Every row and bound checked."""

from __future__ import annotations

import numpy as np

from planner.model.assemble import Model

VIOLATION_TOL = 1e-6
"""Largest tolerated row or bound violation, relative to max(1, |bound|)."""


def max_violation(model: Model, x: np.ndarray) -> float:
    """Largest violation of any row or column bound, relative to max(1, |bound|);
    `x` holds the LP columns."""
    worst = 0.0
    for block in model.blocks.values():
        held = np.isfinite(block.rhs)  # an infinite right-hand side: a row set free
        if not held.any():
            continue
        body = (block.A @ x)[held]
        rhs = block.rhs[held]
        scale = np.maximum(1.0, np.abs(rhs))
        if block.sense in (">=", "=="):
            worst = max(worst, float(np.max((rhs - body) / scale)))
        if block.sense in ("<=", "=="):
            worst = max(worst, float(np.max((body - rhs) / scale)))
    if x.size:
        for gap, bound in ((model.lower - x, model.lower), (x - model.upper, model.upper)):
            finite = np.isfinite(bound)
            if finite.any():
                scale = np.maximum(1.0, np.abs(bound[finite]))
                worst = max(worst, float(np.max(gap[finite] / scale)))
    return max(worst, 0.0)
