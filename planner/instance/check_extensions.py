"""Cross-checks of the extensions (docs/model.md §11-§17): time slices and profiles,
storage, flexible load, reserves, minimum limits, end effects, foresight and scenarios."""

from __future__ import annotations

import numpy as np

from planner.errors import Problem
from planner.instance.changes import ChangeError, case_values, target
from planner.instance.checking import Checker
from planner.instance.schema import Technology
from planner.instance.series import model_years, regional_array, series_array

MAX_YEARS = 200
"""Longest horizon accepted, extension years included."""
PROBABILITY_TOL = 1e-9


def _profile(check: Checker, name: str, path: str) -> bool:
    """Whether `name` (named at `path`) is a profile of the time block; else a problem."""
    time = check.inst.time
    known = list(time.profiles) if time is not None else []
    if name not in known:
        check.problems.append(
            Problem(path, f"'{name}' is not a profile", check.unknown(name, "profiles", known))
        )
        return False
    return True


def _profiles(check: Checker) -> None:
    """Every period listed, one value per slice."""
    time = check.inst.time
    if time is None:
        return
    periods = list(time.periods)
    for name, values in time.profiles.items():
        base = f"time.profiles.{name}"
        for period, listed in values.items():
            if period not in time.periods:
                check.problems.append(
                    Problem(
                        f"{base}.{period}",
                        f"'{period}' is not a period",
                        check.unknown(period, "periods", periods),
                    )
                )
                continue
            slices = len(time.periods[period].slices)
            if len(listed) != slices:
                check.problems.append(
                    Problem(
                        f"{base}.{period}",
                        f"has {len(listed)} values but period '{period}' has {slices} slices",
                        f"give exactly {slices} values, one per slice in the order written",
                    )
                )
        for period in (p for p in periods if p not in values):
            check.problems.append(
                Problem(
                    base,
                    f"the profile does not list period '{period}'",
                    f"give one value per slice for every period, e.g. {period}: [...]",
                )
            )


def _all_zero(check: Checker, name: str) -> bool:
    time = check.inst.time
    assert time is not None
    return all(v == 0 for values in time.profiles[name].values() for v in values)


def _reserves(check: Checker) -> None:
    """A peak factor is at least 1 (§13)."""
    for c, com in check.inst.commodities.items():
        if com.reserve is None:
            continue
        peak = series_array(com.reserve.peak_factor, model_years(check.inst))
        if (peak < 1).any():
            check.problems.append(
                Problem(
                    f"commodities.{c}.reserve.peak_factor",
                    f"must be >= 1, got {peak.min():g}",
                    "use a peak factor >= 1 (1: the load of the slice itself)",
                )
            )


def _commodity_profiles(check: Checker) -> None:
    for c, com in check.inst.commodities.items():
        path = f"commodities.{c}.profile"
        if com.profile is None or not _profile(check, com.profile, path):
            continue
        if com.balance != "slice":
            check.problems.append(
                Problem(
                    path,
                    f"a profile shapes a slice commodity's demand, but {c} is balanced per year",
                    "set balance: slice, or remove profile",
                )
            )
        elif _all_zero(check, com.profile):
            check.problems.append(_zero(com.profile, path))


def _zero(name: str, path: str) -> Problem:
    return Problem(
        f"time.profiles.{name}",
        f"profile '{name}' is zero in every slice, so it cannot be normalised (used by {path})",
        "give the profile a positive value in some slice",
    )


