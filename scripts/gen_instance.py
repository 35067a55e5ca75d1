"""Seeded generator of valid, feasible planning instances (MODEL.md section 10 format).

    python scripts/gen_instance.py --regions 3 --years 10 --techs 2 --seed 1 [--milp] -o out.yaml

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
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from typing import Any

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


def generate(
    regions: int, years: int, techs_per_layer: int, seed: int = 0, milp: bool = False
) -> dict[str, Any]:
    """A feasible instance with `regions` regions, `years` years and
    `techs_per_layer` technologies in each of the five layers."""
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
    spend = sum(sizes[r]["spend"] for r in names)
    instance["budget"] = {
        "per_year": {Y0: sig(spend * rng.uniform(0.8, 1.5)), y_end: sig(spend * 2.5)},
        "total": sig(spend * years * rng.uniform(0.6, 1.2)),
    }
    if milp:  # the same instance as milp=False, plus unit sizes
        add_unit_sizes(instance["technologies"], random.Random(seed + 1_000_003))
    return instance


def expected_columns(instance: dict[str, Any]) -> int:
    """Columns of the model: X per tech, region and year; B for y >= y0 + lead time;
    N likewise for unit_size techs; U where a commodity with unmet_cost has demand > 0;
    F per directed link and year."""
    years = list(range(instance["years"]["start"], instance["years"]["end"] + 1))
    regions = instance.get("regions") or ["world"]
    n = len(years)
    total = 0
    for tech in instance["technologies"].values():
        builds = max(0, n - int(tech.get("lead_time", 0)))
        per_region = n + builds * (2 if tech.get("unit_size") is not None else 1)
        total += per_region * len(tech.get("regions") or regions)
    for spec in instance["commodities"].values():
        if spec.get("unmet_cost") is None or spec.get("demand") is None:
            continue
        for r in regions:
            demand = for_region(spec["demand"], r)
            if demand is not None:
                total += sum(1 for d in evaluate(demand, years) if d > 0)
    for link in (instance.get("links") or {}).values():
        total += n * (2 if link.get("bidirectional", False) else 1)
    return total


def main(argv: list[str] | None = None) -> int:
    """Command line: write an instance as YAML and print its expected column count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--techs", type=int, default=2, help="technologies per layer")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--milp", action="store_true", help="give some technologies a unit_size")
    parser.add_argument("-o", "--output", default="-", help="YAML file (default: stdout)")
    args = parser.parse_args(argv)
    instance = generate(args.regions, args.years, args.techs, args.seed, args.milp)
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
