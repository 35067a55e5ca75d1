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
from planner.model import slice_families as sf
from planner.model import words as w
from planner.model.data import ModelData
from planner.model.linear import Bounds, Keys, Rows


class Kind(StrEnum):
    STRUCTURAL = "structural"
    BALANCE = "balance"
    LIMIT = "limit"


@dataclass(frozen=True)
class Entry:
    """A constraint family (rows) or a bound family (bounds on columns)."""

    name: str
    sense: str  # ">=", "<=" or "==" (bounds: "<=" upper, ">=" lower)
    index: tuple[str, ...]
    kind: Kind
    define: Callable[..., Any] | None
    section: str  # where docs/model.md writes its math
    unit: str = ""  # "resource", "capacity", "output", "link", "commodity", "flexible", "money"
    discounted: bool = True  # shadow price = dual / df(y); False: the dual itself
    label: str = ""  # the row's name in tables when the index names no subject
    words: Callable[[w.Phrase], str] | None = None
    conflict: Callable[[ModelData, dict[str, Any]], w.Conflict] | None = None
    context: str = ""  # structural rows: how the row reads in an IIS
    soft: Callable[[ModelData, Keys], np.ndarray] | None = None  # rows never relaxed
    bound: bool = False
    relax: bool = True  # a LIMIT the infeasibility diagnosis may relax

    def phrase(self, p: w.Phrase) -> str:
        if self.words is not None:
            return self.words(p)
        return f"{p.name}{p.where} {self.name} binding{p.at}, {p.worth}"


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
    conflict=w.balance_conflict,
    soft=w.soft_balance,
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
    conflict=w.resource_conflict,
)
MAX_CAPACITY = Entry(
    "max_capacity",
    "<=",
    TECH,
    Kind.LIMIT,
    f.define_max_capacity,
    "§5.4",
    unit="capacity",
    conflict=w.tech_limit_conflict("max_capacity"),
)
BUILD_GROWTH = Entry(
    "build_growth",
    "<=",
    TECH,
    Kind.LIMIT,
    f.define_build_growth,
    "§5.5",
    unit="capacity",
    words=lambda p: f"{p.name}{p.where} build growth binding, {p.worth} of headroom",
    conflict=w.growth_conflict,
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
    words=w.budget_words("yearly"),
    conflict=lambda d, k: (f"budget.per_year in {k['year']} is too low", "raise budget.per_year"),
)
BUDGET_TOTAL = Entry(
    "budget_total",
    "<=",
    ("scope",),
    Kind.LIMIT,
    f.define_budget_total,
    "§5.7",
    unit="money",
    discounted=False,
    label="budget",
    words=w.budget_words("total"),
    conflict=lambda d, key: ("budget.total is too low", "raise budget.total"),
)
BUILD_UNITS = Entry("build_units", "==", TECH, Kind.STRUCTURAL, f.define_build_units, "§5.8")

MAX_BUILD = Entry(
    "max_build",
    "<=",
    TECH,
    Kind.LIMIT,
    f.define_max_build,
    "§5.25",
    unit="capacity",
    conflict=w.tech_limit_conflict("max_build"),
    bound=True,
)
MAX_ACTIVITY = Entry(
    "max_activity",
    "<=",
    TECH,
    Kind.LIMIT,
    f.define_max_activity,
    "§5.26",
    unit="output",
    conflict=w.tech_limit_conflict("max_activity"),
    bound=True,
)
LINK_CAPACITY = Entry(
    "link_capacity",
    "<=",
    ("link", "region", "year"),
    Kind.LIMIT,
    f.define_link_capacity,
    "§5.27",
    unit="link",
    words=w.link_words,
    conflict=w.link_conflict,
    bound=True,
)
UNSERVED_LIMIT = Entry(
    "unserved_limit",
    "<=",
    ("commodity", "region", "year"),
    Kind.STRUCTURAL,
    f.define_unserved_limit,
    "§5.28",
    bound=True,
)
LEAD_TIME = Entry(
    "lead_time",
    "<=",
    TECH,
    Kind.LIMIT,
    f.define_lead_time,
    "§5.29",
    unit="capacity",
    words=w.lead_time_words,
    bound=True,
)

TECH_SLICE = (*TECH, "period", "slice")
COMMODITY_SLICE = ("commodity", "region", "year", "period", "slice")

