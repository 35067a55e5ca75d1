"""The sweep's frontier plot: demand served against the swept parameter (the budget), with
the budget's shadow price on a second axis. Written as HTML (self-contained) and PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner import atomic


def _x_param(table: pd.DataFrame) -> str:
    params = list(table.attrs.get("params", []))
    if not params:
        raise ValueError("the sweep table names no parameters (table.attrs['params'])")
    return "budget.total" if "budget.total" in params else params[0]


def risk_frontier(table: pd.DataFrame) -> go.Figure:
    """Expected cost against its CVaR, one point per swept risk weight: the cost of
    hedging (docs/model.md §17). Lower-left is better; the curve is the trade-off."""
    ok = table[table["status"] == "optimal"].sort_values("scenarios.risk.weight")
    fig = go.Figure(
        go.Scatter(
            x=ok["cvar"],
            y=ok["expected_cost"],
            mode="lines+markers+text",
            text=[f"ω={w:g}" for w in ok["scenarios.risk.weight"]],
            textposition="top right",
            name="plans by risk weight ω",
        )
    )
    fig.update_layout(
        title="Cost against risk: expected cost and CVaR of each plan",
        template="plotly_white",
    )
    fig.update_xaxes(title_text="CVaR of the cost (mean of the worst cases)")
    fig.update_yaxes(title_text="expected discounted cost")
    return fig


def frontier_figure(table: pd.DataFrame) -> go.Figure:
    """Served share of each commodity's demand (left axis) and the budget's shadow price
    (right axis) against the swept parameter. With several parameters: one line per
    combination of the others, showing the mean served share over commodities. A sweep of
    `scenarios.risk.weight` gives the cost-versus-risk frontier instead."""
    if "scenarios.risk.weight" in table.attrs.get("params", []) and "cvar" in table:
        return risk_frontier(table)
    x = _x_param(table)
    others = [p for p in table.attrs.get("params", []) if p != x]
    shares = [c for c in table.columns if c.startswith("unserved_share.")]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    ok = table[table["status"] == "optimal"].sort_values(x)
    groups = list(ok.groupby(others, sort=False)) if others else [((), ok)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        tag = ", ".join(f"{p}={v:g}" for p, v in zip(others, key, strict=True))
        if others:
            served = 1.0 - group[shares].mean(axis=1) if shares else np.ones(len(group))
            fig.add_trace(
                go.Scatter(x=group[x], y=served, mode="lines+markers", name=f"served ({tag})"),
                secondary_y=False,
            )
        else:
            for column in shares:
                name = column.removeprefix("unserved_share.")
                fig.add_trace(
                    go.Scatter(x=group[x], y=1.0 - group[column], mode="lines+markers", name=name),
                    secondary_y=False,
                )
        if "shadow.budget_total" in group and group["shadow.budget_total"].notna().any():
            fig.add_trace(
                go.Scatter(
                    x=group[x],
                    y=group["shadow.budget_total"],
                    mode="lines",
                    line={"dash": "dot"},
                    name="budget shadow price" + (f" ({tag})" if tag else ""),
                ),
                secondary_y=True,
            )
    failed = table[table["status"] != "optimal"]
    if len(failed):
        fig.add_trace(
            go.Scatter(
                x=failed[x],
                y=np.zeros(len(failed)),
                mode="markers",
                marker={"symbol": "x", "color": "red", "size": 10},
                name="failed points",
                text=failed["status"],
            ),
            secondary_y=False,
        )
    fig.update_layout(
        title="Demand served against " + x,
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text="share of demand served", tickformat=".0%", secondary_y=False)
    fig.update_yaxes(
        title_text="budget shadow price (objective per unit of budget)", secondary_y=True
    )
    return fig


def write_frontier(table: pd.DataFrame, out: str | Path, png: bool = True) -> list[str]:
    """Write out/frontier.html and out/frontier.png; return warnings (a PNG that could not
    be rendered, e.g. without a Chrome for kaleido, is a warning, not an error)."""
    out = Path(out)
    fig = frontier_figure(table)
    atomic.write_with(out / "frontier.html", lambda tmp: fig.write_html(tmp, include_plotlyjs=True))
    warnings = []
    if png:
        try:
            atomic.write_with(
                out / "frontier.png",
                lambda tmp: fig.write_image(tmp, format="png", width=1000, height=600),
            )
        except Exception as exc:
            warnings.append(f"frontier.png not written ({type(exc).__name__}: {exc})")
    return warnings
