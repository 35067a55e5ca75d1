"""Benchmark budget sweeps three ways: rebuild + cold solve per point, warm re-solves in one
process, warm re-solves on 2 worker processes. Prints seconds and the speed-up ratios.

    python scripts/bench_sweep.py [--points 20] [--regions 40 --years 25 --techs 12]
    python scripts/bench_sweep.py --regions 45 --no-links --skip-base   # ~107k columns

The budget runs from the unconstrained plan's overnight spend down to half of it. Every
way solves each point through the same pipeline and row (`planner.sweeps.point.point_row`),
so the ratios measure
warm re-solving alone; the 2-worker time includes starting the worker processes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from time import perf_counter

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen_instance import generate

from planner import load_instance, solve, sweep, validate_instance
from planner.instance.paths import apply, linspace
from planner.sweeps.point import point_row


def unconstrained_spend(instance) -> float:
    """Overnight spend of the plan with no total budget."""
    free = apply(instance, {"budget.total": 1e30})  # HiGHS reads >= 1e20 as no limit
    row, _ = point_row(0, {}, solve(free), None)
    return float(row["spend_total"])


def rebuild_cold(instance, points) -> tuple[float, list[float]]:
    start = perf_counter()
    objectives = []
    for i, point in enumerate(points):
        row, _ = point_row(i, point, solve(apply(instance, point)), None)
        objectives.append(row["objective"])
    return perf_counter() - start, objectives


def bench(name: str, instance, n_points: int) -> None:
    spend = unconstrained_spend(instance)
    points = [{"budget.total": b} for b in linspace(spend, 0.5 * spend, n_points)]
    cold, cold_obj = rebuild_cold(instance, points)
    start = perf_counter()
    warm_table = sweep(instance, points)
    warm = perf_counter() - start
    start = perf_counter()
    par_table = sweep(instance, points, workers=2)
    par = perf_counter() - start
    gap = max(
        np.max(np.abs(warm_table["objective"] - cold_obj) / np.abs(cold_obj)),
        np.max(np.abs(par_table["objective"] - cold_obj) / np.abs(cold_obj)),
    )
    rebuilds = int((~warm_table["warm"]).sum())
    warm_points = warm_table[warm_table["warm"]]
    overhead = (warm_points["time"] - warm_points["solve_time"]).to_numpy()
    highs = warm_points["solve_time"].to_numpy()
    print(
        f"{name}: {n_points} points, budget {spend:,.6g} -> {0.5 * spend:,.6g}\n"
        f"  rebuild + cold      {cold:8.2f} s\n"
        f"  warm, 1 process     {warm:8.2f} s   x{cold / warm:5.1f} faster "
        f"({rebuilds} rebuild(s), simplex iterations {int(warm_table['iterations'].sum()):,})\n"
        f"  warm, 2 workers     {par:8.2f} s   x{cold / par:5.1f} faster\n"
        f"  per warm point: HiGHS re-solve median {np.median(highs):.3f} s; the pipeline's "
        f"update, extract and headline median {np.median(overhead):.3f} s, max "
        f"{np.max(overhead):.3f} s; all but HiGHS, wall (sweep wall - sum of HiGHS) / points "
        f"{(warm - warm_table['solve_time'].sum()) / n_points:.3f} s (with the first, cold "
        "build)\n"
        f"  largest relative objective difference to rebuild + cold: {gap:.1e}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--regions", type=int, default=40)
    parser.add_argument("--years", type=int, default=25)
    parser.add_argument(
        "--techs", type=int, default=12, help="technologies per layer (~90k columns)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-links", action="store_true", help="no trade: an easier LP")
    parser.add_argument("--skip-base", action="store_true", help="only the generated instance")
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    if not args.skip_base:
        bench("base.yaml", load_instance(root / "instances" / "base.yaml"), args.points)
    gen = generate(args.regions, args.years, args.techs, args.seed, links=not args.no_links)
    label = (
        f"generated (regions {args.regions}, years {args.years}, techs {args.techs}"
        f"{', no links' if args.no_links else ''})"
    )
    bench(label, validate_instance(gen, "generated"), args.points)


if __name__ == "__main__":
    main()
