"""Every balance, limit and cost rebuilt from the result tables of solved instances."""

from __future__ import annotations

from pathlib import Path

import pytest
from balances import check_balances

from planner import load_instance, solve

INSTANCES = sorted((Path(__file__).parent.parent / "instances").glob("*.yaml"))


@pytest.mark.parametrize("path", INSTANCES, ids=lambda p: p.stem)
def test_shipped_instances_balance(path):
    inst = load_instance(path)
    r = solve(inst)
    assert r.status == "optimal"
    check_balances(inst, r)
