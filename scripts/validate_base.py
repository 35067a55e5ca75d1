"""Check the base plan against 2025-2026 figures: docs/validation.md and validation.json.

    PYTHONPATH=. python scripts/validate_base.py [INSTANCE] [--md docs/validation.md]
                                                 [--json validation.json] [--out DIR]

Solves `instances/base.yaml` (or INSTANCE), computes the plan's figures that public data can
check (AI electricity, chip and datacenter spending, the installed accelerator fleet and its
use, the reserve margin, the last horizon years), compares each with its anchor (a value or
range, its source and a tolerance band) and writes:

- docs/validation.md: the side-by-side table with ratios, what the numbers mean, and the
  known deviations with the reason each remains;
- validation.json: one record per check (metric, year, value, band, ok) plus the
  informational comparisons (no band).

Exit code 0 when every banded check is inside its band, 1 otherwise.
`tests/test_validation.py` runs the same checks on one solve in CI.

Definitions (stated in the docs as well):
- AI electricity: every technology's electricity use by the chips and infrastructure layers,
  cooling included: the `consumption` of `electricity` in the commodities table, after
  flexible load (storage charging is not consumption). The script checks that no other layer
  uses electricity, so the two are the same.
- Chips + datacenter overnight spending in year y: for every build of a chips or
  infrastructure technology, capex of its commissioning year spread evenly over its
  construction years (lead time), as the `budget` table does for all layers.
- Installed accelerators: chips capacity x H100e per unit (output_per_capacity), in M
  H100-equivalents; used share = chips activity / that.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from planner import atomic  # noqa: E402
from planner.instance.loader import load_instance  # noqa: E402
from planner.instance.schema import Instance  # noqa: E402
from planner.model.data import prepare  # noqa: E402
from planner.results.base import Results  # noqa: E402
from planner.solver.api import solve  # noqa: E402

BASE = ROOT / "instances" / "base.yaml"
SPEND_LAYERS = ("chips", "infrastructure")
ELECTRICITY = "electricity"
TOL = 1e-6


@dataclass(frozen=True)
class Anchor:
    """One public figure and the band the plan must stay in (no band: shown only)."""

    key: str
    metric: str
    year: int | None
    unit: str
    value: float | None  # the anchor's central value, for the ratio (None: a range only)
    shown: str  # the figure as the source gives it
    source: str
    low: float | None = None
    high: float | None = None
    note: str = ""

    @property
    def banded(self) -> bool:
        return self.low is not None or self.high is not None

    def band_text(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low:g} – {self.high:g}"
        if self.low is not None:
            return f">= {self.low:g}"
        if self.high is not None:
            return f"<= {self.high:g}"
        return "(shown only)"


ANCHORS = [
    Anchor(
        "electricity_2026",
        "AI electricity",
        2026,
        "TWh",
        100.0,
        "about 100 TWh (a fleet drawing >10 GW x 8.76 x PUE ~1.15); Gartner ~175 TWh [W]",
        "Epoch AI chip sales / installed compute (Jan 2026); Gartner via press [W]",
        low=90,
        high=180,
    ),
    Anchor(
        "spend_2026",
        "chips + datacenter overnight spending",
        2026,
        "B$2025",
        680.0,
        "big four hyperscalers guide $630-725B for 2026, Oracle ~$50B more; "
        "Nvidia data-centre revenue $193.7B (FY2026)",
        "Q4-2025 / Q1-2026 earnings calls [S68]; Nvidia FY2026 results",
        low=400,
        high=900,
    ),
    Anchor(
        "installed_2026",
        "installed accelerators",
        2026,
        "M H100e",
        15.0,
        "about 15M H100-equivalents installed in January 2026",
        "Epoch AI, AI chip sales / installed compute (2026) [S31]",
        low=15.0 * 0.85,
        high=15.0 * 1.15,
        note="within 15 % of 15M",
    ),
    Anchor(
        "used_2026",
        "share of installed accelerators used",
        2026,
        "share",
        None,
        "a fleet that is bought is used: at least 80 %",
        "issue requirement (the old plan left 4M H100s idle, 49 % used)",
        low=0.80,
    ),
    Anchor(
        "electricity_2030",
        "AI electricity",
        2030,
        "TWh",
        800.0,
        "IEA ~945 TWh for all datacenters (2030); EPRI/Epoch >100 GW of AI capacity "
        "(x 8.76 x ~0.9 = ~800 TWh)",
        "IEA Energy and AI [S1]; EPRI/Epoch Scaling Intelligence [anchors]",
        low=400,
        high=1200,
    ),
    Anchor(
        "capacity_2030",
        "AI datacenter capacity (GW-IT in service x PUE 1.15)",
        2030,
        "GW",
        100.0,
        "more than 100 GW of AI datacenter capacity worldwide; RAND's upper case 327 GW",
        "EPRI/Epoch (2025); RAND RRA3572-1 [S67]",
    ),
    Anchor(
        "nvidia_2026",
        "accelerator spending (chips layer)",
        2026,
        "B$2025",
        193.7,
        "Nvidia data-centre revenue $193.7B in FY2026 (Feb 2025 - Jan 2026); other "
        "vendors and calendar 2026 come on top",
        "Nvidia FY2026 results [anchors]",
    ),
]


# --- figures of a plan ---------------------------------------------------------------------


def _horizon(table: pd.DataFrame) -> pd.DataFrame:
    if "extension" in table:
        return table[~table["extension"].astype(bool)]
    return table


def electricity_by_year(results: Results) -> pd.Series:
    com = results.tables["commodities"]
    rows = com[com["commodity"] == ELECTRICITY]
    return rows.groupby("year")["consumption"].sum()


def check_electricity_users(instance: Instance) -> None:
    """AI electricity is the commodity's whole consumption only if no other layer uses it."""
    for name, tech in instance.technologies.items():
        inputs = tech.inputs
        uses = set()
        if inputs is not None:
            for part in (inputs.per_activity, inputs.per_capacity, inputs.per_build):
                uses |= set(part or {})
        if ELECTRICITY in uses and tech.layer not in SPEND_LAYERS:
            raise SystemExit(
                f"{name} ({tech.layer}) uses electricity: 'AI electricity' would not be the "
                "commodity's consumption; extend the script"
            )


