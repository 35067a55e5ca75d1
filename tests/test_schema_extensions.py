"""The keys of MODEL.md §11-§17 (time, profiles, storage, flexibility, reserves, minimum limits,
end effects, foresight, scenarios) rejected with exact, located messages that name the fix,
through `validate_instance` and the command line; the warnings; and fuzzing of the new blocks
(every mutation validates, or raises `InstanceError`, and a valid one solves)."""

# ruff: noqa: E501  (tables of exact messages read best one per line)

from __future__ import annotations

import contextlib
import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from fuzzing import DATA_MUTATIONS, check_error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner import InstanceError, solve, validate_instance
from planner.cli import app

BASE: dict[str, Any] = {
    "name": "featured",
    "years": {"start": 2026, "end": 2027},
    "time": {
        "periods": {"day": {"weight": 365, "slices": {"am": 12, "pm": 12}}},
        "profiles": {"sun": {"day": [1.0, 0.0]}, "load": {"day": [1.0, 3.0]}},
    },
    "commodities": {
        "power": {
            "layer": "energy",
            "unit": "TWh",
            "balance": "slice",
            "demand": 10,
            "profile": "load",
            "reserve": {"margin": 0.1},
        },
        "compute": {"layer": "chips", "unit": "u", "demand": 4, "unmet_cost": 100},
    },
    "technologies": {
        "solar": {
            "layer": "energy",
            "output": "power",
            "output_per_capacity": 1.0,
            "lifetime": 1,
            "capex": 1,
            "availability": "sun",
            "firm_capacity": 0.1,
        },
        "gas": {
            "layer": "energy",
            "output": "power",
            "output_per_capacity": 1.0,
            "lifetime": 1,
            "capex": 30,
            "variable_om": 4,
            "firm_capacity": 1.0,
        },
        "battery": {
            "layer": "energy",
            "output": "power",
            "output_per_capacity": 1.0,
            "lifetime": 1,
            "capex": 2,
            "storage": {"duration": 8},
        },
        "gpu": {
            "layer": "chips",
            "output": "compute",
            "output_per_capacity": 1.0,
            "lifetime": 1,
            "capex": 1,
            "inputs": {"per_activity": {"power": 1.0}},
            "flexibility": {
                "commodity": "power",
                "shift": 0.2,
                "curtail": 0.1,
                "curtail_max": 0.05,
                "curtail_cost": 1.0,
            },
            "min_capacity": 1,
        },
    },
    "end_effects": {"extend_years": 1},
    "scenarios": {
        "branch_year": 2027,
        "cases": {
            "hi": {
                "probability": 0.5,
                "changes": [{"path": "commodities.power.demand", "multiply": 1.5}],
            },
            "lo": {"probability": 0.5},
        },
    },
}
"""Every new block in one small valid instance: two slices, a profile-shaped slice demand with a
reserve, solar availability, a battery, flexible GPU load, a minimum capacity, one extension
year and two cases."""

MYOPIC = {"mode": "myopic", "window": 1, "step": 1}


def _parent(data: dict, path: str) -> tuple[Any, Any]:
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    node = data
    for key in keys[:-1]:
        node = node[key]
    return node, keys[-1]


def edited(*edits: tuple[str, Any]) -> dict[str, Any]:
    """BASE with each (dotted path, value) set; the value DELETE removes the key."""
    data = copy.deepcopy(BASE)
    for path, value in edits:
        node, key = _parent(data, path)
        if value is DELETE:
            del node[key]
        else:
            node[key] = value
    return data


DELETE = object()
CHANGE = "scenarios.cases.hi.changes.0"

