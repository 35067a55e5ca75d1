"""The registry: every constraint family and bound family of the model, declared once.

Each entry names a family, its sense, its index fields, its kind, whether its dual is
discounted, the unit of the quantity it limits, how one of its rows reads in words (for
`planner explain` and the report) and what to do when it cannot hold (for the
infeasibility diagnosis), and the `define_` function that writes its rows. The model is
built by calling the entries in order (`planner.model.assemble`); results, prices,
explanations, the diagnosis and the report read the entries. Adding a family is one entry
here plus one `define_` function in `planner.model.families`.

Kinds: STRUCTURAL rows and bounds tie the model together (activity within capacity);
BALANCE rows are the commodity balances (their duals are prices); LIMIT rows and bounds
are limits of the instance that a planner can argue about (their duals are shadow prices,
ranked by `planner explain`, and they are what the diagnosis relaxes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from planner import fmt
from planner.model import families as f
from planner.model.data import ModelData
from planner.model.info import ModelInfo
from planner.model.linear import Bounds, Keys, Rows


class Kind(StrEnum):
    STRUCTURAL = "structural"
    BALANCE = "balance"
    LIMIT = "limit"


@dataclass(frozen=True)
class Phrase:
    """One row of a limit in words: what a sentence about it needs."""

    name: str
    region: str
    year: int | None
    price: float
    unit: str
    money: str
    info: ModelInfo | None

    @property
    def where(self) -> str:
        return f" ({self.region})" if self.region else ""

    @property
    def worth(self) -> str:
        return f"worth {fmt.number(self.price)} {self.money} per extra {self.unit}"


Conflict = tuple[str, str]
"""(what cannot hold, the fix) for one row, in the instance's words."""


@dataclass(frozen=True)
class Entry:
    """A constraint family (rows) or a bound family (bounds on columns)."""

    name: str
    sense: str  # ">=", "<=" or "==" (bounds: "<=" upper, ">=" lower)
    index: tuple[str, ...]
    kind: Kind
    define: Callable[[ModelData], Any]
    section: str  # where docs/model.md writes its math
    unit: str = ""  # "resource", "capacity", "output", "link", "commodity", "money"
    discounted: bool = True  # shadow price = dual / df(y); False: the dual itself
    label: str = ""  # the row's name in tables when the index names no subject
    words: Callable[[Phrase], str] | None = None
    conflict: Callable[[ModelData, dict[str, Any]], Conflict] | None = None
    context: str = ""  # structural rows: how the row reads in an IIS
    soft: Callable[[ModelData, Keys], np.ndarray] | None = None  # rows never relaxed
    bound: bool = False

    def phrase(self, p: Phrase) -> str:
        if self.words is not None:
            return self.words(p)
        return f"{p.name}{p.where} {self.name} binding, {p.worth}"


# --- words ---------------------------------------------------------------------------------


def _budget_words(which: str) -> Callable[[Phrase], str]:
    def words(p: Phrase) -> str:
        return (
            f"{which} budget binding: one more {p.money} of spending saves "
            f"{fmt.number(p.price)} {p.money} (discounted)"
        )

    return words


def _lead_time_words(p: Phrase) -> str:
    lead = int(p.info.technologies[p.name]["lead_time"]) if p.info else 0
    first = (p.info.years[0] if p.info else 0) + lead
    return (
        f"{p.name}{p.where} cannot be commissioned before {first} "
        f"(lead time {lead} y); one more {p.unit} commissioned in {p.year} "
        f"would save {fmt.number(p.price)} {p.money}"
    )


# --- conflicts -----------------------------------------------------------------------------


def _balance_conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
    c, r, y = key["commodity"], key["region"], int(key["year"])
    j = y - int(d.years[0])
    notes = []
    for t in (t for t in d.techs if t.output == c and r in t.regions):
        first = int(d.years[0]) + t.lead_time
        residual = t.residual[t.regions.index(r), j]
        notes.append(
            f"{t.name}: lead time {t.lead_time} (first new capacity {first}), residual {residual:g}"
        )
    context = "; ".join(notes) if notes else "no technology produces it in this region"
    demand = d.demand[c][d.regions.index(r), j]
    what = f"hard demand for {c}" if demand > 0 else f"the supply of {c} for what uses it"
    return (
        f"{what} in {y} (region {r}) cannot be met: {context}",
        f"add `unmet_cost` to commodities.{c}, add residual capacity or start earlier, "
        "or relax the limits upstream",
    )


def _resource_conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
    p, r, y = key["resource"], key["region"], key["year"]
    where = "global" if d.is_global(p) else f"region {r}"
    return f"resource {p} ({where}) limit in {y} is too low", f"raise resources.{p}.limit for {y}"


def _tech_limit_conflict(field: str) -> Callable[[ModelData, dict[str, Any]], Conflict]:
    def conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
        k, r, y = key["technology"], key["region"], key["year"]
        return (
            f"technologies.{k}.{field} in {y} (region {r}) is too low",
            f"raise technologies.{k}.{field}",
        )

    return conflict


def _growth_conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
    k, r, y = key["technology"], key["region"], key["year"]
    return (
        f"technologies.{k}.build_growth limits builds in {y} (region {r})",
        f"raise technologies.{k}.build_growth.headroom or rate",
    )