def spending_by_year(results: Results, instance: Instance, layers=SPEND_LAYERS) -> pd.Series:
    """Overnight spending per year of the technologies of `layers` (capex of the
    commissioning year, spread evenly over the construction years)."""
    data = prepare(instance)
    years = [int(y) for y in data.years]
    index = {y: i for i, y in enumerate(years)}
    sched = results.tables["schedule"]
    spend = dict.fromkeys(years, 0.0)
    for tech in data.techs:
        if tech.layer not in layers:
            continue
        rows = sched[sched["technology"] == tech.name]
        for r in rows.itertuples(index=False):
            if r.build <= 0:
                continue
            b = int(r.year)
            region = tech.regions.index(r.region)
            cost = float(tech.capex[region, index[b]]) * float(r.build)
            lead = tech.lead_time
            span = [b] if lead == 0 else list(range(b - lead, b))
            for y in span:
                if y in spend:
                    spend[y] += cost / max(lead, 1)
    return pd.Series(spend)


def fleet(results: Results, instance: Instance) -> pd.DataFrame:
    """Per year: installed accelerators (M H100e) and the compute used (M H100e-yr)."""
    data = prepare(instance)
    index = {int(y): i for i, y in enumerate(data.years)}
    sched = results.tables["schedule"]
    rows = []
    for tech in data.techs:
        if tech.layer != "chips":
            continue
        for r in sched[sched["technology"] == tech.name].itertuples(index=False):
            a = float(tech.a[tech.regions.index(r.region), index[int(r.year)]])
            rows.append({"year": int(r.year), "installed": r.capacity * a, "used": r.activity})
    table = pd.DataFrame(rows).groupby("year")[["installed", "used"]].sum()
    table["share"] = table["used"] / table["installed"].where(table["installed"] > 0)
    return table