ERRORS = [
    pytest.param(
        [("time.profiles.sun.day", [1.0])],
        "x.yaml: time.profiles.sun.day: has 1 values but period 'day' has 2 slices. Fix: give exactly 2 values, one per slice in the order written",
        id="profile-length",
    ),
    pytest.param(
        [("time.profiles.sun.night", [1.0, 0.0])],
        "x.yaml: time.profiles.sun.night: 'night' is not a period. Fix: use one of the periods: day",
        id="profile-unknown-period",
    ),
    pytest.param(
        [("time.profiles.sun.day", [-1, 0])],
        "x.yaml: time.profiles.sun.day.0: must be >= 0, got -1. Fix: use a value >= 0",
        id="profile-negative",
    ),
    pytest.param(
        [("technologies.solar.availability", "sunn")],
        "x.yaml: technologies.solar.availability: 'sunn' is not a profile. Fix: did you mean 'sun'? use one of the profiles: sun, load",
        id="unknown-availability-profile",
    ),
    pytest.param(
        [("commodities.power.profile", "lod")],
        "x.yaml: commodities.power.profile: 'lod' is not a profile. Fix: did you mean 'load'? use one of the profiles: sun, load",
        id="unknown-demand-profile",
    ),
    pytest.param(
        [("time.profiles.load.day", [0, 0])],
        "x.yaml: time.profiles.load: profile 'load' is zero in every slice, so it cannot be normalised (used by commodities.power.profile). Fix: give the profile a positive value in some slice",
        id="zero-demand-profile",
    ),
    pytest.param(
        [("time.profiles.office", {"day": [0, 0]}), ("technologies.gpu.use_profile", "office")],
        "x.yaml: time.profiles.office: profile 'office' is zero in every slice, so it cannot be normalised (used by technologies.gpu.use_profile). Fix: give the profile a positive value in some slice",
        id="zero-use-profile",
    ),
    pytest.param(
        [("time.profiles.sun.day", [1.5, 0])],
        "x.yaml: time.profiles.sun.day: availability profile 'sun' has 1.5 > 1 (used by technologies.solar.availability). Fix: availability is a share of capacity: use values in [0, 1]",
        id="availability-above-1",
    ),
    pytest.param(
        [("commodities.compute.profile", "load")],
        "x.yaml: commodities.compute.profile: a profile shapes a slice commodity's demand, but compute is balanced per year. Fix: set balance: slice, or remove profile",
        id="profile-on-annual-commodity",
    ),
    pytest.param(
        [("commodities.power.balance", "hourly")],
        "x.yaml: commodities.power.balance: 'hourly' is not allowed. Fix: use one of: 'annual' or 'slice'",
        id="balance-word",
    ),
    pytest.param(
        [("time.periods.day.weight", 0)],
        "x.yaml: time.periods.day.weight: must be > 0, got 0. Fix: use a value > 0",
        id="period-weight-0",
    ),
    pytest.param(
        [("technologies.battery.output", "compute")],
        "x.yaml: technologies.battery.storage: storage needs a slice commodity, but compute is balanced per year. Fix: set commodities.compute.balance: slice (with a `time` block)",
        id="storage-on-annual-commodity",
    ),
    pytest.param(
        [("technologies.battery.storage", {"efficiency_charge": 0.9})],
        "x.yaml: technologies.battery.storage.duration: required key 'duration' is missing. Fix: add 'duration' (the keys are listed in docs/model.md)",
        id="storage-without-duration",
    ),
    pytest.param(
        [("technologies.battery.storage.efficiency_charge", 1.2)],
        "x.yaml: technologies.battery.storage.efficiency_charge: must be <= 1, got 1.2. Fix: use a value <= 1",
        id="efficiency-above-1",
    ),
    pytest.param(
        [
            ("technologies.gpu.flexibility.shift", 0.6),
            ("technologies.gpu.flexibility.curtail", 0.5),
        ],
        "x.yaml: technologies.gpu.flexibility: shift (0.6) + curtail (0.5) is more than 1: more than the whole use would move. Fix: lower shift or curtail so that shift + curtail <= 1",
        id="shift-plus-curtail",
    ),
    pytest.param(
        [("technologies.gpu.flexibility.curtail_max", 1.5)],
        "x.yaml: technologies.gpu.flexibility.curtail_max: must be <= 1, got 1.5. Fix: use a value <= 1",
        id="curtail-max-above-1",
    ),
    pytest.param(
        [("technologies.gpu.flexibility.commodity", "compute")],
        "x.yaml: technologies.gpu.flexibility.commodity: flexible load needs a slice commodity, but compute is balanced per year. Fix: set commodities.compute.balance: slice",
        id="flexibility-on-annual-commodity",
    ),
    pytest.param(
        [("technologies.gpu.inputs", {})],
        "x.yaml: technologies.gpu.flexibility.commodity: gpu does not use power. Fix: add power to technologies.gpu.inputs, or name a commodity it uses",
        id="flexibility-on-unused-commodity",
    ),
    pytest.param(
        [("technologies.gpu.flexibility.commodity", "powr")],
        "x.yaml: technologies.gpu.flexibility.commodity: 'powr' is not a commodity. Fix: did you mean 'power'? use one of the commodities: power, compute",
        id="flexibility-unknown-commodity",
    ),
    pytest.param(
        [("technologies.gpu.flexibility.shiftt", 0.1)],
        "x.yaml: technologies.gpu.flexibility.shiftt: unknown key 'shiftt'. Fix: did you mean 'shift'? remove it or use one of: commodity, shift, curtail, curtail_max, curtail_cost",
        id="flexibility-typo",
    ),
    pytest.param(
        [("technologies.gas.firm_capacity", -1)],
        "x.yaml: technologies.gas.firm_capacity: must be >= 0, got -1.0. Fix: use a value >= 0",
        id="negative-firm-capacity",
    ),
    pytest.param(
        [("commodities.power.reserve.peak_factor", 0.9)],
        "x.yaml: commodities.power.reserve.peak_factor: must be >= 1, got 0.9. Fix: use a peak factor >= 1 (1: the load of the slice itself)",
        id="peak-factor-below-1",
    ),
    pytest.param(
        [("commodities.power.reserve.peak_factor", {2026: 1.2, 2027: 0.8})],
        "x.yaml: commodities.power.reserve.peak_factor: must be >= 1, got 0.8. Fix: use a peak factor >= 1 (1: the load of the slice itself)",
        id="peak-factor-below-1-in-a-year",
    ),
    pytest.param(
        [("technologies.gas.min_build", -1)],
        "x.yaml: technologies.gas.min_build: must be >= 0, got -1.0. Fix: use a value >= 0",
        id="negative-min-build",
    ),
    pytest.param(
        [("end_effects.extend_years", -1)],
        "x.yaml: end_effects.extend_years: must be >= 0, got -1. Fix: use a value >= 0",
        id="negative-extend-years",
    ),
    pytest.param(
        [("end_effects.extend_years", 1.5)],
        "x.yaml: end_effects.extend_years: expected a whole number, got 1.5. Fix: write a whole number here",
        id="fractional-extend-years",
    ),
    pytest.param(
        [("end_effects.extend_years", 199)],
        "x.yaml: end_effects.extend_years: the horizon and its extension have 201 years. Fix: use at most 200 years in all",
        id="too-many-years",
    ),
    pytest.param(
        [("scenarios", DELETE), ("foresight", {"mode": "myopic", "window": 1, "step": 2})],
        "x.yaml: foresight: step (2) is longer than the window (1): years between windows would never be decided. Fix: use a step of at most the window (step <= window)",
        id="step-longer-than-window",
    ),
    pytest.param(
        [("scenarios", DELETE), ("foresight", {"mode": "myopic", "window": 2})],
        "x.yaml: foresight: myopic foresight needs both `window` and `step`. Fix: give window and step in years, e.g. {mode: myopic, window: 6, step: 3}",
        id="myopic-without-step",
    ),
    pytest.param(
        [("foresight", {"mode": "sometimes"})],
        "x.yaml: foresight.mode: 'sometimes' is not allowed. Fix: use one of: 'perfect' or 'myopic'",
        id="foresight-mode",
    ),
    pytest.param(
        [("foresight", MYOPIC)],
        "x.yaml: foresight: myopic foresight cannot be combined with scenarios. Fix: remove foresight or scenarios: a two-stage programme already says what is known when",
        id="myopic-with-scenarios",
    ),
    pytest.param(
        [("scenarios.cases.hi.probability", 0.6)],
        "x.yaml: scenarios.cases: the probabilities sum to 1.1, not 1. Fix: make the case probabilities sum to 1 (within 1e-9)",
        id="probabilities-sum",
    ),
    pytest.param(
        [("scenarios.cases.hi.probability", 0)],
        "x.yaml: scenarios.cases.hi.probability: must be > 0, got 0. Fix: use a value > 0",
        id="probability-zero",
    ),
    pytest.param(
        [("scenarios.risk", {"alpha": 1.0})],
        "x.yaml: scenarios.risk.alpha: must be < 1, got 1.0. Fix: use a value < 1",
        id="alpha-1",
    ),
    pytest.param(
        [(f"{CHANGE}.path", "commodities.power.demnd")],
        "x.yaml: scenarios.cases.hi.changes.0.path: 'commodities.power.demnd' is not a year-indexed parameter that a case may change. Fix: did you mean 'demand'? use one of the changeable fields of commodities: demand, reserve.margin, reserve.peak_factor (scalars such as lifetimes cannot change)",
        id="change-unknown-field",
    ),
    pytest.param(
        [(f"{CHANGE}.path", "technologies.gpu.lifetime")],
        "x.yaml: scenarios.cases.hi.changes.0.path: 'technologies.gpu.lifetime' is not a year-indexed parameter that a case may change. Fix: use one of the changeable fields of technologies: output_per_capacity, capex, fixed_om, variable_om, residual, max_build, max_capacity, max_activity, min_build, min_capacity, min_activity, firm_capacity (scalars such as lifetimes cannot change)",
        id="change-of-a-scalar",
    ),
    pytest.param(
        [(f"{CHANGE}.path", "time.profiles.sun")],
        "x.yaml: scenarios.cases.hi.changes.0.path: 'time' has no changeable values. Fix: use one of the sections: commodities, technologies, resources, links, budget",
        id="change-of-a-profile",
    ),
    pytest.param(
        [(f"{CHANGE}.path", "commodities.compute.reserve.margin")],
        "x.yaml: scenarios.cases.hi.changes.0.path: commodities.compute has no reserve to change. Fix: add `reserve` to compute first",
        id="change-of-a-missing-reserve",
    ),
    pytest.param(
        [(CHANGE, {"path": "technologies.gas.capex", "add": -40})],
        "x.yaml: scenarios.cases.hi.changes.0: the change makes technologies.gas.capex negative. Fix: use a smaller `add`",
        id="change-makes-negative",
    ),
    pytest.param(
        [(CHANGE, {"path": "commodities.power.reserve.peak_factor", "multiply": 0.5})],
        "x.yaml: scenarios.cases.hi.changes.0: the change makes commodities.power.reserve.peak_factor below 1. Fix: keep peak_factor >= 1",
        id="change-makes-peak-factor-below-1",
    ),
    pytest.param(
        [(CHANGE, {"path": "technologies.gas.output_per_capacity", "multiply": 0})],
        "x.yaml: scenarios.cases.hi.changes.0: the change makes technologies.gas.output_per_capacity zero. Fix: keep output_per_capacity > 0",
        id="change-makes-output-zero",
    ),
    pytest.param(
        [(CHANGE, {"path": "technologies.gas.output_per_capacity", "set": 0})],
        "x.yaml: scenarios.cases.hi.changes.0: the change makes technologies.gas.output_per_capacity zero. Fix: keep output_per_capacity > 0",
        id="set-makes-output-zero",
    ),
    pytest.param(
        [(CHANGE, {"path": "commodities.power.reserve.peak_factor", "set": {2026: 0.9}})],
        "x.yaml: scenarios.cases.hi.changes.0: the change makes commodities.power.reserve.peak_factor below 1. Fix: keep peak_factor >= 1",
        id="set-makes-peak-factor-below-1",
    ),
    pytest.param(
        [(f"{CHANGE}.multiply", -1)],
        "x.yaml: scenarios.cases.hi.changes.0.multiply: must be >= 0, got -1.0. Fix: use a value >= 0",
        id="negative-multiply",
    ),
    pytest.param(
        [(f"{CHANGE}.multiply", {"world": 2})],
        "x.yaml: scenarios.cases.hi.changes.0.multiply: key 'world' is not a year: year keys are unquoted integers. Fix: write years as unquoted integers (2030: 5), or a region name for a region map",
        id="region-map-multiply",
    ),
    pytest.param(
        [(CHANGE, {"path": "budget.total", "set": {2026: 5}})],
        "x.yaml: scenarios.cases.hi.changes.0: budget.total is one number. Fix: set a number",
        id="budget-total-year-map",
    ),
    pytest.param(
        [(f"{CHANGE}.add", 1)],
        "x.yaml: scenarios.cases.hi.changes.0: a change needs exactly one of multiply, add, set; got multiply, add. Fix: write one of multiply: VALUE, add: VALUE or set: VALUE in this change",
        id="change-with-two-operations",
    ),
    pytest.param(
        [(CHANGE, {"path": "commodities.power.demand"})],
        "x.yaml: scenarios.cases.hi.changes.0: a change needs exactly one of multiply, add, set; got none. Fix: write one of multiply: VALUE, add: VALUE or set: VALUE in this change",
        id="change-without-operation",
    ),
    pytest.param(
        [("time.periods.peak", {"weight": 1, "slices": {"x": 24}})],
        "x.yaml: 2 problems\n"
        "x.yaml: time.profiles.sun: the profile does not list period 'peak'. Fix: give one value per slice for every period, e.g. peak: [...]\n"
        "x.yaml: time.profiles.load: the profile does not list period 'peak'. Fix: give one value per slice for every period, e.g. peak: [...]",
        id="profiles-missing-a-period",
    ),
]

