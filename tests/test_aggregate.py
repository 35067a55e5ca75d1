"""planner.aggregate: hourly profiles -> time block (weights, peak day, slices, means, errors)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from planner import atomic
from planner.timeseries import aggregate as agg
from planner.timeseries.aggregate import aggregate, write_time_yaml
from planner.timeseries.hourly import AggregateError, read_hourly

CSV = Path(__file__).parent.parent / "instances" / "data" / "hourly_greensboro.csv"
MEAN_TOLERANCE = 1e-5
"""Relative error allowed on a weighted annual mean (values rounded to 6 decimals)."""


@pytest.fixture(scope="module")
def hourly() -> pd.DataFrame:
    return read_hourly(CSV)


@pytest.fixture(scope="module")
def block(hourly: pd.DataFrame) -> agg.TimeBlock:
    return aggregate(hourly, periods=6, slices=6, method="hierarchical")


def annual_means(block: dict) -> dict[str, float]:
    """Weighted annual mean of each profile, computed from the block alone."""
    periods = block["periods"]
    total = sum(p["weight"] * sum(p["slices"].values()) for p in periods.values())
    means = {}
    for name, profile in block["profiles"].items():
        weighted = 0.0
        for period, values in profile.items():
            hours = list(periods[period]["slices"].values())
            weighted += periods[period]["weight"] * float(np.dot(hours, values))
        means[name] = weighted / total
    return means


def test_shipped_csv_shape(hourly: pd.DataFrame):
    assert list(hourly.columns) == ["hour", "solar", "wind", "load"]
    assert len(hourly) == 8760
    assert hourly[["solar", "wind"]].min().min() >= 0
    assert hourly[["solar", "wind"]].max().max() <= 1


def test_weights_sum_to_days(block: agg.TimeBlock):
    weights = [p["weight"] for p in block["periods"].values()]
    assert len(weights) == 6
    assert sum(weights) == 365
    assert all(isinstance(w, int) and w >= 1 for w in weights)


def test_leap_year_weights_sum_to_366(hourly: pd.DataFrame):
    leap = pd.concat([hourly, hourly.iloc[:24]], ignore_index=True)
    leap["hour"] = np.arange(len(leap))
    result = aggregate(leap, periods=4, slices=4, method="hierarchical")
    assert result.info.days == 366
    assert sum(p["weight"] for p in result["periods"].values()) == 366


def test_peak_day_is_kept_with_weight_one(hourly: pd.DataFrame, block: agg.TimeBlock):
    info = block.info
    assert info.peak == "load"
    assert list(block["periods"])[-1] == "peak"
    assert block["periods"]["peak"]["weight"] == 1
    load = hourly["load"].to_numpy().reshape(365, 24)
    assert load[info.peak_day].max() == load.max()
    assert info.representative_days["peak"] == info.peak_day
    expected = load[info.peak_day].reshape(6, 4).mean(axis=1)
    np.testing.assert_allclose(block["profiles"]["load"]["peak"], expected, atol=5e-7)


def test_peak_can_be_disabled_or_chosen(hourly: pd.DataFrame):
    none = aggregate(hourly, periods=3, slices=4, peak=None, method="hierarchical")
    assert "peak" not in none["periods"] and len(none["periods"]) == 3
    assert sum(p["weight"] for p in none["periods"].values()) == 365
    windy = aggregate(hourly, periods=3, slices=4, peak="wind", method="hierarchical")
    wind = hourly["wind"].to_numpy().reshape(365, 24)
    assert wind[windy.info.peak_day].max() == wind.max()


def test_availability_and_peak_defaults(hourly: pd.DataFrame):
    only_solar = aggregate(hourly, periods=3, slices=4, availability="solar")
    assert only_solar.info.availability == ("solar",)
    assert only_solar.info.peak == "load"  # named like a load, before wind
    renamed = hourly.rename(columns={"load": "site"})
    result = aggregate(renamed, periods=3, slices=4, availability="solar,wind")
    assert result.info.availability == ("solar", "wind")
    assert result.info.peak == "site"  # the first profile that is not availability
    assert aggregate(hourly[["solar", "wind"]], periods=1, slices=4).info.peak is None


@pytest.mark.parametrize(
    ("slices", "hours"),
    [
        (6, [4] * 6),
        ("8,4,4,8", [8, 4, 4, 8]),
        (1, [24]),
        (24, [1] * 24),
        ([2, 10, 12], [2, 10, 12]),
    ],
)
def test_slice_hours_sum_to_24(hourly: pd.DataFrame, slices, hours):
    result = aggregate(hourly, periods=3, slices=slices, method="hierarchical")
    for period in result["periods"].values():
        assert list(period["slices"].values()) == hours
        assert sum(period["slices"].values()) == 24
    for profile in result["profiles"].values():
        assert all(len(values) == len(hours) for values in profile.values())
    starts = np.cumsum([0, *hours])[:-1]
    names = ["day"] if hours == [24] else [f"h{start:02d}" for start in starts]
    assert list(result["periods"]["peak"]["slices"]) == names


def test_availability_columns_stay_in_unit_interval(block: agg.TimeBlock):
    assert block.info.availability == ("solar", "wind")
    for name in ("solar", "wind"):
        values = np.concatenate(list(block["profiles"][name].values()))
        assert values.min() >= 0 and values.max() <= 1


def test_rescaling_holds_availability_at_one():
    """A medoid day with saturated hours, in a cluster whose mean is higher: scaling it up
    would pass 1, so those hours are held at 1 and the others carry the rest of the mean."""
    shape_a, shape_b, shape_c = [1, 1, 0.5, 0.5], [1, 1, 1, 1], [0, 0, 0, 0]
    kinds = [shape_a] * 200 + [shape_b] * 100 + [shape_c] * 65
    cf = np.repeat(np.array(kinds, dtype=float), 6, axis=1).ravel()
    load = np.ones(8760)
    load[300 * 24 + 12] = 2.0  # the peak day is one of the dark days
    frame = pd.DataFrame({"cf": cf, "load": load})
    result = aggregate(frame, periods=3, slices=4, method="hierarchical")
    assert result.info.availability == ("cf",)
    assert result.info.clipped["cf"] == 2
    values = np.concatenate(list(result["profiles"]["cf"].values()))
    assert values.max() == 1.0
    assert result["profiles"]["cf"]["d001"] == [1.0, 1.0, 0.666667, 0.666667]
    assert abs(result.info.mean_error["cf"]) < MEAN_TOLERANCE


@pytest.mark.parametrize(
    ("periods", "slices", "representation"),
    [(6, 6, "medoid"), (12, "8,4,4,8", "medoid"), (3, 1, "medoid"), (6, 6, "mean")],
)
def test_weighted_annual_mean_is_preserved(hourly, periods, slices, representation):
    result = aggregate(
        hourly, periods=periods, slices=slices, representation=representation, method="auto"
    )
    data = hourly[["solar", "wind", "load"]].mean()
    for name, mean in annual_means(result).items():
        assert abs(mean / data[name] - 1) < MEAN_TOLERANCE, name
        assert abs(result.info.mean_error[name]) < MEAN_TOLERANCE
        assert result.info.mean_error[name] == pytest.approx(mean / data[name] - 1, abs=1e-12)


def test_one_period_per_day_reproduces_the_data(hourly: pd.DataFrame):
    result = aggregate(hourly, periods=365, slices=24, method="hierarchical", decimals=None)
    assert all(p["weight"] == 1 for p in result["periods"].values())
    day = 41
    np.testing.assert_allclose(
        result["profiles"]["wind"][f"d{day + 1:03d}"],
        hourly["wind"].to_numpy()[day * 24 : (day + 1) * 24],
        atol=1e-9,
    )


def test_output_is_deterministic(hourly: pd.DataFrame, block: agg.TimeBlock, tmp_path: Path):
    again = aggregate(read_hourly(CSV), periods=6, slices=6, method="hierarchical")
    assert again == block
    assert again.info == block.info
    first = write_time_yaml(block, tmp_path / "a.yaml").read_text()
    second = write_time_yaml(again, tmp_path / "b.yaml").read_text()
    assert first == second


def test_write_time_yaml(block: agg.TimeBlock, tmp_path: Path):
    path = write_time_yaml(block, tmp_path / "time.yaml")
    text = path.read_text()
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[1] == f"# source: {CSV} (365 days; weights sum to 365)"
    assert header[2] == (
        "# method: hierarchical, the fallback (method 'hierarchical'): SciPy Ward clustering, "
        "medoid days"
    )
    assert header[3] == "# periods (N): 6 (5 clustered, plus the peak day)"
    assert header[4] == "# slices (M): 6 per day, of 4, 4, 4, 4, 4, 4 hours"
    errors = ", ".join(f"{n} {e:+.2e}" for n, e in block.info.mean_error.items())
    assert header[-1] == f"# weighted annual mean, relative error: {errors}"
    assert yaml.safe_load(text) == {"time": dict(block)}
    assert yaml.safe_load(yaml.safe_dump(block)) == dict(block)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["time.yaml"]
    assert (path.stat().st_mode & 0o777) == 0o644


def test_failed_write_keeps_the_old_file(block, tmp_path: Path, monkeypatch):
    path = tmp_path / "time.yaml"
    path.write_text("old\n")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_time_yaml(block, path)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["time.yaml"]


def test_fallback_runs_without_tsam(hourly: pd.DataFrame, monkeypatch):
    monkeypatch.setattr(agg, "tsam_class", lambda: None)
    result = aggregate(hourly, periods=6, slices=6)
    assert result.info.method == (
        "hierarchical, the fallback (tsam is not installed): SciPy Ward clustering, medoid days"
    )
    assert sum(p["weight"] for p in result["periods"].values()) == 365
    assert max(abs(e) for e in result.info.mean_error.values()) < MEAN_TOLERANCE
    with pytest.raises(AggregateError) as info:
        aggregate(hourly, periods=6, slices=6, method="tsam")
    assert str(info.value) == (
        f"{CSV}: method 'tsam' needs tsam with its classic API (tsam < 4), which is not "
        "installed. Fix: pip install 'planner[tsam]', or use method 'hierarchical'"
    )


def test_tsam_is_used_when_installed(hourly: pd.DataFrame, block: agg.TimeBlock):
    pytest.importorskip("tsam.timeseriesaggregation")
    result = aggregate(hourly, periods=6, slices=6)
    assert result.info.method.startswith("tsam 2.")
    # The fallback is the same algorithm: same days, weights and (to tsam's tolerance) values.
    assert result.info.representative_days == block.info.representative_days
    assert result["periods"] == block["periods"]
    for name, profile in block["profiles"].items():
        for period, values in profile.items():
            np.testing.assert_allclose(result["profiles"][name][period], values, atol=1e-5)


# --- bad input: each gives one exact message naming the file, the problem and the fix ---


def write_csv(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "hourly.csv"
    frame.to_csv(path, index=False)
    return path


def with_cell(hourly: pd.DataFrame, column: str, row: int, value) -> pd.DataFrame:
    frame = hourly.copy()
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    return frame


def test_wrong_row_count(hourly: pd.DataFrame, tmp_path: Path):
    path = write_csv(tmp_path, hourly.iloc[:-1])
    with pytest.raises(AggregateError) as info:
        aggregate(path)
    assert str(info.value) == (
        f"{path}: 8759 rows of data, expected 8760 (365 days) or 8784 (366 days). "
        "Fix: give one row per hour of one year, after one header row"
    )


@pytest.mark.parametrize(
    ("column", "row", "value", "expected"),
    [
        (
            "wind",
            5,
            "abc",
            "7: column 'wind': value 'abc' is not a number. "
            "Fix: write plain numbers with a dot as decimal mark",
        ),
        (
            "solar",
            7,
            None,
            "9: column 'solar': value is empty (or NaN). "
            "Fix: fill the gap so every hour has a value",
        ),
        (
            "load",
            8,
            -1.5,
            "10: column 'load': value -1.5 is negative. "
            "Fix: profiles must be >= 0 (docs/model.md §11): correct the value",
        ),
        ("load", 9, "inf", "11: column 'load': value inf is infinite. Fix: write finite numbers"),
        (
            "hour",
            10,
            11,
            "12: column 'hour' must count the hours 0, 1, 2, ... (or 1, 2, 3, ...) in order; "
            "found 11 where 10 was due. Fix: sort the rows by hour and remove gaps and "
            "repeated hours",
        ),
    ],
)
def test_bad_cell(hourly, tmp_path, column, row, value, expected):
    path = write_csv(tmp_path, with_cell(hourly, column, row, value))
    with pytest.raises(AggregateError) as info:
        aggregate(path)
    assert str(info.value) == f"{path}:{expected}"
    assert isinstance(info.value, ValueError)
    assert info.value.line == row + 2


def test_bad_timestamps(hourly: pd.DataFrame, tmp_path: Path):
    frame = hourly.drop(columns="hour")
    stamps = pd.date_range("2021-01-01", periods=8760, freq="h").strftime("%Y-%m-%d %H:%M")
    frame.insert(0, "timestamp", stamps)
    assert aggregate(write_csv(tmp_path, frame), periods=2, slices=1).info.days == 365
    frame.loc[100, "timestamp"] = "2021-01-05 06:00"
    path = write_csv(tmp_path, frame)
    with pytest.raises(AggregateError) as info:
        aggregate(path)
    assert str(info.value) == (
        f"{path}:102: column 'timestamp': '2021-01-05 06:00' is 3 h after the row before, not "
        "1 h. Fix: sort the rows by time, one row per hour with no gaps (use standard time, or "
        "timestamps with their UTC offset)"
    )
    frame.loc[100, "timestamp"] = "someday"
    path = write_csv(tmp_path, frame)
    with pytest.raises(AggregateError) as info:
        aggregate(path)
    assert str(info.value) == (
        f"{path}:102: column 'timestamp': 'someday' is not a date and time. "
        "Fix: write ISO 8601 timestamps such as 2021-01-01 00:00"
    )


FIX_CSV = "save it as UTF-8 CSV with a header row"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", f": not a readable CSV file (No columns to parse from file). Fix: {FIX_CSV}"),
        (
            "hour,solar\n0,1\n1,2,3\n",
            ": not a readable CSV file (Error tokenizing data. C error: Expected 2 fields in "
            f"line 3, saw 3). Fix: {FIX_CSV}",
        ),
        (
            "hour,solar\n0,1,2\n",
            ": a row has more values than the header has names. "
            "Fix: give every row one value per header column",
        ),
        (
            "hour,solar,solar\n0,1,2\n",
            ":1: column 'solar' appears twice. Fix: give each column its own name",
        ),
        (
            "hour,,solar\n0,1,2\n",
            ":1: column 2 of the header has no name. "
            "Fix: name every column (hour or timestamp, then one name per profile)",
        ),
    ],
)
def test_unreadable_csv(tmp_path: Path, text: str, expected: str):
    path = tmp_path / "hourly.csv"
    path.write_text(text)
    with pytest.raises(AggregateError) as info:
        aggregate(path)
    assert str(info.value) == f"{path}{expected}"


def test_missing_file_and_no_profile(hourly: pd.DataFrame, tmp_path: Path):
    with pytest.raises(AggregateError) as info:
        aggregate(tmp_path / "nope.csv")
    assert str(info.value) == (
        f"{tmp_path / 'nope.csv'}: no such file. Fix: give the path of an hourly CSV file"
    )
    path = write_csv(tmp_path, hourly[["hour"]])
    with pytest.raises(AggregateError) as info:
        aggregate(path)
    assert str(info.value) == (
        f"{path}: no profile column (only hour). "
        "Fix: add one column per profile, such as solar, wind, load"
    )


def test_frame_without_file_names_the_row(hourly: pd.DataFrame):
    frame = hourly[["solar", "wind", "load"]].copy()
    frame.attrs.clear()  # a frame made in memory: no file name, no line numbers
    frame.loc[3, "solar"] = np.nan
    with pytest.raises(AggregateError) as info:
        aggregate(frame)
    assert str(info.value) == (
        "<frame>: column 'solar': value is empty (or NaN) (row 3). "
        "Fix: fill the gap so every hour has a value"
    )


FIX_SLICES = "use 1, 2, 3, 4, 6, 8, 12 or 24 slices, or give the block lengths, e.g. 8,4,4,8"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"periods": 0}, "periods=0 is not a whole number >= 1. Fix: use periods >= 1"),
        ({"periods": 2.5}, "periods=2.5 is not a whole number >= 1. Fix: use periods >= 1"),
        (
            {"periods": 366},
            "periods=366 is more than the 365 days in the data. Fix: use at most 365 periods",
        ),
        (
            {"periods": 1},
            "periods=1 leaves no period for the clustered days besides the peak day. "
            "Fix: use periods >= 2, or keep no peak day (peak=None)",
        ),
        (
            {"slices": 5},
            f"slices=5 does not cut the 24 hours of a day into equal blocks. Fix: {FIX_SLICES}",
        ),
        ({"slices": 0}, f"slices=0 is not between 1 and 24. Fix: {FIX_SLICES}"),
        ({"slices": "8,x"}, f"slices '8,x' is not a whole number. Fix: {FIX_SLICES}"),
        (
            {"slices": [8, 4, 4]},
            "slice hours [8, 4, 4] must each be >= 1 and sum to 24 (they sum to 16). "
            "Fix: give block lengths of whole hours that add up to 24, e.g. 8,4,4,8",
        ),
        (
            {"peak": "demand"},
            "no profile column 'demand' (columns: solar, wind, load). "
            "Fix: use one of the column names",
        ),
        (
            {"availability": ["load"]},
            "availability profile 'load' has values above 1 (max 1.389). Fix: give "
            "availability as capacity factors in [0, 1], or leave it out of availability",
        ),
        ({"method": "kmeans"}, "unknown method 'kmeans'. Fix: use one of auto, tsam, hierarchical"),
        ({"representation": "x"}, "unknown representation 'x'. Fix: use medoid or mean"),
        (
            {"decimals": -1},
            "decimals=-1 is not a whole number from 0 to 12. "
            "Fix: use 0 to 12, or None for no rounding",
        ),
    ],
)
def test_bad_options(hourly: pd.DataFrame, options: dict, expected: str):
    with pytest.raises(AggregateError) as info:
        aggregate(hourly, **options)
    assert str(info.value) == f"{CSV}: {expected}"


def test_one_period_without_peak(hourly: pd.DataFrame):
    result = aggregate(hourly, periods=1, slices=2, peak=None, method="hierarchical")
    assert list(result["periods"]) == [next(iter(result["periods"]))]
    period = next(iter(result["periods"].values()))
    assert period["weight"] == 365
    assert os.fspath(CSV) == result.info.source