def reserve_ratio(results: Results) -> pd.Series:
    """Per year: the lowest firm capacity / required firm capacity over slices (>= 1: met)."""
    slices = results.tables.get("slices")
    if slices is None or "required_firm" not in slices:
        return pd.Series(dtype=float)
    rows = slices[slices["commodity"] == ELECTRICITY]
    ratio = rows["firm_capacity"] / rows["required_firm"].where(rows["required_firm"] > 0)
    return ratio.groupby(rows["year"]).min()


def datacenter_power(results: Results, instance: Instance) -> pd.Series:
    """Per year: hosting capacity in service (GW-IT) x the fleet's PUE, as GW."""
    sched = results.tables["schedule"]
    infra = {
        name
        for name, t in instance.technologies.items()
        if t.layer == "infrastructure" and t.output.startswith("hosting")
    }
    rows = sched[sched["technology"].isin(infra)]
    it = rows.groupby("year")["capacity"].sum()
    return it


def demand_by_year(results: Results) -> pd.Series:
    com = results.tables["commodities"]
    final = com[com["layer"] == "applications"]
    return final.groupby("year")["demand"].sum()


# --- the checks ----------------------------------------------------------------------------


def figures(results: Results, instance: Instance) -> dict[str, Any]:
    check_electricity_users(instance)
    elec = electricity_by_year(results)
    spend = spending_by_year(results, instance)
    chips_spend = spending_by_year(results, instance, ("chips",))
    fl = fleet(results, instance)
    reserve = reserve_ratio(results)
    com = _horizon(results.tables["commodities"])
    tokens = com[com["layer"] == "applications"]
    return {
        "electricity": elec,
        "spend": spend,
        "chips_spend": chips_spend,
        "fleet": fl,
        "reserve": reserve,
        "demand": demand_by_year(results),
        "unserved_share": float(tokens["unserved"].sum() / tokens["demand"].sum()),
        "horizon_end": int(instance.years.end),
        "horizon_start": int(instance.years.start),
        "pue_it": datacenter_power(results, instance),
    }


def checks(results: Results, instance: Instance) -> list[dict[str, Any]]:
    """Every check: metric, year, value, band, ratio, ok, source."""
    f = figures(results, instance)
    end, start = f["horizon_end"], f["horizon_start"]
    out: list[dict[str, Any]] = []

    def add(anchor: Anchor, value: float) -> None:
        ok = None
        if anchor.banded:
            ok = bool(
                (anchor.low is None or value >= anchor.low * (1 - TOL))
                and (anchor.high is None or value <= anchor.high * (1 + TOL))
            )
        out.append(
            {
                "key": anchor.key,
                "metric": anchor.metric,
                "year": anchor.year,
                "unit": anchor.unit,
                "value": float(value),
                "anchor": anchor.shown,
                "anchor_value": anchor.value,
                "ratio": float(value / anchor.value) if anchor.value else None,
                "band": [anchor.low, anchor.high] if anchor.banded else None,
                "band_text": anchor.band_text(),
                "ok": ok,
                "source": anchor.source,
                "note": anchor.note,
            }
        )

    by_key = {a.key: a for a in ANCHORS}
    add(by_key["electricity_2026"], f["electricity"].loc[2026])
    add(by_key["spend_2026"], f["spend"].loc[2026])
    add(by_key["installed_2026"], f["fleet"].loc[2026, "installed"])
    add(by_key["used_2026"], f["fleet"].loc[2026, "share"])
    add(by_key["electricity_2030"], f["electricity"].loc[2030])
    add(by_key["capacity_2030"], f["pue_it"].loc[2030] * 1.15)
    add(by_key["nvidia_2026"], f["chips_spend"].loc[2026])

    # the last three reported years: no end-of-horizon cliff while demand grows
    demand = f["demand"]
    for y in range(end - 2, end + 1):
        grows = demand.loc[y] > demand.loc[y - 1] * (1 + 1e-9)
        ratio = f["electricity"].loc[y] / f["electricity"].loc[y - 1]
        anchor = Anchor(
            f"no_cliff_{y}",
            "AI electricity / previous year's",
            y,
            "ratio",
            None,
            "demand grows: the plan's electricity does not fall at the end of the horizon",
            "issue requirement (the last-year cliff); end_effects extension years",
            low=0.97 if grows else None,
        )
        add(anchor, ratio)

    # reserve margin in every horizon year
    reserve = f["reserve"]
    years = [y for y in range(start, end + 1) if y in reserve.index]
    worst = min(years, key=lambda y: reserve.loc[y]) if years else start
    value = float(reserve.loc[worst]) if years else math.nan
    add(
        Anchor(
            "reserve",
            "firm capacity / required (worst slice and year)",
            worst,
            "ratio",
            1.0,
            "firm capacity >= (1 + 20 %) x peak-slice load in every slice and year",
            "PJM reserve target ~20 % [anchors]; the model's reserve rows",
            low=1.0 if years else None,
        ),
        value,
    )
    add(
        Anchor(
            "unserved",
            "unserved token demand, share of 2026-2040",
            None,
            "share",
            None,
            "all token demand is served while the chain can grow",
            "plan figure",
        ),
        f["unserved_share"],
    )
    return out