WARNINGS = [
    pytest.param(
        [
            ("time", DELETE),
            ("commodities.power.profile", DELETE),
            ("technologies.solar.availability", DELETE),
        ],
        "x.yaml: technologies.battery.storage: the instance has no `time` block: with one slice, storage cannot shift anything. Fix: add a time block (`planner aggregate` makes one from hourly data)",
        id="storage-without-time",
    ),
    pytest.param(
        [("technologies.gpu.availability", "sun")],
        "x.yaml: technologies.gpu.availability: ignored: gpu's output compute is balanced per year. Fix: remove it, or set commodities.compute.balance: slice",
        id="availability-on-an-annual-technology",
    ),
    pytest.param(
        [("technologies.gas.use_profile", "load")],
        "x.yaml: technologies.gas.use_profile: ignored: gas is a slice technology (its output power is balanced per slice, so its use follows its activity). Fix: remove it",
        id="use-profile-on-a-slice-technology",
    ),
    pytest.param(
        [("technologies.gas.lead_time", 1), ("technologies.gas.min_build", 1)],
        "x.yaml: technologies.gas.min_build: min_build 1 in world 2026 falls before gas can be commissioned (2027, lead time 1): the instance is infeasible. Fix: move the commitment to 2027 or later, or put plants already under construction in residual",
        id="min-build-before-the-lead-time",
    ),
    pytest.param(
        [("technologies.gas.min_capacity", 5), ("technologies.gas.max_capacity", 3)],
        "x.yaml: technologies.gas.min_capacity: min_capacity 5 is above max_capacity 3 in world 2026: the instance is infeasible. Fix: lower min_capacity or raise max_capacity",
        id="min-above-max",
    ),
    pytest.param(
        [
            ("scenarios", DELETE),
            ("technologies.gas.lead_time", 1),
            ("foresight", {"mode": "myopic", "window": 2, "step": 2}),
        ],
        "x.yaml: foresight.step: step 2 > window 2 - lead time 1 of gas: some of its builds can never be decided (they fall between windows and stay 0). Fix: use step <= 1 or a longer window",
        id="step-beyond-window-minus-lead-time",
    ),
    pytest.param(
        [("scenarios.branch_year", 2030)],
        "x.yaml: scenarios.branch_year: branch_year 2030 lies outside 2027..2027: the cases share every decision (the plan for the expected case). Fix: set branch_year between 2027 and 2027 to hedge the first years",
        id="branch-year-after-the-horizon",
    ),
    pytest.param(
        [("scenarios.branch_year", 2026)],
        "x.yaml: scenarios.branch_year: branch_year 2026 lies outside 2027..2027: the cases share nothing (each case is solved on its own). Fix: set branch_year between 2027 and 2027 to hedge the first years",
        id="branch-year-at-the-start",
    ),
]


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(InstanceError) as info:
        validate_instance(data, "x.yaml")
    return str(info.value)


