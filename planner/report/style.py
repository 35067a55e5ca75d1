"""Shared look of the report's charts: layer colours, technology shades, fonts, layout."""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from math import ceil
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner.instance.schema import LAYERS

LAYER_COLOURS = {
    "energy": "#d98c00",
    "chips": "#2a6fbb",
    "infrastructure": "#6a4c93",
    "models": "#1a936f",
    "applications": "#c44536",
}
FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"


def shades(hex_colour: str, n: int) -> list[str]:
    """n distinguishable shades of one hue, dark to light."""
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    out = []
    for i in range(n):
        frac = i / max(n - 1, 1)
        light = 0.22 + 0.56 * frac if n > 1 else lum
        hue = (h + 0.05 * (frac - 0.5)) % 1.0 if n > 1 else h
        rr, gg, bb = colorsys.hls_to_rgb(hue, light, s)
        out.append(f"#{int(rr * 255):02x}{int(gg * 255):02x}{int(bb * 255):02x}")
    return out


def tech_colours(schedule: pd.DataFrame) -> dict[str, str]:
    """Technology -> colour: shades of its layer's hue."""
    colours: dict[str, str] = {}
    for layer, group in schedule.groupby("layer", sort=False):
        techs = list(dict.fromkeys(group["technology"]))
        base = LAYER_COLOURS.get(str(layer), "#777777")
        colours.update(zip(techs, shades(base, len(techs)), strict=True))
    return colours


def layers_of(frame: pd.DataFrame) -> list[str]:
    present = set(frame["layer"].dropna())
    return [x for x in LAYERS if x in present] + sorted(present - set(LAYERS))


def units_label(values: pd.Series) -> str:
    units = [str(u) for u in dict.fromkeys(values.dropna()) if str(u)]
    return ", ".join(units) if len(units) <= 2 else "mixed units (see legend)"


@dataclass(frozen=True)
class Grid:
    """A figure of panels filled row by row, `cols` wide and `rows` high."""

    fig: go.Figure
    cols: int
    rows: int

    def at(self, n: int) -> dict[str, int]:
        """Where panel n is: the `row` and `col` keywords of plotly's add_trace."""
        return {"row": n // self.cols + 1, "col": n % self.cols + 1}


def grid(titles: list[str], cols: int, **options: Any) -> Grid:
    """One panel per title, `cols` to a row (at least one row); `options` go to
    make_subplots."""
    rows = max(ceil(len(titles) / cols), 1)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        vertical_spacing=0.3 / rows if rows > 1 else 0.1,
        **options,
    )
    return Grid(fig, cols, rows)


def style(fig: go.Figure, title: str, height: int, narrow: bool = False) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 18}},
        height=height,
        template="plotly_white",
        font={"family": FONT, "size": 12},
        legend={"font": {"size": 11}, "tracegroupgap": 4},
        margin={"l": 70, "r": 30, "t": 70, "b": 50},
        hovermode="x unified",
    )
    fig.update_xaxes(dtick=1 if _span(fig) <= (8 if narrow else 16) else 2, tickformat="d")
    return fig


def _span(fig: go.Figure) -> int:
    years = [v for t in fig.data for v in (t.x if t.x is not None else []) if isinstance(v, int)]
    return (max(years) - min(years) + 1) if years else 0


def note(title: str, text: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(
        text=text, showarrow=False, font={"size": 14}, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, title, 200)


def html_table(
    head: list[str], rows: list[list[str]], numeric_from: int = 1, compact: bool = True
) -> str:
    """An HTML table of the report (cells already escaped), right-aligned from column
    `numeric_from` on; `compact` tables take only the width they need."""
    th = "".join(
        f"<th class='num'>{h}</th>" if i >= numeric_from else f"<th>{h}</th>"
        for i, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='num'>{c}</td>" if i >= numeric_from else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    kind = " class='compact'" if compact else ""
    return f"<table{kind}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"
