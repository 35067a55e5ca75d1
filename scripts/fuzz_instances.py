"""Long input-fuzzing run of the instance loader (the engine is tests/fuzzing.py).

    python scripts/fuzz_instances.py --n 10000 [--seed 0] [--timeout 10] [--out DIR]
    python scripts/fuzz_instances.py --seed 0 --case 1234     # replay one case, with traceback

Case i of seed S is drawn from `random.Random(f"{S}:{i}")`, so every case can be replayed
alone. Each case must either load and then build (`prepare` + `build_model`) or raise
`InstanceError` with located problems. Anything else is an unexpected exception; a case
that runs longer than --timeout seconds counts as a hang. Both are saved as reproducers
under --out. The address space is capped (--max-memory-gb) so that an unbounded
allocation shows up as a MemoryError instead of exhausting the machine.

Prints: cases run, accepted, rejected with InstanceError, unexpected exceptions (with the
first tracebacks), the slowest case and its time, and the peak RSS. Exit code 1 if any
case failed.
"""

from __future__ import annotations

import argparse
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzzing import Case, make_case, run_case, save_reproducer


class Hang(Exception):
    """A case ran longer than the time guard."""


def _alarm(signum: int, frame: object) -> None:
    raise Hang


def case_of(seed: int, index: int) -> Case:
    return make_case(random.Random(f"{seed}:{index}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of cases")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=10, help="seconds per case")
    parser.add_argument("--out", default="fuzz-failures", help="directory for reproducers")
    parser.add_argument("--case", type=int, help="replay one case and show its traceback")
    parser.add_argument("--max-memory-gb", type=float, default=8.0, help="address-space cap")
    parser.add_argument("--show", type=int, default=3, help="tracebacks to print")
    args = parser.parse_args()

    cap = int(args.max_memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, resource.getrlimit(resource.RLIMIT_AS)[1]))
    signal.signal(signal.SIGALRM, _alarm)
    warnings.simplefilter("ignore")  # numpy overflow warnings on 1e308 are expected

    if args.case is not None:
        case = case_of(args.seed, args.case)
        print(case.describe()[:2000])
        print(run_case(case))
        return 0

    counts = {"accepted": 0, "rejected": 0}
    failures: list[tuple[int, Case, str]] = []
    slowest = (0.0, -1, "")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        for i in range(args.n):
            case = case_of(args.seed, i)
            t = time.perf_counter()
            signal.alarm(args.timeout)
            try:
                counts[run_case(case, tmp)] += 1
            except Hang:
                failures.append((i, case, f"hang: over {args.timeout} s\n"))
            except BaseException as exc:  # every escape is a finding
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append((i, case, traceback.format_exc()))
            finally:
                signal.alarm(0)
            took = time.perf_counter() - t
            if took > slowest[0]:
                slowest = (took, i, case.describe())
            if (i + 1) % 1000 == 0:
                print(f"  {i + 1} cases, {len(failures)} unexpected", flush=True)
    total = time.perf_counter() - start

    print(f"cases run: {args.n} (seed {args.seed}) in {total:.1f} s")
    print(f"accepted (loaded and built): {counts['accepted']}")
    print(f"rejected with InstanceError: {counts['rejected']}")
    print(f"unexpected exceptions or hangs: {len(failures)}")
    for i, case, text in failures[: args.show]:
        print(f"--- case {i}: {case.describe()[:300]}\n{text}")
    if failures:
        out = Path(args.out)
        for i, case, text in failures:
            save_reproducer(case, out / f"case-{args.seed}-{i}")
            (out / f"case-{args.seed}-{i}.traceback.txt").write_text(text)
        print(f"reproducers in {out}/ (replay: --seed {args.seed} --case I)")
    took, i, what = slowest
    print(f"slowest case: #{i} {took:.2f} s ({what[:200]})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