def test_base_is_valid_without_warnings() -> None:
    assert validate_instance(copy.deepcopy(BASE), "x.yaml").warnings == []


@pytest.mark.parametrize(("edits", "message"), ERRORS)
def test_new_key_rejected(edits: list[tuple[str, Any]], message: str) -> None:
    assert error_of(edited(*edits)) == message


@pytest.mark.parametrize(("edits", "message"), WARNINGS)
def test_new_key_warns(edits: list[tuple[str, Any]], message: str) -> None:
    assert validate_instance(edited(*edits), "x.yaml").warnings == [message]


def test_an_all_zero_profile_is_fine_where_it_is_not_normalised() -> None:
    # availability is used as given: a technology may be unavailable in every slice
    data = edited(("time.profiles.sun.day", [0.0, 0.0]))
    assert validate_instance(data, "x.yaml").warnings == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "technologies.gsa.capex",
            "'technologies.gsa.capex' names no technology. Fix: did you mean 'gas'? use one of "
            "the technologies: solar, gas, battery, gpu",
        ),
        (
            "commodities.pwr.demand",
            "'commodities.pwr.demand' names no commodity. Fix: did you mean 'power'? use one of "
            "the commodities: power, compute",
        ),
    ],
)
def test_change_naming_an_unknown_entity(path: str, message: str) -> None:
    data = edited((f"{CHANGE}.path", path))
    assert error_of(data) == f"x.yaml: scenarios.cases.hi.changes.0.path: {message}"


