"""The dispatch chart of a time-sliced run (docs/model.md §11-§12): for one year, one panel
per representative period and (commodity, region), from the `slices` and `dispatch` tables.

Amounts in a slice are summed over the period's occurrences in the year; divided by the
occurrences ω_p and the slice's hours δ_t (together: by w_t H) they are average rates in the
slice. A rate of TWh per hour is shown in GW (likewise GWh, MWh, kWh per hour); any other unit
is labelled "<unit> per hour".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil
from typing import NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner.report.style import style, tech_colours
from planner.results.base import Results

HOURS_PER_YEAR = 8760.0
"""H where the run does not say (a model.json without `time`)."""
POWER = {"TWh": ("GW", 1000.0), "GWh": ("GW", 1.0), "MWh": ("MW", 1.0), "kWh": ("kW", 1.0)}
MAX_KEYS = 4
"""At most this many (commodity, region) pairs get dispatch panels: those with most load."""
COLUMNS = 3
IMPORTS, EXPORTS, UNSERVED = "#8d99ae", "#4a5568", "#c44536"
LOAD, PRICE = "#111111", "#7b2cbf"
TINY = 1e-9


class Rate(NamedTuple):
    """How rates of a commodity are shown: the power unit, the matching energy unit, and the
    factor from '<commodity unit> per hour' to them."""

    power: str
    energy: str
    factor: float


def rate_of(unit: str) -> Rate:
    power, factor = POWER.get(unit, (f"{unit} per hour", 1.0))
    return Rate(power, f"{power}h" if unit in POWER else unit, factor)


def represented_hours(results: Results) -> float:
    """H: the hours the slices represent per year (§11)."""
    info = results.info
    return float(info.time["represented_hours"]) if info and info.time else HOURS_PER_YEAR


def commodity_unit(results: Results, commodity: str) -> str:
    info = results.info
    unit = info.commodities.get(commodity, {}).get("unit", "") if info else ""
    return str(unit) or "unit"


def period_title(part: pd.DataFrame, hours: float) -> str:
    """A period's name and weight ω_p = w_t H / δ_t: days per year for a 24-hour period."""
    first = part.iloc[0]
    length = float(part["hours"].sum())
    occurrences = float(first["weight"]) * hours / float(first["hours"])
    if abs(length - 24) < TINY:
        days = "day" if abs(occurrences - 1) < TINY else "days"
        return f"{first['period']}: {occurrences:,.4g} {days} per year"
    return f"{first['period']}: {occurrences:,.4g} per year, {length:g} h each"


def steps(hours: np.ndarray, values: np.ndarray) -> tuple[list[float], list[float]]:
    """A step line: each value held from its slice's start to its end."""
    ends = np.cumsum(hours)
    x = [float(v) for pair in zip(ends - hours, ends, strict=True) for v in pair]
    return x, [float(v) for v in np.repeat(values, 2)]


def ticks(top: float) -> list[float]:
    """Two to six round tick values from 0 up to `top`."""
    step = 10 ** np.floor(np.log10(top / 3))
    step *= next(m for m in (1, 2, 5, 10) if top / (step * m) <= 5)
    return [float(f"{v:.12g}") for v in np.arange(0, top + step * 1e-9, step)]


