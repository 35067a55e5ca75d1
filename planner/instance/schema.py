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
MAX_SLICES = 10_000
"""Most periods, and most slices in a period."""

SeriesValue = float | dict[int, float]
RegionalValue = float | dict[int, float] | dict[str, float | dict[int, float]]


def _number(value: Any, where: str, positive: bool, signed: bool = False) -> float:
    """Check one number of a series: a finite int/float, >= 0 (or > 0, or any sign)."""
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
    if value < 0 and not signed:
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


def _series(value: Any, positive: bool, where: str = "", signed: bool = False) -> SeriesValue:
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
            out[key] = _number(item, f"{where}year {key}: ", positive, signed)
        return out
    return _number(value, where, positive, signed)


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


def _validator(kind: str, positive: bool = False, signed: bool = False) -> PlainValidator:
    if kind == "series":
        return PlainValidator(lambda v: _series(v, positive, signed=signed))
    return PlainValidator(lambda v: _regional(v, positive))


Series = Annotated[SeriesValue, _validator("series")]
RegionalSeries = Annotated[RegionalValue, _validator("regional")]
PositiveRegionalSeries = Annotated[RegionalValue, _validator("regional", positive=True)]
SignedSeries = Annotated[SeriesValue, _validator("series", signed=True)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
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


class Period(Strict):
    """A representative period (day, week, season): how often it occurs, its slices' hours."""

    weight: Positive
    slices: Annotated[dict[Name, Positive], Field(min_length=1, max_length=MAX_SLICES)]


class Time(Strict):
    """Time slices within a year (docs/model.md §11)."""

    periods: Annotated[dict[Name, Period], Field(min_length=1, max_length=MAX_SLICES)]
    profiles: dict[Name, dict[Name, list[NonNegative]]] = {}


class Reserve(Strict):
    """Reserve margin of a commodity (docs/model.md §13)."""

    margin: Series = 0.0
    peak_factor: Series = 1.0


class Commodity(Strict):
    layer: Layer | None = None
    unit: str = ""
    demand: RegionalSeries = 0.0
    unmet_cost: NonNegative | None = None
    balance: Literal["annual", "slice"] = "annual"
    profile: Name | None = None
    reserve: Reserve | None = None


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


class Storage(Strict):
    """Storage of the technology's output (docs/model.md §12)."""

    duration: Positive
    efficiency_charge: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    efficiency_discharge: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0


class Flexibility(Strict):
    """Flexible use of a slice commodity (docs/model.md §14)."""

    commodity: Name
    shift: Fraction = 0.0
    curtail: Fraction = 0.0
    curtail_max: Fraction = 0.0
    curtail_cost: NonNegative = 0.0

    @model_validator(mode="after")
    def _within_use(self) -> Flexibility:
        if self.shift + self.curtail > 1 + 1e-12:
            raise PydanticCustomError(
                "flex_sum",
                "shift ({shift}) + curtail ({curtail}) is more than 1: more than the whole "
                "use would move",
                {"shift": f"{self.shift:g}", "curtail": f"{self.curtail:g}"},
            )
        return self


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
    availability: Name | None = None
    use_profile: Name | None = None
    storage: Storage | None = None
    firm_capacity: RegionalSeries = 0.0
    flexibility: Flexibility | None = None
    min_build: RegionalSeries | None = None
    min_capacity: RegionalSeries | None = None
    min_activity: RegionalSeries | None = None


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


class EndEffects(Strict):
    """Years solved past the horizon so that its last years see a future (§15)."""

    extend_years: Annotated[int, Field(ge=0, le=MAX_LIFETIME)] = 0


class Foresight(Strict):
    """Perfect foresight, or rolling myopic windows (docs/model.md §16)."""

    mode: Literal["perfect", "myopic"] = "perfect"
    window: Annotated[int, Field(ge=1, le=MAX_LIFETIME)] | None = None
    step: Annotated[int, Field(ge=1, le=MAX_LIFETIME)] | None = None

    @model_validator(mode="after")
    def _windows(self) -> Foresight:
        if self.mode == "myopic" and (self.window is None or self.step is None):
            raise PydanticCustomError(
                "foresight_window", "myopic foresight needs both `window` and `step`"
            )
        if self.window is not None and self.step is not None and self.step > self.window:
            raise PydanticCustomError(
                "foresight_step",
                "step ({step}) is longer than the window ({window}): years between windows "
                "would never be decided",
                {"step": self.step, "window": self.window},
            )
        return self


class Change(Strict):
    """One change of a scenario case: exactly one of multiply, add, set (docs/model.md §17)."""

    path: Name
    multiply: Series | None = None
    add: SignedSeries | None = None
    set: RegionalSeries | None = None

    @model_validator(mode="after")
    def _one(self) -> Change:
        given = [k for k in ("multiply", "add", "set") if getattr(self, k) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "change_one",
                "a change needs exactly one of multiply, add, set; got {given}",
                {"given": ", ".join(given) or "none"},
            )
        return self


class Case(Strict):
    probability: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    changes: list[Change] = []


class Risk(Strict):
    """CVaR: weight in [0, 1] on the conditional value at risk at level alpha."""

    alpha: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.9
    weight: Fraction = 0.0


class Scenarios(Strict):
    """A two-stage stochastic programme (docs/model.md §17)."""

    branch_year: Year
    cases: Annotated[dict[Name, Case], Field(min_length=1)]
    risk: Risk | None = None


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
    time: Time | None = None
    end_effects: EndEffects | None = None
    foresight: Foresight | None = None
    scenarios: Scenarios | None = None

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
