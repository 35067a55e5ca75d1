"""Input fuzzing: mutated instances either load and build, or raise `InstanceError`.

The hypothesis tests run with a fixed seed (`derandomize=True`) and a bounded number of
examples; `scripts/fuzz_instances.py --n 10000` is the long run of the same engine
(tests/fuzzing.py). The explicit tests below pin the escapes fuzzing found, with their
messages.
"""

# ruff: noqa: E501  (tables of exact messages read best one per line)

from __future__ import annotations

import datetime
import math
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from fuzzing import (
    Case,
    alias_bomb,
    base_data,
    base_texts,
    deep_dict,
    deep_list,
    make_case,
    run_case,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner import (
    InstanceError,
    assemble,
    build_model,
    load_instance,
    prepare,
    solve,
    validate_instance,
)
from planner.cli import app
from planner.instance import yaml_source as loader_module
from planner.model.data import crf

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy overflow on 1e308

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- hypothesis: mutated instances ---------------------------------------------------------


@settings(FUZZ, max_examples=300)
@given(st.randoms(use_true_random=False))
def test_fuzz_mutated_instances(rng):
    """Keys removed and renamed, types changed, odd numbers, empty mappings, duplicate and
    dangling names, odd year/region keys; raw YAML with tags, aliases and junk bytes."""
    run_case(make_case(rng))


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["world", "2026", "electricity", "energy", "", "nowhere"])
    | st.dates()
    | st.datetimes()
    | st.binary(max_size=8)
)
KEYS = (
    st.text(max_size=10)
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.sampled_from([2026, 2030, "world", "2026", True, None, 2026.5, math.nan])
    | st.dates()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


def _paths(data, prefix=()):
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.extend(_paths(value, (*prefix, i)))
    return out


@settings(FUZZ, max_examples=300)
@given(st.sampled_from(["tiny", "regions", "gen"]), st.integers(min_value=0), VALUES)
def test_fuzz_any_value_anywhere(name, where, value):
    """Any JSON/YAML-like value (nested lists and maps, odd keys, dates, bytes, NaN,
    huge integers) in place of any value of a valid instance."""
    data = base_data(name)
    paths = _paths(data)[1:]
    path = paths[where % len(paths)]
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    run_case(Case("data", [f"{path} = {value!r}"], data=data))


@settings(FUZZ, max_examples=150)
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(raw):
    run_case(Case("raw", ["random bytes"], raw=raw))


@settings(FUZZ, max_examples=150)
@given(
    st.sampled_from(["tiny", "regions"]),
    st.integers(min_value=0),
    st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>'\"#? \n\t0123456789.ae<")), max_size=30),
)
def test_fuzz_yaml_fragments(name, where, fragment):
    """YAML punctuation (anchors, aliases, tags, flow and block syntax) spliced into a file."""
    text = base_texts()[name]
    i = where % (len(text) + 1)
    run_case(
        Case("raw", [f"insert {fragment!r} at {i}"], raw=(text[:i] + fragment + text[i:]).encode())
    )


# --- explicit cases ---------------------------------------------------------------------------

TINY = Path(__file__).parent.parent / "instances" / "tiny.yaml"


def write(tmp_path: Path, raw: bytes | str, name: str = "x.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(raw.encode() if isinstance(raw, str) else raw)
    return path


def load_error(path: Path) -> str:
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    text = str(info.value)
    assert str(path) in text
    return text.replace(str(path), "F")


def data_error(data: dict) -> str:
    with pytest.raises(InstanceError) as info:
        validate_instance(data, "x.yaml")
    return str(info.value)


def tiny() -> dict:
    return base_data("tiny")


def builds(data: dict) -> None:
    build_model(prepare(validate_instance(data, "x.yaml")))


@pytest.mark.parametrize("levels", [9, 12, 30])
def test_alias_bomb_is_rejected_quickly(tmp_path, levels):
    path = write(tmp_path, alias_bomb(levels))
    start = time.perf_counter()
    text = load_error(path)
    assert time.perf_counter() - start < 2.0
    assert text == (
        "F: the YAML expands to over 2,000,000 values (aliases nest too deep). "
        "Fix: write the values out or use fewer nested aliases"
    )


def test_nested_lists_in_a_file(tmp_path):
    assert load_error(write(tmp_path, "[" * 10_000 + "]" * 10_000)) == (
        "F:1:1001: YAML syntax error: exceeded maximum nesting depth. "
        "Fix: correct the YAML at that line (indentation, ':' after keys, matching quotes)"
    )
    # below libyaml's own limit of 1000 the loader's check answers (it used to overflow
    # Python's stack with a RecursionError)
    assert load_error(write(tmp_path, "[" * 999 + "]" * 999)) == (
        "F:1:65: the YAML nests deeper than 64 levels. Fix: an instance nests about 6 levels "
        "(technologies.NAME.capex.REGION.YEAR); remove the extra brackets or indentation"
    )
    assert "nests deeper than 64" in load_error(write(tmp_path, "{a: " * 500 + "1" + "}" * 500))


@pytest.mark.parametrize("value", [deep_list(10_000), deep_dict(10_000)])
@pytest.mark.parametrize("key", ["name", "regions", "years", "extra", "technologies"])
def test_nested_data_is_reported_briefly(value, key):
    """10,000 levels of Python data (used to raise RecursionError while showing the value)."""
    data = tiny()
    data[key] = value
    message = data_error(data)
    assert len(message) < 2000


def test_cyclic_data():
    data = tiny()
    loop: list = []
    loop.append(loop)
    data["regions"] = loop
    assert data_error(data) == (
        "x.yaml: regions.0: expected a text value, got [[[[...]]]]. Fix: write a text value here"
    )


def test_cyclic_aliases(tmp_path):
    assert load_error(write(tmp_path, "name: &n [*n]\n")).startswith("F: 4 problems")


def test_non_utf8_bytes(tmp_path):
    assert load_error(write(tmp_path, b"name: caf\xe9\n")) == (
        "F: not UTF-8 text (byte 9). Fix: save the file as UTF-8"
    )


def test_multi_megabyte_valid_file_loads_and_builds(tmp_path):
    data = tiny()
    data["description"] = "x" * 3_000_000
    path = write(tmp_path, yaml.safe_dump(data))
    start = time.perf_counter()
    build_model(prepare(load_instance(path)))
    assert time.perf_counter() - start < 10


def test_multi_megabyte_junk_is_rejected(tmp_path):
    path = write(tmp_path, "regions: [" + "1, " * 1_000_000 + "]\n")
    start = time.perf_counter()
    text = load_error(path)
    assert time.perf_counter() - start < 15
    assert text == (
        "F:1:10: a list of over 10,000 items. "
        "Fix: the lists of an instance are lists of regions: give at most 10,000"
    )
    path = write(tmp_path, "regions: [" + "1, " * 600_000 + "]\n")  # below COUNT_EVENTS_ABOVE
    assert load_error(path) == (
        "F:1:10: a list of 600,000 items, over 10,000. "
        "Fix: the lists of an instance are lists of regions: give at most 10,000"
    )


def test_long_mappings_are_rejected(tmp_path):
    short = "commodities:\n" + "".join(f"  k{i}: {{unmet_cost: -1}}\n" for i in range(30_000))
    assert load_error(write(tmp_path, short)) == (
        "F:2:3: a mapping of 30,000 entries, over 20,000. Fix: an instance needs far fewer; "
        "give at most 20,000 names or years in one mapping"
    )
    long = "description: " + "x" * 2_000_000 + "\n" + short
    assert load_error(write(tmp_path, long)) == (
        "F:3:3: a mapping of over 20,000 entries. Fix: an instance needs far fewer; "
        "give at most 20,000 names or years in one mapping"
    )


def test_long_list_in_a_long_file_is_rejected_before_parsing(tmp_path):
    path = write(
        tmp_path, "description: " + "x" * 2_000_000 + "\nregions: [" + "a, " * 20_000 + "]\n"
    )
    assert load_error(path) == (
        "F:2:10: a list of over 10,000 items. "
        "Fix: the lists of an instance are lists of regions: give at most 10,000"
    )


def test_long_region_list_in_data():
    data = tiny()
    data["regions"] = [1] * 20_000
    assert (
        data_error(data) == "x.yaml: regions: has 20000 items, over 10000. Fix: list at most 10000"
    )


def test_file_over_the_size_limit(tmp_path):
    path = write(tmp_path, b" " * (loader_module.MAX_BYTES + 1))
    assert (
        load_error(path) == "F: file is 20,000,001 bytes, over 20,000,000. Fix: split or shrink it"
    )


def test_many_values_are_counted_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(loader_module, "COUNT_EVENTS_ABOVE", 100)
    monkeypatch.setattr(loader_module, "MAX_NODES", 1000)
    path = write(tmp_path, "regions: [" + "a, " * 2000 + "]\n")
    assert load_error(path) == (
        "F: the YAML holds over 1,000 values. "
        "Fix: an instance this large is not supported; split it or write fewer values"
    )


def test_many_problems_are_capped():
    data = tiny()
    for i in range(200):
        data["commodities"][f"c{i}"] = {"unmet_cost": -1}
    lines = data_error(data).splitlines()
    assert lines[0] == "x.yaml: 51 problems"
    assert lines[-1] == (
        "x.yaml: 150 more problems not shown. Fix: fix the ones above and validate again"
    )


def test_many_unknown_names_are_fast_and_short():
    data = tiny()
    for i in range(3000):
        data["commodities"][f"c{i}"] = {}
        data["technologies"][f"t{i}"] = {
            "layer": "energy",
            "output": f"x{i}",
            "output_per_capacity": 1,
            "lifetime": 1,
        }
    start = time.perf_counter()
    message = data_error(data)
    assert time.perf_counter() - start < 10
    assert message.splitlines()[1] == (
        "x.yaml: technologies.t0.output: 'x0' is not a commodity. Fix: "
        "use one of the commodities: electricity, hosting, compute, serving, tokens, c0, c1, "
        "c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, ... (2,985 more)"
    )


ANCHORED = """
name: anchored
years: &years {start: 2026, end: 2030}
commodities:
  electricity: &plain {layer: energy, unit: TWh}
  tokens:
    <<: *plain
    layer: applications
    demand: &ramp {2026: 1, 2030: 4}
    unmet_cost: 1000
technologies:
  solar: &solar
    layer: energy
    output: electricity
    output_per_capacity: 2.2
    capex: 1000
    lifetime: 30
    max_build: *ramp
  wind:
    <<: *solar
    capex: 1200
  assistant:
    layer: applications
    output: tokens
    output_per_capacity: 1
    lifetime: 1
    inputs: {per_activity: {electricity: 0.1}}
"""


def test_anchors_aliases_and_merge_keys_are_fine(tmp_path):
    inst = load_instance(write(tmp_path, ANCHORED))
    assert inst.technologies["wind"].capex == 1200
    assert inst.technologies["wind"].lifetime == 30
    assert inst.technologies["solar"].max_build == {2026: 1.0, 2030: 4.0}
    assert inst.commodities["tokens"].unit == "TWh"
    build_model(prepare(inst))


def test_duplicate_keys(tmp_path):
    text = TINY.read_text().replace("  gpu:", "  solar:")
    assert load_error(write(tmp_path, text)) == (
        "F:34:3: duplicate key 'solar' (first at line 26). "
        "Fix: keep one of them: YAML would silently drop the first"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (".nan", "technologies.solar.capex: must be a finite number, got nan"),
        (".inf", "technologies.solar.capex: must be a finite number, got inf"),
        ("-.inf", "technologies.solar.capex: must be a finite number, got -inf"),
        ("-1", "technologies.solar.capex: must be >= 0, got -1.0"),
        (
            "2026-01-01",
            "technologies.solar.capex: expected a number, got datetime.date(2026, 1, 1)",
        ),
        ("true", "technologies.solar.capex: expected a number, got True"),
        (
            "1" + "0" * 400,
            "technologies.solar.capex: 100000000000000000...0000000000000000000 is too large for a number",
        ),
        (
            "{world: 1, 2026-01-01: 2}",
            "technologies.solar.capex: key datetime.date(2026, 1, 1) is neither a year nor a region name",
        ),
        (
            "{world: {x: 5}}",
            "technologies.solar.capex: region world: key 'x' is not a year: year keys are unquoted integers",
        ),
        (
            "{world: {1" + "0" * 30 + ": 5}}",
            "technologies.solar.capex: region world: year 1000000000000000000000000000000 is outside 1..9999",
        ),
        (
            "{2026-01-01: 5}",
            "technologies.solar.capex: key datetime.date(2026, 1, 1) is not a year: year keys are unquoted integers",
        ),
    ],
)
def test_odd_numbers_in_a_series(tmp_path, value, message):
    text = TINY.read_text().replace("    capex: 1000\n", f"    capex: {value}\n")
    error = load_error(write(tmp_path, text))
    assert error.startswith("F:30:")
    assert f": {message}. Fix: " in error


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "lifetime",
            10**30,
            "must be <= 1000, got 1000000000000000000000000000000. Fix: use a value <= 1000",
        ),
        ("lifetime", 1001, "must be <= 1000, got 1001. Fix: use a value <= 1000"),
        (
            "lead_time",
            10**30,
            "must be <= 1000, got 1000000000000000000000000000000. Fix: use a value <= 1000",
        ),
        ("lifetime", math.inf, "expected a whole number, got inf. Fix: write a whole number here"),
        ("lifetime", True, "expected a whole number, got True. Fix: write a whole number here"),
        (
            "lifetime",
            datetime.date(2026, 1, 1),
            "expected a whole number, got datetime.date(2026, 1, 1). Fix: write a whole number here",
        ),
    ],
)
def test_odd_lifetimes(key, value, message):
    """Huge lifetimes and lead times used to overflow numpy's int64 in `prepare`."""
    data = tiny()
    data["technologies"]["solar"][key] = value
    assert data_error(data) == f"x.yaml: technologies.solar.{key}: {message}"


