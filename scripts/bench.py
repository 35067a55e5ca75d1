"""Benchmark the planner against HiGHS alone on the same LP, stage by stage.

Each measurement runs in its own process, so that peak memory (ru_maxrss) is that run's:
- planner: load + validate the YAML, build (prepare + Pyomo model), hand-off to HiGHS,
  solve, extract the result tables, write outputs (CSV);
- HiGHS alone: `highspy` readModel of the planner's LP written once as MPS, then run.

    python scripts/bench.py instances/base.yaml
    python scripts/bench.py --gen 30 25 12            # regions years techs-per-layer
    python scripts/bench.py --scaling                 # four sizes, fitted overhead exponent
    python scripts/bench.py --startup                 # --help, validate and solve of base.yaml
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SCALING = [(12, 20, 6), (20, 25, 8), (30, 25, 12), (30, 25, 40)]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_planner(path: str, out: str) -> dict:
    """The planner end to end through its one pipeline (runs in a child process): load,
    build, hand-off, solve and extract from the summary's times, then write (CSV)."""
    from planner import load_instance, solve
    from planner.results.io import write_results

    start = time.perf_counter()
    inst = load_instance(path)
    times = {"load": time.perf_counter() - start}
    results = solve(inst)
    times.update({k: v for k, v in results.summary["times"].items()})
    start = time.perf_counter()
    write_results(results, out, ("csv",), force=True)
    times["write"] = time.perf_counter() - start
    s = results.summary
    return {
        "times": times,
        "objective": results.objective,
        "status": results.status,
        "columns": s["columns"],
        "rows": s["rows"],
        "nonzeros": s["nonzeros"],
        "peak_mb": _peak_mb(),
    }


def child_mps(path: str, mps: str) -> dict:
    """Write the planner's LP (the model `planner.solve` builds) as MPS (not timed)."""
    from planner import SolveOptions, load_instance
    from planner.solver.api import build
    from planner.solver.handoff import direct_lp
    from planner.solver.highs import load

    hand = load(direct_lp(build(load_instance(path))), SolveOptions())
    hand.highs.writeModel(mps)
    return {}


def child_highs(mps: str) -> dict:
    """HiGHS alone: read the MPS file and solve."""
    from planner.solver.highs import new_highs

    h = new_highs()
    t = time.perf_counter()
    h.readModel(mps)
    read = time.perf_counter() - t
    t = time.perf_counter()
    h.run()
    solve = time.perf_counter() - t
    return {
        "times": {"read": read, "solve": solve},
        "objective": h.getInfo().objective_function_value,
        "peak_mb": _peak_mb(),
    }


