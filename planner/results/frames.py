"""Building a tidy table from parts in one go: the one home of how result tables become
DataFrames. Text columns are assembled as categoricals (names repeat across rows, so each
is converted to text once, not once per row) and handed out as plain text; integer
columns with gaps become nullable integers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

INT_COLUMNS = ("year",)
"""Columns of whole numbers that may have gaps (budget total, constraints without a year)."""


def _length(part: dict[str, Any]) -> int:
    for value in part.values():
        if isinstance(value, np.ndarray | pd.Categorical | list):
            return len(value)
    return 1


def _column(values: list[Any], lengths: list[int]) -> Any:
    """One column of the stacked table from each part's scalar or array."""
    if all(v is None or isinstance(v, str) for v in values):
        categories = list(dict.fromkeys(v for v in values if v is not None))
        index = {c: i for i, c in enumerate(categories)}
        codes = np.repeat([-1 if v is None else index[v] for v in values], lengths)
        return pd.Categorical.from_codes(codes, categories=categories)
    arrays = [
        np.full(n, v, dtype=object if v is None or isinstance(v, str) else None)
        if np.isscalar(v) or v is None
        else np.asarray(v)
        for v, n in zip(values, lengths, strict=True)
    ]
    out = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
    if out.dtype == object or out.dtype.kind == "U":
        return pd.Categorical(out)
    return out


def stack(parts: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One DataFrame from parts that share their columns: each part maps a column to an
    array (one value per row) or a scalar (the same in every row of the part)."""
    if not parts:
        return pd.DataFrame(columns=list(columns) if columns is not None else None)
    lengths = [_length(p) for p in parts]
    names = list(parts[0]) if columns is None else list(columns)
    table = pd.DataFrame({name: _column([p.get(name) for p in parts], lengths) for name in names})
    for name in INT_COLUMNS:
        if name in table and table[name].dtype.kind == "f":
            table[name] = pd.array(table[name], dtype="Int64")
    for name in table.columns:  # names built as categoricals, handed out as plain text
        column = table[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            names = np.append(np.asarray(column.cat.categories, dtype=object), None)
            codes = column.cat.codes.to_numpy()  # -1 (missing) takes the None at the end
            table[name] = pd.Series(names[codes], index=table.index, dtype=object)
    return table
