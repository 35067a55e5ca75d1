"""Cross-reference checks that a schema alone cannot express (names, regions, conventions of
docs/model.md §8): each section of the instance has its own method."""

from __future__ import annotations

import numpy as np

from planner.errors import Problem
from planner.instance.check_extensions import check_extensions
from planner.instance.checking import Checker, listed
from planner.instance.scaling import scaling_warnings
from planner.instance.schema import Instance, RegionalValue, Technology
from planner.instance.series import is_region_map, regional_array

MAX_YEARS = 200
"""Longest horizon accepted (years)."""

FULL_REGION_MAP = ("capex", "fixed_om", "variable_om", "output_per_capacity")
"""Technology keys whose region map must list every region of the technology."""
REGIONAL_KEYS = (
    *FULL_REGION_MAP, "residual", "max_build", "max_capacity", "max_activity", "min_build",
    "min_capacity", "min_activity", "firm_capacity",
)  # fmt: skip


class _Checker(Checker):
    """The annual model's sections (docs/model.md §1-§9)."""

    def horizon_and_names(self) -> None:
        inst = self.inst
        span = inst.years.end - inst.years.start + 1
        if span > MAX_YEARS:
            self.problems.append(
                Problem("years", f"the horizon has {span} years", f"use at most {MAX_YEARS} years")
            )
        seen: set[str] = set()
        for i, region in enumerate(self.regions):
            if region in seen:
                self.problems.append(
                    Problem(f"regions.{i}", f"region '{region}' is listed twice", "list it once")
                )
            seen.add(region)
        for name in inst.resources:
            if name in inst.commodities:
                self.problems.append(
                    Problem(
                        f"resources.{name}",
                        f"'{name}' is both a commodity and a resource",
                        "rename one: inputs refer to either by name",
                    )
                )

    def region_map(self, value: RegionalValue | None, path: str, allowed: list[str]) -> None:
        """Keys of a region map must be regions; those outside `allowed` are ignored."""
        if not is_region_map(value):
            return
        allowed_set = self.region_set if allowed is self.regions else set(allowed)
        for region in value:  # type: ignore[union-attr]
            if region not in self.region_set:
                self.problems.append(
                    Problem(
                        f"{path}.{region}",
                        f"'{region}' is not a region (a quoted year is read as a region name)",
                        self.unknown(str(region), "regions", self.regions)
                        + "; write years as unquoted integers",
                    )
                )
            elif region not in allowed_set:
                self.warnings.append(
                    Problem(
                        f"{path}.{region}",
                        f"region '{region}' is outside this technology's regions",
                        "the value is ignored; remove it or add the region to `regions`",
                    )
                )

    def commodities_and_resources(self) -> None:
        for name, com in self.inst.commodities.items():
            self.region_map(com.demand, f"commodities.{name}.demand", self.regions)
        for name, res in self.inst.resources.items():
            path = f"resources.{name}.limit"
            if res.scope == "global" and is_region_map(res.limit):
                self.problems.append(
                    Problem(
                        path,
                        "a global resource has one limit for all regions, not a region map",
                        "write a number or {year: number}, or set scope: regional",
                    )
                )
            else:
                self.region_map(res.limit, path, self.regions)

    def technology(self, name: str, tech: Technology) -> None:
        base = f"technologies.{name}"
        inst = self.inst
        if tech.output not in inst.commodities:
            self.problems.append(
                Problem(
                    f"{base}.output",
                    f"'{tech.output}' is not a commodity",
                    self.unknown(tech.output, "commodities", list(inst.commodities)),
                )
            )
        items = list(inst.commodities) + list(inst.resources)
        for kind in ("per_activity", "per_capacity", "per_build"):
            for item in getattr(tech.inputs, kind):
                if item not in inst.commodities and item not in inst.resources:
                    self.problems.append(
                        Problem(
                            f"{base}.inputs.{kind}.{item}",
                            f"'{item}' is neither a commodity nor a resource",
                            self.unknown(item, "commodities and resources", items),
                        )
                    )
        allowed = self.own_regions(base, tech)
        for key in REGIONAL_KEYS:
            value = getattr(tech, key)
            self.region_map(value, f"{base}.{key}", allowed)
            if key in FULL_REGION_MAP and is_region_map(value):
                missing = [r for r in allowed if r not in value]
                if missing:
                    self.problems.append(
                        Problem(
                            f"{base}.{key}",
                            f"the region map does not list {listed(missing)}",
                            f"give a value for every region where '{name}' may exist",
                        )
                    )
        if tech.max_capacity is not None and not self.problems:
            self.capacity_below_residual(base, tech, allowed)

    def own_regions(self, base: str, tech: Technology) -> list[str]:
        """The technology's regions (all, or its valid `regions` list)."""
        if tech.regions is None:
            return self.regions
        allowed: list[str] = []
        seen: set[str] = set()
        for i, region in enumerate(tech.regions):
            if region not in self.region_set:
                self.problems.append(
                    Problem(
                        f"{base}.regions.{i}",
                        f"'{region}' is not a region",
                        self.unknown(region, "regions", self.regions),
                    )
                )
            elif region in seen:
                self.problems.append(
                    Problem(f"{base}.regions.{i}", f"'{region}' is listed twice", "list it once")
                )
            else:
                allowed.append(region)
                seen.add(region)
        return allowed

    def capacity_below_residual(self, base: str, tech: Technology, allowed: list[str]) -> None:
        """max_capacity below residual capacity makes the instance infeasible: warn."""
        years = np.arange(self.inst.years.start, self.inst.years.end + 1)
        cap = regional_array(tech.max_capacity, allowed, years, np.nan)
        res = regional_array(tech.residual, allowed, years, 0.0)
        below = np.argwhere(cap < res - 1e-9)
        if below.size:
            i, j = below[0]
            self.warnings.append(
                Problem(
                    f"{base}.max_capacity",
                    f"max_capacity {cap[i, j]:g} is below residual capacity {res[i, j]:g} "
                    f"in {allowed[i]} {years[j]}: the instance is infeasible",
                    "raise max_capacity to at least the residual capacity",
                )
            )

    def links(self) -> None:
        inst = self.inst
        for name, link in inst.links.items():
            base = f"links.{name}"
            if link.commodity not in inst.commodities:
                self.problems.append(
                    Problem(
                        f"{base}.commodity",
                        f"'{link.commodity}' is not a commodity",
                        self.unknown(link.commodity, "commodities", list(inst.commodities)),
                    )
                )
            for key, region in (("from", link.from_), ("to", link.to)):
                if region not in self.region_set:
                    self.problems.append(
                        Problem(
                            f"{base}.{key}",
                            f"'{region}' is not a region",
                            self.unknown(region, "regions", self.regions),
                        )
                    )
            if link.from_ == link.to:
                self.problems.append(
                    Problem(f"{base}.to", "a link must join two different regions", "change `to`")
                )


def cross_check(inst: Instance) -> tuple[list[Problem], list[Problem]]:
    """All problems (errors) and warnings of a schema-valid instance."""
    check = _Checker(inst)
    check.horizon_and_names()
    check.commodities_and_resources()
    for name, tech in inst.technologies.items():
        check.technology(name, tech)
    check.links()
    if not check.problems:
        check_extensions(check)
    if not check.problems:
        check.warnings += scaling_warnings(inst)
    return check.problems, check.warnings