# --- through the command line ----------------------------------------------------------------

runner = CliRunner()


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def located(message: str) -> list[str]:
    """The problem lines without "x.yaml: " (the CLI names the file with its line and column)."""
    lines = message.splitlines()
    return [line.removeprefix("x.yaml: ") for line in (lines[1:] if len(lines) > 1 else lines)]


@pytest.mark.parametrize(("edits", "message"), ERRORS)
def test_cli_validate_and_solve_reject_with_the_message(
    tmp_path: Path, edits: list[tuple[str, Any]], message: str
) -> None:
    path = write(tmp_path, edited(*edits))
    for command in (["validate", str(path)], ["solve", str(path), "--out", str(tmp_path / "o")]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1, result.output
        assert result.output.startswith("error: "), result.output
        assert "Traceback" not in result.output
        for line in located(message):
            assert line in result.output
        assert f"{path}:" in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("edits", "message"), WARNINGS)
def test_cli_validate_prints_the_warning(
    tmp_path: Path, edits: list[tuple[str, Any]], message: str
) -> None:
    path = write(tmp_path, edited(*edits))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"warning: {path}:")
    assert located(message)[0] in result.output
    assert "valid:" in result.output


def test_cli_validate_counts_the_programme_columns(tmp_path: Path) -> None:
    from reference import reference_details

    columns = reference_details(copy.deepcopy(BASE))["columns"]
    result = runner.invoke(app, ["validate", str(write(tmp_path, BASE))])
    assert result.exit_code == 0, result.output
    assert f"LP with {columns} columns" in result.output


