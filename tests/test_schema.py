"""Bad instances are rejected with exact, located messages that name the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from planner import InstanceError, load_instance, validate_instance

TINY = Path(__file__).parent.parent / "instances" / "tiny.yaml"


def tiny() -> dict:
    return yaml.safe_load(TINY.read_text())


def error_of(data: dict) -> str:
    with pytest.raises(InstanceError) as info:
        validate_instance(data, "x.yaml")
    return str(info.value)


def test_tiny_is_valid():
    inst = load_instance(TINY)
    assert inst.name == "tiny"
    assert inst.warnings == []


def test_lifetime_below_one():
    data = tiny()
    data["technologies"]["solar"]["lifetime"] = 0
    assert error_of(data) == (
        "x.yaml: technologies.solar.lifetime: must be >= 1, got 0. Fix: use a value >= 1"
    )


def test_lifetime_not_whole():
    data = tiny()
    data["technologies"]["gpu"]["lifetime"] = 2.5
    assert error_of(data) == (
        "x.yaml: technologies.gpu.lifetime: expected a whole number, got 2.5. "
        "Fix: write a whole number here"
    )


def test_unknown_key_suggests_spelling():
    data = tiny()
    data["technologies"]["gpu"]["lifetme"] = data["technologies"]["gpu"].pop("lifetime")
    message = error_of(data)
    assert message.splitlines()[0] == "x.yaml: 2 problems"
    assert (
        "x.yaml: technologies.gpu.lifetime: required key 'lifetime' is missing. "
        "Fix: add 'lifetime' (the keys are listed in docs/model.md)"
    ) in message
    assert (
        "x.yaml: technologies.gpu.lifetme: unknown key 'lifetme'. Fix: did you mean 'lifetime'?"
        in message
    )


def test_negative_value_in_year_map():
    data = tiny()
    data["technologies"]["solar"]["capex"] = {2026: 1000, 2030: -1}
    assert error_of(data) == (
        "x.yaml: technologies.solar.capex: year 2030: must be >= 0, got -1.0. Fix: use a value >= 0"
    )


def test_wrong_type():
    data = tiny()
    data["commodities"]["tokens"]["unmet_cost"] = "high"
    assert error_of(data) == (
        "x.yaml: commodities.tokens.unmet_cost: expected a number, got 'high'. "
        "Fix: write a number here"
    )


def test_nan_and_inf_rejected():
    data = tiny()
    data["technologies"]["gpu"]["capex"] = float("nan")
    assert "technologies.gpu.capex: must be a finite number, got nan" in error_of(data)
    data = tiny()
    data["resources"]["electricians"]["limit"] = float("inf")
    assert "resources.electricians.limit: must be a finite number, got inf" in error_of(data)


def test_unknown_input_name():
    data = tiny()
    data["technologies"]["gpu"]["inputs"]["per_build"] = {"packging": 0.03}
    assert error_of(data) == (
        "x.yaml: technologies.gpu.inputs.per_build.packging: 'packging' is neither a commodity "
        "nor a resource. Fix: did you mean 'packaging'? use one of the commodities and "
        "resources: electricity, hosting, compute, serving, tokens, electricians, packaging"
    )


def test_unknown_output_commodity():
    data = tiny()
    data["technologies"]["gpu"]["output"] = "compuet"
    assert error_of(data) == (
        "x.yaml: technologies.gpu.output: 'compuet' is not a commodity. Fix: did you mean "
        "'compute'? use one of the commodities: electricity, hosting, compute, serving, tokens"
    )


def test_quoted_year_is_a_region_name():
    data = tiny()
    data["commodities"]["tokens"]["demand"] = {"2026": 10}
    assert error_of(data) == (
        "x.yaml: commodities.tokens.demand.2026: '2026' is not a region (a quoted year is read "
        "as a region name). Fix: use one of the regions: world; write years as unquoted integers"
    )


def test_unknown_technology_region():
    data = tiny()
    data["technologies"]["gpu"]["regions"] = ["wrld"]
    assert error_of(data) == (
        "x.yaml: technologies.gpu.regions.0: 'wrld' is not a region. "
        "Fix: did you mean 'world'? use one of the regions: world"
    )


def test_cost_region_map_must_cover_every_region():
    data = tiny()
    data["regions"] = ["us", "eu"]
    data["technologies"]["gpu"]["capex"] = {"us": 30}
    assert error_of(data) == (
        "x.yaml: technologies.gpu.capex: the region map does not list eu. "
        "Fix: give a value for every region where 'gpu' may exist"
    )


def test_region_outside_technology_regions_is_a_warning():
    data = tiny()
    data["regions"] = ["us", "eu"]
    data["technologies"]["gpu"]["regions"] = ["us"]
    data["technologies"]["gpu"]["residual"] = {"us": 1, "eu": 2}
    inst = validate_instance(data, "x.yaml")
    assert inst.warnings == [
        "x.yaml: technologies.gpu.residual.eu: region 'eu' is outside this technology's "
        "regions. Fix: the value is ignored; remove it or add the region to `regions`"
    ]


def test_commodity_and_resource_share_a_name():
    data = tiny()
    data["resources"]["compute"] = {"limit": 1}
    assert error_of(data) == (
        "x.yaml: resources.compute: 'compute' is both a commodity and a resource. "
        "Fix: rename one: inputs refer to either by name"
    )


def test_link_errors():
    data = tiny()
    data["links"] = {"l": {"commodity": "tokens", "from": "world", "to": "world", "loss": 1.0}}
    assert error_of(data) == ("x.yaml: links.l.loss: must be < 1, got 1.0. Fix: use a value < 1")
    data["links"]["l"]["loss"] = 0.1
    assert error_of(data) == (
        "x.yaml: links.l.to: a link must join two different regions. Fix: change `to`"
    )


def test_global_limit_cannot_be_regional():
    data = tiny()
    data["resources"]["packaging"]["limit"] = {"world": 5}
    assert error_of(data) == (
        "x.yaml: resources.packaging.limit: a global resource has one limit for all regions, "
        "not a region map. Fix: write a number or {year: number}, or set scope: regional"
    )


def test_years_out_of_order_and_bad_layer():
    data = tiny()
    data["years"] = {"start": 2030, "end": 2026}
    assert error_of(data) == (
        "x.yaml: years: end (2026) is before start (2030). Fix: set years.end to a year >= "
        "years.start"
    )
    data = tiny()
    data["technologies"]["gpu"]["layer"] = "chip"
    assert error_of(data) == (
        "x.yaml: technologies.gpu.layer: 'chip' is not allowed. Fix: use one of: 'energy', "
        "'chips', 'infrastructure', 'models' or 'applications'"
    )


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("years: {start: 2026, end: 2030\ncommodities: {}\n")
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    # libyaml says "did not find expected ',' or '}'", pure-Python PyYAML "expected ',' or
    # '}', but got ':'": the location, the problem and the fix are what matter
    message = str(info.value)
    assert message.startswith(f"{path}:2:12: YAML syntax error: ")
    assert "expected ',' or '}'" in message
    assert message.endswith(
        "Fix: correct the YAML at that line (indentation, ':' after keys, matching quotes)"
    )


def test_errors_carry_line_numbers(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(TINY.read_text().replace("lifetime: 30", "lifetime: -3"))
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    line = next(
        i for i, text in enumerate(path.read_text().splitlines(), 1) if "lifetime: -3" in text
    )
    assert str(info.value).startswith(f"{path}:{line}:5: technologies.solar.lifetime: must be >= 1")


def test_duplicate_keys_rejected(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("years: {start: 2026, end: 2027}\nyears: {start: 2026, end: 2028}\n")
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    assert str(info.value) == (
        f"{path}:2:1: duplicate key 'years' (first at line 1). "
        "Fix: keep one of them: YAML would silently drop the first"
    )


def test_alias_bomb_rejected_quickly(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    assert "the YAML expands to over 2,000,000 values" in str(info.value)


def test_not_a_mapping_and_not_utf8(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(InstanceError, match="the file must hold a mapping of sections, got list"):
        load_instance(path)
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(InstanceError, match="not UTF-8 text"):
        load_instance(path)


def test_tab_indentation_and_section_examples(tmp_path):
    path = tmp_path / "tab.yaml"
    path.write_text("years:\n\tstart: 2026\n")
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    assert str(info.value).endswith("Fix: indent with spaces: YAML does not allow tabs")
    data = tiny()
    data["years"] = "2026-2040"
    assert error_of(data) == (
        "x.yaml: years: expected a mapping (key: value), got '2026-2040'. Fix: write a mapping "
        "(key: value) here, e.g. years: {start: 2026, end: 2040}"
    )