def _link_words(p: Phrase) -> str:
    return f"link {p.name}{p.where} capacity binding, {p.worth} carried"


def _link_conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
    link, route, y = key["link"], key["region"], key["year"]
    return f"links.{link} capacity {route} in {y} is too low", f"raise links.{link}.capacity"


def _soft_balance(d: ModelData, keys: Keys) -> np.ndarray:
    """Balances of commodities with `unmet_cost`: their demand may go unserved anyway."""
    return np.isin(keys.fields["commodity"], list(d.unmet_cost))


TECH = ("technology", "region", "year")

ACTIVITY_BOUND = Entry(
    "activity_bound",
    "<=",
    TECH,
    Kind.STRUCTURAL,
    f.define_activity_bound,
    "§5.1",
    context="output of {technology} in {year} (region {region}) is at most "
    "output_per_capacity x capacity",
)
BALANCE = Entry(
    "balance",
    ">=",
    ("commodity", "region", "year"),
    Kind.BALANCE,
    f.define_commodity_balance,
    "§5.2",
    unit="commodity",
    conflict=_balance_conflict,
    soft=_soft_balance,
)
RESOURCE_LIMIT = Entry(
    "resource_limit",
    "<=",
    ("resource", "region", "year"),
    Kind.LIMIT,
    f.define_resource_limit,
    "§5.3",
    unit="resource",
    words=lambda p: f"{p.name}{p.where} limit binding, {p.worth}",
    conflict=_resource_conflict,
)
MAX_CAPACITY = Entry(
    "max_capacity",
    "<=",
    TECH,
    Kind.LIMIT,
    f.define_max_capacity,
    "§5.4",
    unit="capacity",
    conflict=_tech_limit_conflict("max_capacity"),
)
BUILD_GROWTH = Entry(
    "build_growth",
    "<=",
    TECH,
    Kind.LIMIT,
    f.define_build_growth,
    "§5.4",
    unit="capacity",
    words=lambda p: f"{p.name}{p.where} build growth binding, {p.worth} of headroom",
    conflict=_growth_conflict,
)
BUDGET_YEAR = Entry(
    "budget_year",
    "<=",
    ("year",),
    Kind.LIMIT,
    f.define_budget_year,
    "§5.6",
    unit="money",
    discounted=False,
    label="budget",
    words=_budget_words("yearly"),
    conflict=lambda d, k: (f"budget.per_year in {k['year']} is too low", "raise budget.per_year"),
)
BUDGET_TOTAL = Entry(
    "budget_total",
    "<=",
    ("scope",),
    Kind.LIMIT,
    f.define_budget_total,
    "§5.6",
    unit="money",
    discounted=False,
    label="budget",
    words=_budget_words("total"),
    conflict=lambda d, key: ("budget.total is too low", "raise budget.total"),
)
BUILD_UNITS = Entry("build_units", "==", TECH, Kind.STRUCTURAL, f.define_build_units, "§3")

MAX_BUILD = Entry(
    "max_build",
    "<=",
    TECH,
    Kind.LIMIT,
    f.define_max_build,
    "§5.4",
    unit="capacity",
    conflict=_tech_limit_conflict("max_build"),
    bound=True,
)
MAX_ACTIVITY = Entry(
    "max_activity",
    "<=",
    TECH,
    Kind.LIMIT,
    f.define_max_activity,
    "§5.4",
    unit="output",
    conflict=_tech_limit_conflict("max_activity"),
    bound=True,
)
LINK_CAPACITY = Entry(
    "link_capacity",
    "<=",
    ("link", "region", "year"),
    Kind.LIMIT,
    f.define_link_capacity,
    "§5.5",
    unit="link",
    words=_link_words,
    conflict=_link_conflict,
    bound=True,
)
UNSERVED_LIMIT = Entry(
    "unserved_limit",
    "<=",
    ("commodity", "region", "year"),
    Kind.STRUCTURAL,
    f.define_unserved_limit,
    "§8.4",
    bound=True,
)
LEAD_TIME = Entry(
    "lead_time",
    "<=",
    TECH,
    Kind.LIMIT,
    f.define_lead_time,
    "§3",
    unit="capacity",
    words=_lead_time_words,
    bound=True,
)

FAMILIES: tuple[Entry, ...] = (
    ACTIVITY_BOUND,
    BALANCE,
    RESOURCE_LIMIT,
    MAX_CAPACITY,
    BUILD_GROWTH,
    BUDGET_YEAR,
    BUDGET_TOTAL,
    BUILD_UNITS,
)
"""Constraint families, in the order their rows are built."""

BOUNDS: tuple[Entry, ...] = (MAX_BUILD, MAX_ACTIVITY, LINK_CAPACITY, UNSERVED_LIMIT, LEAD_TIME)
"""Bound families: upper (or lower) bounds on columns."""

ENTRIES: dict[str, Entry] = {e.name: e for e in FAMILIES + BOUNDS}


def entry(name: str) -> Entry:
    """The entry of a family by name."""
    return ENTRIES[name]


__all__ = ["BOUNDS", "ENTRIES", "FAMILIES", "Bounds", "Entry", "Kind", "Phrase", "Rows", "entry"]
