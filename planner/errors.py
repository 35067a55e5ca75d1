"""Errors a user can act on: each names the file, the field path, the problem and the fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instance, located by its field path (and line, if known)."""

    path: str
    message: str
    fix: str
    line: int | None = None
    column: int | None = None

    def render(self, file: str) -> str:
        where = file
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}. Fix: {self.fix}"


class InstanceError(ValueError):
    """An instance file that cannot be used, with every problem found in it."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = [p.render(self.file) for p in self.problems]
        if len(lines) > 1:
            lines.insert(0, f"{self.file}: {len(lines)} problems")
        return "\n".join(lines)
