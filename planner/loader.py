"""YAML -> validated `Instance`: parsing with line numbers, schema errors in plain words."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from planner.checks import cross_check
from planner.errors import InstanceError, Problem
from planner.schema import Instance

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML has it (several times faster), else the pure-Python one."""

MAX_BYTES = 20_000_000
"""Largest instance file read (bytes)."""
MAX_NODES = 2_000_000
"""Largest number of YAML nodes after alias expansion (guards against alias bombs)."""


def load_instance(path: str | Path) -> Instance:
    """Read, parse and validate an instance file; raise `InstanceError` on any problem."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InstanceError(
            file, [Problem("", f"cannot read the file ({exc.strerror})", "check the path")]
        ) from None
    if len(raw) > MAX_BYTES:
        raise InstanceError(
            file,
            [Problem("", f"file is {len(raw):,} bytes, over {MAX_BYTES:,}", "split or shrink it")],
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InstanceError(
            file,
            [Problem("", f"not UTF-8 text (byte {exc.start})", "save the file as UTF-8")],
        ) from None
    data, root = parse_yaml(text, file)
    return validate_instance(data, file, root)


def parse_yaml(text: str, file: str) -> tuple[Any, yaml.Node | None]:
    """`yaml.safe_load` that keeps the node tree (for line numbers) and rejects duplicate keys."""
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _check_nodes(root, file)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise InstanceError(
            file,
            [
                Problem(
                    "",
                    f"YAML syntax error: {problem}",
                    "correct the YAML at that line (indentation, ':' after keys, matching quotes)",
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                )
            ],
        ) from None
    except yaml.YAMLError as exc:
        raise InstanceError(file, [Problem("", f"YAML error: {exc}", "correct the YAML")]) from None
    finally:
        loader.dispose()
    return data, root


def _check_nodes(root: yaml.Node, file: str) -> None:
    """Reject duplicate mapping keys and alias bombs, counting nodes after alias expansion."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a cycle counts once; the constructor handles it
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        raise InstanceError(
                            file,
                            [
                                Problem(
                                    "",
                                    f"duplicate key '{key.value}' (first at line "
                                    f"{seen[key.value].start_mark.line + 1})",
                                    "keep one of them: YAML would silently drop the first",
                                    key.start_mark.line + 1,
                                    key.start_mark.column + 1,
                                )
                            ],
                        )
                    seen[key.value] = key
                total += size(key) + size(value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        if total > MAX_NODES:
            raise InstanceError(
                file,
                [
                    Problem(
                        "",
                        f"the YAML expands to over {MAX_NODES:,} values (aliases nest too deep)",
                        "write the values out or use fewer nested aliases",
                    )
                ],
            )
        sizes[id(node)] = total
        return total

    size(root)


def validate_instance(
    data: Any, file: str = "<instance>", root: yaml.Node | None = None
) -> Instance:
    """Validate parsed data against the schema, then cross-check names and regions."""
    if not isinstance(data, dict):
        raise InstanceError(
            file,
            [
                Problem(
                    "",
                    f"the file must hold a mapping of sections, got {type(data).__name__}",
                    "start from instances/tiny.yaml (years, commodities, technologies, ...)",
                )
            ],
        )
    try:
        instance = Instance.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err, root) for err in exc.errors()]
        raise InstanceError(file, problems) from None
    problems, warnings = cross_check(instance)
    if problems:
        raise InstanceError(file, [_locate(p, root) for p in problems])
    instance.attach(file, [_locate(w, root).render(file) for w in warnings])
    return instance


def _locate(problem: Problem, root: yaml.Node | None) -> Problem:
    """Add the line and column of the problem's field path, where the YAML has it."""
    if problem.line is not None or root is None or not problem.path:
        return problem
    node = _node_at(root, tuple(problem.path.split(".")))
    if node is None:
        return problem
    return Problem(
        problem.path,
        problem.message,
        problem.fix,
        node.start_mark.line + 1,
        node.start_mark.column + 1,
    )


def _node_at(root: yaml.Node, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The deepest YAML node along `loc` (for an unknown key: the key itself)."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(
                (
                    (k, v)
                    for k, v in node.value
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part)
                ),
                None,
            )
            if match is None:
                return node
            key, value = match
            node = value if part != loc[-1] or isinstance(value, yaml.CollectionNode) else key
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            return node
    return node


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


def _problem(err: Any, root: yaml.Node | None) -> Problem:
    """Turn one pydantic error into a Problem with a plain message and a fix."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    path = ".".join(str(p) for p in loc)
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = err.get("input")
    message, fix = _explain(kind, loc, ctx, got, err["msg"])
    node = _node_at(root, loc) if root is not None else None
    line = node.start_mark.line + 1 if node is not None else None
    column = node.start_mark.column + 1 if node is not None else None
    return Problem(path, message, fix, line, column)


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
    shown = repr(got) if len(repr(got)) <= 40 else repr(got)[:37] + "..."
    if kind == "extra_forbidden":
        allowed = _keys_of(_model_at(loc[:-1]))
        close = difflib.get_close_matches(key, allowed, n=1)
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
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, got {shown}", f"write {_TYPE_NAMES[kind]} here"
    if kind == "greater_than_equal":
        return f"must be >= {ctx['ge']:g}, got {shown}", f"use a value >= {ctx['ge']:g}"
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
    if kind.startswith("series_"):
        return msg, _SERIES_FIX.get(kind, "write a number >= 0, or a mapping {year: number}")
    if kind == "years_order":
        return msg, "set years.end to a year >= years.start"
    return msg, "correct this value (see docs/model.md for the format)"


_SERIES_FIX = {
    "series_key": "write years as unquoted integers (2030: 5), or a region name for a region map",
    "series_mixed": "split into {region: {year: value}}",
    "series_empty": "give at least one {year: value} entry, or a single number",
    "series_positive": "use a value > 0",
    "series_finite": "use a finite number",
    "series_negative": "use a value >= 0",
    "series_number": "write a number >= 0, or a mapping {year: number} or {region: series}",
}
