"""Benchmark the two-stage programme three ways: planner's native extensive form
(`planner.solve`), mpi-sppy's extensive form and mpi-sppy's progressive hedging, both
through `planner.sppy` (needs `pip install -e '.[sppy]'`). Prints wall time, objective and
gap to the native optimum per way and number of cases.

    python scripts/bench_sppy.py [--cases 10 20] [--regions 3 --years 10 --techs 2]
        [--slices 2 4 --storage] [--ph-iterations 30 --rho 0.01 --xhat-cases 3]

Each EF runs `--repeat` times and its fastest time is kept (PH runs once). Each time is
the whole route from the validated instance: building, solving, and for PH
its iterations, the Lagrangian-bound solve and the evaluation of its candidate first
stages (`planner.sppy.solve_ph`). PH's objective is the best candidate's (an upper bound);
its lower bounds are the trivial (wait-and-see) and the Lagrangian bound.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from time import perf_counter
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen_instance import generate

from planner import solve, validate_instance
from planner.instance.schema import Instance
from planner.model.stochastic import combine
from planner.sppy import solve_ef, solve_ph


def _gap(value: float, best: float) -> str:
    return f"{(value - best) / abs(best):+.2e}"


def _fastest(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The shortest wall time of `repeat` runs, and that run's result."""
    best: tuple[float, Any] | None = None
    for _ in range(repeat):
        start = perf_counter()
        result = run()
        seconds = perf_counter() - start
        if best is None or seconds < best[0]:
            best = (seconds, result)
    assert best is not None
    return best


def _native_note(times: dict[str, float]) -> str:
    """The native route's phases, and its time to the optimum (all but the tables)."""
    optimum = sum(v for k, v in times.items() if k != "extract")
    phases = ", ".join(f"{k} {v:.2f}" for k, v in times.items())
    return f"to optimum {optimum:.2f} s ({phases}; extract = result tables)"


def _ph_row(instance: Instance, args: argparse.Namespace, best: float) -> dict[str, Any]:
    """The row of progressive hedging."""
    ph = solve_ph(instance, rho=args.rho, iterations=args.ph_iterations, xhat_cases=args.xhat_cases)
    info = ph.info
    lagrangian = (
        _gap(info["lagrangian_bound"], best)
        if info["lagrangian_bound"] is not None
        else f"none ({len(info['lagrangian_failed'])} case(s) not solved)"
    )
    ph_note = (
        f"{info['iterations']} it, conv {info['conv']:.2g}, xhat {info['xhat']}; "
        f"bounds: trivial {_gap(info['trivial_bound'], best)}, "
        f"Lagrangian {lagrangian}; "
        f"PH {info['ph_seconds']:.1f} s + xhat {ph.seconds - info['ph_seconds']:.1f} s"
    )
    return {
        "method": f"mpi-sppy PH (rho {args.rho:g})",
        "s": ph.seconds,
        "obj": ph.objective,
        "gap": _gap(ph.objective, best),
        "note": ph_note,
    }


def bench(instance: Instance, args: argparse.Namespace) -> list[dict[str, Any]]:
    """One row per way: method, seconds, objective, gap and notes."""
    native_s, native = _fastest(lambda: solve(instance), args.repeat)
    assert native.optimal and native.objective is not None
    best = native.objective
    ef_s, ef = _fastest(lambda: solve_ef(instance), args.repeat)
    rows = [
        {
            "method": "native EF",
            "s": native_s,
            "obj": best,
            "gap": _gap(best, best),
            "note": _native_note(native.summary["times"]),
        },
        {
            "method": "mpi-sppy EF",
            "s": ef_s,
            "obj": ef.objective,
            "gap": _gap(ef.objective, best),
            "note": f"build {ef.info['build_seconds']:.2f} s, no result tables",
        },
    ]
    if args.ph_iterations > 0:
        rows.append(_ph_row(instance, args, best))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[10, 20])
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--techs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slices", type=int, nargs=2, default=None, metavar=("P", "S"))
    parser.add_argument("--storage", action="store_true")
    parser.add_argument("--ph-iterations", type=int, default=30, help="0: no PH")
    parser.add_argument("--rho", type=float, default=0.01)
    parser.add_argument("--xhat-cases", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each EF (fastest kept)")
    args = parser.parse_args(argv)
    warm = validate_instance(generate(2, 4, 2, seed=args.seed, scenarios=2))
    solve(warm), solve_ef(warm)  # imports and first-call costs out of the timings
    print(f"| cases | columns | method | seconds | objective | gap | notes |\n|{' --- |' * 7}")
    for n in args.cases:
        raw = generate(
            args.regions, args.years, args.techs, seed=args.seed, scenarios=n,
            slices=tuple(args.slices) if args.slices else None, storage=args.storage,
        )  # fmt: skip
        instance = validate_instance(raw)
        columns = combine(instance).n_lp
        for row in bench(instance, args):
            print(
                f"| {n} | {columns} | {row['method']} | {row['s']:.2f} | {row['obj']:.6f} "
                f"| {row['gap']} | {row['note']} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
