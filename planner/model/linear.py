"""Building blocks of the model: linear expression blocks, row keys, rows and bounds.

A `Linear` is a block of linear expressions over the model's columns: a sparse matrix plus
a constant per row. `Keys` names the rows of a block by columns of index values
(technology, region, year, ...), kept as arrays so that tables are built without a Python
loop per row. A constraint family's `define_` function returns `Rows`; a bound family's
returns `Bounds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass
class Linear:
    """A block of linear expressions: rows x columns matrix `A` plus a constant per row."""

    A: sp.csr_array
    const: np.ndarray

    @classmethod
    def zero(cls, n_rows: int, n_cols: int) -> Linear:
        return cls(sp.csr_array((n_rows, n_cols)), np.zeros(n_rows))

    @classmethod
    def of(
        cls,
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        shape: tuple[int, int],
        const: np.ndarray | None = None,
    ) -> Linear:
        """A block from coordinates (duplicates are summed)."""
        A = sp.csr_array((vals, (rows, cols)), shape=shape)
        return cls(A, np.zeros(shape[0]) if const is None else np.asarray(const, dtype=float))

    @property
    def n_rows(self) -> int:
        return int(self.const.size)

    def scale(self, factor: np.ndarray | float) -> Linear:
        """Multiply row-wise by `factor` (a scalar or one value per row)."""
        f = np.broadcast_to(np.asarray(factor, dtype=float), self.const.shape)
        return Linear(sp.csr_array(sp.diags_array(f) @ self.A), self.const * f)

    def map_rows(self, target: np.ndarray, n_rows: int) -> Linear:
        """Row i added into row target[i] of a block of `n_rows` rows."""
        n = self.n_rows
        P = sp.csr_array((np.ones(n), (target, np.arange(n))), shape=(n_rows, n))
        return Linear(sp.csr_array(P @ self.A), P @ self.const)

    def value(self, x: np.ndarray) -> np.ndarray:
        """The expressions evaluated at the column values `x`."""
        return self.A @ x + self.const

    def __add__(self, other: Linear) -> Linear:
        return Linear(sp.csr_array(self.A + other.A), self.const + other.const)

    def __sub__(self, other: Linear) -> Linear:
        return Linear(sp.csr_array(self.A - other.A), self.const - other.const)

    def __neg__(self) -> Linear:
        return self.scale(-1.0)


def total(blocks: Sequence[Linear], n_rows: int, n_cols: int) -> Linear:
    """The sum of blocks with the same rows (zero rows if there are none)."""
    out = Linear.zero(n_rows, n_cols)
    for block in blocks:
        out = out + block
    return out


def stack(blocks: Sequence[Linear], n_cols: int) -> Linear:
    """Blocks one under the other."""
    if not blocks:
        return Linear.zero(0, n_cols)
    return Linear(
        sp.csr_array(sp.vstack([b.A for b in blocks], format="csr")),
        np.concatenate([b.const for b in blocks]),
    )


def _level(name: str, values: Sequence) -> np.ndarray:
    """Years as integers, every other index field as Python objects (names)."""
    return np.asarray(values, dtype=np.int64 if name == "year" else object)


@dataclass
class Keys:
    """The index of each row (or column) of a block, one array per index field."""

    fields: dict[str, np.ndarray]

    @classmethod
    def grid(cls, **levels: Sequence) -> Keys:
        """Every combination of the levels, the last varying fastest (C order)."""
        arrays = [_level(name, v) for name, v in levels.items()]
        sizes = [len(a) for a in arrays]
        out = {}
        for i, (name, values) in enumerate(zip(levels, arrays, strict=True)):
            inner = int(np.prod(sizes[i + 1 :]))
            outer = int(np.prod(sizes[:i]))
            out[name] = np.tile(np.repeat(values, inner), outer)
        return cls(out)

    @classmethod
    def concat(cls, parts: Sequence[Keys], names: Sequence[str]) -> Keys:
        """Keys of blocks stacked one under the other (all with the fields `names`)."""
        if not parts:
            return cls({n: np.empty(0, dtype=object) for n in names})
        return cls({n: np.concatenate([p.fields[n] for p in parts]) for n in names})

    def __len__(self) -> int:
        return len(next(iter(self.fields.values()))) if self.fields else 0

    def with_slices(self, names: list[tuple[str, str]]) -> Keys:
        """Each key once per slice (last varying fastest), with `period` and `slice` fields."""
        n = len(names)
        fields = {k: np.repeat(v, n) for k, v in self.fields.items()}
        fields["period"] = np.tile(np.array([p for p, _ in names], dtype=object), len(self))
        fields["slice"] = np.tile(np.array([s for _, s in names], dtype=object), len(self))
        return Keys(fields)

    def take(self, idx: np.ndarray) -> Keys:
        return Keys({n: v[idx] for n, v in self.fields.items()})

    def tuples(self) -> list[tuple]:
        """The keys as tuples (years as Python ints)."""
        columns = [
            [int(v) for v in values] if name == "year" else values.tolist()
            for name, values in self.fields.items()
        ]
        return list(zip(*columns, strict=True)) if columns else []


@dataclass
class Rows:
    """What a `define_` function returns: `A x + const (sense) rhs` for every row where
    `keep`; a row without variables is checked on the spot instead (see `assemble`)."""

    keys: Keys
    lin: Linear
    rhs: np.ndarray
    keep: np.ndarray | None = None


@dataclass
class Bounds:
    """What a bound family's `define_` function returns: one bound per column."""

    keys: Keys
    cols: np.ndarray
    values: np.ndarray


@dataclass
class Block:
    """A named set of rows of a built model: `A x (sense) rhs`, its keys in row order."""

    name: str  # unique in its model: the family, and the case in a two-stage programme
    family: str  # the registry entry
    sense: str
    index: Keys
    A: sp.csr_array
    rhs: np.ndarray
    rows: np.ndarray  # position of each row among the rows its `define_` function wrote
    n_written: int  # how many rows that function wrote (some are dropped: see `assemble`)
    case: str | None = None  # its scenario case in a two-stage programme
    _tuples: list[tuple] | None = field(default=None, repr=False)

    @property
    def keys(self) -> list[tuple]:
        """Row keys as tuples (built on first use)."""
        if self._tuples is None:
            self._tuples = self.index.tuples()
        return self._tuples

    def __len__(self) -> int:
        return int(self.rhs.size)

    def written(self, values: np.ndarray, missing: float = 0.0) -> np.ndarray:
        """Per-row values spread back over every row written (`missing` for dropped rows)."""
        out = np.full(self.n_written, missing)
        out[self.rows] = values
        return out
