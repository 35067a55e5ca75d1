"""Parameter paths and sweep points: address any number in an instance and set or scale it.

A *path* names a value by its keys, dot-separated, as in the YAML file:
``budget.total``, ``technologies.gpu_b200.capex``, ``resources.packaging.limit``,
``commodities.tokens.demand.2030`` (a year key), ``technologies.solar.capex.us`` (a region
key). Prefixed with ``scale:`` the path multiplies every number it holds by the point's
value: ``scale:commodities.tokens.demand`` = 1.5 raises demand by half in every year and
region.

*Points* are dicts ``{path: value}``. `linspace`, `logspace` and `product` build them;
`parse_spec` reads the command line's ``PATH=START:STOP:N[:log]`` or ``PATH=V1,V2,...``.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from planner.instance.loader import validate_instance
from planner.instance.schema import Instance

SCALE = "scale:"


class ParamError(ValueError):
    """A parameter path, value or range that cannot be used (raised before anything runs)."""


@dataclass(frozen=True)
class Param:
    """One parsed path: its keys, and whether the value replaces or scales what is there."""

    text: str
    keys: tuple[str, ...]
    scale: bool

    @classmethod
    def parse(cls, text: str) -> Param:
        raw = text.strip()
        scale = raw.startswith(SCALE)
        body = raw[len(SCALE) :] if scale else raw
        keys = tuple(body.split("."))
        if not body or any(not k for k in keys):
            raise ParamError(
                f"parameter path {text!r} is malformed: write keys separated by single dots, "
                "e.g. budget.total or scale:commodities.tokens.demand"
            )
        return cls(raw, keys, scale)


# --- walking the schema and the instance --------------------------------------------------


def _model_class(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(model class, is a dict of models) behind a field annotation, if any."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_class(arg)
            if found[0] is not None:
                return found
        return None, False
    if origin is typing.Annotated:
        return _model_class(typing.get_args(annotation)[0])
    if origin is dict:
        inner, _ = _model_class(typing.get_args(annotation)[1])
        return inner, inner is not None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def _fields(cls: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or n): f for n, f in cls.model_fields.items()}


def _suggest(word: str, options: Iterable[str]) -> str:
    options = [str(o) for o in options]
    close = difflib.get_close_matches(word, options, n=3)
    if close:
        return f"; did you mean {' or '.join(close)}?"
    if options and len(options) <= 12:
        return f"; known: {', '.join(options)}"
    return ""


def _key(container: dict, part: str) -> Any:
    """The key of `container` that `part` names (year keys are integers)."""
    if part in container:
        return part
    if part.lstrip("-").isdigit() and int(part) in container:
        return int(part)
    return None


def _resolve(param: Param, tree: dict) -> tuple[dict, Any, Any]:
    """(parent mapping, key, current value) of the path in a dumped instance.

    Model fields that are unset (None) are created on the way, so `budget.total` works on
    an instance without a budget; mapping keys (technology names, years, regions) must exist.
    """
    node: Any = tree
    model: type[BaseModel] | None = Instance  # the schema model `node` is a dump of
    items: type[BaseModel] | None = None  # or: `node` maps names to dumps of this model
    where: list[str] = []
    for i, part in enumerate(param.keys):
        last = i == len(param.keys) - 1
        shown = ".".join(where) or "the instance"
        if model is not None:
            fields = _fields(model)
            if part not in fields:
                raise ParamError(
                    f"parameter {param.text!r}: {shown} has no field {part!r}"
                    + _suggest(part, fields)
                )
            inner, is_dict = _model_class(fields[part].annotation)
            key: Any = part
            if node.get(part) is None and not last:
                if inner is None or is_dict:
                    raise ParamError(f"parameter {param.text!r}: {shown}.{part} is not set")
                node[part] = {}
            model, items = (None, inner) if is_dict else (inner, None)
        else:
            if not isinstance(node, dict):
                raise ParamError(
                    f"parameter {param.text!r}: {shown} is a single value, it has no key {part!r}"
                )
            key = _key(node, part)
            if key is None:
                raise ParamError(
                    f"parameter {param.text!r}: {shown} has no key {part!r}" + _suggest(part, node)
                )
            model, items = items, None
        if last:
            return node, key, node.get(key)
        node = node[key]
        where.append(part)
    raise AssertionError("unreachable")


def _numbers(value: Any) -> bool:
    """Whether `value` is a number or a (nested) mapping of numbers: a series."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, dict) and bool(value) and all(_numbers(v) for v in value.values())


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, dict):
        return {k: _scaled(v, factor) for k, v in value.items()}
    return value * factor


