"""Tornado charts of a one-at-a-time sensitivity (scripts/sensitivity.py): for each uncertain
input, the change of a figure (total cost, AI electricity in 2030) from the base plan when the
input is set to its low and to its high value, the widest bar on top.

The sensitivity table is a CSV with one row per point: `input` ("base" for the base point),
`case` (base, low, high), `value` (what the low or high value is), `source`, `status` and one
column per figure (`objective`, `electricity_2030`, ...). `planner report DIR --sensitivity
FILE` draws it; a `sensitivity.csv` inside DIR is used when no file is given.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from planner.report.style import FONT, html_table

FIGURES = {
    "objective": ("Total discounted system cost", "change from the base plan"),
    "electricity_2030": ("AI electricity in 2030", "change from the base plan (TWh)"),
}
SENSITIVITY_FILE = "sensitivity.csv"


class SensitivityError(ValueError):
    """A sensitivity file that cannot be drawn."""


def read_sensitivity(path: str | Path) -> pd.DataFrame:
    """The sensitivity table of scripts/sensitivity.py, checked."""
    path = Path(path)
    if not path.is_file():
        raise SensitivityError(f"{path}: no such sensitivity file")
    table = pd.read_csv(path)
    missing = {"input", "case"} - set(table.columns)
    if missing or not (table["case"] == "base").any():
        raise SensitivityError(
            f"{path}: not a sensitivity table (needs the columns input and case, and a base row)"
        )
    return table


def find_sensitivity(results_dir: str | Path) -> Path | None:
    """`sensitivity.csv` next to the results, if there is one."""
    path = Path(results_dir) / SENSITIVITY_FILE
    return path if path.is_file() else None


def tornado_figure(table: pd.DataFrame, figure: str, money: str = "cost units") -> go.Figure:
    """Bars from the low case's change to the high case's, one row per input, widest on top."""
    title, axis = FIGURES.get(figure, (figure, "change from the base plan"))
    if figure == "objective":
        axis = f"change from the base plan ({money}, discounted)"
    base = float(table.loc[table["case"] == "base", figure].iloc[0])
    rows = []
    for name, group in table[table["case"] != "base"].groupby("input", sort=False):
        by_case = group.set_index("case")
        low = float(by_case.loc["low", figure]) - base if "low" in by_case.index else 0.0
        high = float(by_case.loc["high", figure]) - base if "high" in by_case.index else 0.0
        text = {c: str(by_case.loc[c, "value"]) if "value" in by_case else c for c in by_case.index}
        rows.append((str(name), low, high, text.get("low", "low"), text.get("high", "high")))
    rows.sort(key=lambda r: max(abs(r[1]), abs(r[2])))
    names = [r[0] for r in rows]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=names, x=[r[1] for r in rows], orientation="h", name="low value",
            marker_color="#2b7bba", hovertext=[r[3] for r in rows],
        )
    )  # fmt: skip
    fig.add_trace(
        go.Bar(
            y=names, x=[r[2] for r in rows], orientation="h", name="high value",
            marker_color="#d9572b", hovertext=[r[4] for r in rows],
        )
    )  # fmt: skip
    fig.update_layout(
        barmode="overlay",
        title={
            "text": f"{title}: base {base:,.6g}; each input at its low and high value",
            "x": 0.01,
            "font": {"size": 18},
        },
        height=160 + 45 * len(rows),
        template="plotly_white",
        font={"family": FONT, "size": 12},
        margin={"l": 170, "r": 30, "t": 70, "b": 50},
        hovermode="closest",
    )
    fig.update_xaxes(title_text=axis, zeroline=True, zerolinewidth=2, zerolinecolor="#1d2430")
    return fig


def tornado_figures(table: pd.DataFrame, money: str = "cost units") -> dict[str, go.Figure]:
    """One tornado per figure the table has."""
    return {
        f"tornado-{key.replace('_', '-')}": tornado_figure(table, key, money)
        for key in FIGURES
        if key in table.columns
    }


def sensitivity_table(table: pd.DataFrame) -> str:
    """The inputs and their low and high values with sources, as an HTML table."""
    import html

    rows = []
    for name, group in table[table["case"] != "base"].groupby("input", sort=False):
        by_case = group.set_index("case")
        low = by_case.loc["low", "value"] if "low" in by_case.index else ""
        high = by_case.loc["high", "value"] if "high" in by_case.index else ""
        source = str(group["source"].iloc[0]) if "source" in group else ""
        rows.append([html.escape(str(v)) for v in (name, low, high, source)])
    head = ["input", "low value", "high value", "source"]
    return html_table(head, rows, numeric_from=len(head), compact=False)
