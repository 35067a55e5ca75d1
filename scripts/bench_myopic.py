"""Myopic foresight two ways: every window's own model built and solved afresh, against
every window as a view of the whole horizon's model kept warm in one HiGHS model
(`SolveOptions(reuse_windows=...)`). Prints each way's seconds and the ratio.

    python scripts/bench_myopic.py [--regions 20 --years 25 --techs 10 --window 6 --step 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_instance import generate

from planner import SolveOptions, solve, validate_instance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--years", type=int, default=25)
    parser.add_argument("--techs", type=int, default=10)
    parser.add_argument("--window", type=int, default=6)
    parser.add_argument("--step", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = generate(args.regions, args.years, args.techs, seed=args.seed)
    data["foresight"] = {"mode": "myopic", "window": args.window, "step": args.step}
    instance = validate_instance(data, "generated")
    seconds = {}
    for reuse in (False, True):
        start = perf_counter()
        results = solve(instance, SolveOptions(reuse_windows=reuse))
        seconds[reuse] = perf_counter() - start
        windows = results.summary["foresight"]["windows"]
        label = "one warm model" if reuse else "rebuild each window"
        print(
            f"{label:<20} {seconds[reuse]:8.2f} s  {len(windows)} windows, "
            f"{results.summary['columns']:,} columns (last), objective {results.objective:,.8g}"
        )
    print(f"warm reuse is x{seconds[False] / seconds[True]:.2f} the speed of rebuilding")


if __name__ == "__main__":
    main()
