"""The base plan stays inside every band of scripts/validate_base.py (docs/validation.md):
one solve of instances/base.yaml, every anchor checked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import validate_base  # noqa: E402

REQUIRED = {
    "electricity_2026",
    "spend_2026",
    "installed_2026",
    "used_2026",
    "electricity_2030",
    "no_cliff_2038",
    "no_cliff_2039",
    "no_cliff_2040",
    "reserve",
}


@pytest.fixture(scope="module")
def checked():
    rows, results, instance = validate_base.run(validate_base.BASE)
    return rows, results, instance


def test_every_band_holds(checked):
    rows, _, _ = checked
    banded = {r["key"]: r for r in rows if r["band"] is not None}
    assert set(banded) >= REQUIRED, REQUIRED - set(banded)
    failed = [
        f"{r['metric']} {r['year']}: {r['value']:.4g} outside {r['band_text']}"
        for r in banded.values()
        if not r["ok"]
    ]
    assert not failed, failed


def test_bands_are_the_issue_s(checked):
    rows, _, _ = checked
    by_key = {r["key"]: r for r in rows}
    assert by_key["electricity_2026"]["band"] == [90, 180]
    assert by_key["spend_2026"]["band"] == [400, 900]
    assert by_key["installed_2026"]["band"] == pytest.approx([12.75, 17.25])
    assert by_key["used_2026"]["band"] == [0.80, None]
    assert by_key["electricity_2030"]["band"] == [400, 1200]
    for year in (2038, 2039, 2040):
        assert by_key[f"no_cliff_{year}"]["band"] == [0.97, None]
    assert by_key["reserve"]["band"] == [1.0, None]


def test_ai_electricity_is_chips_and_infrastructure_use(checked):
    _, results, instance = checked
    # every electricity user is in the chips or infrastructure layer, so the commodity's
    # consumption is the AI electricity of the definition
    validate_base.check_electricity_users(instance)
    elec = validate_base.electricity_by_year(results)
    disp = results.tables["dispatch"]
    flexible = disp[disp["use"].notna()]
    assert elec.loc[2026] > flexible[flexible["year"] == 2026]["use"].sum()


def test_outputs_are_written(checked, tmp_path):
    rows, _, _ = checked
    md, js = tmp_path / "validation.md", tmp_path / "validation.json"
    validate_base.write_markdown(rows, md, validate_base.BASE)
    validate_base.write_json(rows, js)
    text = md.read_text()
    assert "| metric | year | plan | anchor | band | ratio | ok | source |" in text
    assert "Known deviations" in text and "AI electricity" in text
    records = json.loads(js.read_text())
    assert {"metric", "year", "value", "band", "ok"} <= set(records[0])
    assert len(records) == len(rows)
