"""The objective of docs/model.md §6 as cost blocks: the one home of every cost formula.

A `CostBlock` holds one component of cost (annuity, fixed, variable, unserved, trade) of
one layer, undiscounted, per (region, year). The objective is the discounted sum of all
blocks; the `costs` result table evaluates the same blocks at the solution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.model import expressions as ex
from planner.model.data import ModelData
from planner.model.linear import Linear

COMPONENTS = ("annuity", "fixed", "variable", "unserved", "trade", "curtailment")


@dataclass
class CostBlock:
    """Undiscounted cost of one layer and component: rows (region i, year j) -> i*ny + j."""

    layer: str | None
    component: str
    regions: list[str]
    lin: Linear


def cost_blocks(d: ModelData) -> list[CostBlock]:
    """Every cost term: sum_y df(y) [Ann + fom Cap + vom X + mu U + cost_l F + mu_cu CU]
    (X, U, F and CU summed over slices)."""
    blocks = []
    for t in d.techs:
        blocks += [
            CostBlock(t.layer, "annuity", t.regions, ex.annuity(d, t)),
            CostBlock(t.layer, "fixed", t.regions, ex.capacity(d, t).scale(t.fixed_om.ravel())),
            CostBlock(
                t.layer, "variable", t.regions, ex.activity(d, t).scale(t.variable_om.ravel())
            ),
        ]
    layers = {c: com.layer for c, com in d.instance.commodities.items()}
    for c, mu in d.unmet_cost.items():
        blocks.append(CostBlock(layers[c], "unserved", d.regions, ex.unserved(d, c).scale(mu)))
    for link in d.links:
        slices = link.col.shape[1]
        rows = np.repeat(np.arange(d.ny), slices)
        lin = Linear.of(rows, link.col.ravel(), np.repeat(link.cost, slices), (d.ny, d.n_cols))
        blocks.append(CostBlock(layers[link.commodity], "trade", [link.origin], lin))
    for t in d.techs:
        if t.cu_col.size and t.flex is not None:
            curtailed = ex.sum_slices(d, ex.slice_columns(d, t.cu_col), d.T)
            blocks.append(
                CostBlock(t.layer, "curtailment", t.regions, curtailed.scale(t.flex.curtail_cost))
            )
    return blocks


def objective(d: ModelData, until: int | None = None) -> tuple[np.ndarray, float]:
    """Discounted cost per unit of each column, and the constant (fixed O&M of residuals);
    with `until`, only the cost terms of the years up to it (a myopic window's objective:
    its annuities cut at its last year, §16)."""
    cols, vals = [], []
    constant = 0.0
    discount = d.df if until is None else np.where(d.years <= until, d.df, 0.0)
    for block in cost_blocks(d):
        df = np.tile(discount, len(block.regions))
        lin = block.lin
        cols.append(lin.cols)
        vals.append(lin.vals * df[lin.rows])
        constant += float(df @ lin.const)
    if not cols:
        return np.zeros(d.n_cols), constant
    c = np.bincount(np.concatenate(cols), np.concatenate(vals), minlength=d.n_cols)
    return c, constant
