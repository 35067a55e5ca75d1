"""Cross-reference checks that a schema alone cannot express (names, regions, MODEL.md §9)."""

from __future__ import annotations

import difflib

import numpy as np

from planner.errors import Problem
from planner.numerics import scaling_warnings
from planner.schema import Instance, RegionalValue
from planner.series import is_region_map, regional_array

MAX_YEARS = 200
"""Longest horizon accepted (years)."""

FULL_REGION_MAP = ("capex", "fixed_om", "variable_om", "output_per_capacity")
"""Technology keys whose region map must list every region of the technology (§9.3)."""
REGIONAL_KEYS = (*FULL_REGION_MAP, "residual", "max_build", "max_capacity", "max_activity")


MAX_LISTED = 20
"""Most names listed in a message (and compared for a spelling suggestion: 20 * 50)."""


def _unknown_name(name: str, kind: str, known: list[str], suggest: bool = True) -> str:
    if not known:
        return f"define '{name}' first: the instance has no {kind}"
    close = []
    if suggest and len(known) <= 50 * MAX_LISTED and len(name) <= 100:
        close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}use one of the {kind}: {_listed(known)}"


def _listed(names: list[str]) -> str:
    """Names joined by commas, at most MAX_LISTED of them."""
    listed = ", ".join(names[:MAX_LISTED])
    if len(names) > MAX_LISTED:
        listed += f", ... ({len(names) - MAX_LISTED:,} more)"
    return listed


def cross_check(inst: Instance) -> tuple[list[Problem], list[Problem]]:
    """All problems (errors) and warnings of a schema-valid instance."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    regions = list(inst.regions)
    commodities = list(inst.commodities)
    resources = list(inst.resources)
    items = commodities + resources

    def _unknown(name: str, kind: str, known: list[str]) -> str:
        # spelling suggestions for the first problems only: difflib is slow on many names
        return _unknown_name(name, kind, known, suggest=len(problems) < MAX_LISTED)

    if inst.years.end - inst.years.start + 1 > MAX_YEARS:
        problems.append(
            Problem(
                "years",
                f"the horizon has {inst.years.end - inst.years.start + 1} years",
                f"use at most {MAX_YEARS} years",
            )
        )
    region_set: set[str] = set()
    for i, region in enumerate(regions):
        if region in region_set:
            problems.append(
                Problem(f"regions.{i}", f"region '{region}' is listed twice", "list it once")
            )
        region_set.add(region)
    for name in resources:
        if name in inst.commodities:
            problems.append(
                Problem(
                    f"resources.{name}",
                    f"'{name}' is both a commodity and a resource",
                    "rename one: inputs refer to either by name",
                )
            )

    def check_regions(value: RegionalValue | None, path: str, allowed: list[str]) -> None:
        if not is_region_map(value):
            return
        allowed_set = region_set if allowed is regions else set(allowed)
        for region in value:  # type: ignore[union-attr]
            if region not in region_set:
                problems.append(
                    Problem(
                        f"{path}.{region}",
                        f"'{region}' is not a region (a quoted year is read as a region name)",
                        _unknown(str(region), "regions", regions)
                        + "; write years as unquoted integers",
                    )
                )
            elif region not in allowed_set:
                warnings.append(
                    Problem(
                        f"{path}.{region}",
                        f"region '{region}' is outside this technology's regions",
                        "the value is ignored; remove it or add the region to `regions`",
                    )
                )

    for name, com in inst.commodities.items():
        check_regions(com.demand, f"commodities.{name}.demand", regions)

    for name, res in inst.resources.items():
        path = f"resources.{name}.limit"
        if res.scope == "global" and is_region_map(res.limit):
            problems.append(
                Problem(
                    path,
                    "a global resource has one limit for all regions, not a region map",
                    "write a number or {year: number}, or set scope: regional",
                )
            )
        else:
            check_regions(res.limit, path, regions)

    for name, tech in inst.technologies.items():
        base = f"technologies.{name}"
        if tech.output not in inst.commodities:
            problems.append(
                Problem(
                    f"{base}.output",
                    f"'{tech.output}' is not a commodity",
                    _unknown(tech.output, "commodities", commodities),
                )
            )
        for kind in ("per_activity", "per_capacity", "per_build"):
            for item in getattr(tech.inputs, kind):
                if item not in inst.commodities and item not in inst.resources:
                    problems.append(
                        Problem(
                            f"{base}.inputs.{kind}.{item}",
                            f"'{item}' is neither a commodity nor a resource",
                            _unknown(item, "commodities and resources", items),
                        )
                    )
        allowed = regions
        if tech.regions is not None:
            allowed = []
            allowed_seen: set[str] = set()
            for i, region in enumerate(tech.regions):
                if region not in region_set:
                    problems.append(
                        Problem(
                            f"{base}.regions.{i}",
                            f"'{region}' is not a region",
                            _unknown(region, "regions", regions),
                        )
                    )
                elif region in allowed_seen:
                    problems.append(
                        Problem(
                            f"{base}.regions.{i}", f"'{region}' is listed twice", "list it once"
                        )
                    )
                else:
                    allowed.append(region)
                    allowed_seen.add(region)
        for key in REGIONAL_KEYS:
            value = getattr(tech, key)
            check_regions(value, f"{base}.{key}", allowed)
            if key in FULL_REGION_MAP and is_region_map(value):
                missing = [r for r in allowed if r not in value]
                if missing:
                    problems.append(
                        Problem(
                            f"{base}.{key}",
                            f"the region map does not list {_listed(missing)}",
                            f"give a value for every region where '{name}' may exist",
                        )
                    )
        if tech.max_capacity is not None and not problems:
            years = np.arange(inst.years.start, inst.years.end + 1)
            cap = regional_array(tech.max_capacity, allowed, years, np.nan)
            res = regional_array(tech.residual, allowed, years, 0.0)
            below = np.argwhere(cap < res - 1e-9)
            if below.size:
                i, j = below[0]
                warnings.append(
                    Problem(
                        f"{base}.max_capacity",
                        f"max_capacity {cap[i, j]:g} is below residual capacity {res[i, j]:g} "
                        f"in {allowed[i]} {years[j]}: the instance is infeasible",
                        "raise max_capacity to at least the residual capacity",
                    )
                )

    for name, link in inst.links.items():
        base = f"links.{name}"
        if link.commodity not in inst.commodities:
            problems.append(
                Problem(
                    f"{base}.commodity",
                    f"'{link.commodity}' is not a commodity",
                    _unknown(link.commodity, "commodities", commodities),
                )
            )
        for key, region in (("from", link.from_), ("to", link.to)):
            if region not in regions:
                problems.append(
                    Problem(
                        f"{base}.{key}",
                        f"'{region}' is not a region",
                        _unknown(region, "regions", regions),
                    )
                )
        if link.from_ == link.to:
            problems.append(
                Problem(f"{base}.to", "a link must join two different regions", "change `to`")
            )
    if not problems:
        warnings += scaling_warnings(inst)
    return problems, warnings