def check(instance: Instance, paths: Iterable[str]) -> list[Param]:
    """Parse the paths and check that each addresses a number (or series) of the instance."""
    tree = instance.model_dump(by_alias=True, warnings=False)
    out = []
    for text in paths:
        param = Param.parse(text)
        _, _, current = _resolve(param, tree)
        if param.scale and current is None:
            raise ParamError(f"parameter {param.text!r}: nothing to scale, the value is not set")
        if current is not None and not _numbers(current):
            raise ParamError(
                f"parameter {param.text!r}: the value there is {current!r}, not a number or series"
            )
        out.append(param)
    return out


def apply(instance: Instance, point: Mapping[str, float]) -> Instance:
    """A validated copy of `instance` with every path of `point` set (or scaled) to its value.

    Raises `ParamError` for a bad path and `InstanceError` for a value the schema refuses.
    """
    if not point:
        return instance
    tree = instance.model_dump(by_alias=True, warnings=False)
    for text, value in point.items():
        param = Param.parse(text)
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise ParamError(f"parameter {param.text!r}: value {value!r} is not a number")
        value = float(value)
        if not math.isfinite(value):
            raise ParamError(f"parameter {param.text!r}: value {value} is not finite")
        parent, key, current = _resolve(param, tree)
        if param.scale:
            if current is None or not _numbers(current):
                raise ParamError(f"parameter {param.text!r}: nothing to scale there")
            parent[key] = _scaled(current, value)
        else:
            if current is not None and not _numbers(current):
                raise ParamError(
                    f"parameter {param.text!r}: the value there is {current!r}, not a number"
                )
            integer = isinstance(current, int) and not isinstance(current, bool)
            parent[key] = int(value) if integer and value.is_integer() else value
    label = f"{instance.source} [{', '.join(f'{k}={v:g}' for k, v in point.items())}]"
    copy = validate_instance(tree, label)
    copy.attach(instance.source, instance.warnings)
    return copy


def with_budget_total(instance: Instance, total: float) -> Instance:
    """A copy of the instance with `budget.total` replaced (`planner solve --budget-total`)."""
    return apply(instance, {"budget.total": total})


def with_foresight(instance: Instance, spec: str) -> Instance:
    """A copy of the instance with its foresight replaced: "perfect" or
    "myopic:WINDOW:STEP" (`planner solve --foresight`); validated like the file."""
    parts = spec.strip().split(":")
    if parts == ["perfect"]:
        foresight: dict[str, Any] = {"mode": "perfect"}
    elif len(parts) == 3 and parts[0] == "myopic" and all(p.isdigit() for p in parts[1:]):
        foresight = {"mode": "myopic", "window": int(parts[1]), "step": int(parts[2])}
    else:
        raise ParamError(
            f"--foresight {spec!r}: write perfect or myopic:WINDOW:STEP, e.g. myopic:6:3"
        )
    tree = instance.model_dump(by_alias=True, warnings=False, exclude_none=True)
    tree["foresight"] = foresight
    copy = validate_instance(tree, f"{instance.source} [--foresight {spec}]")
    copy.attach(instance.source, copy.warnings)
    return copy


# --- building points -----------------------------------------------------------------------


def linspace(start: float, stop: float, n: int) -> list[float]:
    """`n` evenly spaced values from `start` to `stop` (both included)."""
    _check_range(start, stop, n, log=False)
    return [float(v) for v in np.linspace(start, stop, int(n))]