@pytest.mark.parametrize(
    ("years", "message"),
    [
        (
            {"start": 10**30, "end": 2030},
            "years.start: must be <= 9999, got 1000000000000000000000000000000. Fix: use a value <= 9999",
        ),
        ({"start": 0, "end": 5}, "years.start: must be >= 1, got 0. Fix: use a value >= 1"),
        (
            {"start": 2026, "end": 10**400},
            "years.end: must be <= 9999, got 100000000000000000...0000000000000000000. Fix: use a value <= 9999",
        ),
        (
            {"start": 2026.0, "end": 2030},
            "years.start: expected a whole number, got 2026.0. Fix: write a whole number here",
        ),
    ],
)
def test_odd_years(years, message):
    data = tiny()
    data["years"] = years
    assert data_error(data) == f"x.yaml: {message}"


def test_huge_year_key_in_a_series():
    data = tiny()
    data["commodities"]["tokens"]["demand"] = {10**400: 1}
    assert data_error(data) == (
        "x.yaml: commodities.tokens.demand: year 100000000000000000...0000000000000000000 "
        "is outside 1..9999. Fix: write years between 1 and 9999"
    )


def test_huge_integer_where_a_float_belongs():
    data = tiny()
    data["discount_rate"] = 10**400
    assert data_error(data) == (
        "x.yaml: discount_rate: 100000000000000000...0000000000000000000 is too large for "
        "a number. Fix: use a number below 1e308"
    )