# --- writing -------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}"
    return str(value)


KNOWN_DEVIATIONS = """\
- **Wind's capacity factor is lifted from Greensboro's shape.** The only shipped hourly profile
  is an airport's 10 m wind (capacity factor 0.141). `wind_onshore` scales it to the US fleet's
  0.33, so on the windiest representative day a slice can deliver up to 1.45 x nameplate. The
  yearly energy and the firm credit (41 %) are right; the hour-to-hour shape is one site's.
- **One world region.** `base.yaml` blends the costs of the US, China and the rest of the
  world by where AI electricity is used (0.45 / 0.25 / 0.30, IEA 2024). It cannot show where
  things are built; `instances/regions.yaml` does, with regional costs and links.
- **Chips bought in a year serve from the next.** With a one-year lead time, capacity in 2026
  is the January 2026 fleet (Epoch's 15M H100e) and 2026 purchases appear as 2026 spending and
  2027 capacity. Deliveries in the second half of a year really do serve part of that year, so
  the plan's compute in a year is a little below the real average fleet's.
- **Token volumes and compute per token are weakly sourced.** The 2026 world volume (150
  Ptokens) is scaled from Google's reported volume; the inference compute per token carries a
  x1.5 long-context factor chosen so that the 2026 fleet is used as a real fleet is. Both are
  the first two inputs of `scripts/sensitivity.py`.
- **Growth after 2030 is high.** AI electricity reaches ~1,850 TWh in 2035, above the IEA's
  "lift-off" case for all datacenters (1,720 TWh); token growth after 2030 (x1.25 a year to
  2035, x1.08 after) and the training compute per programme are assumptions, the first
  inputs of the sensitivity. The bands check 2026 and 2030 only.
- **Early power comes from connections already under way.** New grid contracts take four
  years, so 2027-2029 supply rests on contracted grid draw that grows from 22 to 48 GW by
  2028 (halls under construction come with their connections) and on nuclear contracts,
  on-site gas and batteries. Without those residual connections the committed 2027 fleet
  could not be powered.
- **Spending is overnight capital only.** The 2026 anchor (hyperscaler guidance) includes land,
  networking outside the rack, non-AI servers and leases; the plan's figure counts the
  accelerators (with a scale-out network share) and the halls. Energy-layer spending is
  reported separately in the `budget` table.
"""


