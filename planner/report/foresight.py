"""Myopic results in the report (docs/model.md §16): a table of the rolling windows, and the
reminder that every chart and table is the last window's solution."""

from __future__ import annotations

import html

from planner import fmt
from planner.report.style import html_table
from planner.results.base import Results


def is_myopic(results: Results) -> bool:
    fs = results.summary.get("foresight") or {}
    return fs.get("mode") == "myopic" and bool(fs.get("windows"))


def windows_html(results: Results, money: str) -> str:
    """The windows of a myopic run: years decided and solved, status, objective, seconds."""
    fs = results.summary["foresight"]
    windows = fs["windows"]
    y0 = int(windows[0]["start"])
    rows = []
    for i, w in enumerate(windows, start=1):
        objective, seconds = w.get("objective"), w.get("seconds")
        rows.append(
            [
                str(i),
                f"{int(w['start'])}-{int(w['end'])}",
                f"{y0}-{int(w['end'])}",
                html.escape(str(w.get("status", ""))),
                fmt.number(objective) if objective is not None else "-",
                f"{seconds:.2f}" if seconds is not None else "-",
            ]
        )
    head = [
        "window",
        "years",
        "years solved (earlier decisions fixed)",
        "status",
        f"objective ({html.escape(money)}, discounted, years solved)",
        "seconds",
    ]
    return (
        f"<h2>Myopic foresight: {len(windows)} windows of {fs['window']} years, "
        f"moving {fs['step']} at a time</h2>"
        "<p>Each window plans as if the years after it did not exist, with the decisions of "
        "the earlier windows (made before it starts) fixed. A window's objective is the whole "
        "discounted cost of the years it solves, fixed decisions included, so it grows from "
        "window to window. <b>Every chart and table below is the last window's "
        "solution.</b></p>"
        f"{html_table(head, rows, numeric_from=4)}"
    )
