"""How the registry's rows read in words: sentences for `planner explain` (`Phrase`) and
what cannot hold, with a fix, for the infeasibility diagnosis (`Conflict`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner import fmt
from planner.model.data import ModelData
from planner.model.info import ModelInfo
from planner.model.linear import Keys


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
    slice: str = ""  # "period/slice" for a row of one time slice

    @property
    def where(self) -> str:
        return f" ({self.region})" if self.region else ""

    @property
    def at(self) -> str:
        return f" in {self.slice}" if self.slice else ""

    @property
    def worth(self) -> str:
        return f"worth {fmt.number(self.price)} {self.money} per extra {self.unit}"


Conflict = tuple[str, str]
"""(what cannot hold, the fix) for one row, in the instance's words."""


def budget_words(which: str) -> Callable[[Phrase], str]:
    def words(p: Phrase) -> str:
        return (
            f"{which} budget binding: one more {p.money} of spending saves "
            f"{fmt.number(p.price)} {p.money} (discounted)"
        )

    return words


def lead_time_words(p: Phrase) -> str:
    lead = int(p.info.technologies[p.name]["lead_time"]) if p.info else 0
    first = (p.info.years[0] if p.info else 0) + lead
    return (
        f"{p.name}{p.where} cannot be commissioned before {first} "
        f"(lead time {lead} y); one more {p.unit} commissioned in {p.year} "
        f"would save {fmt.number(p.price)} {p.money}"
    )


def balance_conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
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


def resource_conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
    p, r, y = key["resource"], key["region"], key["year"]
    where = "global" if d.is_global(p) else f"region {r}"
    return f"resource {p} ({where}) limit in {y} is too low", f"raise resources.{p}.limit for {y}"


def tech_limit_conflict(field: str) -> Callable[[ModelData, dict[str, Any]], Conflict]:
    def conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
        k, r, y = key["technology"], key["region"], key["year"]
        return (
            f"technologies.{k}.{field} in {y} (region {r}) is too low",
            f"raise technologies.{k}.{field}",
        )

    return conflict


def min_conflict(field: str) -> Callable[[ModelData, dict[str, Any]], Conflict]:
    def conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
        k, r, y = key["technology"], key["region"], key["year"]
        return (
            f"technologies.{k}.{field} in {y} (region {r}) cannot be met (a commitment that "
            "conflicts with a maximum, a lead time or a limit upstream)",
            f"lower technologies.{k}.{field}, or relax the limit it runs into",
        )

    return conflict


def reserve_conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
    c, r, y = key["commodity"], key["region"], key["year"]
    return (
        f"the reserve margin of {c} in {y} (region {r}) cannot be met by firm capacity",
        f"raise firm_capacity or the build limits of firm technologies producing {c}, or "
        f"lower commodities.{c}.reserve.margin",
    )


def growth_conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
    k, r, y = key["technology"], key["region"], key["year"]
    return (
        f"technologies.{k}.build_growth limits builds in {y} (region {r})",
        f"raise technologies.{k}.build_growth.headroom or rate",
    )


def link_words(p: Phrase) -> str:
    return f"link {p.name}{p.where} capacity binding, {p.worth} carried"


def link_conflict(d: ModelData, key: dict[str, Any]) -> Conflict:
    link, route, y = key["link"], key["region"], key["year"]
    return f"links.{link} capacity {route} in {y} is too low", f"raise links.{link}.capacity"


def soft_balance(d: ModelData, keys: Keys) -> np.ndarray:
    """Balances of commodities with `unmet_cost`: their demand may go unserved anyway."""
    return np.isin(keys.fields["commodity"], list(d.unmet_cost))
