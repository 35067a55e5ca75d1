"""Number formats for people: one home for every number a sentence, table or chart shows."""

from __future__ import annotations

import math


def number(value: float) -> str:
    """A number in a sentence: 41,200 / 0.3711 / 1.2e+06."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    mag = abs(value)
    if 1e-3 <= mag < 1e6:
        return f"{value:,.4g}" if mag < 1e4 else f"{value:,.0f}"
    return f"{value:.3g}"


def quantity(value: float) -> str:
    """A built amount: 3 significant digits below 1000, whole numbers with commas above."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def cell(value: object, spec: str = ",.6g") -> str:
    """A table cell: the number in `spec`, or empty for a missing or non-numeric value."""
    try:
        number_ = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(number_) else format(number_, spec)
