"""Evaluate series and regional series (docs/model.md §2) on the horizon's years."""

from __future__ import annotations

import numpy as np

from planner.instance.schema import Instance, RegionalValue, SeriesValue


def series_array(value: SeriesValue, years: np.ndarray) -> np.ndarray:
    """Values per year: linear between listed years, flat before the first and after the last."""
    if isinstance(value, dict):
        points = sorted(value.items())
        xs = np.array([p[0] for p in points], dtype=float)
        ys = np.array([p[1] for p in points], dtype=float)
        return np.interp(years.astype(float), xs, ys)
    return np.full(len(years), float(value))


def is_region_map(value: RegionalValue | None) -> bool:
    """True for a `{region: series}` mapping (keys are strings)."""
    return isinstance(value, dict) and bool(value) and isinstance(next(iter(value)), str)


def regional_array(
    value: RegionalValue | None, regions: list[str], years: np.ndarray, missing: float
) -> np.ndarray:
    """Array (region, year). Regions a region map does not list get `missing`
    (0 for quantities, NaN meaning "no limit" for limits); None means `missing` everywhere."""
    out = np.full((len(regions), len(years)), missing, dtype=float)
    if value is None:
        return out
    if is_region_map(value):
        for i, region in enumerate(regions):
            if region in value:
                out[i] = series_array(value[region], years)  # type: ignore[index]
        return out
    out[:] = series_array(value, years)  # type: ignore[arg-type]
    return out


def model_years(inst: Instance) -> np.ndarray:
    """The horizon's years and the extension years of `end_effects` after it (§15)."""
    extend = inst.end_effects.extend_years if inst.end_effects is not None else 0
    return np.arange(inst.years.start, inst.years.end + extend + 1)
