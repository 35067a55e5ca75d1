"""Invariances of MODEL.md §11-§17 for the planner: a feature switched off, or stated in a form
that means the same, leaves the optimum (and where it should, the LP's size) unchanged."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

from planner import Results, load_instance, solve, validate_instance

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from gen_instance import generate  # noqa: E402


def run(data: dict[str, Any], evpi: bool = False) -> Results:
    r = solve(validate_instance(copy.deepcopy(data)), evpi=evpi)
    assert r.status == "optimal", r.summary.get("cause")
    return r


def size(r: Results) -> tuple[int, int]:
    return r.summary["rows"], r.summary["columns"]


def same(a: Results, b: Results, rel: float = 1e-9, lp: bool = True) -> None:
    """Equal objectives (relative `rel`) and, with `lp`, equal row and column counts."""
    assert b.objective == pytest.approx(a.objective, rel=rel)
    if lp:
        assert size(b) == size(a)


def test_no_time_block_equals_one_explicit_slice() -> None:
    # Without `time`: one period `year` (weight 1) of one slice `all` of 8760 h. One day of 24 h
    # occurring 365 times is that slice (w = 1): with storage, flexibility and a reserve on the
    # slice commodity electricity, the same LP.
    data = generate(1, 3, 2, seed=0, storage=True, flexibility=True, reserve=True)
    assert "time" not in data and data["commodities"]["electricity"]["balance"] == "slice"
    implicit = run(data)
    data["time"] = {"periods": {"d": {"weight": 365, "slices": {"all": 24}}}}
    explicit = run(data)
    same(implicit, explicit)
    assert explicit.slices["weight"].tolist() == pytest.approx([1.0] * len(explicit.slices))


def split_periods(data: dict[str, Any]) -> dict[str, Any]:
    """Each period replaced by two identical copies with half its weight."""
    out = copy.deepcopy(data)
    time = out["time"]
    time["periods"] = {
        f"{p}{half}": {"weight": spec["weight"] / 2, "slices": spec["slices"]}
        for p, spec in time["periods"].items()
        for half in ("a", "b")
    }
    time["profiles"] = {
        name: {f"{p}{half}": values for p, values in profile.items() for half in ("a", "b")}
        for name, profile in time["profiles"].items()
    }
    return out


FEATURED = {"slices": (2, 3), "storage": True, "reserve": True, "flexibility": True}


def test_a_period_split_into_two_identical_halves_changes_nothing() -> None:
    # Weights, storage cycles (per occurrence, divided by the half weight and bounded by the
    # same h / H), shifting within each half and the reserve per slice all read the same.
    data = generate(1, 3, 2, seed=2, **FEATURED)
    base, halves = run(data), run(split_periods(data))
    assert halves.objective == pytest.approx(base.objective, rel=1e-8)
    assert len(halves.slices) == 2 * len(base.slices)


def test_scaling_every_period_weight_changes_nothing() -> None:
    # w_t = ω_p δ_t / H is unchanged when every ω_p doubles; H doubles, so the energy capacity
    # (h / H) a Cap halves with the state step (ηQ - X / η) / ω_p.
    data = generate(1, 3, 2, seed=2, **FEATURED)
    doubled = copy.deepcopy(data)
    for period in doubled["time"]["periods"].values():
        period["weight"] *= 2
    same(run(data), run(doubled), rel=1e-8)


def test_zero_reserve_margin_with_ample_firm_capacity_changes_nothing() -> None:
    # One region (no imports): every technology counts its whole output rate a as firm, and
    # X_t <= α a w_t Cap with α <= 1, so production covering the load already meets a margin
    # 0, peak factor 1 requirement: the reserve rows cannot bind.
    data = generate(1, 3, 2, seed=2, slices=(2, 3), storage=True, reserve=True)
    plain = copy.deepcopy(data)
    del plain["commodities"]["electricity"]["reserve"]
    data["commodities"]["electricity"]["reserve"] = {"margin": 0.0}
    for tech in data["technologies"].values():
        tech["firm_capacity"] = tech["output_per_capacity"]
    with_reserve = run(data)
    same(run(plain), with_reserve, lp=False)
    assert "capacity_price" in with_reserve.slices
    # A real margin then costs something (the test can fail).
    data["commodities"]["electricity"]["reserve"] = {"margin": 0.5, "peak_factor": 1.2}
    assert run(data).objective > with_reserve.objective * (1 + 1e-6)


def test_storage_is_never_used_with_one_slice() -> None:
    # With one slice the state equation reads η_c Q = X / η_d: with efficiencies < 1 each unit
    # discharged costs 1 / (η_c η_d) > 1 unit charged, and a discharge cost of 0.001 makes any
    # cycle strictly dearer than not cycling: charge and discharge are 0 in every year.
    data = generate(2, 3, 1, seed=1, storage=True)
    battery = data["technologies"]["energy_storage"]
    battery["variable_om"] = 0.001
    storage = battery["storage"]
    assert storage["efficiency_charge"] < 1 and storage["efficiency_discharge"] < 1
    r = run(data)
    rows = r.dispatch[r.dispatch["technology"] == "energy_storage"]
    assert len(rows) == 2 * 3  # regions x years x one slice
    assert rows["charge"].abs().max() == pytest.approx(0.0, abs=1e-9)
    assert rows["activity"].abs().max() == pytest.approx(0.0, abs=1e-9)


def test_zero_shift_and_curtail_change_nothing() -> None:
    # Flexibility with shift 0 and curtail 0 moves nothing: the same optimum, and no SD, SU or
    # CU columns.
    data = generate(1, 3, 2, seed=2, slices=(2, 3), flexibility=True)
    plain = copy.deepcopy(data)
    flexible = [t for t in data["technologies"].values() if "flexibility" in t]
    assert flexible
    for tech in plain["technologies"].values():
        tech.pop("flexibility", None)
    for tech in flexible:
        tech["flexibility"].update(shift=0.0, curtail=0.0)
    a, b = run(plain), run(data)
    same(a, b, lp=False)
    assert b.summary["columns"] == a.summary["columns"]


def test_deterministic_equals_one_certain_case() -> None:
    # One case of probability 1 without changes is the deterministic model: same LP.
    data = generate(1, 3, 2, seed=2, slices=(2, 2), scenarios=2)
    deterministic = copy.deepcopy(data)
    del deterministic["scenarios"]
    data["scenarios"]["cases"] = {"only": {"probability": 1.0}}
    one = run(data, evpi=True)
    same(run(deterministic), one)
    assert one.summary["scenarios"]["evpi"] == pytest.approx(0.0, abs=1e-6 * one.objective)


def test_deterministic_equals_two_identical_cases() -> None:
    # Two cases without changes (p 0.4 and 0.6): each is the deterministic model, and so is
    # their expectation.
    data = generate(1, 3, 2, seed=2, slices=(2, 2), scenarios=2)
    deterministic = copy.deepcopy(data)
    del deterministic["scenarios"]
    data["scenarios"]["cases"] = {"a": {"probability": 0.4}, "b": {"probability": 0.6}}
    two = run(data)
    expected = run(deterministic).objective
    assert two.objective == pytest.approx(expected, rel=1e-9)
    cases = two.summary["scenarios"]["cases"]
    assert [cases[c]["objective"] for c in ("a", "b")] == pytest.approx([expected] * 2, rel=1e-9)


def test_branch_year_at_the_start_shares_nothing() -> None:
    # branch_year <= y0: no variable is first stage, so the programme is the cases side by side:
    # the objective is the wait-and-see value and the EVPI 0.
    data = generate(1, 3, 2, seed=3, slices=(1, 2), scenarios=2)
    data["scenarios"]["branch_year"] = data["years"]["start"]
    r = run(data, evpi=True)
    info = r.summary["scenarios"]
    assert r.objective == pytest.approx(info["wait_and_see"], rel=1e-9)
    assert info["evpi"] == pytest.approx(0.0, abs=1e-9 * r.objective)


def test_myopic_window_covering_the_horizon_is_perfect_foresight() -> None:
    data = generate(1, 4, 2, seed=1, slices=(1, 3), storage=True, extend_years=1)
    perfect = run(data)
    data["foresight"] = {"mode": "myopic", "window": 4, "step": 2}
    myopic = run(data)
    same(perfect, myopic)
    windows = myopic.summary["foresight"]["windows"]
    assert [(w["start"], w["end"]) for w in windows] == [(2026, 2029)]
    assert myopic.summary["objective_horizon"] == pytest.approx(
        perfect.summary["objective_horizon"], rel=1e-9
    )


def test_extend_years_zero_equals_no_block() -> None:
    data = generate(1, 3, 2, seed=6, slices=(1, 3), reserve=True)
    plain = run(data)
    data["end_effects"] = {"extend_years": 0}
    zero = run(data)
    same(plain, zero)
    assert "extension" not in zero.schedule
    assert zero.summary["objective_horizon"] == pytest.approx(zero.objective, rel=1e-12)


def test_cvar_weight_zero_is_the_expected_cost() -> None:
    # ω = 0: (1 - 0) Σ p_s Z_s, no θ or a_s columns, and the EVPI is reported.
    data = generate(1, 3, 2, seed=2, slices=(1, 2), scenarios=2)
    expected = run(data)
    data["scenarios"]["risk"] = {"alpha": 0.9, "weight": 0.0}
    weighted = run(data, evpi=True)
    same(expected, weighted)
    cases = weighted.summary["scenarios"]["cases"]
    total = sum(c["probability"] * c["objective"] for c in cases.values())
    assert weighted.objective == pytest.approx(total, rel=1e-9)
    assert weighted.summary["scenarios"]["evpi"] is not None
    # A positive weight adds θ and one a_s per case.
    data["scenarios"]["risk"]["weight"] = 0.5
    assert run(data).summary["columns"] == expected.summary["columns"] + 1 + 2


TINY_GOLDEN = 10661.725457614848


def test_an_instance_without_the_extensions_is_the_annual_model() -> None:
    # tiny uses none of §11-§17: its golden objective and LP size (60 rows, 52 columns), no
    # slice tables, no extension or scenario columns.
    r = solve(load_instance(ROOT / "instances" / "tiny.yaml"))
    assert r.objective == pytest.approx(TINY_GOLDEN, rel=1e-9)
    assert size(r) == (60, 52)
    assert not {"slices", "dispatch"} & set(r.tables)
    assert not {"time", "foresight", "scenarios"} & set(r.summary)
    for table in r.tables.values():
        assert not {"extension", "scenario", "stage"} & set(table.columns)


def test_explicit_defaults_of_the_extensions_are_the_annual_model() -> None:
    # The same instance with every new key at its default: annual balances, no reserve
    # (firm_capacity 0 alone adds nothing), end effects of 0 years, perfect foresight.
    import yaml

    data = yaml.safe_load((ROOT / "instances" / "tiny.yaml").read_text())
    for com in data["commodities"].values():
        com["balance"] = "annual"
    for tech in data["technologies"].values():
        tech["firm_capacity"] = 0.0
    data["end_effects"] = {"extend_years": 0}
    data["foresight"] = {"mode": "perfect"}
    r = run(data)
    assert r.objective == pytest.approx(TINY_GOLDEN, rel=1e-9)
    assert size(r) == (60, 52)