SLICE_ACTIVITY_BOUND = Entry(
    "slice_activity_bound",
    "<=",
    TECH_SLICE,
    Kind.STRUCTURAL,
    sf.define_slice_activity_bound,
    "§5.9",
    context="output of {technology} in {year} {period}/{slice} (region {region}) is at most "
    "availability x output_per_capacity x slice weight x capacity",
)
SLICE_BALANCE = Entry(
    "slice_balance",
    ">=",
    COMMODITY_SLICE,
    Kind.BALANCE,
    sf.define_slice_balance,
    "§5.10",
    unit="commodity",
    conflict=w.balance_conflict,
    soft=w.soft_balance,
)
MIN_CAPACITY = Entry(
    "min_capacity",
    ">=",
    TECH,
    Kind.LIMIT,
    f.define_min_capacity,
    "§5.11",
    unit="capacity",
    words=lambda p: (
        f"{p.name}{p.where} min_capacity binding, costing {fmt.number(p.price)} "
        f"{p.money} per extra {p.unit}"
    ),
    conflict=w.min_conflict("min_capacity"),
)
MAX_ACTIVITY_TOTAL = Entry(
    "max_activity_total",
    "<=",
    TECH,
    Kind.LIMIT,
    f.define_max_activity_total,
    "§5.12",
    unit="output",
    words=lambda p: f"{p.name}{p.where} max_activity binding, {p.worth}",
    conflict=w.tech_limit_conflict("max_activity"),
)
MIN_ACTIVITY_TOTAL = Entry(
    "min_activity_total",
    ">=",
    TECH,
    Kind.LIMIT,
    f.define_min_activity_total,
    "§5.13",
    unit="output",
    words=lambda p: (
        f"{p.name}{p.where} min_activity binding, costing "
        f"{fmt.number(p.price)} {p.money} per extra {p.unit}"
    ),
    conflict=w.min_conflict("min_activity"),
)
CHARGE_BOUND = Entry(
    "charge_bound",
    "<=",
    TECH_SLICE,
    Kind.LIMIT,
    sf.define_charge_bound,
    "§5.14",
    unit="output",
    relax=False,
    words=lambda p: (
        f"storage {p.name}{p.where} charges at full power{p.at}, {p.worth} of charging power"
    ),
)
STATE_OF_CHARGE = Entry(
    "state_of_charge", "==", TECH_SLICE, Kind.STRUCTURAL, sf.define_state_of_charge, "§5.15"
)
ENERGY_CAPACITY = Entry(
    "energy_capacity",
    "<=",
    TECH_SLICE,
    Kind.LIMIT,
    sf.define_energy_capacity,
    "§5.16",
    unit="output",
    relax=False,
    words=lambda p: (
        f"storage {p.name}{p.where} full{p.at}: energy capacity (duration) "
        f"binding, {p.worth} stored"
    ),
)
RESERVE_MARGIN = Entry(
    "reserve_margin",
    ">=",
    ("commodity", "region", "year"),
    Kind.LIMIT,
    sf.define_reserve_margin,
    "§5.17",
    unit="commodity",
    conflict=w.reserve_conflict,
    words=lambda p: (
        f"{p.name}{p.where} reserve margin binding, firm capacity worth "
        f"{fmt.number(p.price)} {p.money} per extra {p.unit} of firm output"
    ),
)
SLICE_RESERVE_MARGIN = Entry(
    "slice_reserve_margin",
    ">=",
    COMMODITY_SLICE,
    Kind.LIMIT,
    sf.define_slice_reserve_margin,
    "§5.18",
    unit="commodity",
    conflict=w.reserve_conflict,
    words=lambda p: (
        f"{p.name}{p.where} reserve margin binding{p.at}, firm capacity worth "
        f"{fmt.number(p.price)} {p.money} per extra {p.unit} of firm output"
    ),
)
SHIFT_DOWN_LIMIT = Entry(
    "shift_down_limit",
    "<=",
    TECH_SLICE,
    Kind.LIMIT,
    sf.define_shift_down_limit,
    "§5.19",
    unit="flexible",
    relax=False,
    words=lambda p: (
        f"{p.name}{p.where} shifts as much load away as it may{p.at}, {p.worth} of flexibility"
    ),
)
SHIFT_UP_LIMIT = Entry(
    "shift_up_limit",
    "<=",
    TECH_SLICE,
    Kind.LIMIT,
    sf.define_shift_up_limit,
    "§5.20",
    unit="flexible",
    relax=False,
    words=lambda p: (
        f"{p.name}{p.where} takes as much shifted load as it may{p.at}, {p.worth} of flexibility"
    ),
)
CURTAIL_LIMIT = Entry(
    "curtail_limit",
    "<=",
    TECH_SLICE,
    Kind.LIMIT,
    sf.define_curtail_limit,
    "§5.21",
    unit="flexible",
    relax=False,
    words=lambda p: (
        f"{p.name}{p.where} curtails as much as it may{p.at}, {p.worth} of curtailable load"
    ),
)
SHIFT_BALANCE = Entry(
    "shift_balance", "==", (*TECH, "period"), Kind.STRUCTURAL, sf.define_shift_balance, "§5.22"
)
CURTAIL_CAP = Entry(
    "curtail_cap",
    "<=",
    TECH,
    Kind.LIMIT,
    sf.define_curtail_cap,
    "§5.23",
    unit="flexible",
    relax=False,
    words=lambda p: (
        f"{p.name}{p.where} curtailment at its yearly cap (curtail_max), "
        f"{p.worth} of curtailable load"
    ),
)
MIN_BUILD = Entry(
    "min_build",
    ">=",
    TECH,
    Kind.LIMIT,
    f.define_min_build,
    "§5.30",
    unit="capacity",
    words=lambda p: (
        f"{p.name}{p.where} min_build binding, costing {fmt.number(p.price)} "
        f"{p.money} per extra {p.unit}"
    ),
    conflict=w.min_conflict("min_build"),
    bound=True,
)
MIN_ACTIVITY = Entry(
    "min_activity",
    ">=",
    TECH,
    Kind.LIMIT,
    f.define_min_activity,
    "§5.31",
    unit="output",
    words=lambda p: (
        f"{p.name}{p.where} min_activity binding, costing "
        f"{fmt.number(p.price)} {p.money} per extra {p.unit}"
    ),
    conflict=w.min_conflict("min_activity"),
    bound=True,
)
SLICE_LINK_CAPACITY = Entry(
    "slice_link_capacity",
    "<=",
    ("link", "region", "year", "period", "slice"),
    Kind.LIMIT,
    sf.define_slice_link_capacity,
    "§5.32",
    unit="link",
    words=w.link_words,
    conflict=w.link_conflict,
    bound=True,
)
SLICE_UNSERVED_LIMIT = Entry(
    "slice_unserved_limit",
    "<=",
    COMMODITY_SLICE,
    Kind.STRUCTURAL,
    sf.define_slice_unserved_limit,
    "§5.33",
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
    SLICE_ACTIVITY_BOUND,
    SLICE_BALANCE,
    MIN_CAPACITY,
    MAX_ACTIVITY_TOTAL,
    MIN_ACTIVITY_TOTAL,
    CHARGE_BOUND,
    STATE_OF_CHARGE,
    ENERGY_CAPACITY,
    RESERVE_MARGIN,
    SLICE_RESERVE_MARGIN,
    SHIFT_DOWN_LIMIT,
    SHIFT_UP_LIMIT,
    CURTAIL_LIMIT,
    SHIFT_BALANCE,
    CURTAIL_CAP,
)
"""Constraint families, in the order their rows are built (the annual model's first, so an
instance without the extensions has exactly the annual model's rows, in its order)."""