# --- fuzzing of the new blocks ---------------------------------------------------------------

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _new_paths(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every path inside the blocks and keys of §11-§17 (an absent key's too: setting it adds it)."""
    blocks = [("time",), ("end_effects",), ("scenarios",), ("foresight",)]
    for c in data["commodities"]:
        blocks += [("commodities", c, key) for key in ("balance", "profile", "reserve")]
    for k in data["technologies"]:
        blocks += [
            ("technologies", k, key)
            for key in ("availability", "use_profile", "storage", "flexibility", "firm_capacity",
                        "min_build", "min_capacity", "min_activity")
        ]  # fmt: skip
    out = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        out.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, (*path, i))

    for block in blocks:
        node: Any = data
        for key in block:
            node = node.get(key) if isinstance(node, dict) else None
        walk(node, block)
    return out


NAMES = ["sun", "load", "day", "am", "power", "compute", "gpu", "gas", "slice", "annual", "myopic"]
PATHS = [
    "commodities.power.demand",
    "commodities.power.reserve.margin",
    "technologies.gas.capex",
    "technologies.solar.firm_capacity",
    "technologies.gpu.min_capacity",
    "budget.total",
    "time.periods",
]
NUMBERS = st.sampled_from([0, 0.0, 1, 1.0, 0.5, 1.5, 2, -1, -0.5, 1e-9, 1e9, 2026, 2030, 8760])
PLAUSIBLE_NUMBERS = NUMBERS | st.floats(min_value=0, max_value=2) | st.integers(0, 4)
WILD = st.recursive(
    NUMBERS | st.sampled_from([None, True, "", math.nan, math.inf, *NAMES, *PATHS]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from([2026, 2027, 2040, "world", "day", *NAMES]), inner, max_size=3
        )
        | st.fixed_dictionaries(
            {},
            optional={
                "path": st.sampled_from(PATHS),
                "multiply": inner,
                "add": inner,
                "set": inner,
                "duration": NUMBERS,
                "commodity": st.sampled_from(NAMES),
                "shift": NUMBERS,
                "weight": NUMBERS,
                "window": NUMBERS,
                "step": NUMBERS,
            },
        )
    ),
    max_leaves=6,
)
GRAFTS: dict[str, Any] = {
    "storage": {"duration": 4, "efficiency_charge": 0.9},
    "flexibility": {"commodity": "power", "shift": 0.3, "curtail": 0.2, "curtail_max": 0.1},
    "reserve": {"margin": 0.2, "peak_factor": 1.1},
    "availability": "sun",
    "use_profile": "load",
    "profile": "load",
    "balance": "slice",
    "firm_capacity": 0.5,
    "min_build": {2027: 1},
    "min_capacity": 2,
    "min_activity": {"world": 1},
    "end_effects": {"extend_years": 2},
    "foresight": {"mode": "myopic", "window": 2, "step": 1},
    "changes": [{"path": "technologies.gas.capex", "set": {2026: 30, 2027: 10}}],
}
"""Valid values of the new keys, put where they may or may not belong."""