def _technology_profiles(check: Checker, k: str, tech: Technology) -> None:
    base = f"technologies.{k}"
    output = check.inst.commodities[tech.output]
    slice_ = output.balance == "slice"
    if tech.availability is not None and _profile(check, tech.availability, f"{base}.availability"):
        if not slice_:
            check.warnings.append(
                Problem(
                    f"{base}.availability",
                    f"ignored: {k}'s output {tech.output} is balanced per year",
                    f"remove it, or set commodities.{tech.output}.balance: slice",
                )
            )
        else:
            _availability_within_one(check, tech.availability, f"{base}.availability")
    if tech.use_profile is not None and _profile(check, tech.use_profile, f"{base}.use_profile"):
        if slice_:
            check.warnings.append(
                Problem(
                    f"{base}.use_profile",
                    f"ignored: {k} is a slice technology (its output {tech.output} is balanced "
                    "per slice, so its use follows its activity)",
                    "remove it",
                )
            )
        elif _all_zero(check, tech.use_profile):
            check.problems.append(_zero(tech.use_profile, f"{base}.use_profile"))


def _availability_within_one(check: Checker, name: str, path: str) -> None:
    time = check.inst.time
    assert time is not None
    for period, values in time.profiles[name].items():
        if values and max(values) > 1:
            check.problems.append(
                Problem(
                    f"time.profiles.{name}.{period}",
                    f"availability profile '{name}' has {max(values):g} > 1 (used by {path})",
                    "availability is a share of capacity: use values in [0, 1]",
                )
            )
            return


def _storage_and_flexibility(check: Checker, k: str, tech: Technology) -> None:
    base = f"technologies.{k}"
    inst = check.inst
    if tech.storage is not None:
        if inst.commodities[tech.output].balance != "slice":
            check.problems.append(
                Problem(
                    f"{base}.storage",
                    f"storage needs a slice commodity, but {tech.output} is balanced per year",
                    f"set commodities.{tech.output}.balance: slice (with a `time` block)",
                )
            )
        elif inst.time is None:
            check.warnings.append(
                Problem(
                    f"{base}.storage",
                    "the instance has no `time` block: with one slice, storage cannot shift "
                    "anything",
                    "add a time block (`planner aggregate` makes one from hourly data)",
                )
            )
    flex = tech.flexibility
    if flex is None:
        return
    path = f"{base}.flexibility.commodity"
    if flex.commodity not in inst.commodities:
        known = list(inst.commodities)
        check.problems.append(
            Problem(
                path,
                f"'{flex.commodity}' is not a commodity",
                check.unknown(flex.commodity, "commodities", known),
            )
        )
    elif inst.commodities[flex.commodity].balance != "slice":
        check.problems.append(
            Problem(
                path,
                f"flexible load needs a slice commodity, but {flex.commodity} is balanced per year",
                f"set commodities.{flex.commodity}.balance: slice",
            )
        )
    elif not any(flex.commodity in getattr(tech.inputs, kind) for kind in _KINDS):
        check.problems.append(
            Problem(
                path,
                f"{k} does not use {flex.commodity}",
                f"add {flex.commodity} to technologies.{k}.inputs, or name a commodity it uses",
            )
        )


_KINDS = ("per_activity", "per_capacity", "per_build")


def _minimum_limits(check: Checker, k: str, tech: Technology, years: np.ndarray) -> None:
    """Warnings where a minimum cannot hold: above its maximum, or before the lead time."""
    regions = [r for r in check.regions if tech.regions is None or r in tech.regions]
    base = f"technologies.{k}"
    for low, high in (
        ("min_build", "max_build"),
        ("min_capacity", "max_capacity"),
        ("min_activity", "max_activity"),
    ):
        if getattr(tech, low) is None:
            continue
        lo = regional_array(getattr(tech, low), regions, years, 0.0)
        hi = regional_array(getattr(tech, high), regions, years, np.inf)
        with np.errstate(over="ignore", invalid="ignore"):
            above = np.argwhere(lo > np.nan_to_num(hi, nan=np.inf) * (1 + 1e-9) + 1e-12)
        if above.size:
            i, j = above[0]
            check.warnings.append(
                Problem(
                    f"{base}.{low}",
                    f"{low} {lo[i, j]:g} is above {high} {hi[i, j]:g} in {regions[i]} "
                    f"{years[j]}: the instance is infeasible",
                    f"lower {low} or raise {high}",
                )
            )
    first = int(years[0]) + tech.lead_time
    early = years < first
    if tech.min_build is not None and early.any():
        lo = regional_array(tech.min_build, regions, years, 0.0)
        hit = np.argwhere((lo > 0) & early[None, :])
        if hit.size:
            i, j = hit[0]
            check.warnings.append(
                Problem(
                    f"{base}.min_build",
                    f"min_build {lo[i, j]:g} in {regions[i]} {years[j]} falls before {k} can be "
                    f"commissioned ({first}, lead time {tech.lead_time}): the instance is "
                    "infeasible",
                    f"move the commitment to {first} or later, or put plants already under "
                    "construction in residual",
                )
            )