CVAR_EXCESS = Entry(
    "cvar_excess",
    ">=",
    ("scenario",),
    Kind.STRUCTURAL,
    None,  # written for the two-stage programme by `planner.model.stochastic.define_cvar_excess`
    "§5.24",
    context="the excess cost of case {scenario} over the value at risk θ",
)
"""a_s + θ - Z_s >= 0 of the CVaR (§17): rows of the programme, not of one case's model."""

BOUNDS: tuple[Entry, ...] = (
    MAX_BUILD,
    MAX_ACTIVITY,
    LINK_CAPACITY,
    UNSERVED_LIMIT,
    LEAD_TIME,
    MIN_BUILD,
    MIN_ACTIVITY,
    SLICE_LINK_CAPACITY,
    SLICE_UNSERVED_LIMIT,
)
"""Bound families: upper (or lower) bounds on columns."""

ENTRIES: dict[str, Entry] = {e.name: e for e in (*FAMILIES, *BOUNDS, CVAR_EXCESS)}


def entry(name: str) -> Entry:
    """The entry of a family by name."""
    return ENTRIES[name]


Phrase = w.Phrase

__all__ = ["BOUNDS", "ENTRIES", "FAMILIES", "Bounds", "Entry", "Kind", "Phrase", "Rows", "entry"]
