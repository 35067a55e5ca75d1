"""Scenario changes (docs/model.md §17, §8.25): which parameters a case may change, and the
values they take once every change of the case is applied, year by year.

A change names a year-indexed parameter by its dotted path and acts on its *evaluated*
values: demand {2026: 10, 2028: 20} multiplied by {2026: 1, 2028: 1.6} is 19.5 in 2027
(15 x 1.3). "No limit" stays no limit under `multiply` and `add`; an absent quantity is 0.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.instance.schema import Change, Instance
from planner.instance.series import is_region_map, regional_array, series_array

TECH_FIELDS = (
    "output_per_capacity", "capex", "fixed_om", "variable_om", "residual", "max_build",
    "max_capacity", "max_activity", "min_build", "min_capacity", "min_activity",
    "firm_capacity",
)  # fmt: skip
LIMIT_FIELDS = ("max_build", "max_capacity", "max_activity", "limit", "capacity", "per_year")
"""Limits: an absent value (or region) means no limit; every other field is a quantity."""


class ChangeError(ValueError):
    """A change that cannot be applied: (message, fix)."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.change: int | None = None  # the index of the change that failed, once known


@dataclass(frozen=True)
class Target:
    """A changeable parameter: section, entity name, field (dotted for reserve)."""

    section: str
    name: str
    field: str
    kind: str  # "regional", "series" or "number"

    @property
    def path(self) -> str:
        parts = [self.section, self.name, self.field] if self.name else [self.section, self.field]
        return ".".join(parts)

    @property
    def limit(self) -> bool:
        return self.field in LIMIT_FIELDS or self.path == "budget.total"


def _pick(word: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    if not known:
        return f"the instance has no {what} to change"
    return f"{hint}use one of the {what}: {', '.join(known[:20])}"


SINGULAR = {
    "commodities": "commodity",
    "technologies": "technology",
    "resources": "resource",
    "links": "link",
}


def target(inst: Instance, path: str) -> Target:
    """The parameter a dotted path names, or a `ChangeError` saying what is changeable."""
    keys = path.split(".")
    section = keys[0]
    sections = ["commodities", "technologies", "resources", "links", "budget"]
    if section not in sections:
        raise ChangeError(
            f"'{section}' has no changeable values", _pick(section, sections, "sections")
        )
    if section == "budget":
        fields = ["per_year", "total"]
        if len(keys) != 2 or keys[1] not in fields:
            raise ChangeError(f"'{path}' is not a budget value", _pick(keys[-1], fields, "fields"))
        return Target("budget", "", keys[1], "number" if keys[1] == "total" else "series")
    names = list(getattr(inst, section))
    if len(keys) < 3 or keys[1] not in names:
        word = keys[1] if len(keys) > 1 else ""
        raise ChangeError(f"'{path}' names no {SINGULAR[section]}", _pick(word, names, section))
    name, field = keys[1], ".".join(keys[2:])
    if section == "commodities":
        fields = ["demand", "reserve.margin", "reserve.peak_factor"]
        if field.startswith("reserve.") and inst.commodities[name].reserve is None:
            raise ChangeError(
                f"commodities.{name} has no reserve to change", f"add `reserve` to {name} first"
            )
    else:
        fields = {
            "technologies": list(TECH_FIELDS),
            "resources": ["limit"],
            "links": ["capacity", "cost"],
        }[section]
    if field not in fields:
        raise ChangeError(
            f"'{path}' is not a year-indexed parameter that a case may change",
            _pick(field, fields, f"changeable fields of {section}")
            + " (scalars such as lifetimes cannot change)",
        )
    regional = (
        section == "technologies"
        or (section == "commodities" and field == "demand")
        or (section == "resources" and inst.resources[name].scope == "regional")
    )
    return Target(section, name, field, "regional" if regional else "series")


def _base(inst: Instance, t: Target) -> Any:
    if t.section == "budget":
        return getattr(inst.budget, t.field) if inst.budget is not None else None
    owner: Any = getattr(inst, t.section)[t.name]
    for part in t.field.split("."):
        owner = getattr(owner, part)
    return owner


def rows_of(inst: Instance, t: Target) -> list[str]:
    """The regions an evaluated parameter has rows for ('*' for one row)."""
    if t.section == "technologies":
        k = inst.technologies[t.name]
        return [r for r in inst.regions if k.regions is None or r in k.regions]
    if t.kind == "regional":
        return list(inst.regions)
    return ["*"]


def evaluate(inst: Instance, t: Target, value: Any, years: np.ndarray) -> np.ndarray:
    """A value of the parameter evaluated on (its rows) x (years); number: shape ()."""
    missing = np.nan if t.limit else 0.0
    if t.kind == "number":
        return np.array(missing if value is None else float(value))
    return regional_array(value, rows_of(inst, t), years, missing)


def apply(
    inst: Instance, t: Target, values: np.ndarray, change: Change, years: np.ndarray
) -> np.ndarray:
    """The values after one change (checked: the result must be a valid parameter)."""
    if change.set is not None:
        if t.kind != "regional" and is_region_map(change.set):
            raise ChangeError(f"{t.path} has no regions", "set a number or {year: number}")
        if t.kind == "number" and isinstance(change.set, dict):
            raise ChangeError(f"{t.path} is one number", "set a number")
        return _valid(t, evaluate(inst, t, change.set, years))
    by = change.multiply if change.multiply is not None else change.add
    if t.kind == "number" and isinstance(by, dict):
        raise ChangeError(f"{t.path} is one number, not a series", "use a plain number")
    factor = np.float64(by) if t.kind == "number" else series_array(by, years)
    return _valid(t, values * factor if change.multiply is not None else values + factor)


def _valid(t: Target, out: np.ndarray) -> np.ndarray:
    """The changed values, checked: a valid value of the parameter (NaN: no limit)."""
    if np.any(out < 0):
        raise ChangeError(f"the change makes {t.path} negative", "use a smaller `add`")
    if t.field == "output_per_capacity" and np.any(out <= 0):
        raise ChangeError(f"the change makes {t.path} zero", "keep output_per_capacity > 0")
    if t.field == "reserve.peak_factor" and np.any(out < 1):
        raise ChangeError(f"the change makes {t.path} below 1", "keep peak_factor >= 1")
    return out


def case_values(inst: Instance, case: str, years: np.ndarray) -> dict[Target, np.ndarray]:
    """Every parameter the case changes, evaluated with all its changes applied in order."""
    out: dict[Target, np.ndarray] = {}
    for i, change in enumerate(inst.scenarios.cases[case].changes if inst.scenarios else []):
        t = target(inst, change.path)
        current = out.get(t)
        if current is None:
            current = evaluate(inst, t, _base(inst, t), years)
        try:
            out[t] = apply(inst, t, current, change, years)
        except ChangeError as exc:
            exc.change = i
            raise
    return out
