"""The instance format of docs/model.md §9 as pydantic models (`extra="forbid"`, strict types).

Series are normalised on the way in:
- a *series* becomes ``float`` or ``dict[int, float]`` (year -> value);
- a *regional series* becomes one of those, or ``dict[str, series]`` (region -> series).
Year keys must be integers; a quoted year such as ``"2026"`` is a region name (docs/model.md §2).
"""

from __future__ import annotations

import math
import reprlib
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, PrivateAttr, model_validator
from pydantic_core import PydanticCustomError

LAYERS = ("energy", "chips", "infrastructure", "models", "applications")
Layer = Literal["energy", "chips", "infrastructure", "models", "applications"]

MIN_YEAR, MAX_YEAR = 1, 9999
"""Years of the horizon and year keys of series lie in this range."""
MAX_LIFETIME = 1000
"""Largest `lifetime` and `lead_time` (years)."""
MAX_REGIONS = 10_000
"""Longest list of regions (checked before the items, so a flood is rejected at once)."""

SeriesValue = float | dict[int, float]
RegionalValue = float | dict[int, float] | dict[str, float | dict[int, float]]


def _number(value: Any, where: str, positive: bool) -> float:
    """Check one number of a series: a finite int/float, >= 0 (or > 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError(
            "series_number",
            "{where}expected a number, got {got}",
            {"where": where, "got": _show(value)},
        )
    try:
        value = float(value)
    except OverflowError:  # an integer beyond 1.8e308
        raise PydanticCustomError(
            "series_large",
            "{where}{got} is too large for a number",
            {"where": where, "got": _show(value)},
        ) from None
    if not math.isfinite(value):
        raise PydanticCustomError(
            "series_finite",
            "{where}must be a finite number, got {got}",
            {"where": where, "got": value},
        )
    if positive and value <= 0:
        raise PydanticCustomError(
            "series_positive", "{where}must be > 0, got {got}", {"where": where, "got": value}
        )
    if value < 0:
        raise PydanticCustomError(
            "series_negative", "{where}must be >= 0, got {got}", {"where": where, "got": value}
        )
    return value


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 3, 40, 40, 40


def show(value: Any) -> str:
    """A short repr for messages: bounded in depth and length (safe for deeply nested,
    cyclic or huge values)."""
    try:
        text = _REPR.repr(value)
    except Exception:  # a repr that fails must not hide the real problem
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


_show = show


def _key_kind(key: Any) -> str:
    if isinstance(key, bool):
        return "bad"
    if isinstance(key, int):
        return "year"
    if isinstance(key, str):
        return "region"
    return "bad"


def _series(value: Any, positive: bool, where: str = "") -> SeriesValue:
    if isinstance(value, dict):
        if not value:
            raise PydanticCustomError(
                "series_empty", "{where}a year mapping must not be empty", {"where": where}
            )
        out: dict[int, float] = {}
        for key, item in value.items():
            if _key_kind(key) != "year":
                raise PydanticCustomError(
                    "series_key",
                    "{where}key {key} is not a year: year keys are unquoted integers",
                    {"where": where, "key": _show(key)},
                )
            if not MIN_YEAR <= key <= MAX_YEAR:
                raise PydanticCustomError(
                    "series_year",
                    "{where}year {key} is outside {low}..{high}",
                    {"where": where, "key": _show(key), "low": MIN_YEAR, "high": MAX_YEAR},
                )
            out[key] = _number(item, f"{where}year {key}: ", positive)
        return out
    return _number(value, where, positive)


def _regional(value: Any, positive: bool) -> RegionalValue:
    if isinstance(value, dict) and value:
        kinds = {_key_kind(k) for k in value}
        if kinds == {"region"}:
            return {
                key: _series(
                    item, positive, f"region {key if len(key) <= 40 else key[:37] + '...'}: "
                )
                for key, item in value.items()
            }
        if "region" in kinds and "bad" in kinds:
            bad = next(k for k in value if _key_kind(k) == "bad")
            raise PydanticCustomError(
                "series_key",
                "key {key} is neither a year nor a region name",
                {"key": _show(bad)},
            )
        if "region" in kinds:
            raise PydanticCustomError(
                "series_mixed",
                "mixes year keys and region keys; use either {year: value} or {region: series}",
            )
    return _series(value, positive)


def _validator(kind: str, positive: bool = False) -> PlainValidator:
    if kind == "series":
        return PlainValidator(lambda v: _series(v, positive))
    return PlainValidator(lambda v: _regional(v, positive))


Series = Annotated[SeriesValue, _validator("series")]
RegionalSeries = Annotated[RegionalValue, _validator("regional")]
PositiveRegionalSeries = Annotated[RegionalValue, _validator("regional", positive=True)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
Name = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    """Base: unknown keys are errors, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Years(Strict):
    start: Year
    end: Year

    @model_validator(mode="after")
    def _ordered(self) -> Years:
        if self.end < self.start:
            raise PydanticCustomError(
                "years_order",
                "end ({end}) is before start ({start})",
                {"end": self.end, "start": self.start},
            )
        return self


