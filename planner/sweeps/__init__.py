"""Parameter sweeps: one solve per point through the one pipeline, warm, local or on Dask,
resumable on disk (`sweep`)."""

from planner.sweeps.run import sweep
from planner.sweeps.store import Store, SweepError, SweepIncomplete

__all__ = ["Store", "SweepError", "SweepIncomplete", "sweep"]
