"""One-at-a-time sensitivity of the base plan: a tornado of total cost and 2030 electricity.

    PYTHONPATH=. python scripts/sensitivity.py [INSTANCE] [--out sensitivity]
    planner solve instances/base.yaml --out out/base
    planner report out/base -o report.html --sensitivity sensitivity/sensitivity.csv

Each uncertain input below is set to a low and a high value (with the source of each), one
at a time, the others at their base values. All points run as one sweep through the sweep
machinery (`planner.sweep`: one warm HiGHS model, one row per point), so every point sets
every parameter: the varied ones to their low or high value, the others to their base value
(a factor 1 for `scale:` paths, the instance's own number for year paths).

Outputs in --out: sensitivity.csv (one row per point: input, case, what the value means,
source, total cost, AI electricity in 2030, their change from the base point, and the share
of 2026-2040 token demand left unserved, which the total cost values at list prices) and
sensitivity.json (the same records). `planner report DIR --sensitivity FILE` (or a
sensitivity.csv next to the results) draws the tornado charts from the CSV.

Total cost is the solve's objective: the discounted system cost of 2026-2040 and the
extension years, B$2025. AI electricity is the electricity use of the chips and
infrastructure layers (scripts/validate_base.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner import atomic, load_instance, sweep  # noqa: E402
from planner.instance.schema import Instance  # noqa: E402

BASE = ROOT / "instances" / "base.yaml"
TOKENS = ("tokens_chat", "tokens_coding", "tokens_agentic")
MODELS = ("frontier_current", "frontier_next", "small_model")
NEW_CHIPS = ("b200", "nextgen", "future_gen")
EFFICIENT = ("nextgen", "future_gen")
POWER_PER_CHIP = [
    f"technologies.{k}.inputs.{path}"
    for path in ("per_activity.electricity", "per_capacity.hosting_liquid")
    for k in EFFICIENT
]
"""What an accelerator's power scales: its electricity per unit of compute and the liquid-
cooled hosting it occupies."""
GAS = ("gas_ccgt", "gas_onsite")
NUCLEAR = ("nuclear_smr", "nuclear_large")
YEAR = 2030


@dataclass
class Input:
    """One uncertain input: a low and a high point, each {path: value}."""

    name: str
    low_text: str
    high_text: str
    source: str
    low: dict[str, float] = field(default_factory=dict)
    high: dict[str, float] = field(default_factory=dict)


def _scaled(paths: list[str], factor: float) -> dict[str, float]:
    return {f"scale:{p}": factor for p in paths}


def _year_path(instance: Instance, path: str, multiplier) -> dict[str, float]:
    """{path.YEAR: value x multiplier(year)} for every year key of the series at `path`."""
    node: Any = instance.model_dump(by_alias=True, warnings=False)
    for key in path.split("."):
        node = node[key]
    if not isinstance(node, dict):
        raise ValueError(f"{path} is not a year series")
    return {f"{path}.{y}": float(v) * multiplier(int(y)) for y, v in node.items()}


def inputs(instance: Instance) -> list[Input]:
    """The uncertain inputs, their low and high values and their sources."""

    def growth(ratio: float):
        # demand in 2026 unchanged, `ratio` x the base by 2030 (log-linear), then held
        return lambda y: ratio ** (min(max(y - 2026, 0), 4) / 4)

    def packaging(ratio: float):
        # the 2026-27 limits are TSMC's own plans; growth after 2027 scaled
        return lambda y: 1.0 if y <= 2027 else ratio ** (min(y - 2027, 13) / 13)

    def demand(ratio: float) -> dict[str, float]:
        out: dict[str, float] = {}
        for c in TOKENS:
            out.update(_year_path(instance, f"commodities.{c}.demand", growth(ratio)))
        return out

    return [
        Input(
            "token demand growth",
            "2026-30 growth 12.8x (half the base's 25.5x)",
            "2026-30 growth 51x (twice the base's)",
            "observed 5x (Microsoft), ~7x (Google), 10x (OpenRouter) a year [S59-S61]; "
            "the base assumes slowing growth [A]",
            demand(0.5),
            demand(2.0),
        ),
        Input(
            "FLOP per token",
            "x0.5 inference compute per token",
            "x2 inference compute per token",
            "2 x active parameters at 10 % utilisation [S64]; long contexts cost up to 8x a "
            "short query [S64]; the base's x1.5 context factor [D/A]",
            _scaled([f"technologies.{m}.inputs.per_activity.compute" for m in MODELS], 0.5),
            _scaled([f"technologies.{m}.inputs.per_activity.compute" for m in MODELS], 2.0),
        ),
        Input(
            "accelerator price",
            "x0.7 (Blackwell chip ASP ~$22k [S27])",
            "x1.3 (GB300 rack ~$56k per GPU [W])",
            "Morgan Stanley / SemiAnalysis prices [S27]; rack prices [W]",
            _scaled([f"technologies.{k}.capex" for k in NEW_CHIPS], 0.7),
            _scaled([f"technologies.{k}.capex" for k in NEW_CHIPS], 1.3),
        ),
        Input(
            "accelerator efficiency",
            "x1.25 power per accelerator (Rubin 3.2 kW, less gain after it)",
            "x0.75 power per accelerator (faster efficiency gains)",
            "Rubin NVL72 190-230 kW per rack = 2.6-3.2 kW per GPU [anchors][W]; the "
            "post-Rubin generation is an assumption [A]",
            _scaled(POWER_PER_CHIP, 1.25),
            _scaled(POWER_PER_CHIP, 0.75),
        ),
        Input(
            "gas price",
            "$3.5/MMBtu everywhere (Henry Hub, x0.52 of fuel + VOM)",
            "$13.5/MMBtu (JKM, x1.89)",
            "Henry Hub $3.50, TTF $11.20, JKM $13.50 per MMBtu, Jan 2026 [N3][W]; base "
            "$7 blend [D/A]",
            _scaled([f"technologies.{g}.variable_om" for g in GAS], 0.52),
            _scaled([f"technologies.{g}.variable_om" for g in GAS], 1.89),
        ),
        Input(
            "nuclear capex",
            "x0.75 (ATB 2030 $9,000/kW in 2025$)",
            "x1.35 (Vogtle ~$15,700/kW; OPG SMR C$17.4-25.7k/kW)",
            "NREL ATB 2024 [S7]; Vogtle [S22]; OPG Darlington [S23]",
            _scaled([f"technologies.{n}.capex" for n in NUCLEAR], 0.75),
            _scaled([f"technologies.{n}.capex" for n in NUCLEAR], 1.35),
        ),
        Input(
            "solar capex",
            "x0.57 (IRENA 2024 global $691/kW)",
            "x1.47 (ATB US $1,767/kW in 2025$)",
            "IRENA Renewable Power Generation Costs 2024 [anchors]; NREL ATB 2024 [S7]",
            _scaled(["technologies.solar_pv.capex"], 0.57),
            _scaled(["technologies.solar_pv.capex"], 1.47),
        ),
        Input(
            "packaging growth",
            "CoWoS 2040 limit x0.67 (growth after 2027 a third lower)",
            "CoWoS 2040 limit x1.5 (growth after 2027 half as fast again)",
            "TSMC doubled CoWoS in 2024 and 2025 [S32]; JPMorgan / TrendForce 2026-27 "
            "[anchors]; later growth [A]",
            _year_path(instance, "resources.packaging.limit", packaging(0.67)),
            _year_path(instance, "resources.packaging.limit", packaging(1.5)),
        ),
        Input(
            "electricians",
            "x0.7 of the workforce AI builds can draw on",
            "x1.3",
            "BLS 818.7k US electricians, ~81k openings a year [S41]; the 2.5 % share for AI "
            "builds is an assumption [A]",
            _scaled(["resources.electricians.limit"], 0.7),
            _scaled(["resources.electricians.limit"], 1.3),
        ),
    ]


def base_values(instance: Instance, paths: list[str]) -> dict[str, float]:
    """The value each path has in the instance (1.0 for a scale: path)."""
    tree = instance.model_dump(by_alias=True, warnings=False)
    out = {}
    for path in paths:
        if path.startswith("scale:"):
            out[path] = 1.0
            continue
        node: Any = tree
        for key in path.split("."):
            node = node[
                int(key) if isinstance(node, dict) and key.isdigit() and int(key) in node else key
            ]
        out[path] = float(node)
    return out


def points(instance: Instance) -> tuple[list[dict[str, float]], list[dict[str, str]]]:
    """The sweep's points (every point sets every path) and what each point is."""
    cases = inputs(instance)
    paths = sorted({p for c in cases for side in (c.low, c.high) for p in side})
    base = base_values(instance, paths)
    pts = [dict(base)]
    meta = [{"input": "base", "case": "base", "value": "the base plan", "source": ""}]
    for c in cases:
        for case, change, text in (("low", c.low, c.low_text), ("high", c.high, c.high_text)):
            pts.append({**base, **change})
            meta.append({"input": c.name, "case": case, "value": text, "source": c.source})
    return pts, meta