@dataclass
class Panel:
    """One (commodity, region, period) panel: its slice rows, the dispatch rows of the
    commodity's producers there, and what the whole figure shares."""

    fig: go.Figure
    row: int
    col: int
    part: pd.DataFrame  # slices rows of the panel, in slice order
    dispatch: pd.DataFrame  # dispatch rows of its producers, indexed by (technology, slice)
    scale: np.ndarray  # from an amount in the slice to a rate shown: factor / (w_t H)
    used: set[str]  # technologies, "<tech> charging" and columns that are not all zero
    shown: set[str] = field(default_factory=set)  # legend entries already shown

    def bar(self, name: str, y: np.ndarray, marker: dict, rank: int) -> None:
        """One stacked bar per slice, as wide as the slice's hours."""
        hours = self.part["hours"].to_numpy()
        self.fig.add_trace(
            go.Bar(
                x=np.cumsum(hours) - hours / 2,
                y=y,
                width=hours,
                name=name,
                legendgroup=name,
                showlegend=name not in self.shown,
                legendrank=rank,
                marker={"line_width": 0, **marker},
                customdata=self.part["slice"],
                hovertemplate=f"%{{y:,.4g}}<extra>{name} (slice %{{customdata}})</extra>",
            ),
            row=self.row,
            col=self.col,
            secondary_y=False,
        )
        self.shown.add(name)

    def line(self, name: str, values: np.ndarray, line: dict, right: bool) -> None:
        """A step line over the slices (on the price axis if `right`)."""
        x, y = steps(self.part["hours"].to_numpy(), values)
        self.fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                name=name,
                mode="lines",
                line=line,
                legendgroup=name,
                showlegend=name not in self.shown,
                legendrank=900 + right,
                hovertemplate=f"%{{y:,.4g}}<extra>{name}</extra>",
            ),
            row=self.row,
            col=self.col,
            secondary_y=right,
        )
        self.shown.add(name)

    def draw(self, colours: dict[str, str], rate: Rate, price_unit: str) -> None:
        """Producers stacked above zero, storage charging and exports below, imports and
        unserved demand on top; the load line, and the price on the right axis."""
        techs = dict.fromkeys(self.dispatch.index.get_level_values("technology"))
        for i, tech in enumerate(techs):
            rows = self.dispatch.loc[tech].reindex(self.part["slice"])
            colour = colours.get(str(tech), "#777777")
            if tech in self.used:
                values = rows["activity"].to_numpy() * self.scale
                name = f"{tech} discharging" if rows["charge"].notna().any() else str(tech)
                self.bar(name, values, {"color": colour}, 100 + i)
            if f"{tech} charging" in self.used:
                values = -rows["charge"].to_numpy() * self.scale
                self.bar(
                    f"{tech} charging", values, {"color": colour, "pattern_shape": "/"}, 300 + i
                )
        for column, sign, name, colour, rank in (
            ("imports", 1, "imports", IMPORTS, 200),
            ("unserved", 1, "unserved demand", UNSERVED, 201),
            ("exports", -1, "exports", EXPORTS, 400),
        ):
            if column in self.used:
                values = sign * self.part[column].to_numpy() * self.scale
                self.bar(name, values, {"color": colour}, rank)
        load = (self.part["demand"] + self.part["consumption"]).to_numpy() * self.scale
        self.line(f"load: demand + use [{rate.power}]", load, {"color": LOAD, "width": 2.5}, False)
        self.line(
            f"price [{price_unit}]",
            self.part["price"].to_numpy(),
            {"color": PRICE, "width": 2, "dash": "dot"},
            True,
        )


@dataclass
class Block:
    """One (commodity, region) in the chosen year: its slice rows by period, the dispatch
    rows of the commodity's producers there, what is not zero all year, and how rates show."""

    commodity: str
    region: str
    parts: dict[str, pd.DataFrame]
    producers: pd.DataFrame
    used: set[str]
    rate: Rate
    unit: str

    def scale(self, part: pd.DataFrame, hours: float) -> np.ndarray:
        """From an amount in a slice to the rate shown: factor / (w_t H) = factor / (ω_p δ_t)."""
        return self.rate.factor / (part["weight"].to_numpy() * hours)

    def limits(self, hours: float) -> tuple[float, float]:
        """The rate axis of every panel of the block: lowest stack below zero, highest stack
        or load above, with a margin."""
        lo, hi = 0.0, 0.0
        for part in self.parts.values():
            scale = self.scale(part, hours)
            top = part[["production", "imports", "unserved"]].sum(axis=1) * scale
            load = (part["demand"] + part["consumption"]) * scale
            lo = min(lo, float((-(part["charge"] + part["exports"]) * scale).min()))
            hi = max(hi, float(top.max()), float(load.max()))
        return 1.06 * lo, (1.06 * hi if hi > 0 else 1.0)


def _blocks(results: Results, year: int) -> tuple[list[Block], int]:
    """(commodity, region) blocks by falling load over the year, at most MAX_KEYS, and how
    many pairs there are."""
    slices, disp = results.tables["slices"], results.tables["dispatch"]
    rows, disp = slices[slices["year"] == year], disp[disp["year"] == year]
    sched = results.tables["schedule"]
    load = (rows["demand"] + rows["consumption"]).groupby([rows["commodity"], rows["region"]])
    ranked = load.sum().sort_values(ascending=False, kind="stable")
    blocks = []
    for c, r in ranked.index[:MAX_KEYS]:
        mine = rows[(rows["commodity"] == c) & (rows["region"] == r)]
        makers = set(sched.loc[sched["output"] == c, "technology"])
        producers = disp[(disp["region"] == r) & disp["technology"].isin(makers)]
        unit = commodity_unit(results, str(c))
        parts = dict(iter(mine.groupby("period", sort=False)))
        blocks.append(
            Block(str(c), str(r), parts, producers, _used(mine, producers), rate_of(unit), unit)
        )
    return blocks, len(ranked)


