"""Sweep base.yaml over total budgets and print what each budget buys.

python scripts/sweep_budgets.py [N_POINTS]
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner import load_instance, sweep
from planner.instance.paths import linspace

ROOT = Path(__file__).resolve().parents[1]

instance = load_instance(ROOT / "instances" / "base.yaml")
n = int(sys.argv[1]) if len(sys.argv) > 1 else 8

# Budgets (B$ of overnight capital over 2026-2040), from above the unconstrained
# plan's spend (~16,800) down to a third of it. Neighbouring points follow each
# other, so every solve after the first is a warm re-solve of the same model.
table = sweep(instance, {"budget.total": linspace(18_000, 6_000, n)})

table["served"] = 1 - table.filter(like="unserved_share.").mean(axis=1)
print(f"{'budget':>10} {'status':>8} {'cost':>12} {'served':>7} {'budget price':>13}")
for _, row in table.iterrows():
    print(
        f"{row['budget.total']:>10,.0f} {row['status']:>8} {row['objective']:>12,.0f} "
        f"{row['served']:>7.1%} {row['shadow.budget_total']:>13.2f}"
    )