def write_markdown(rows: list[dict[str, Any]], path: Path, instance_path: Path) -> None:
    banded = [r for r in rows if r["band"] is not None]
    shown = [r for r in rows if r["band"] is None]
    ok = all(r["ok"] for r in banded)
    lines = [
        "# Validation of the base plan",
        "",
        f"`scripts/validate_base.py` solves `{instance_path.relative_to(ROOT)}` and compares "
        "the plan with public 2025-2026 figures (`../shared/data/ai_stack_figures.md`, "
        'section 9, "2026 calibration anchors", and the sources cited in the instance). '
        "This file and `validation.json` are written by it; "
        "`tests/test_validation.py` fails in CI when the plan leaves any band.",
        "",
        f"**Result: {'every banded check passes' if ok else 'SOME CHECKS FAIL'}** "
        f"({sum(bool(r['ok']) for r in banded)} of {len(banded)}).",
        "",
        "## What the numbers mean",
        "",
        "- **AI electricity** is every technology's electricity use by the chips and "
        "infrastructure layers, cooling (PUE overhead) included: the `consumption` of "
        "`electricity` in the `commodities` table, after flexible training load has shifted "
        "or curtailed it. Storage charging is not counted; nothing else uses electricity.",
        "- **Chips + datacenter overnight spending** in a year is the capex of every chips "
        "and infrastructure build, at its commissioning year's price, spread evenly over its "
        "construction (lead-time) years, as the `budget` table spreads all spending. Chips "
        "and halls have a one-year lead time, so 2026 spending is what is bought in 2026.",
        "- **Installed accelerators** is the chips layer's capacity in H100-equivalents "
        "(989 dense BF16 TFLOP/s each) in that year; **used** is the compute produced over it.",
        "- **Reserve margin**: in every slice of every year, firm capacity (contracted grid "
        "draw, gas, nuclear at 93-100 %, wind at 41 %, solar at 8 %, batteries at 50 %) must "
        "be at least 1.2 x the AI load of that slice; the ratio is the tightest slice's.",
        "- **No cliff**: the plan's AI electricity in each of the last three horizon years is at "
        "least 0.97 x the year before while token demand grows (end effects: 8 extension years).",
        "- Money is billion US dollars of 2025 (B$2025).",
        "",
        "## Checks with a band",
        "",
        "| metric | year | plan | anchor | band | ratio | ok | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in banded:
        lines.append(
            f"| {r['metric']} ({r['unit']}) | {r['year'] or ''} | {_fmt(r['value'])} | "
            f"{r['anchor']} | {r['band_text']} | {_fmt(r['ratio'], 2)} | "
            f"{'yes' if r['ok'] else '**NO**'} | {r['source']} |"
        )
    lines += [
        "",
        "## Comparisons without a band",
        "",
        "| metric | year | plan | anchor | ratio | source |",
        "|---|---|---|---|---|---|",
    ]
    for r in shown:
        lines.append(
            f"| {r['metric']} ({r['unit']}) | {r['year'] or ''} | {_fmt(r['value'])} | "
            f"{r['anchor']} | {_fmt(r['ratio'], 2)} | {r['source']} |"
        )
    lines += ["", "## Known deviations, and why they remain", "", KNOWN_DEVIATIONS]
    atomic.write_text(path, "\n".join(lines) + "\n")


def write_json(rows: list[dict[str, Any]], path: Path) -> None:
    records = [
        {
            "metric": r["key"],
            "description": r["metric"],
            "year": r["year"],
            "value": r["value"],
            "unit": r["unit"],
            "band": r["band"],
            "ratio": r["ratio"],
            "ok": r["ok"],
            "source": r["source"],
        }
        for r in rows
    ]
    atomic.write_text(path, json.dumps(records, indent=2) + "\n")


def run(instance_path: Path = BASE) -> tuple[list[dict[str, Any]], Results, Instance]:
    instance = load_instance(instance_path)
    results = solve(instance)
    if results.status != "optimal":
        raise SystemExit(f"{instance_path}: the solve ended {results.status}")
    return checks(results, instance), results, instance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", nargs="?", type=Path, default=BASE)
    parser.add_argument("--md", type=Path, default=ROOT / "docs" / "validation.md")
    parser.add_argument("--json", type=Path, default=ROOT / "validation.json")
    parser.add_argument("--out", type=Path, default=None, help="also write the plan's tables")
    args = parser.parse_args(argv)
    rows, results, _ = run(args.instance.resolve())
    write_markdown(rows, args.md, args.instance.resolve())
    write_json(rows, args.json)
    if args.out is not None:
        from planner.results.io import write_results

        write_results(results, args.out, force=True)
    for r in rows:
        flag = "" if r["ok"] is None else ("ok  " if r["ok"] else "FAIL")
        print(
            f"{flag:4} {r['metric']:<52} {r['year'] or ''!s:>4} {_fmt(r['value']):>10}  "
            f"band {r['band_text']}"
        )
    return 0 if all(r["ok"] for r in rows if r["band"] is not None) else 1


if __name__ == "__main__":
    raise SystemExit(main())
