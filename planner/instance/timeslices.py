"""The time structure of docs/model.md §11 as arrays: periods, slices, weights, profiles.

Without a `time` block there is one period `year` (weight 1) with one slice `all` of 8760
hours, so every slice rule reduces to the annual model (docs/model.md §8.13).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.instance.schema import Time

DEFAULT_HOURS = 8760.0


@dataclass
class TimeSlices:
    """Slices in file order; slice t belongs to period `period_of[t]`."""

    periods: list[str]
    weights: np.ndarray  # ω_p: occurrences of each period per year
    names: list[tuple[str, str]]  # (period, slice) of each slice
    period_of: np.ndarray
    hours: np.ndarray  # δ_t
    profiles: dict[str, np.ndarray] = field(default_factory=dict)  # raw values per slice

    @classmethod
    def of(cls, time: Time | None) -> TimeSlices:
        if time is None:
            return cls(["year"], np.ones(1), [("year", "all")], np.zeros(1, dtype=np.int64),
                       np.array([DEFAULT_HOURS]))  # fmt: skip
        periods = list(time.periods)
        names, period_of, hours = [], [], []
        for p, (name, period) in enumerate(time.periods.items()):
            for slice_name, h in period.slices.items():
                names.append((name, slice_name))
                period_of.append(p)
                hours.append(h)
        out = cls(
            periods,
            np.array([p.weight for p in time.periods.values()], dtype=float),
            names,
            np.array(period_of, dtype=np.int64),
            np.array(hours, dtype=float),
        )
        for name, values in time.profiles.items():
            out.profiles[name] = np.concatenate(
                [np.asarray(values.get(p, []), dtype=float) for p in periods]
            )
        return out

    @property
    def T(self) -> int:
        return len(self.names)

    @property
    def omega(self) -> np.ndarray:
        """ω_p(t): occurrences per year of each slice's period."""
        return self.weights[self.period_of]

    @property
    def represented_hours(self) -> float:
        """H = sum_p ω_p sum_{t in T_p} δ_t."""
        return float((self.omega * self.hours).sum())

    @property
    def w(self) -> np.ndarray:
        """Slice weights w_t = ω_p(t) δ_t / H (they sum to 1)."""
        return self.omega * self.hours / self.represented_hours

    @property
    def prev(self) -> np.ndarray:
        """The slice before each slice in its period; the period's last for its first."""
        prev = np.arange(self.T) - 1
        for p in range(len(self.periods)):
            members = np.flatnonzero(self.period_of == p)
            prev[members[0]] = members[-1]
        return prev

    def shape(self, name: str | None) -> np.ndarray:
        """A profile used as given (availability); 1 in every slice when None."""
        return np.ones(self.T) if name is None else self.profiles[name]

    def normalised(self, name: str | None) -> np.ndarray:
        """v / sum_t w_t v_t, so that sum_t w_t v(t) = 1; 1 in every slice when None."""
        if name is None:
            return np.ones(self.T)
        values = self.profiles[name]
        return values / float(self.w @ values)

    def describe(self) -> dict:
        """The time structure as summary.json states it."""
        return {
            "periods": {
                p: {"weight": float(self.weights[i]), "slices": int((self.period_of == i).sum())}
                for i, p in enumerate(self.periods)
            },
            "slices": len(self.names),
            "represented_hours": self.represented_hours,
        }
