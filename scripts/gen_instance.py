"""Seeded generator of valid, feasible planning instances (MODEL.md section 10 format).

    python scripts/gen_instance.py --regions 3 --years 10 --techs 2 --seed 1 [--milp] -o out.yaml
    python scripts/gen_instance.py --slices 4 24 --storage --reserve --flexibility \
        --min-limits --extend-years 5 --scenarios 10 --risk 0.3 -o out.yaml

writes the instance as YAML and prints the expected number of columns.

Every feature of MODEL.md appears: year and region series (with interpolation and
extrapolation), per-technology discount rates, lead times 0-3, lifetimes 1-30,
residual capacity, per_activity / per_capacity / per_build inputs of commodities and
resources (regional and global, with and without limit), max_build / max_capacity /
max_activity, build_growth, technology region subsets, links (directed and
bidirectional, with loss, cost and capacity), budgets and, with ``milp=True``,
unit sizes.

Feasibility is built in: the first technology of each layer is a "backbone" (every
region, no lead time, no limits). The generator computes, from the top of the stack
(tokens) down, the consumption that cannot be avoided when nothing is built (hard
electricity demand plus the per_capacity inputs of residual capacity and the inputs of
the backbones' activity needed to supply it), and gives each backbone enough residual
capacity to cover it. Resource limits are at least 1.5 times that forced use, so
"build nothing, leave soft demand unserved" is always feasible.

Sizes: columns ~ 5 * techs * regions * (2 * years - lead) + links * years; e.g.
(30, 25, 12) gives ~76k columns and (60, 40, 100) ~1.9M.

Options for MODEL.md 11-17 (keyword arguments of `generate`, all off by default, drawn
from a separate random stream so that the base instance stays byte-for-byte the same):

- ``slices=(P, S)``: a `time` block of P representative days (weights summing to 365) of S
  equal slices, with profiles; electricity becomes `balance: slice` with a `demand`
  profile (within +-9 %, so its normalised peak is below the backbones' 1.25 margin),
  non-backbone energy technologies get `solar` or `wind` availability, some non-backbone
  electricity users a `use_profile`.
- ``storage=True``: a battery `energy_storage` (duration 2-8 h, efficiencies 0.9-0.96).
- ``reserve=True``: a reserve margin (10-20 %, peak factor 1-1.2) on electricity,
  firm_capacity on energy technologies, and a firm backbone `energy_firm` (no inputs, no
  limits) whose residual alone meets the reserve requirement of the forced load.
- ``flexibility=True``: flexible electricity use on about half the chips technologies.
- ``min_limits=True``: min_capacity (half the residual), min_activity (30 % of the hard
  electricity demand) and a small first-year min_build on the energy backbone, and
  min_capacity on some technologies with residual capacity; all met by building little.
- ``extend_years=E``: `end_effects: {extend_years: E}`.
- ``scenarios=N`` (and ``risk=w``): N cases branching in the middle of the horizon with
  changes of the (soft) tokens demand, a capex, a fixed O&M and a link cost; risk weight
  w with alpha 0.9.
`storage` and `flexibility` make electricity a slice commodity even without `slices`.
Every option keeps "build nothing, leave soft demand unserved" feasible.

With slices, S = P x S slices per year multiply the electricity columns: about
regions * years * (S * (energy techs + 3 with storage + 1 with reserve + 3 per flexible
chips technology) + 9 * techs) + electricity links * years * S. For example
(32, 20, 4) with ``slices=(4, 24), storage, reserve, flexibility`` gives 0.8-1.0M
columns (seed 1: 970k), and (10, 20, 4) with ``slices=(4, 24), storage, scenarios=10``
0.8-0.9M; `expected_columns` gives the exact count. Generating takes well under a
second at that size (writing the YAML a few seconds).
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import sys
from typing import Any, NamedTuple

import yaml

Y0 = 2026

# Layer -> commodity, units and ranges for the parameters of its technologies.
# Inputs only refer to commodities lower in ORDER (or resources): the stack is a DAG.
LAYERS: dict[str, dict[str, Any]] = {
    "energy": {
        "commodity": "electricity",
        "unit": "TWh",
        "cap_unit": "GW",
        "a": (2.0, 8.0),
        "capex": (800.0, 6000.0),
        "fixed_om": (10.0, 120.0),
        "variable_om": (0.0, 40.0),
        "lifetime": (15, 30),
        "lead": (0, 3),
        "unit_size": (0.5, 2.0),
        "inputs": {
            "per_activity": {"water": (0.2, 1.0)},
            "per_capacity": {"grid": (0.9, 1.1)},
            "per_build": {"electricians": (0.2, 0.8)},
        },
    },
    "chips": {
        "commodity": "compute",
        "unit": "EFLOP/s-year",
        "cap_unit": "EFLOP/s",
        "a": (0.6, 1.0),
        "capex": (15.0, 60.0),
        "fixed_om": (0.5, 3.0),
        "variable_om": (0.0, 1.0),
        "lifetime": (3, 7),
        "lead": (0, 1),
        "unit_size": (5.0, 50.0),
        "inputs": {
            "per_activity": {"electricity": (0.008, 0.015)},
            "per_capacity": {"hosting": (0.001, 0.002)},
            "per_build": {"packaging": (0.02, 0.05)},
        },
    },
    "infrastructure": {
        "commodity": "hosting",
        "unit": "GW-IT",
        "cap_unit": "GW-IT",
        "a": (0.8, 1.0),
        "capex": (6000.0, 14000.0),
        "fixed_om": (100.0, 400.0),
        "variable_om": (0.0, 20.0),
        "lifetime": (12, 25),
        "lead": (1, 3),
        "unit_size": (0.1, 0.5),
        "inputs": {
            "per_activity": {"electricity": (8.0, 12.0)},
            "per_capacity": {"water": (0.5, 2.0)},
            "per_build": {"electricians": (0.8, 2.0)},
        },
    },
    "models": {
        "commodity": "serving",
        "unit": "Ptokens",
        "cap_unit": "Ptokens/year",
        "a": (0.8, 1.0),
        "capex": (2.0, 10.0),
        "fixed_om": (0.0, 0.5),
        "variable_om": (0.01, 0.1),
        "lifetime": (1, 3),
        "lead": (0, 1),
        "unit_size": (50.0, 500.0),
        "inputs": {
            "per_activity": {"compute": (0.02, 0.08)},
            "per_capacity": {"hosting": (1e-4, 5e-4)},
            "per_build": {"compute": (0.2, 1.0)},
        },
    },
    "applications": {
        "commodity": "tokens",
        "unit": "Ptokens",
        "cap_unit": "Ptokens/year",
        "a": (0.9, 1.0),
        "capex": (0.1, 3.0),
        "fixed_om": (0.0, 0.3),
        "variable_om": (0.05, 0.5),
        "lifetime": (1, 5),
        "lead": (0, 1),
        "unit_size": (100.0, 1000.0),
        "inputs": {
            "per_activity": {"serving": (1.0, 1.2), "compute": (0.005, 0.05)},
            "per_build": {"engineers": (0.001, 0.01)},
        },
    },
}
# Commodities from the top of the stack down (consumers before what they consume).
ORDER = ["tokens", "serving", "compute", "hosting", "electricity"]
LAYER_OF = {spec["commodity"]: layer for layer, spec in LAYERS.items()}
RESOURCES: dict[str, dict[str, Any]] = {
    "electricians": {"unit": "thousand worker-years", "scope": "regional"},
    "grid": {"unit": "GW interconnection", "scope": "regional"},
    "water": {"unit": "million m3", "scope": "regional"},
    "packaging": {"unit": "thousand wafers", "scope": "global"},
    "engineers": {"unit": "thousand engineer-years", "scope": "global"},  # no limit
}


def values(spec: Any) -> list[float]:
    """All numbers a series or regional series may take (upper/lower bounds of it)."""
    if isinstance(spec, dict):
        return [v for item in spec.values() for v in values(item)]
    return [float(spec)]


def for_region(spec: Any, region: str) -> Any:
    """The series of a regional series in one region (None if the map does not list it)."""
    if isinstance(spec, dict) and any(isinstance(k, str) for k in spec):
        return spec.get(region)
    return spec


def evaluate(spec: Any, years: list[int]) -> list[float]:
    """Evaluate a series on years: linear interpolation, constant extrapolation."""
    if not isinstance(spec, dict):
        return [float(spec)] * len(years)
    keys = sorted(spec)
    out = []
    for y in years:
        if y <= keys[0]:
            out.append(float(spec[keys[0]]))
        elif y >= keys[-1]:
            out.append(float(spec[keys[-1]]))
        else:
            hi = next(i for i, k in enumerate(keys) if k >= y)
            k0, k1 = keys[hi - 1], keys[hi]
            w = (y - k0) / (k1 - k0)
            out.append((1 - w) * float(spec[k0]) + w * float(spec[k1]))
    return out


def sig(x: float) -> float:
    """Round to 6 significant digits (keeps the YAML readable)."""
    return float(f"{x:.6g}")


def time_series(rng: random.Random, value: float, y_end: int, kind: str) -> Any:
    """A number or a year map around `value`: flat, declining, growing, or anchored
    before the horizon (to exercise interpolation and extrapolation)."""
    form = rng.choice(["flat", "flat", "down", "up", "outside"])
    if form == "flat" or y_end == Y0:
        return sig(value)
    if form == "down" and kind != "limit":
        return {Y0: sig(value), y_end: sig(value * rng.uniform(0.5, 0.9))}
    if form == "outside" and kind != "limit":
        mid = Y0 + (y_end - Y0) // 2
        return {Y0 - 2: sig(value * 1.1), mid: sig(value * 0.9), y_end + 5: sig(value * 0.7)}
    return {Y0: sig(value), y_end: sig(value * rng.uniform(1.1, 2.0))}


def regional_series(
    rng: random.Random, value: float, regions: list[str], y_end: int, kind: str
) -> Any:
    """A series, or a region map listing every region in `regions` with its own series."""
    if len(regions) > 1 and rng.random() < 0.3:
        return {r: time_series(rng, value * rng.uniform(0.8, 1.25), y_end, kind) for r in regions}
    return time_series(rng, value, y_end, kind)


def make_commodities(
    rng: random.Random, regions: list[str], weight: dict[str, float], y_end: int
) -> dict[str, Any]:
    """Five commodities; soft demand on tokens and compute, hard demand on electricity."""
    mid = Y0 + (y_end - Y0) // 2
    tokens = [r for r in regions if r == regions[0] or rng.random() < 0.8]
    compute = [r for r in regions if rng.random() < 0.4]
    power = [r for r in regions if rng.random() < 0.7]
    out: dict[str, Any] = {}
    for c in ORDER[::-1]:
        out[c] = {"layer": LAYER_OF[c], "unit": LAYERS[LAYER_OF[c]]["unit"]}
    out["tokens"]["demand"] = {
        r: {Y0: sig(2000 * weight[r]), mid: sig(3500 * weight[r]), y_end: sig(8000 * weight[r])}
        for r in tokens
    }
    out["tokens"]["unmet_cost"] = sig(rng.uniform(2e4, 5e4))
    if compute:
        out["compute"]["demand"] = {r: sig(rng.uniform(20, 100) * weight[r]) for r in compute}
        out["compute"]["unmet_cost"] = 1e4
    if power:  # hard demand: served by backbone residual capacity
        out["electricity"]["demand"] = {
            r: {Y0: sig(50 * weight[r]), y_end: sig(60 * weight[r])} for r in power
        }
    return out


def backbone(layer: str, regions: list[str]) -> dict[str, Any]:
    """The always-available technology of a layer: every region, no lead time, no limits."""
    spec = LAYERS[layer]
    mid = {key: sig(sum(spec[key]) / 2) for key in ("a", "capex", "fixed_om", "variable_om")}
    return {
        "layer": layer,
        "output": spec["commodity"],
        "capacity_unit": spec["cap_unit"],
        "output_per_capacity": mid["a"],
        "capex": mid["capex"],
        "fixed_om": mid["fixed_om"],
        "variable_om": mid["variable_om"],
        "lifetime": int(sum(spec["lifetime"]) // 2),
        "lead_time": 0,
        "inputs": {
            kind: {j: sig(sum(r) / 2) for j, r in ins.items()}
            for kind, ins in spec["inputs"].items()
        },
    }


def scale(
    instance: dict[str, Any], regions: list[str], first_year: bool = False
) -> dict[str, dict[str, float]]:
    """Rough per-region sizes if all demand (its peak, or its first-year value) were
    served by backbones: capacity per commodity ("cap_<c>"), use per resource, and
    yearly spending ("spend")."""
    techs = instance["technologies"]
    out: dict[str, dict[str, float]] = {}
    for r in regions:
        need: dict[str, float] = {}
        for c in ORDER:
            demand = for_region(instance["commodities"][c].get("demand", 0), r) or 0
            need[c] = evaluate(demand, [Y0])[0] if first_year else max(values(demand))
        need.update(dict.fromkeys(RESOURCES, 0.0))
        need["spend"] = 0.0
        for c in ORDER:
            bb = techs[f"{LAYER_OF[c]}_0"]
            cap = need[c] / bb["output_per_capacity"]
            builds = cap * (1.0 / bb["lifetime"] + 0.2)
            need[f"cap_{c}"] = cap
            need["spend"] += bb["capex"] * builds
            for kind, level in (
                ("per_activity", need[c]),
                ("per_capacity", cap),
                ("per_build", builds),
            ):
                for j, coef in bb["inputs"].get(kind, {}).items():
                    need[j] += coef * level
        out[r] = need
    return out


def make_tech(
    rng: random.Random,
    layer: str,
    regions: list[str],
    sizes: dict[str, dict[str, float]],
    y_end: int,
) -> dict[str, Any]:
    """A randomised non-backbone technology of a layer."""
    spec = LAYERS[layer]
    c = spec["commodity"]
    tech_regions = regions
    if len(regions) > 1 and rng.random() < 0.4:
        tech_regions = sorted(rng.sample(regions, rng.randint(1, len(regions) - 1)))
    cap_scale = {r: max(sizes[r][f"cap_{c}"], 1e-3) for r in tech_regions}
    lifetime = (
        1 if layer == "applications" and rng.random() < 0.3 else rng.randint(*spec["lifetime"])
    )
    tech: dict[str, Any] = {
        "layer": layer,
        "output": c,
        "capacity_unit": spec["cap_unit"],
        "output_per_capacity": regional_series(
            rng, rng.uniform(*spec["a"]), tech_regions, y_end, "cost"
        ),
        "capex": regional_series(rng, rng.uniform(*spec["capex"]), tech_regions, y_end, "cost"),
        "fixed_om": regional_series(
            rng, rng.uniform(*spec["fixed_om"]), tech_regions, y_end, "cost"
        ),
        "lifetime": lifetime,
        "lead_time": rng.randint(*spec["lead"]),
    }
    if rng.random() < 0.7:
        tech["variable_om"] = time_series(rng, rng.uniform(*spec["variable_om"]), y_end, "cost")
    if tech_regions is not regions:
        tech["regions"] = tech_regions
    if rng.random() < 0.3:
        tech["discount_rate"] = rng.choice([0.0, sig(rng.uniform(0.03, 0.12))])
    tech["inputs"] = {
        kind: {j: sig(rng.uniform(*bounds)) for j, bounds in ins.items()}
        for kind, ins in spec["inputs"].items()
    }
    if rng.random() < 0.35:  # residual capacity, retiring within its lifetime
        end = min(Y0 + lifetime, y_end) if y_end > Y0 else Y0 + 1
        listed = [r for r in tech_regions if rng.random() < 0.8] or tech_regions[:1]
        tech["residual"] = {
            r: {Y0: sig(cap_scale[r] * rng.uniform(0.05, 0.3)), end: 0.0} for r in listed
        }
    if rng.random() < 0.3:  # some regions unlisted: no limit there
        listed = [r for r in tech_regions if rng.random() < 0.7] or tech_regions[:1]
        tech["max_build"] = {r: sig(cap_scale[r] * rng.uniform(0.05, 0.4)) for r in listed}
    if rng.random() < 0.25:
        res = {r: max(values(for_region(tech.get("residual", 0), r) or 0)) for r in tech_regions}
        tech["max_capacity"] = {
            r: {
                Y0: sig(res[r] + cap_scale[r] * 0.2),
                y_end: sig(res[r] + cap_scale[r] * rng.uniform(0.3, 1.0)),
            }
            for r in tech_regions
        }
    if rng.random() < 0.2:
        tech["max_activity"] = sig(max(cap_scale.values()) * rng.uniform(0.2, 0.8))
    if rng.random() < 0.3:
        growth = rng.choice([{}, {"rate": 0.5}, {"headroom": 1.0}, {"rate": 0.3, "headroom": 1.0}])
        tech["build_growth"] = {
            k: sig(v * (max(cap_scale.values()) if k == "headroom" else 1.0))
            for k, v in growth.items()
        }
    return tech


def add_unit_sizes(techs: dict[str, dict[str, Any]], rng: random.Random) -> None:
    """Give about a quarter of the non-backbone technologies (at least one technology)
    a unit_size, which makes the instance a MILP."""
    chosen = [name for name in techs if not name.endswith("_0") and rng.random() < 0.25]
    if not chosen:
        chosen = [list(techs)[-1]]
    for name in chosen:
        techs[name]["unit_size"] = sig(rng.uniform(*LAYERS[techs[name]["layer"]]["unit_size"]))


def forced_use(
    instance: dict[str, Any], regions: list[str], existing: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """Per region, an upper bound on what must be produced/used when nothing is built
    (hard demand, per_capacity inputs of residual capacity, backbone activity inputs).

    Sets each backbone's residual capacity: enough to cover that forced use with a
    margin, plus most of the first year's demand (`existing`), retiring linearly over
    the backbone's lifetime."""
    techs = instance["technologies"]
    forced: dict[str, dict[str, float]] = {}
    for r in regions:
        need = dict.fromkeys([*ORDER, *RESOURCES], 0.0)
        spec = instance["commodities"]["electricity"]
        if "unmet_cost" not in spec:
            need["electricity"] += max(values(for_region(spec.get("demand", 0), r) or 0))
        for tech in techs.values():
            if r in tech.get("regions", regions) and tech.get("residual") is not None:
                res = max(values(for_region(tech["residual"], r) or 0))
                for j, coef in tech["inputs"].get("per_capacity", {}).items():
                    need[j] += coef * res
        for c in ORDER:
            bb = techs[f"{LAYER_OF[c]}_0"]
            base = sig(1.25 * need[c] / bb["output_per_capacity"] + 1e-3)
            residual = sig(base + 0.8 * existing[r][f"cap_{c}"])
            bb.setdefault("residual", {})[r] = {Y0: residual, Y0 + bb["lifetime"]: base}
            for kind, level in (("per_activity", need[c]), ("per_capacity", residual)):
                for j, coef in bb["inputs"].get(kind, {}).items():
                    need[j] += coef * level
        forced[r] = need
    return forced