def test_tiny_discount_rate_builds():
    """A rate of 1e-320 used to divide by zero in the capital recovery factor: it must give
    the CRF of rate 0 (1 / lifetime) and so the same plan as rate 0."""
    assert crf(1e-320, 30) == pytest.approx(1 / 30, rel=1e-12)
    data = tiny()
    data["technologies"]["solar"]["discount_rate"] = 1e-320
    builds(data)
    zero = tiny()
    zero["technologies"]["solar"]["discount_rate"] = 0.0
    tiny_rate = solve(validate_instance(data, "x.yaml")).objective
    assert tiny_rate == pytest.approx(solve(validate_instance(zero, "x.yaml")).objective, rel=1e-9)


def test_huge_finite_values_build():
    """Values near the float limit are accepted with a coefficient-range warning naming
    them, and the model's costs and right-hand sides stay finite (no overflow to inf)."""
    data = tiny()
    data["technologies"]["solar"]["capex"] = 1e308
    data["commodities"]["tokens"]["demand"] = {2026: 1e308}
    inst = validate_instance(data, "x.yaml")
    assert any("to 1e+308 (technologies.solar.capex)" in w for w in inst.warnings)
    model = assemble(prepare(inst))
    assert np.isfinite(model.cost).all()
    assert all(np.isfinite(block.rhs).all() for block in model.blocks.values())
    assert model.blocks["balance"].rhs.max() == 1e308