def _mutation(draw: Any, current: Any, key: Any) -> Any:
    """A value for the key: near its current one (numbers, names, lists of numbers), a valid
    value of a new key (where it may not belong), anything at all, or DELETE."""
    kind = draw(st.sampled_from(["near", "graft", "near", "graft", "wild", "delete"]))
    if kind == "delete":
        return DELETE
    if (kind == "graft" or current is None) and key in GRAFTS:
        return copy.deepcopy(GRAFTS[key])
    if kind != "wild" and isinstance(current, int | float) and not isinstance(current, bool):
        return draw(PLAUSIBLE_NUMBERS)
    if kind != "wild" and isinstance(current, str):
        return draw(st.sampled_from([*NAMES, *PATHS]))
    if (
        kind != "wild"
        and isinstance(current, list)
        and current
        and not isinstance(current[0], dict)
    ):
        n = len(current) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        return draw(st.lists(st.floats(min_value=0, max_value=1.2), min_size=n, max_size=n))
    return draw(WILD)


@settings(FUZZ, max_examples=40)
@given(st.booleans(), st.data())
def test_fuzz_new_blocks(myopic: bool, draws: st.DataObject) -> None:
    """Values of the new blocks changed, removed, put where they do not belong, in the
    two-stage base or its myopic variant: `InstanceError` as promised, or an instance that
    validates and solves (optimal or infeasible, never an exception)."""
    data = copy.deepcopy(BASE)
    if myopic:
        del data["scenarios"]
        data["foresight"] = dict(MYOPIC)
    for _ in range(draws.draw(st.integers(1, 3))):
        path = draws.draw(st.sampled_from(_new_paths(data)))
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        has = path[-1] in node if isinstance(node, dict) else path[-1] < len(node)
        value = _mutation(draws.draw, node[path[-1]] if has else None, path[-1])
        if value is not DELETE:
            node[path[-1]] = value
        elif has:
            del node[path[-1]]
    try:
        inst = validate_instance(data, "fuzz.yaml")
    except InstanceError as exc:
        check_error(exc, "fuzz.yaml")
        return
    r = solve(inst)
    assert r.status in ("optimal", "infeasible"), r.summary


@settings(FUZZ, max_examples=40)
@given(st.booleans(), st.randoms(use_true_random=False))
def test_fuzz_engine_mutations_of_the_featured_instance(myopic: bool, rng: Any) -> None:
    """The mutations of tests/fuzzing.py (removed and renamed keys, odd types and numbers,
    empty mappings, duplicate and dangling names, odd year and region keys) on the instance
    with every new block: `InstanceError` as promised, or a solve without an exception."""
    data = copy.deepcopy(BASE)
    if myopic:
        del data["scenarios"]
        data["foresight"] = dict(MYOPIC)
    for _ in range(rng.randint(1, 3)):
        mutation = rng.choice(DATA_MUTATIONS)
        # a mutation may not apply to what earlier ones left (as in fuzzing.make_case)
        with contextlib.suppress(TypeError, ValueError, KeyError, IndexError, OverflowError):
            mutation(rng, data)
    try:
        inst = validate_instance(data, "fuzz.yaml")
    except InstanceError as exc:
        check_error(exc, "fuzz.yaml")
        return
    assert solve(inst).status in ("optimal", "infeasible")
