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
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported when a matrix is first built: validating needs no SciPy
    import scipy.sparse as sp


class Linear:
    """A block of linear expressions: `n_rows` rows over `n_cols` columns plus a constant
    per row, held as coordinates (row, column, value; duplicates add up) so that sums,
    scalings and row maps are concatenations and index arithmetic. `A` gives the CSR
    matrix (built once, on first use)."""

    __slots__ = ("_A", "cols", "const", "n_cols", "rows", "vals")

    def __init__(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        n_cols: int,
        const: np.ndarray,
    ) -> None:
        self.rows = np.asarray(rows, dtype=np.int64)
        self.cols = np.asarray(cols, dtype=np.int64)
        self.vals = np.asarray(vals, dtype=float)
        self.n_cols = int(n_cols)
        self.const = np.asarray(const, dtype=float)
        self._A: sp.csr_array | None = None

    @classmethod
    def zero(cls, n_rows: int, n_cols: int) -> Linear:
        empty = np.empty(0, dtype=np.int64)
        return cls(empty, empty, np.empty(0), n_cols, np.zeros(n_rows))

    @classmethod
    def of(
        cls,
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        shape: tuple[int, int],
        const: np.ndarray | None = None,
    ) -> Linear:
        """A block from coordinates (duplicates add up)."""
        constant = np.zeros(shape[0]) if const is None else np.asarray(const, dtype=float)
        return cls(rows, cols, vals, shape[1], constant)

    @property
    def n_rows(self) -> int:
        return int(self.const.size)

    @property
    def A(self) -> sp.csr_array:
        """The coefficients as a CSR matrix (duplicates summed)."""
        if self._A is None:
            import scipy.sparse as sp

            shape = (self.n_rows, self.n_cols)
            self._A = sp.csr_array((self.vals, (self.rows, self.cols)), shape=shape)
        return self._A

    def scale(self, factor: np.ndarray | float) -> Linear:
        """Multiply row-wise by `factor` (a scalar or one value per row)."""
        f = np.broadcast_to(np.asarray(factor, dtype=float), self.const.shape)
        vals = self.vals * (f[self.rows] if f.size else 0.0)
        return Linear(self.rows, self.cols, vals, self.n_cols, self.const * f)

    def map_rows(self, target: np.ndarray, n_rows: int) -> Linear:
        """Row i added into row target[i] of a block of `n_rows` rows."""
        target = np.asarray(target, dtype=np.int64)
        const = np.bincount(target, self.const, minlength=n_rows) if target.size else None
        return Linear(
            target[self.rows] if self.rows.size else self.rows,
            self.cols,
            self.vals,
            self.n_cols,
            const if const is not None else np.zeros(n_rows),
        )

    def take(self, rows: np.ndarray) -> Linear:
        """The block of the rows `rows` (in that order)."""
        position = np.full(self.n_rows, -1, dtype=np.int64)
        position[rows] = np.arange(len(rows))
        keep = position[self.rows] >= 0
        return Linear(
            position[self.rows[keep]], self.cols[keep], self.vals[keep], self.n_cols,
            self.const[rows],
        )  # fmt: skip

    def repeat(self, factor: np.ndarray) -> Linear:
        """Each row repeated len(factor) times (row i -> i * n + t), scaled by factor[t]."""
        n = len(factor)
        rows = (self.rows[:, None] * n + np.arange(n)[None, :]).ravel()
        vals = (self.vals[:, None] * factor[None, :]).ravel()
        cols = np.repeat(self.cols, n)
        return Linear(rows, cols, vals, self.n_cols, np.kron(self.const, factor))

    def value(self, x: np.ndarray) -> np.ndarray:
        """The expressions evaluated at the column values `x`."""
        out = np.bincount(self.rows, self.vals * x[self.cols], minlength=self.n_rows)
        return out + self.const

    def __add__(self, other: Linear) -> Linear:
        return Linear(
            np.concatenate([self.rows, other.rows]),
            np.concatenate([self.cols, other.cols]),
            np.concatenate([self.vals, other.vals]),
            self.n_cols,
            self.const + other.const,
        )

    def __sub__(self, other: Linear) -> Linear:
        return self + (-other)

    def __neg__(self) -> Linear:
        return Linear(self.rows, self.cols, -self.vals, self.n_cols, -self.const)


def total(blocks: Sequence[Linear], n_rows: int, n_cols: int) -> Linear:
    """The sum of blocks with the same rows (zero rows if there are none)."""
    if not blocks:
        return Linear.zero(n_rows, n_cols)
    const = np.zeros(n_rows)
    for b in blocks:
        const = const + b.const
    return Linear(
        np.concatenate([b.rows for b in blocks]),
        np.concatenate([b.cols for b in blocks]),
        np.concatenate([b.vals for b in blocks]),
        n_cols,
        const,
    )


def stack(blocks: Sequence[Linear], n_cols: int) -> Linear:
    """Blocks one under the other."""
    if not blocks:
        return Linear.zero(0, n_cols)
    offsets = np.cumsum([0] + [b.n_rows for b in blocks])
    return Linear(
        np.concatenate([b.rows + off for b, off in zip(blocks, offsets, strict=False)]),
        np.concatenate([b.cols for b in blocks]),
        np.concatenate([b.vals for b in blocks]),
        n_cols,
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