def test_non_text_keys():
    data = tiny()
    data[1] = 2
    assert data_error(data) == (
        "x.yaml: 1: key 1 is not text. "
        "Fix: write keys as text (names, or the keys listed in docs/model.md)"
    )
    data = tiny()
    data["technologies"][2026] = data["technologies"].pop("solar")
    assert data_error(data) == (
        "x.yaml: technologies.2026.[key]: expected a text value, got 2026. "
        "Fix: write a text value here"
    )


def test_empty_names():
    data = tiny()
    data["technologies"][""] = data["technologies"].pop("gpu")
    assert data_error(data) == (
        "x.yaml: technologies..[key]: a name must not be empty. Fix: write a non-empty name"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: 2026-13-45\n",
            "F:1:7: cannot read '2026-13-45' as timestamp (month must be in 1..12)",
        ),
        (
            "name: !!int abc\n",
            "F:1:7: cannot read 'abc' as int (invalid literal for int() with base 10: 'abc')",
        ),
        ("name: !!bool maybe\n", "F:1:7: cannot read 'maybe' as bool ('maybe')"),
        (
            "name: !!timestamp x\n",
            "F:1:7: cannot read 'x' as timestamp ('NoneType' object has no attribute 'groupdict')",
        ),
        (
            "name: " + "1" * 5000 + "\n",
            "F:1:7: cannot read '1111111111111111111111111111111111111...' as int (Exceeds the limit (4300 digits)",
        ),
    ],
)
def test_unreadable_scalars(tmp_path, text, message):
    """PyYAML's constructors raise ValueError and friends on these; they used to escape."""
    error = load_error(write(tmp_path, text))
    assert error.startswith(message)
    assert error.endswith("Fix: write a plain number, a valid date or quoted text; drop the !!tag")