def _used(rows: pd.DataFrame, dispatch: pd.DataFrame) -> set[str]:
    """What is not zero all year: producers, storage charging, imports, exports, unserved."""
    used = {c for c in ("imports", "exports", "unserved") if rows[c].abs().max() > TINY}
    by_tech = dispatch.groupby("technology")[["activity", "charge"]].apply(lambda g: g.abs().max())
    used |= {str(k) for k in by_tech.index[by_tech["activity"] > TINY]}
    return used | {f"{k} charging" for k in by_tech.index[by_tech["charge"].fillna(0) > TINY]}


def _titles(blocks: list[Block], cols: int, hours: float) -> list[str]:
    """Subplot titles in grid order ('' for the empty cells at the end of a block)."""
    titles = []
    for b in blocks:
        names = [period_title(part, hours) for part in b.parts.values()]
        if len(blocks) > 1:
            names = [f"{b.commodity} in {b.region} · {n}" for n in names]
        titles += names + [""] * (-len(names) % cols)
    return titles


def dispatch_figure(results: Results, year: int, money: str) -> go.Figure:
    """Dispatch in `year`: per (commodity, region) a block of panels, one per representative
    period, with the average rate in each slice as bars as wide as the slice's hours."""
    hours = represented_hours(results)
    blocks, pairs = _blocks(results, year)
    n = len(blocks[0].parts)
    cols = min(n, COLUMNS)
    per_block = ceil(n / cols)
    fig = make_subplots(
        rows=per_block * len(blocks),
        cols=cols,
        specs=[[{"secondary_y": True}] * cols] * per_block * len(blocks),
        subplot_titles=_titles(blocks, cols, hours),
        horizontal_spacing=0.09,
        vertical_spacing=0.35 / (per_block * len(blocks)),
    )
    if len(blocks) < pairs:
        where = f" (the {len(blocks)} of {pairs} commodity-region pairs with most load)"
    else:
        where = f" ({blocks[0].commodity} in {blocks[0].region})" if pairs == 1 else ""
    title = f"Dispatch in {year}: average rate in each time slice{where}"
    fig = style(fig, title, 270 * per_block * len(blocks) + 170)  # before the hour ticks below
    colours, shown = tech_colours(results.tables["schedule"]), set()
    for i, b in enumerate(blocks):
        limits = b.limits(hours)
        for j, (p, part) in enumerate(b.parts.items()):
            panel = Panel(
                fig,
                i * per_block + j // cols + 1,
                j % cols + 1,
                part,
                b.producers[b.producers["period"] == p].set_index(["technology", "slice"]),
                b.scale(part, hours),
                b.used,
                shown,
            )
            panel.draw(colours, b.rate, f"{money}/{b.unit}")
            _axes(fig, panel, b, f"{money}/{b.unit}", limits, (j, cols, n))
    fig.update_layout(barmode="relative", bargap=0)
    return fig


def _axes(
    fig: go.Figure,
    panel: Panel,
    block: Block,
    price_unit: str,
    limits: tuple[float, float],
    place: tuple[int, int, int],
) -> None:
    """Hours on x; the block's rate range, zero of the price axis level with it; axis titles
    on the outer panels of the block (place: the period's index, columns, periods)."""
    j, cols, n = place
    length = float(panel.part["hours"].sum())
    at = {"row": panel.row, "col": panel.col}
    lo, hi = limits
    most = float(panel.part["price"].max())
    most = most if most > 0 else 1.0
    top = 1.3 * most  # the price line (and its last tick) below the panel's top edge
    fig.update_xaxes(range=[0, length], dtick=3 if length <= 24 else None, **at)
    fig.update_yaxes(range=[lo, hi], secondary_y=False, **at)
    fig.update_yaxes(
        range=[lo / hi * top, top], tickvals=ticks(most), showgrid=False, secondary_y=True, **at
    )
    if panel.col == 1:
        title = f"{block.commodity} [{block.rate.power}]"
        fig.update_yaxes(title_text=title, secondary_y=False, **at)
    if panel.col == cols or j == n - 1:
        fig.update_yaxes(title_text=f"price [{price_unit}]", secondary_y=True, **at)
    if j + cols >= n:
        word = "day" if abs(length - 24) < TINY else "period"
        fig.update_xaxes(title_text=f"hour of the {word}", **at)