def logspace(start: float, stop: float, n: int) -> list[float]:
    """`n` values from `start` to `stop` evenly spaced on a log scale (both > 0)."""
    _check_range(start, stop, n, log=True)
    return [float(v) for v in np.geomspace(start, stop, int(n))]


def _check_range(start: float, stop: float, n: Any, log: bool) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ParamError(f"a range needs a whole number of points >= 1, got {n!r}")
    for v in (start, stop):
        if not math.isfinite(float(v)):
            raise ParamError(f"a range's ends must be finite numbers, got {v!r}")
    if n == 1 and start != stop:
        raise ParamError(f"a range from {start:g} to {stop:g} needs at least 2 points, got 1")
    if log and (start <= 0 or stop <= 0):
        raise ParamError(f"a log range needs ends > 0, got {start:g} and {stop:g}")


def product(axes: Mapping[str, Sequence[float] | float]) -> list[dict[str, float]]:
    """Every combination of the axes' values, in snake order: consecutive points differ in
    one parameter by one step, so a warm re-solve always starts from a neighbour."""
    names = list(axes)
    values = [
        [float(v) for v in (vals if isinstance(vals, Iterable) else [vals])]
        for vals in axes.values()
    ]
    for name, vals in zip(names, values, strict=True):
        if not vals:
            raise ParamError(f"parameter {name!r} has no values")
    combos: list[tuple[float, ...]] = [()]
    for vals in values:
        grown = []
        for i, head in enumerate(combos):
            grown += [(*head, v) for v in (vals if i % 2 == 0 else vals[::-1])]
        combos = grown
    return [dict(zip(names, combo, strict=True)) for combo in combos]


def points_from(points: Any) -> list[dict[str, float]]:
    """Normalise what `sweep` accepts: a mapping {path: values} (a product) or a list of
    mappings {path: value} (taken in the given order)."""
    if isinstance(points, Mapping):
        return product(points)
    out = [dict(p) for p in points]
    if not out:
        raise ParamError("the sweep has no points")
    names = set(out[0])
    for p in out:
        if set(p) != names:
            raise ParamError(
                f"every point must set the same parameters: {sorted(p)} vs {sorted(names)}"
            )
    return out


def parse_spec(spec: str) -> tuple[str, list[float]]:
    """``PATH=START:STOP:N`` (linspace), ``PATH=START:STOP:N:log`` (logspace),
    ``PATH=V1,V2,...`` or ``PATH=V`` -> (path, values)."""
    if "=" not in spec:
        raise ParamError(
            f"--param {spec!r}: write PATH=START:STOP:N, PATH=START:STOP:N:log or PATH=V1,V2,..."
        )
    path, _, text = spec.partition("=")
    path, text = path.strip(), text.strip()
    Param.parse(path)

    def number(word: str) -> float:
        try:
            value = float(word)
        except ValueError:
            raise ParamError(f"--param {spec!r}: {word!r} is not a number") from None
        if not math.isfinite(value):
            raise ParamError(f"--param {spec!r}: {word!r} is not a finite number")
        return value

    if ":" in text:
        parts = text.split(":")
        log = len(parts) == 4 and parts[3].strip().lower() == "log"
        if len(parts) != 3 and not log:
            raise ParamError(f"--param {spec!r}: a range is START:STOP:N or START:STOP:N:log")
        start, stop = number(parts[0]), number(parts[1])
        try:
            n = int(parts[2])
        except ValueError:
            raise ParamError(
                f"--param {spec!r}: the number of points {parts[2]!r} is not a whole number"
            ) from None
        try:
            return path, logspace(start, stop, n) if log else linspace(start, stop, n)
        except ParamError as exc:
            raise ParamError(f"--param {spec!r}: {exc}") from None
    words = [w for w in text.split(",") if w.strip()]
    if not words:
        raise ParamError(f"--param {spec!r}: no values given")
    return path, [number(w.strip()) for w in words]