def _horizon_and_foresight(check: Checker) -> None:
    inst = check.inst
    years = model_years(inst)
    if len(years) > MAX_YEARS:
        check.problems.append(
            Problem(
                "end_effects.extend_years",
                f"the horizon and its extension have {len(years)} years",
                f"use at most {MAX_YEARS} years in all",
            )
        )
    fs = inst.foresight
    if fs is None or fs.mode != "myopic":
        return
    if inst.scenarios is not None:
        check.problems.append(
            Problem(
                "foresight",
                "myopic foresight cannot be combined with scenarios",
                "remove foresight or scenarios: a two-stage programme already says what is "
                "known when",
            )
        )
    assert fs.window is not None and fs.step is not None
    for k, tech in inst.technologies.items():
        if fs.step > fs.window - tech.lead_time:
            check.warnings.append(
                Problem(
                    "foresight.step",
                    f"step {fs.step} > window {fs.window} - lead time {tech.lead_time} of {k}: "
                    "some of its builds can never be decided (they fall between windows and "
                    "stay 0)",
                    f"use step <= {max(fs.window - tech.lead_time, 1)} or a longer window",
                )
            )
            return


def _scenarios(check: Checker) -> None:
    inst = check.inst
    sc = inst.scenarios
    if sc is None:
        return
    total = sum(case.probability for case in sc.cases.values())
    if abs(total - 1) > PROBABILITY_TOL:
        check.problems.append(
            Problem(
                "scenarios.cases",
                f"the probabilities sum to {total:.12g}, not 1",
                "make the case probabilities sum to 1 (within 1e-9)",
            )
        )
    years = model_years(inst)
    for name, case in sc.cases.items():
        for i, change in enumerate(case.changes):
            try:
                target(inst, change.path)
            except ChangeError as exc:
                path = f"scenarios.cases.{name}.changes.{i}.path"
                check.problems.append(Problem(path, exc.message, exc.fix))
        if not check.problems:
            try:
                case_values(inst, name, years)
            except ChangeError as exc:
                where = f"scenarios.cases.{name}" + (
                    "" if exc.change is None else f".changes.{exc.change}"
                )
                check.problems.append(Problem(where, exc.message, exc.fix))
    y0, yn = inst.years.start, inst.years.end
    if sc.branch_year <= y0 or sc.branch_year > yn:
        shared = (
            "nothing (each case is solved on its own)"
            if sc.branch_year <= y0
            else ("every decision (the plan for the expected case)")
        )
        check.warnings.append(
            Problem(
                "scenarios.branch_year",
                f"branch_year {sc.branch_year} lies outside {y0 + 1}..{yn}: the cases share "
                f"{shared}",
                f"set branch_year between {y0 + 1} and {yn} to hedge the first years"
                if yn > y0
                else "add years to the horizon: a one-year plan has no first stage to hedge",
            )
        )


def check_extensions(check: Checker) -> None:
    """Every check of the extensions, into `check`."""
    _profiles(check)
    _commodity_profiles(check)
    _reserves(check)
    years = model_years(check.inst)
    for k, tech in check.inst.technologies.items():
        _technology_profiles(check, k, tech)
        _storage_and_flexibility(check, k, tech)
        _minimum_limits(check, k, tech, years)
    _horizon_and_foresight(check)
    _scenarios(check)
