"""Pydantic's validation errors in plain words, each with a fix (and the line of the field)."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

import yaml
from pydantic import BaseModel

from planner.errors import Problem
from planner.instance.schema import Instance, show
from planner.instance.yaml_source import node_at


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema model that holds the field at `loc` (None where loc leaves the models)."""
    current: Any = Instance
    pending_dict = False
    for part in loc:
        if pending_dict:
            pending_dict = False
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None
        current, pending_dict = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip Optional/Annotated; for dict[str, Model] return (Model, True)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else (None, False)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is dict:
        return typing.get_args(annotation)[1], True
    return annotation, False


def _keys_of(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def problem(err: Any, root: yaml.Node | None) -> Problem:
    """Turn one pydantic error into a Problem with a plain message and a fix."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    path = ".".join(str(p) for p in loc)
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    message, fix = _explain(kind, loc, ctx, got, err["msg"])
    node = node_at(root, loc) if root is not None else None
    line = node.start_mark.line + 1 if node is not None else None
    column = node.start_mark.column + 1 if node is not None else None
    return Problem(path, message, fix, line, column)


def _show_key(loc: tuple[Any, ...]) -> str:
    return show(loc[-1]) if loc else "''"


_TYPE_NAMES = {
    "float_type": "a number",
    "int_type": "a whole number",
    "string_type": "a text value",
    "bool_type": "true or false",
    "dict_type": "a mapping (key: value)",
    "list_type": "a list",
    "model_type": "a mapping (key: value)",
}


def _explain(kind: str, loc: tuple[Any, ...], ctx: dict, got: Any, msg: str) -> tuple[str, str]:
    key = str(loc[-1]) if loc else ""
    shown = show(got)
    if kind == "extra_forbidden":
        allowed = _keys_of(_model_at(loc[:-1]))
        close = difflib.get_close_matches(key, allowed, n=1) if len(key) <= 100 else []
        hint = f"did you mean '{close[0]}'? " if close else ""
        return (
            f"unknown key '{key}'",
            f"{hint}remove it or use one of: {', '.join(allowed)}" if allowed else "remove it",
        )
    if kind == "missing":
        return (
            f"required key '{key}' is missing",
            f"add '{key}' (the keys are listed in docs/model.md)",
        )
    if kind == "float_type" and isinstance(got, int) and not isinstance(got, bool):
        return f"{shown} is too large for a number", "use a number below 1e308"
    if kind == "invalid_key":
        return (
            f"key {_show_key(loc)} is not text",
            "write keys as text (names, or the keys listed in docs/model.md)",
        )
    if kind in _TYPE_NAMES:
        example = _EXAMPLES.get(loc[-1] if loc else "", "")
        fix = f"write {_TYPE_NAMES[kind]} here" + (f", e.g. {example}" if example else "")
        return f"expected {_TYPE_NAMES[kind]}, got {shown}", fix
    if kind == "greater_than_equal":
        return f"must be >= {ctx['ge']:g}, got {shown}", f"use a value >= {ctx['ge']:g}"
    if kind == "less_than_equal":
        return f"must be <= {ctx['le']:g}, got {shown}", f"use a value <= {ctx['le']:g}"
    if kind == "greater_than":
        return f"must be > {ctx['gt']:g}, got {shown}", f"use a value > {ctx['gt']:g}"
    if kind == "less_than":
        return f"must be < {ctx['lt']:g}, got {shown}", f"use a value < {ctx['lt']:g}"
    if kind == "finite_number":
        return f"must be a finite number, got {shown}", "use a finite number"
    if kind == "literal_error":
        return f"{shown} is not allowed", f"use one of: {ctx.get('expected', '')}"
    if kind == "too_short":
        return "must not be empty", "give at least one item"
    if kind == "string_too_short":
        return "a name must not be empty", "write a non-empty name"
    if kind == "too_long":
        return (
            f"has {ctx.get('actual_length', 'too many')} items, over {ctx.get('max_length')}",
            f"list at most {ctx.get('max_length')}",
        )
    if kind.startswith("series_"):
        return msg, _SERIES_FIX.get(kind, "write a number >= 0, or a mapping {year: number}")
    if kind in _CUSTOM_FIX:
        return msg, _CUSTOM_FIX[kind]
    return msg, "correct this value (see docs/model.md for the format)"


_EXAMPLES = {
    "years": "years: {start: 2026, end: 2040}",
    "regions": "regions: [us, eu]",
    "commodities": "commodities: {tokens: {unit: Ptokens, demand: 10}}",
    "resources": "resources: {electricians: {unit: thousand, limit: 5}}",
    "technologies": "technologies: {solar: {layer: energy, output: electricity, ...}}",
    "links": "links: {us_eu: {commodity: tokens, from: us, to: eu}}",
    "inputs": "inputs: {per_activity: {electricity: 0.012}}",
    "budget": "budget: {total: 50000}",
}
"""Examples shown when a section has the wrong type."""


_CUSTOM_FIX = {
    "years_order": "set years.end to a year >= years.start",
    "flex_sum": "lower shift or curtail so that shift + curtail <= 1",
    "foresight_window": "give window and step in years, e.g. {mode: myopic, window: 6, step: 3}",
    "foresight_step": "use a step of at most the window (step <= window)",
    "change_one": "write one of multiply: VALUE, add: VALUE or set: VALUE in this change",
}
"""Fixes for the schema's own checks (`PydanticCustomError` kinds)."""

_SERIES_FIX = {
    "series_key": "write years as unquoted integers (2030: 5), or a region name for a region map",
    "series_mixed": "split into {region: {year: value}}",
    "series_empty": "give at least one {year: value} entry, or a single number",
    "series_positive": "use a value > 0",
    "series_finite": "use a finite number",
    "series_large": "use a number below 1e308",
    "series_year": "write years between 1 and 9999",
    "series_negative": "use a value >= 0",
    "series_number": "write a number >= 0, or a mapping {year: number} or {region: series}",
}