class Commodity(Strict):
    layer: Layer | None = None
    unit: str = ""
    demand: RegionalSeries = 0.0
    unmet_cost: NonNegative | None = None


class Resource(Strict):
    unit: str = ""
    scope: Literal["regional", "global"] = "regional"
    limit: RegionalSeries | None = None


class Inputs(Strict):
    per_activity: dict[Name, NonNegative] = {}
    per_capacity: dict[Name, NonNegative] = {}
    per_build: dict[Name, NonNegative] = {}


class BuildGrowth(Strict):
    rate: NonNegative = 0.0
    headroom: NonNegative = 0.0


class Technology(Strict):
    layer: Layer
    output: Name
    output_per_capacity: PositiveRegionalSeries
    lifetime: Annotated[int, Field(ge=1, le=MAX_LIFETIME)]
    lead_time: Annotated[int, Field(ge=0, le=MAX_LIFETIME)] = 0
    capex: RegionalSeries = 0.0
    fixed_om: RegionalSeries = 0.0
    variable_om: RegionalSeries = 0.0
    discount_rate: NonNegative | None = None
    inputs: Inputs = Inputs()
    residual: RegionalSeries = 0.0
    max_build: RegionalSeries | None = None
    max_capacity: RegionalSeries | None = None
    max_activity: RegionalSeries | None = None
    build_growth: BuildGrowth | None = None
    unit_size: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    regions: Annotated[list[Name], Field(min_length=1, max_length=MAX_REGIONS)] | None = None
    capacity_unit: str = ""


class Link(Strict):
    commodity: Name
    from_: Name = Field(alias="from")
    to: Name
    capacity: Series | None = None
    loss: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.0
    cost: Series = 0.0
    bidirectional: bool = False


class Budget(Strict):
    per_year: Series | None = None
    total: NonNegative | None = None


class Instance(Strict):
    """A whole planning instance (docs/model.md §9)."""

    name: str = "instance"
    description: str = ""
    years: Years
    discount_rate: NonNegative = 0.0
    regions: Annotated[list[Name], Field(min_length=1, max_length=MAX_REGIONS)] = ["world"]
    commodities: dict[Name, Commodity]
    resources: dict[Name, Resource] = {}
    technologies: dict[Name, Technology]
    links: dict[Name, Link] = {}
    budget: Budget | None = None

    _source: str = PrivateAttr("<instance>")
    _warnings: list[str] = PrivateAttr(default_factory=list)

    def attach(self, source: str, warnings: list[str]) -> None:
        """Record where the instance came from and what validation warned about."""
        self._source = source
        self._warnings = warnings

    @property
    def source(self) -> str:
        """The file (or label) the instance was read from."""
        return self._source

    @property
    def warnings(self) -> list[str]:
        """Validation warnings, each naming the file and field path."""
        return list(self._warnings)