def test_python_tags_are_refused(tmp_path):
    error = load_error(write(tmp_path, "name: !!python/object/apply:os.system ['true']\n"))
    assert "could not determine a constructor" in error


def test_empty_mappings_everywhere():
    data = tiny()
    for key in list(data):
        if isinstance(data[key], dict):
            data[key] = {}
    assert data_error(data).splitlines()[1:] == [
        "x.yaml: years.start: required key 'start' is missing. "
        "Fix: add 'start' (the keys are listed in docs/model.md)",
        "x.yaml: years.end: required key 'end' is missing. "
        "Fix: add 'end' (the keys are listed in docs/model.md)",
    ]
    data = tiny()
    data["technologies"] = {}
    builds(data)
    data = tiny()
    for tech in data["technologies"].values():
        tech["inputs"] = {}
    builds(data)


@pytest.mark.parametrize(
    "raw",
    [
        b"name: \xff\xfe\n",
        "[" * 999 + "]" * 999,
        alias_bomb(10),
        "technologies: {solar: {lifetime: 100000000000000000000000000000}}\n",
        "years: {start: 2026-01-01, end: 2030}\n",
        "name: 2026-02-30\n",
        "1: 2\n",
    ],
)
def test_cli_turns_bad_input_into_exit_code_1(tmp_path, raw):
    path = write(tmp_path, raw)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("error: ")
    assert str(path) in result.output
