"""Reading an instance file's YAML: the node tree kept for line numbers, duplicate keys,
deep nesting, alias bombs, oversize files and unreadable scalars all rejected at their line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from planner.errors import InstanceError, Problem
from planner.instance.schema import MAX_REGIONS

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML has it (several times faster), else the pure-Python one."""


def read_text(path: str | Path) -> str:
    """The file's text, or an `InstanceError` (unreadable, oversize, not UTF-8)."""
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
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InstanceError(
            file,
            [Problem("", f"not UTF-8 text (byte {exc.start})", "save the file as UTF-8")],
        ) from None


MAX_BYTES = 20_000_000
"""Largest instance file read (bytes)."""


MAX_NODES = 2_000_000
"""Largest number of YAML nodes after alias expansion (guards against alias bombs)."""


MAX_DEPTH = 64
"""Deepest nesting of YAML collections (an instance needs about 6)."""


COUNT_EVENTS_ABOVE = 2_000_000
"""Files longer than this (characters) are first scanned for their number of YAML events,
so that a large file of tiny values is rejected before its node tree is built."""


MAX_ENTRIES = 20_000
"""Most entries of one YAML mapping (technologies, commodities, a year or region map...)."""


def parse_yaml(text: str, file: str) -> tuple[Any, yaml.Node | None]:
    """`yaml.safe_load` that keeps the node tree (for line numbers) and rejects duplicate keys."""
    if len(text) > COUNT_EVENTS_ABOVE:
        _count_events(text, file)
    loader = _SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _check_nodes(root, file)
        data = _construct(loader, root, file) if root is not None else None
    except RecursionError:  # the pure-Python parser recurses; libyaml stops at depth 1000
        raise InstanceError(file, [_too_deep()]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        lines = text.splitlines()
        tab = mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]
        raise InstanceError(
            file,
            [
                Problem(
                    "",
                    f"YAML syntax error: {problem}",
                    "indent with spaces: YAML does not allow tabs"
                    if tab
                    else "correct the YAML at that line (indentation, ':' after keys, "
                    "matching quotes)",
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


def _too_deep(node: yaml.Node | None = None) -> Problem:
    return Problem(
        "",
        f"the YAML nests deeper than {MAX_DEPTH} levels",
        "an instance nests about 6 levels (technologies.NAME.capex.REGION.YEAR); "
        "remove the extra brackets or indentation",
        node.start_mark.line + 1 if node is not None else None,
        node.start_mark.column + 1 if node is not None else None,
    )


def _too_many(aliases: bool = True) -> Problem:
    if not aliases:
        return Problem(
            "",
            f"the YAML holds over {MAX_NODES:,} values",
            "an instance this large is not supported; split it or write fewer values",
        )
    return Problem(
        "",
        f"the YAML expands to over {MAX_NODES:,} values (aliases nest too deep)",
        "write the values out or use fewer nested aliases",
    )


def _count_events(text: str, file: str) -> None:
    """Reject a long file with more than MAX_NODES YAML events, or a list of more than
    MAX_REGIONS items, before its node tree is built (the tree costs ~300 bytes a node)."""
    loader = _SafeLoader(text)
    count = 0
    open_: list[list[Any]] = []  # per open collection: [start event, node events, limit, why]
    try:
        while loader.check_event():
            event = loader.get_event()
            count += 1
            if count > MAX_NODES:
                raise InstanceError(file, [_too_many(aliases=False)])
            if isinstance(event, yaml.CollectionEndEvent):
                open_.pop()
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            if open_:
                top = open_[-1]
                top[1] += 1
                if top[1] > top[2]:
                    raise InstanceError(file, [top[3](top[0].start_mark, None)])
            if isinstance(event, yaml.SequenceStartEvent):
                open_.append([event, 0, MAX_REGIONS, _long_list])
            elif isinstance(event, yaml.MappingStartEvent):
                open_.append([event, 0, 2 * MAX_ENTRIES, _long_mapping])  # key and value events
    except yaml.YAMLError:
        pass  # the real parse reports it, with its line
    finally:
        loader.dispose()


def _check_nodes(root: yaml.Node, file: str) -> None:
    """Reject duplicate mapping keys, deep nesting and alias bombs (counting nodes after
    alias expansion). Iterative: a deeply nested file must not exhaust Python's stack."""
    mapping, sequence = yaml.MappingNode, yaml.SequenceNode
    sizes: dict[int, int] = {}  # collections only: a scalar counts 1
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]  # depth < 0: children are counted
    while stack:
        node, depth = stack.pop()
        if depth < 0:
            total = 1
            if isinstance(node, mapping):
                for key, value in node.value:
                    total += sizes.get(id(key), 1) + sizes.get(id(value), 1)
            else:
                for item in node.value:
                    total += sizes.get(id(item), 1)
            if total > MAX_NODES:
                raise InstanceError(file, [_too_many()])
            sizes[id(node)] = total
            continue
        if id(node) in sizes or not isinstance(node, mapping | sequence):
            continue
        if depth > MAX_DEPTH:
            raise InstanceError(file, [_too_deep(node)])
        sizes[id(node)] = 1  # a cycle counts once; the constructor handles it
        stack.append((node, -depth))
        if isinstance(node, sequence):
            if len(node.value) > MAX_REGIONS:
                raise InstanceError(file, [_long_list(node.start_mark, len(node.value))])
            stack.extend((item, depth + 1) for item in node.value if item.id != "scalar")
            continue
        if len(node.value) > MAX_ENTRIES:
            raise InstanceError(file, [_long_mapping(node.start_mark, len(node.value))])
        seen: dict[str, yaml.Node] = {}
        for key, value in node.value:
            if key.id == "scalar":
                if key.value in seen:
                    raise InstanceError(file, [_duplicate(key, seen[key.value])])
                seen[key.value] = key
            else:
                stack.append((key, depth + 1))
            if value.id != "scalar":
                stack.append((value, depth + 1))


def _long_list(mark: yaml.Mark, items: int | None) -> Problem:
    """A list over MAX_REGIONS items (`items` None: counted only that far)."""
    size = f"{items:,} items, over {MAX_REGIONS:,}" if items else f"over {MAX_REGIONS:,} items"
    return Problem(
        "",
        f"a list of {size}",
        f"the lists of an instance are lists of regions: give at most {MAX_REGIONS:,}",
        mark.line + 1,
        mark.column + 1,
    )


def _long_mapping(mark: yaml.Mark, entries: int | None) -> Problem:
    """A mapping over MAX_ENTRIES entries (`entries` None: counted only that far)."""
    size = (
        f"{entries:,} entries, over {MAX_ENTRIES:,}" if entries else f"over {MAX_ENTRIES:,} entries"
    )
    return Problem(
        "",
        f"a mapping of {size}",
        f"an instance needs far fewer; give at most {MAX_ENTRIES:,} names or years in one mapping",
        mark.line + 1,
        mark.column + 1,
    )


def _duplicate(key: yaml.Node, first: yaml.Node) -> Problem:
    return Problem(
        "",
        f"duplicate key '{key.value}' (first at line {first.start_mark.line + 1})",
        "keep one of them: YAML would silently drop the first",
        key.start_mark.line + 1,
        key.start_mark.column + 1,
    )


_CONSTRUCT_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError)
"""What PyYAML's constructors raise on a scalar they cannot read: a date such as 2026-13-45,
an integer over Python's 4300 digits, `!!int abc`, `!!bool maybe`, `!!timestamp x`."""


def _construct(loader: Any, root: yaml.Node, file: str) -> Any:
    """`construct_document`, with unreadable scalars reported at their line."""
    try:
        return loader.construct_document(root)
    except yaml.YAMLError:
        raise
    except _CONSTRUCT_ERRORS as exc:
        node, reason = _bad_scalar(root) or (root, str(exc))
        tag = str(node.tag).rsplit(":", 1)[-1]
        value = node.value if isinstance(node.value, str) else ""
        shown = value if len(value) <= 40 else value[:37] + "..."
        reason = reason if len(reason) <= 120 else reason[:117] + "..."
        raise InstanceError(
            file,
            [
                Problem(
                    "",
                    f"cannot read '{shown}' as {tag} ({reason})",
                    "write a plain number, a valid date or quoted text; drop the !!tag",
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                )
            ],
        ) from None


def _bad_scalar(root: yaml.Node) -> tuple[yaml.Node, str] | None:
    """The first scalar node that PyYAML's safe constructor cannot read, and why."""
    constructor = yaml.constructor.SafeConstructor()
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                constructor.construct_object(node)
            except (yaml.YAMLError, *_CONSTRUCT_ERRORS) as exc:
                return node, str(exc)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return None


def node_at(root: yaml.Node, loc: tuple[Any, ...]) -> yaml.Node | None:
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
