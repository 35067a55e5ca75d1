"""planner: an optimization-based investment planner for the five-layer AI stack."""

from planner.api import solve, with_budget_total
from planner.data import prepare
from planner.errors import InstanceError
from planner.loader import load_instance, validate_instance
from planner.model import build_model
from planner.results import Results
from planner.schema import Instance
from planner.solver import SolveOptions
from planner.sweep import sweep

__all__ = [
    "Instance",
    "InstanceError",
    "Results",
    "SolveOptions",
    "build_model",
    "load_instance",
    "prepare",
    "solve",
    "sweep",
    "validate_instance",
    "with_budget_total",
]