def electricity(tables: dict[str, pd.DataFrame], point: int, year: int = YEAR) -> float:
    com = tables["commodities"]
    rows = com[
        (com["point"] == point) & (com["commodity"] == "electricity") & (com["year"] == year)
    ]
    return float(rows["consumption"].sum())


def unserved_share(tables: dict[str, pd.DataFrame], point: int, end: int) -> float:
    com = tables["commodities"]
    rows = com[(com["point"] == point) & (com["layer"] == "applications") & (com["year"] <= end)]
    return float(rows["unserved"].sum() / rows["demand"].sum())


def run(instance_path: Path = BASE, workers: int = 1) -> pd.DataFrame:
    instance = load_instance(instance_path)
    pts, meta = points(instance)
    table = sweep(instance, pts, keep="tables", workers=workers)
    tables = table.attrs["tables"]
    rows = []
    for row in table.itertuples(index=False):
        i = int(row.point)
        rows.append(
            {
                **meta[i],
                "point": i,
                "status": row.status,
                "objective": float(row.objective),
                f"electricity_{YEAR}": electricity(tables, i)
                if row.status == "optimal"
                else float("nan"),
                "unserved_share": unserved_share(tables, i, int(instance.years.end))
                if row.status == "optimal"
                else float("nan"),
            }
        )
    out = pd.DataFrame(rows)
    base = out[out["case"] == "base"].iloc[0]
    out["objective_change"] = out["objective"] - base["objective"]
    out[f"electricity_{YEAR}_change"] = out[f"electricity_{YEAR}"] - base[f"electricity_{YEAR}"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", nargs="?", type=Path, default=BASE)
    parser.add_argument("--out", type=Path, default=ROOT / "sensitivity")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    table = run(args.instance.resolve(), args.workers)
    args.out.mkdir(parents=True, exist_ok=True)
    atomic.write_text(args.out / "sensitivity.csv", table.to_csv(index=False))
    atomic.write_text(
        args.out / "sensitivity.json", json.dumps(table.to_dict(orient="records"), indent=2) + "\n"
    )
    shown = table[
        [
            "input",
            "case",
            "status",
            "objective",
            "objective_change",
            f"electricity_{YEAR}",
            f"electricity_{YEAR}_change",
            "unserved_share",
        ]
    ]
    print(shown.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    print(f"written to {args.out}/sensitivity.csv")
    return 0 if (table["status"] == "optimal").all() else 1


if __name__ == "__main__":
    raise SystemExit(main())