def spawn(*args: str) -> dict:
    """Run this script as a child with `args`; return its JSON answer."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(path: str, parallel: bool = False) -> dict:
    """Planner and HiGHS alone on one instance file, each in its own process; with
    `parallel`, the two run at the same time, one per core (for long solves)."""
    with tempfile.TemporaryDirectory() as tmp:
        mps = os.path.join(tmp, "model.mps")
        spawn("mps", path, mps)
        if parallel:
            with ThreadPoolExecutor(2) as pool:
                planner_run = pool.submit(spawn, "planner", path, os.path.join(tmp, "out"))
                highs_run = pool.submit(spawn, "highs", mps)
                planner, highs = planner_run.result(), highs_run.result()
        else:
            planner = spawn("planner", path, os.path.join(tmp, "out"))
            highs = spawn("highs", mps)
    p_total = sum(planner["times"].values())
    h_total = sum(highs["times"].values())
    return {
        "planner": planner,
        "highs": highs,
        "planner_total": p_total,
        "highs_total": h_total,
        "overhead": p_total - planner["times"]["solve"],
        "time_ratio": p_total / h_total,
        "memory_ratio": planner["peak_mb"] / highs["peak_mb"],
        "objective_gap": abs(planner["objective"] - highs["objective"])
        / max(1.0, abs(highs["objective"])),
    }


def report(name: str, r: dict) -> None:
    p, h = r["planner"], r["highs"]
    stages = ", ".join(f"{k} {v:.2f}s" for k, v in p["times"].items())
    print(f"\n== {name}: {p['columns']:,} columns, {p['rows']:,} rows, {p['nonzeros']:,} nonzeros")
    print(f"planner    : {stages}; total {r['planner_total']:.2f}s, peak {p['peak_mb']:.0f} MB")
    hs = ", ".join(f"{k} {v:.2f}s" for k, v in h["times"].items())
    print(f"HiGHS alone: {hs}; total {r['highs_total']:.2f}s, peak {h['peak_mb']:.0f} MB")
    print(
        f"ratios     : time {r['time_ratio']:.3f}x, memory {r['memory_ratio']:.3f}x; "
        f"overhead {r['overhead']:.2f}s = {r['overhead'] / p['times']['solve']:.1%} of the "
        f"planner's solve; objective gap {r['objective_gap']:.1e}"
    )


def generated(regions: int, years: int, techs: int, tmp: str, **options: object) -> str:
    """Write a generated instance (scripts/gen_instance.py, with its feature options) to a
    YAML file."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import yaml
    from gen_instance import generate

    path = os.path.join(tmp, f"gen_{regions}x{years}x{techs}.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(generate(regions, years, techs, seed=1, **options), f, sort_keys=False)
    return path


def gen_options(args: argparse.Namespace) -> dict[str, object]:
    """The generator's feature options from the command line."""
    return {
        "slices": tuple(args.slices) if args.slices else None,
        "storage": args.storage,
        "reserve": args.reserve,
        "flexibility": args.flexibility,
        "scenarios": args.scenarios,
        "links": not args.no_links,
    }


STARTUP = {
    "planner --help": ["--help"],
    "planner validate instances/base.yaml": ["validate", "instances/base.yaml"],
    "planner solve instances/base.yaml": ["solve", "instances/base.yaml", "--force"],
}
"""Issue 13's start-up targets: under 0.5 s, 0.5 s and 2 s end to end."""


def startup(runs: int = 5) -> None:
    """Wall time of each STARTUP command, Python start-up included, best of `runs`."""
    with tempfile.TemporaryDirectory() as tmp:
        for label, args in STARTUP.items():
            times = []
            for _ in range(runs):
                out = ["--out", tmp] if args[0] == "solve" else []
                t = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "planner", *args, *out],
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                )
                times.append(time.perf_counter() - t)
            print(f"{label}: best {min(times):.2f}s, median {sorted(times)[runs // 2]:.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", nargs="?", help="instance YAML")
    parser.add_argument("--gen", nargs=3, type=int, metavar=("REGIONS", "YEARS", "TECHS"))
    parser.add_argument("--slices", nargs=2, type=int, metavar=("PERIODS", "SLICES"))
    parser.add_argument("--storage", action="store_true")
    parser.add_argument("--reserve", action="store_true")
    parser.add_argument("--flexibility", action="store_true")
    parser.add_argument("--scenarios", type=int, default=0, help="two-stage cases")
    parser.add_argument("--no-links", action="store_true", help="no trade: an easy LP")
    parser.add_argument("--scaling", action="store_true", help="four sizes and the fitted exponent")
    parser.add_argument(
        "--startup", action="store_true", help="time --help, validate and solve of base.yaml"
    )
    parser.add_argument(
        "--parallel", action="store_true", help="run planner and HiGHS alone side by side"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        answer = {"planner": child_planner, "mps": child_mps, "highs": child_highs}[kind](*rest)
        print(json.dumps(answer))
        return
    if args.startup:
        startup()
    with tempfile.TemporaryDirectory() as tmp:
        if args.instance:
            report(args.instance, measure(args.instance, args.parallel))
        if args.gen:
            path = generated(*args.gen, tmp, **gen_options(args))
            report("generated", measure(path, args.parallel))
        if args.scaling:
            rows = []
            for size in SCALING:
                r = measure(generated(*size, tmp))
                report(f"{size}", r)
                rows.append(
                    (r["planner"]["columns"], r["overhead"], r["time_ratio"], r["memory_ratio"])
                )
            print("\ncolumns     overhead(s)  time ratio  memory ratio")
            for cols, over, tr, mr in rows:
                print(f"{cols:>9,}  {over:>10.2f}  {tr:>10.3f}  {mr:>12.3f}")
            cols = np.log([r[0] for r in rows])
            over = np.log([max(r[1], 1e-6) for r in rows])
            print(f"fitted exponent of overhead vs columns: {np.polyfit(cols, over, 1)[0]:.3f}")


if __name__ == "__main__":
    main()