def make_resources(
    rng: random.Random,
    forced: dict[str, dict[str, float]],
    sizes: dict[str, dict[str, float]],
    y_end: int,
) -> dict[str, Any]:
    """Resource limits: at least 1.5 x forced use, plus a share of the estimated use."""
    regions = list(forced)
    need = {
        r: {p: 1.5 * forced[r][p] + sizes[r][p] * rng.uniform(0.8, 2.0) + 1e-3 for p in RESOURCES}
        for r in regions
    }
    out: dict[str, Any] = {p: dict(spec) for p, spec in RESOURCES.items()}
    listed = [r for r in regions if rng.random() < 0.7] or regions[:1]
    out["electricians"]["limit"] = {r: sig(need[r]["electricians"]) for r in listed}
    grid = max(need[r]["grid"] for r in regions)
    out["grid"]["limit"] = {Y0: sig(grid), y_end: sig(grid * 1.5)}  # same in each region
    out["water"]["limit"] = {
        r: {Y0: sig(need[r]["water"]), y_end: sig(need[r]["water"] * 1.3)} for r in regions
    }
    packaging = sum(need[r]["packaging"] for r in regions)
    out["packaging"]["limit"] = {Y0: sig(packaging), y_end: sig(packaging * 2)}
    return out


def make_links(
    rng: random.Random, regions: list[str], sizes: dict[str, dict[str, float]], y_end: int
) -> dict[str, Any]:
    """Chain of electricity links plus random compute, serving and tokens links."""
    links: dict[str, Any] = {}
    if len(regions) < 2:
        return links
    pairs = {"electricity": list(itertools.pairwise(regions))}
    for c, count in (
        ("compute", len(regions) // 2 + 1),
        ("serving", len(regions) // 3 + 1),
        ("tokens", len(regions) // 3),
    ):
        pairs[c] = [tuple(rng.sample(regions, 2)) for _ in range(count)]
    for c, ends in pairs.items():
        for origin, dest in ends:
            name = f"{c}_{origin}_{dest}"
            if name in links or f"{c}_{dest}_{origin}" in links:
                continue
            link: dict[str, Any] = {"commodity": c, "from": origin, "to": dest}
            if rng.random() < 0.5:
                link["bidirectional"] = True
            if c == "electricity" or rng.random() < 0.3:
                link["loss"] = sig(rng.uniform(0.01, 0.08))
            if rng.random() < 0.8:
                link["cost"] = time_series(rng, rng.uniform(0.05, 3.0), y_end, "cost")
            if rng.random() < 0.8:
                cap = 0.3 * sizes[origin][f"cap_{c}"] * LAYERS[LAYER_OF[c]]["a"][1] + 1.0
                link["capacity"] = time_series(rng, cap, y_end, "limit")
            links[name] = link
    return links


class Features(NamedTuple):
    """Optional features of MODEL.md 11-17 (all off by default). A NamedTuple rather than a
    dataclass, so that the script also loads as a file without a sys.modules entry."""

    slices: tuple[int, int] | None = None
    storage: bool = False
    reserve: bool = False
    flexibility: bool = False
    min_limits: bool = False
    extend_years: int = 0
    scenarios: int = 0
    risk: float = 0.0

    @property
    def any(self) -> bool:
        """True when any feature is on."""
        return self != Features()

    @property
    def tag(self) -> str:
        """A suffix for the instance name."""
        parts = [f"_t{self.slices[0]}x{self.slices[1]}"] if self.slices else []
        for flag, label in (
            (self.storage, "sto"),
            (self.reserve, "res"),
            (self.flexibility, "flex"),
            (self.min_limits, "min"),
        ):
            if flag:
                parts.append(f"_{label}")
        if self.extend_years:
            parts.append(f"_e{self.extend_years}")
        if self.scenarios:
            parts.append(f"_c{self.scenarios}" + (f"w{self.risk:g}" if self.risk else ""))
        return "".join(parts)


def time_block(rng: random.Random, n_periods: int, n_slices: int) -> dict[str, Any]:
    """Representative days (weights summing to 365) of `n_slices` equal slices, with
    profiles: `demand` (within +-9 %, so its normalised peak is below 1.2), `solar` and
    `wind` availabilities, and `usage` (a use profile)."""
    shares = [rng.uniform(0.5, 1.5) for _ in range(n_periods)]
    hours = sig(24.0 / n_slices)
    periods, profiles = {}, {name: {} for name in ("demand", "solar", "wind", "usage")}
    for i in range(n_periods):
        name = f"p{i:02d}"
        weight = sig(365.0 * shares[i] / sum(shares))
        periods[name] = {"weight": weight, "slices": {f"h{j:02d}": hours for j in range(n_slices)}}
        season = rng.uniform(0.6, 1.0)
        centres = [(j + 0.5) * 24.0 / n_slices for j in range(n_slices)]
        profiles["demand"][name] = [round(1 + rng.uniform(-0.09, 0.09), 3) for _ in centres]
        profiles["solar"][name] = [
            round(max(0.0, math.sin(math.pi * (h - 6) / 12)) * season, 3) for h in centres
        ]
        profiles["wind"][name] = [round(rng.uniform(0.15, 0.9), 3) for _ in centres]
        profiles["usage"][name] = [round(rng.uniform(0.5, 1.5), 3) for _ in centres]
    return {"periods": periods, "profiles": profiles}


def add_time(instance: dict[str, Any], rng: random.Random, features: Features) -> None:
    """Electricity by slice (with a time block when `slices` is given): a demand profile,
    solar or wind availability on some non-backbone energy technologies, a use profile on
    some non-backbone technologies using electricity. Only the backbones serve hard
    demand, so feasibility is kept: their residual covers 1.25 x the forced use, above
    the normalised demand peak."""
    electricity = instance["commodities"]["electricity"]
    electricity["balance"] = "slice"
    if features.slices is None:
        return
    instance["time"] = time_block(rng, *features.slices)
    electricity["profile"] = "demand"
    for name, tech in instance["technologies"].items():
        if name.endswith("_0"):
            continue
        if tech["layer"] == "energy":
            choice = rng.choice(["solar", "wind", None])
            if choice is not None:
                tech["availability"] = choice
        elif "electricity" in tech["inputs"].get("per_activity", {}) and rng.random() < 0.5:
            tech["use_profile"] = "usage"


def storage_tech(rng: random.Random, firm: bool) -> dict[str, Any]:
    """A battery: power capacity in GW, a 4-8 h duration, round trip about 85 %."""
    a = sig(rng.uniform(6.0, 8.76))
    tech: dict[str, Any] = {
        "layer": "energy",
        "output": "electricity",
        "capacity_unit": "GW",
        "output_per_capacity": a,
        "capex": sig(rng.uniform(700, 1500)),
        "fixed_om": sig(rng.uniform(10, 30)),
        "variable_om": sig(rng.uniform(0.5, 3.0)),
        "lifetime": rng.randint(10, 15),
        "lead_time": rng.randint(0, 1),
        "storage": {
            "duration": rng.choice([2, 4, 6, 8]),
            "efficiency_charge": sig(rng.uniform(0.9, 0.96)),
            "efficiency_discharge": sig(rng.uniform(0.9, 0.96)),
        },
        "inputs": {"per_build": {"electricians": sig(rng.uniform(0.1, 0.4))}},
    }
    if firm:
        tech["firm_capacity"] = sig(0.8 * a)
    return tech


def add_reserve(
    instance: dict[str, Any], rng: random.Random, forced: dict[str, dict[str, float]]
) -> None:
    """A reserve margin on electricity, firm capacity on energy technologies, and a firm
    backbone `energy_firm` (no inputs, no limits) whose residual alone meets the reserve
    requirement of the forced load (1.1 x (1 + m) pf x 1.2 x forced electricity use)."""
    margin, peak = sig(rng.uniform(0.1, 0.2)), sig(rng.uniform(1.0, 1.2))
    instance["commodities"]["electricity"]["reserve"] = {"margin": margin, "peak_factor": peak}
    for tech in instance["technologies"].values():
        if tech["layer"] != "energy" or "storage" in tech:
            continue
        share = {"solar": 0.1, "wind": 0.2}.get(tech.get("availability"), 0.85)
        a = max(values(tech["output_per_capacity"]))
        tech["firm_capacity"] = sig(share * a)
    a = 7.5
    requirement = {r: 1.1 * (1 + margin) * peak * 1.2 * forced[r]["electricity"] for r in forced}
    instance["technologies"]["energy_firm"] = {
        "layer": "energy",
        "output": "electricity",
        "capacity_unit": "GW",
        "output_per_capacity": a,
        "capex": sig(rng.uniform(600, 900)),
        "fixed_om": sig(rng.uniform(10, 25)),
        "variable_om": sig(rng.uniform(60, 90)),
        "lifetime": 25,
        "lead_time": 0,
        "residual": {r: sig(need / a + 1e-3) for r, need in requirement.items()},
        "firm_capacity": a,
    }


def add_flexibility(instance: dict[str, Any], rng: random.Random) -> None:
    """Flexible electricity use on about half the chips technologies (at least one)."""
    chips = [name for name, t in instance["technologies"].items() if t["layer"] == "chips"]
    chosen = [name for name in chips if rng.random() < 0.5] or chips[-1:]
    for name in chosen:
        shift = sig(rng.uniform(0.05, 0.3))
        instance["technologies"][name]["flexibility"] = {
            "commodity": "electricity",
            "shift": shift,
            "curtail": sig(rng.uniform(0.0, min(0.1, 1 - shift))),
            "curtail_max": sig(rng.uniform(0.005, 0.05)),
            "curtail_cost": sig(rng.uniform(0.5, 5.0)),
        }


def halved(spec: Any) -> Any:
    """Half of a series (number or year map), point by point: below it in every year."""
    if isinstance(spec, dict):
        return {y: sig(0.5 * v) for y, v in spec.items()}
    return sig(0.5 * spec)


def add_min_limits(
    instance: dict[str, Any], rng: random.Random, sizes: dict[str, dict[str, float]]
) -> None:
    """Small commitments that build-nothing-else still meets, on the energy backbone:
    min_capacity at half its residual, min_activity at 30 % of the hard electricity
    demand, and a min_build of 2 % of the peak capacity in the first year (within the
    budgets' and resources' slack); each lists some regions (the others: no limit)."""
    techs, names = instance["technologies"], list(sizes)
    backbone = techs["energy_0"]
    listed = [r for r in names if rng.random() < 0.7] or names[:1]
    backbone["min_capacity"] = {r: halved(backbone["residual"][r]) for r in listed}
    demand = instance["commodities"]["electricity"].get("demand") or {}
    if demand:  # an empty mapping is not a series: no min_activity without hard demand
        backbone["min_activity"] = {r: sig(0.3 * min(values(d))) for r, d in demand.items()}
    listed = [r for r in names if rng.random() < 0.7] or names[:1]
    backbone["min_build"] = {
        r: {Y0: sig(0.02 * sizes[r]["cap_electricity"]), Y0 + 1: 0.0} for r in listed
    }
    for tech in techs.values():
        if tech is not backbone and "residual" in tech and rng.random() < 0.5:
            tech["min_capacity"] = {r: halved(res) for r, res in tech["residual"].items()}


def add_scenarios(
    instance: dict[str, Any], rng: random.Random, cases: int, risk: float, y_end: int
) -> None:
    """`cases` cases branching in the middle of the horizon: tokens demand (soft) grows
    or shrinks after the branch, a capex is scaled, a fixed O&M raised, a link cost set."""
    branch = Y0 + max(1, (y_end - Y0 + 1) // 2)
    weights = [rng.uniform(0.5, 1.5) for _ in range(cases)]
    probs = [round(w / sum(weights), 6) for w in weights[:-1]]
    probs.append(round(1.0 - sum(probs), 12))
    techs = list(instance["technologies"])
    out: dict[str, Any] = {}
    for i, p in enumerate(probs):
        factor = {branch - 1: 1.0, y_end: sig(rng.uniform(0.7, 1.3))}
        changes: list[dict[str, Any]] = [
            {"path": "commodities.tokens.demand", "multiply": factor},
            {
                "path": f"technologies.{rng.choice(techs)}.capex",
                "multiply": sig(rng.uniform(0.7, 1.3)),
            },
            {
                "path": f"technologies.{rng.choice(techs)}.fixed_om",
                "add": {branch: 0.0, y_end: 2.0},
            },
        ]
        if instance.get("links"):
            link = rng.choice(list(instance["links"]))
            changes.append({"path": f"links.{link}.cost", "set": sig(rng.uniform(0.05, 3.0))})
        out[f"s{i:02d}"] = {"probability": p, "changes": changes}
    instance["scenarios"] = {"branch_year": branch, "cases": out}
    if risk:
        instance["scenarios"]["risk"] = {"alpha": 0.9, "weight": risk}


def add_features(
    instance: dict[str, Any],
    features: Features,
    rng: random.Random,
    forced: dict[str, dict[str, float]],
    sizes: dict[str, dict[str, float]],
) -> None:
    """Apply the optional features of MODEL.md 11-17 to a generated instance."""
    y_end = instance["years"]["end"]
    if features.slices or features.storage or features.flexibility:
        add_time(instance, rng, features)
    if features.storage:
        instance["technologies"]["energy_storage"] = storage_tech(rng, features.reserve)
    if features.reserve:
        add_reserve(instance, rng, forced)
    if features.flexibility:
        add_flexibility(instance, rng)
    if features.min_limits:
        add_min_limits(instance, rng, sizes)
    if features.extend_years:
        instance["end_effects"] = {"extend_years": features.extend_years}
    if features.scenarios:
        add_scenarios(instance, rng, features.scenarios, features.risk, y_end)


def generate(
    regions: int,
    years: int,
    techs_per_layer: int,
    seed: int = 0,
    milp: bool = False,
    *,
    slices: tuple[int, int] | None = None,
    storage: bool = False,
    reserve: bool = False,
    flexibility: bool = False,
    min_limits: bool = False,
    extend_years: int = 0,
    scenarios: int = 0,
    risk: float = 0.0,
    links: bool = True,
) -> dict[str, Any]:
    """A feasible instance with `regions` regions, `years` years and
    `techs_per_layer` technologies in each of the five layers. Without `links` the regions
    trade nothing: an easy LP (its solve is short next to building it), for benchmarks of
    the planner's own overhead.

    The keyword options add the features of MODEL.md 11-17 (see the module docstring);
    with all of them off the instance is the same as before they existed."""
    features = Features(
        tuple(slices) if slices else None,  # type: ignore[arg-type]
        storage,
        reserve,
        flexibility,
        min_limits,
        extend_years,
        scenarios,
        risk,
    )
    rng = random.Random(seed)
    y_end = Y0 + years - 1
    names = [f"r{i:02d}" for i in range(regions)]
    weight = {r: sig(rng.uniform(0.5, 2.0)) for r in names}
    instance: dict[str, Any] = {
        "name": f"gen_r{regions}_y{years}_t{techs_per_layer}_s{seed}{'_milp' if milp else ''}",
        "description": "Generated by scripts/gen_instance.py",
        "years": {"start": Y0, "end": y_end},
        "discount_rate": rng.choice([0.03, 0.05, 0.07]),
        "regions": names,
        "commodities": make_commodities(rng, names, weight, y_end),
        "resources": {},
        "technologies": {f"{layer}_0": backbone(layer, names) for layer in LAYERS},
    }
    sizes = scale(instance, names)
    for layer in LAYERS:
        for i in range(1, techs_per_layer):
            instance["technologies"][f"{layer}_{i}"] = make_tech(rng, layer, names, sizes, y_end)
    forced = forced_use(instance, names, scale(instance, names, first_year=True))
    instance["resources"] = make_resources(rng, forced, sizes, y_end)
    instance["links"] = make_links(rng, names, sizes, y_end)
    if not links:
        instance["links"] = {}
        instance["name"] += "_nolinks"
    spend = sum(sizes[r]["spend"] for r in names)
    instance["budget"] = {
        "per_year": {Y0: sig(spend * rng.uniform(0.8, 1.5)), y_end: sig(spend * 2.5)},
        "total": sig(spend * years * rng.uniform(0.6, 1.2)),
    }
    if milp:  # the same instance as milp=False, plus unit sizes
        add_unit_sizes(instance["technologies"], random.Random(seed + 1_000_003))
    if features.any:  # a separate stream: the base instance stays the same
        instance["name"] += features.tag
        add_features(instance, features, random.Random(seed + 2_000_003), forced, sizes)
    return instance


def expected_columns(instance: dict[str, Any]) -> int:
    """Columns of the model (as the reference oracle writes it): per technology, region
    and model year (extension years included) X, one per slice for a technology whose
    output is a slice commodity, plus Q and E per slice for storage and SD, SU (shift >
    0) and CU (curtail > 0) per slice for flexibility; B for y >= y0 + lead time and N
    likewise for unit_size techs; U where a commodity with unmet_cost has demand > 0
    (per slice with a positive profile value for a slice commodity); F per directed link
    and year (per slice for a slice commodity). With scenarios, a column decided before
    branch_year (B: year - lead time) counts once and any other once per case, plus theta
    and one column per case for a risk weight > 0."""
    start, end = instance["years"]["start"], instance["years"]["end"]
    years = list(range(start, end + 1 + (instance.get("end_effects") or {}).get("extend_years", 0)))
    regions = instance.get("regions") or ["world"]
    time = instance.get("time") or {}
    n_slices = sum(len(p["slices"]) for p in (time.get("periods") or {}).values()) or 1
    sliced = {c for c, s in instance["commodities"].items() if s.get("balance") == "slice"}
    scen = instance.get("scenarios") or {}
    cases, branch = len(scen.get("cases") or {}) or 1, scen.get("branch_year", years[-1] + 1)

    def per_year(count: int, lead: int = 0) -> int:
        """count columns a year, for every year from y0 + lead, shared or per case."""
        return sum(count * (1 if y - lead < branch else cases) for y in years[lead:])

    total = 0
    for tech in instance["technologies"].values():
        lead = int(tech.get("lead_time", 0))
        per_slice = n_slices if tech["output"] in sliced else 1
        flex = tech.get("flexibility") or {}
        per_slice += n_slices * (
            2 * ("storage" in tech) + 2 * (flex.get("shift", 0) > 0) + (flex.get("curtail", 0) > 0)
        )
        builds = per_year(2 if tech.get("unit_size") is not None else 1, lead)
        total += (per_year(per_slice) + builds) * len(tech.get("regions") or regions)
    for c, spec in instance["commodities"].items():
        if spec.get("unmet_cost") is None or spec.get("demand") is None:
            continue
        shape = [1.0]
        if c in sliced:
            prof = (time.get("profiles") or {}).get(spec.get("profile"))
            shape = [v for p in prof.values() for v in p] if prof else [1.0] * n_slices
        positive = sum(1 for v in shape if v > 0)
        for r in regions:
            demand = for_region(spec["demand"], r)
            if demand is not None:
                total += sum(
                    positive * (1 if y < branch else cases)
                    for y, d in zip(years, evaluate(demand, years), strict=True)
                    if d > 0
                )
    for link in (instance.get("links") or {}).values():
        per_slice = n_slices if link["commodity"] in sliced else 1
        total += per_year(per_slice) * (2 if link.get("bidirectional", False) else 1)
    if (scen.get("risk") or {}).get("weight", 0) > 0:
        total += 1 + cases
    return total


def main(argv: list[str] | None = None) -> int:
    """Command line: write an instance as YAML and print its expected column count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--techs", type=int, default=2, help="technologies per layer")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--milp", action="store_true", help="give some technologies a unit_size")
    parser.add_argument(
        "--slices", type=int, nargs=2, metavar=("PERIODS", "SLICES"), help="time slices"
    )
    parser.add_argument("--storage", action="store_true", help="add a battery")
    parser.add_argument("--reserve", action="store_true", help="reserve margin on electricity")
    parser.add_argument("--flexibility", action="store_true", help="flexible chips load")
    parser.add_argument("--min-limits", action="store_true", help="min build/capacity/activity")
    parser.add_argument("--extend-years", type=int, default=0, help="end-effect years")
    parser.add_argument("--scenarios", type=int, default=0, help="number of cases")
    parser.add_argument("--risk", type=float, default=0.0, help="CVaR weight (with --scenarios)")
    parser.add_argument(
        "--no-links", action="store_true", help="no trade links: an easy LP for overhead benchmarks"
    )
    parser.add_argument("-o", "--output", default="-", help="YAML file (default: stdout)")
    args = parser.parse_args(argv)
    instance = generate(
        args.regions,
        args.years,
        args.techs,
        args.seed,
        args.milp,
        slices=tuple(args.slices) if args.slices else None,
        storage=args.storage,
        reserve=args.reserve,
        flexibility=args.flexibility,
        min_limits=args.min_limits,
        extend_years=args.extend_years,
        scenarios=args.scenarios,
        risk=args.risk,
        links=not args.no_links,
    )
    text = yaml.safe_dump(instance, sort_keys=False)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    print(expected_columns(instance), file=sys.stderr if args.output == "-" else sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
