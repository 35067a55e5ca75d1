"""YAML -> validated `Instance`: the file read and parsed with line numbers
(`planner.instance.yaml_source`), checked against the schema and cross-checked, every
problem located and explained (`planner.instance.messages`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from planner.errors import InstanceError, Problem
from planner.instance.checks import cross_check
from planner.instance.messages import problem
from planner.instance.schema import Instance
from planner.instance.yaml_source import node_at, parse_yaml, read_text

MAX_PROBLEMS = 50
"""Most problems reported for one instance (the rest are counted)."""


def load_instance(path: str | Path) -> Instance:
    """Read, parse and validate an instance file; raise `InstanceError` on any problem."""
    file = str(path)
    text = read_text(path)
    data, root = parse_yaml(text, file)
    return validate_instance(data, file, root)


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
        errors = exc.errors(include_url=False)
        problems = [problem(err, root) for err in errors[:MAX_PROBLEMS]]
        raise InstanceError(file, problems + _more(len(errors))) from None
    problems, warnings = cross_check(instance)
    if problems:
        shown = [_locate(p, root) for p in problems[:MAX_PROBLEMS]]
        raise InstanceError(file, shown + _more(len(problems)))
    instance.attach(file, [_locate(w, root).render(file) for w in warnings])
    return instance


def _more(count: int) -> list[Problem]:
    """A last problem that counts the ones not shown (none if all are shown)."""
    if count <= MAX_PROBLEMS:
        return []
    return [
        Problem(
            "",
            f"{count - MAX_PROBLEMS:,} more problems not shown",
            "fix the ones above and validate again",
        )
    ]


def _locate(problem: Problem, root: yaml.Node | None) -> Problem:
    """Add the line and column of the problem's field path, where the YAML has it."""
    if problem.line is not None or root is None or not problem.path:
        return problem
    node = node_at(root, tuple(problem.path.split(".")))
    if node is None:
        return problem
    return Problem(
        problem.path,
        problem.message,
        problem.fix,
        node.start_mark.line + 1,
        node.start_mark.column + 1,
    )
