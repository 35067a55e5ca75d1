"""The input-fuzzing engine shared by tests/test_fuzz.py and scripts/fuzz_instances.py.

`make_case(rng)` draws one mutated instance from the shipped instances (and a small
generated one): either a parsed mapping with keys removed or renamed, types changed,
NaN / inf / huge / negative numbers, empty mappings, duplicate or dangling names,
odd year and region keys; or raw YAML bytes with anchors and aliases, duplicate keys,
tags, non-UTF-8 bytes, deep nesting, alias bombs, truncation or a multi-megabyte body.

`run_case(case)` feeds it to the loader and asserts the contract: the instance is
accepted and then `prepare` + `build_model` succeed, or the loader raises
`InstanceError` whose problems each carry a path or a message and whose text names the
file. Anything else propagates (an unexpected exception is a finding).
"""

from __future__ import annotations

import copy
import datetime
import math
import os
import random
import reprlib
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from planner import InstanceError, build_model, load_instance, prepare, validate_instance

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = ROOT / "instances"
FILE_LABEL = "fuzz-instance.yaml"


@dataclass
class Case:
    """One fuzz input: parsed data (`data`) or raw file contents (`raw`), and how it was made."""

    kind: str  # "data" or "raw"
    steps: list[str]
    data: Any = None
    raw: bytes = b""

    def describe(self) -> str:
        return f"{self.kind}: " + "; ".join(self.steps)


@cache
def base_texts() -> dict[str, str]:
    """The YAML text of every base instance (shipped files and two generated ones)."""
    texts = {p.stem: p.read_text() for p in sorted(INSTANCES.glob("*.yaml"))}
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from gen_instance import generate
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    texts["gen"] = yaml.safe_dump(generate(2, 4, 1, seed=3), sort_keys=False)
    texts["gen_milp"] = yaml.safe_dump(generate(2, 3, 1, seed=4, milp=True), sort_keys=False)
    return texts


@cache
def _base_data() -> dict[str, dict]:
    return {name: yaml.safe_load(text) for name, text in base_texts().items()}


def base_data(name: str) -> dict:
    """A fresh deep copy of a base instance's parsed mapping."""
    return copy.deepcopy(_base_data()[name])


# --- values that do not belong ------------------------------------------------------------

HUGE_INTS = [10**18, 2**63, 10**30, -(10**30), 10**400, 2**64 + 1]
ODD_NUMBERS = [
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    1.7976931348623157e308,
    5e-324,
    -1,
    -1.0,
    -1e-9,
    0,
    0.0,
    -0.0,
    1e-320,
    1.5,
    2026.5,
    *HUGE_INTS,
]
ODD_VALUES = [
    None,
    "",
    "abc",
    "2026",
    "nan",
    "1e3",
    True,
    False,
    [],
    {},
    [1, 2],
    [[]],
    {"x": 1},
    {"": None},
    datetime.date(2026, 1, 1),
    datetime.datetime(2026, 1, 1, 12, 0),
    b"\xff\xfe",
    "x" * 10_000,
    "\u202e\x00",
    {1, 2},
    (1, 2),
    {2026: math.nan},
    {2026: -1},
    {10**30: 1},
    {-(10**30): 1},
    {"world": {2026: 1}},
    {"nowhere": 1},
    {"2026": 1},
    {True: 1},
    {None: 1},
    {2026.0: 1},
    {datetime.date(2026, 1, 1): 1},
    {(1, 2): 1},
]
ODD_KEYS = [
    1,
    2026,
    -1,
    10**30,
    0.5,
    math.nan,
    True,
    None,
    "",
    " ",
    "2026",
    "x" * 300,
    datetime.date(2026, 1, 1),
    (1, 2),
    b"bytes",
    "caf\u00e9",
]


def deep_list(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def deep_dict(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def cyclic_list() -> list:
    value: list = []
    value.append(value)
    return value


def cyclic_dict() -> dict:
    value: dict = {}
    value["a"] = value
    return value


def odd_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(ODD_NUMBERS)
    if roll < 0.93:
        return copy.deepcopy(rng.choice(ODD_VALUES))
    return rng.choice(
        [deep_list(10_000), deep_dict(10_000), cyclic_list(), cyclic_dict(), deep_list(50)]
    )


# --- walking the tree ---------------------------------------------------------------------


def _paths(data: Any, prefix: tuple = (), limit: int = 40) -> list[tuple]:
    """Every path (tuple of keys / indices) to a value inside `data`, shallow first."""
    out: list[tuple] = []
    stack = [(data, prefix)]
    while stack:
        node, path = stack.pop(0)
        if len(path) >= limit:
            continue
        if isinstance(node, dict):
            for key, value in node.items():
                out.append((*path, key))
                stack.append((value, (*path, key)))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                out.append((*path, i))
                stack.append((value, (*path, i)))
    return out


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _parent(data: Any, path: tuple) -> tuple[Any, Any]:
    return _get(data, path[:-1]), path[-1]


def _rename(mapping: dict, old: Any, new: Any) -> None:
    """Rename a key in place, keeping the order of the others."""
    items = [(new if k == old else k, v) for k, v in mapping.items()]
    mapping.clear()
    mapping.update(items)


# --- mutations of parsed data -------------------------------------------------------------


def _pick(rng: random.Random, data: Any, want: type | tuple | None = None) -> tuple | None:
    paths = _paths(data)
    if want is not None:
        paths = [p for p in paths if isinstance(_get(data, p), want)]
    return rng.choice(paths) if paths else None


def m_remove(rng: random.Random, data: dict) -> str:
    path = _pick(rng, data)
    if path is None:
        return "remove: nothing"
    parent, key = _parent(data, path)
    del parent[key]
    return f"remove {path}"


def m_rename(rng: random.Random, data: dict) -> str:
    path = _pick(rng, data)
    if path is None:
        return "rename: nothing"
    parent, key = _parent(data, path)
    if not isinstance(parent, dict):
        return "rename: list item"
    roll = rng.random()
    if roll < 0.4 and isinstance(key, str) and key:
        i = rng.randrange(len(key))
        new: Any = key[:i] + key[i + 1 :] if rng.random() < 0.5 else key.upper()
    elif roll < 0.6:
        new = rng.choice(list(parent)) if parent else "x"  # a name already in use
        if new == key:
            new = f"{key}_2"
    else:
        new = rng.choice(ODD_KEYS)
    if new in parent and new != key:
        parent[new] = parent.pop(key)  # duplicate name: the later one wins, as in YAML
    else:
        _rename(parent, key, new)
    return f"rename {path} -> {new!r}"


def m_retype(rng: random.Random, data: dict) -> str:
    path = _pick(rng, data)
    if path is None:
        return "retype: nothing"
    parent, key = _parent(data, path)
    value = odd_value(rng)
    parent[key] = value
    return f"set {path} = {reprlib.repr(value)}"


def m_number(rng: random.Random, data: dict) -> str:
    path = _pick(rng, data, (int, float))
    if path is None:
        return "number: nothing"
    parent, key = _parent(data, path)
    old = parent[key]
    if isinstance(old, bool):
        parent[key] = rng.choice([0, 1, "yes", None])
    else:
        parent[key] = rng.choice(
            [*ODD_NUMBERS, -old, old * 1e300, old + 0.5, old * 10**20, 10**20, 0, 1, 0.5, 1e6]
        )
    return f"number {path}: {old!r} -> {reprlib.repr(parent[key])}"


def m_valid_number(rng: random.Random, data: dict) -> str:
    """A number replaced by another plausible one (keeps many cases valid)."""
    path = _pick(rng, data, (int, float))
    if path is None:
        return "valid number: nothing"
    parent, key = _parent(data, path)
    old = parent[key]
    if isinstance(old, bool):
        return "valid number: a boolean"
    if isinstance(old, int):
        parent[key] = rng.choice([0, 1, 2, 5, 30, 200, 1000, old + 1, max(old - 1, 0)])
    else:
        parent[key] = rng.choice([0.0, 1e-6, 0.5, 1.0, 3.0, 1e6, 1e12, old * 2, old / 2])
    return f"number {path}: {old!r} -> {parent[key]!r}"


def m_empty(rng: random.Random, data: dict) -> str:
    path = _pick(rng, data, (dict, list))
    if path is None or rng.random() < 0.1:
        for key in list(data):
            if isinstance(data[key], dict):
                data[key] = {}
        return "empty every top-level mapping"
    parent, key = _parent(data, path)
    parent[key] = {} if rng.random() < 0.7 else []
    return f"empty {path}"


def _names(data: dict, section: str) -> list:
    value = data.get(section)
    return list(value) if isinstance(value, dict) else []


def m_duplicate(rng: random.Random, data: dict) -> str:
    """The same name twice: a repeated region, a commodity that is also a resource,
    a technology copied under another name."""
    roll = rng.random()
    regions = data.get("regions")
    if roll < 0.3 and isinstance(regions, list) and regions:
        regions.append(rng.choice(regions))
        return "duplicate a region"
    commodities, resources = _names(data, "commodities"), _names(data, "resources")
    if roll < 0.6 and commodities and isinstance(data.get("resources"), dict):
        name = rng.choice(commodities)
        data["resources"][name] = {"unit": "u", "limit": 1}
        return f"resource named like commodity {name!r}"
    techs = _names(data, "technologies")
    if techs:
        name = rng.choice(techs)
        data["technologies"][f"{name}_copy"] = copy.deepcopy(data["technologies"][name])
        tech = data["technologies"][f"{name}_copy"]
        if isinstance(tech, dict) and resources and rng.random() < 0.5:
            tech["output"] = rng.choice(resources)  # output is a resource
        return f"copy technology {name!r}"
    return "duplicate: nothing"


def m_reference(rng: random.Random, data: dict) -> str:
    """Dangling or cyclic references: unknown names, a technology using its own output,
    links from a region to itself or to nowhere."""
    techs = data.get("technologies")
    commodities = _names(data, "commodities")
    roll = rng.random()
    if isinstance(techs, dict) and techs and roll < 0.6:
        name = rng.choice(list(techs))
        tech = techs[name]
        if not isinstance(tech, dict):
            return "reference: odd technology"
        which = rng.random()
        if which < 0.3:
            tech["output"] = rng.choice(["nowhere", "", name, *commodities[:3]])
            return f"{name}.output = {tech['output']!r}"
        kind = rng.choice(["per_activity", "per_capacity", "per_build"])
        inputs = tech.setdefault("inputs", {})
        if not isinstance(inputs, dict):
            return "reference: odd inputs"
        target = tech.get("output") if which < 0.7 else rng.choice(["nowhere", name, "world"])
        inputs.setdefault(kind, {})
        if isinstance(inputs[kind], dict):
            inputs[kind][target] = rng.choice([0.5, 1.0, 2.0, 100.0])  # a cycle through itself
        if which > 0.85:
            tech["regions"] = rng.choice([["nowhere"], [], ["world", "world"], "world"])
        return f"{name}.inputs.{kind}.{target!r}"
    regions = data.get("regions") if isinstance(data.get("regions"), list) else ["world"]
    links = data.setdefault("links", {})
    if not isinstance(links, dict):
        return "reference: odd links"
    origin = rng.choice([*regions, "nowhere"])
    dest = rng.choice([*regions, origin, "nowhere"])
    links[f"fuzz_link_{len(links)}"] = {
        "commodity": rng.choice([*commodities, "nowhere"]),
        "from": origin,
        "to": dest,
        "loss": rng.choice([0.0, 0.1, 0.99, 1.0, -0.1, math.nan]),
        "bidirectional": rng.random() < 0.5,
        "capacity": rng.choice([1.0, {2026: 1, 2030: 2}, {10**30: 1}, -1]),
    }
    return f"link {origin} -> {dest}"


def m_years(rng: random.Random, data: dict) -> str:
    """Odd horizons and odd year keys in series."""
    if rng.random() < 0.4:
        start = rng.choice([2026, 0, -5, 1, 9999, 10**30, 2**63, 1e308, "2026", None])
        end = rng.choice([start, 2030, 2025, 2300, 10**30, 10**400, 2026.0])
        data["years"] = {"start": start, "end": end}
        return f"years {start!r}..{end!r}"
    maps = [p for p in _paths(data) if _is_year_map(_get(data, p))]
    if not maps:
        return "years: no year map"
    path = rng.choice(maps)
    mapping = _get(data, path)
    key = rng.choice(list(mapping))
    new = rng.choice([*HUGE_INTS, -1, 0, 10000, "2026", 2026.5, True, datetime.date(2026, 1, 1)])
    _rename(mapping, key, new)
    return f"year key {path}.{key} -> {new!r}"


def _is_year_map(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, int) and not isinstance(k, bool) for k in value)
    )


def m_region_map(rng: random.Random, data: dict) -> str:
    """Turn a number into a region map whose values are numbers or year maps with bad keys."""
    path = _pick(rng, data, (int, float))
    if path is None:
        return "region map: nothing"
    parent, key = _parent(data, path)
    regions = data.get("regions") if isinstance(data.get("regions"), list) else ["world"]
    value = {}
    for region in rng.sample([*regions, "nowhere", "2026"], k=rng.randint(1, 3)):
        value[region] = rng.choice(
            [1.0, {2026: 1.0}, {"2026": 1.0}, {2026: "x"}, {10**30: 1}, {}, {2026: math.inf}]
        )
    parent[key] = value
    return f"region map at {path}"


DATA_MUTATIONS = [
    m_valid_number,
    m_valid_number,
    m_remove,
    m_rename,
    m_retype,
    m_number,
    m_empty,
    m_duplicate,
    m_reference,
    m_years,
    m_region_map,
]


# --- mutations of raw YAML ----------------------------------------------------------------


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The YAML 'billion laughs': `levels` of lists, each holding `width` aliases of the last."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


class _AliasDumper(yaml.SafeDumper):
    """SafeDumper that never drops anchors: shared objects become &id/*id aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return data is None or isinstance(data, str | bool | int | float)


def shared_values(data: dict, rng: random.Random) -> dict:
    """Make some technologies share one `inputs` object, so a dump writes anchors."""
    techs = data.get("technologies")
    if isinstance(techs, dict) and len(techs) >= 2:
        names = list(techs)
        first = techs[names[0]]
        for name in rng.sample(names[1:], k=min(2, len(names) - 1)):
            if isinstance(first, dict) and isinstance(techs[name], dict):
                techs[name]["inputs"] = first.setdefault("inputs", {})
    return data


def r_bytes(rng: random.Random, raw: bytes) -> tuple[bytes, str]:
    """Random bytes (often not UTF-8) inserted, overwritten or deleted."""
    if not raw:
        return bytes(rng.randrange(256) for _ in range(8)), "random bytes"
    i = rng.randrange(len(raw))
    junk = rng.choice(
        [
            b"\xff",
            b"\xc3\x28",
            b"\xed\xa0\x80",
            b"\x00",
            b"\t",
            b"\x85",
            b"\xef\xbb\xbf",
            b"\x1b[31m",
        ]
    )
    roll = rng.random()
    if roll < 0.4:
        return raw[:i] + junk + raw[i:], f"insert {junk!r} at {i}"
    if roll < 0.7:
        return raw[:i] + junk + raw[i + len(junk) :], f"overwrite {junk!r} at {i}"
    j = min(len(raw), i + rng.randint(1, 40))
    return raw[:i] + raw[j:], f"delete bytes {i}..{j}"


def r_line(rng: random.Random, raw: bytes) -> tuple[bytes, str]:
    """Line-level edits: a duplicated line (duplicate key), a dropped line, a re-indented one,
    a truncated file."""
    lines = raw.split(b"\n")
    i = rng.randrange(len(lines))
    roll = rng.random()
    if roll < 0.35:
        lines.insert(i, lines[i])
        what = f"duplicate line {i + 1}"
    elif roll < 0.6:
        del lines[i]
        what = f"drop line {i + 1}"
    elif roll < 0.8:
        lines[i] = rng.choice([b"  ", b"\t", b" "]) + lines[i]
        what = f"indent line {i + 1}"
    else:
        return b"\n".join(lines[:i]), f"truncate at line {i + 1}"
    return b"\n".join(lines), what


def r_token(rng: random.Random, raw: bytes) -> tuple[bytes, str]:
    """A YAML token where a value was: tags, undefined aliases, odd scalars."""
    lines = raw.split(b"\n")
    candidates = [
        i for i, line in enumerate(lines) if b": " in line and not line.strip().startswith(b"#")
    ]
    if not candidates:
        return raw, "token: no line"
    i = rng.choice(candidates)
    token = rng.choice(
        [
            b"*undefined",
            b"&anchor 5",
            b"!!python/object/apply:os.system ['true']",
            b"!!int abc",
            b"!!bool maybe",
            b"!!timestamp x",
            b"!!float x",
            b"!!binary '!!'",
            b"!!set {a, b}",
            b"!!omap [a: 1]",
            b"!foo bar",
            b"2026-13-45",
            b"2026-01-01",
            b"2026-01-01T10:00:00Z",
            b".nan",
            b".inf",
            b"-.inf",
            b"1e308",
            b"1e999",
            b"-1",
            b"0x1F",
            b"0o17",
            b"1_000",
            b"1" * 5000,
            b"~",
            b"yes",
            b"'2026'",
            b"{}",
            b"[]",
            b"[" * 200 + b"]" * 200,
            b"{a: " * 100 + b"1" + b"}" * 100,
            b"{<<: {a: 1}}",
            b"? [1, 2]\n  : 3",
            b"|\n  text",
            b'"\\xff\\u0000"',
        ]
    )
    key, _, _ = lines[i].partition(b": ")
    lines[i] = key + b": " + token
    return b"\n".join(lines), f"line {i + 1} value -> {token[:40]!r}"


RAW_MUTATIONS = [r_bytes, r_line, r_token]


def _dump(data: Any) -> bytes | None:
    try:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")
    except (yaml.YAMLError, UnicodeEncodeError, RecursionError):
        return None


def big_file(rng: random.Random) -> tuple[bytes, str]:
    """A multi-megabyte file: a valid instance with a long description or many
    commodities, or a long list of junk values."""
    roll = rng.random()
    megabytes = rng.choice([1, 2, 3])
    if roll < 0.3:
        data = base_data("tiny")
        data["description"] = "x" * (megabytes * 1_000_000)
        return _dump(data) or b"", f"tiny with a {megabytes} MB description"
    if roll < 0.55:  # a large valid instance: ~1 MB per 20,000 commodities
        data = base_data("tiny")
        extra = megabytes * 5_000
        for i in range(extra):
            data["commodities"][f"c{i}"] = {"unit": "u", "demand": {2026: 0, 2030: 0}}
        return _dump(data) or b"", f"tiny with {extra} extra commodities"
    if roll < 0.8:
        n = megabytes * 250_000
        return b"regions: [" + b"1, " * n + b"]\n", f"{n} integers as regions"
    n = rng.choice([15_000, 19_000, 25_000, 80_000])  # over MAX_ENTRIES (20,000) or not
    body = b"".join(b"  k%d: {unmet_cost: -1, layer: nope}\n" % i for i in range(n))
    head = b"years: {start: 2026, end: 2030}\ntechnologies: {}\ncommodities:\n"
    return head + body, f"{n} bad commodities"


SPECIAL = ["alias_bomb", "deep_list", "deep_map", "aliases_ok", "big_file", "empty", "scalar"]


def special_case(rng: random.Random) -> Case:
    kind = rng.choice(SPECIAL)
    if kind == "alias_bomb":
        return Case("raw", ["alias bomb"], raw=alias_bomb(rng.randint(6, 12)).encode())
    if kind == "deep_list":
        depth = rng.choice([100, 999, 1001, 10_000])
        return Case("raw", [f"{depth} nested lists"], raw=(b"[" * depth + b"]" * depth))
    if kind == "deep_map":
        depth = rng.choice([65, 500, 10_000])
        return Case("raw", [f"{depth} nested maps"], raw=b"{a: " * depth + b"1" + b"}" * depth)
    if kind == "aliases_ok":
        name = rng.choice(list(base_texts()))
        text = yaml.dump(shared_values(base_data(name), rng), Dumper=_AliasDumper, sort_keys=False)
        return Case("raw", [f"{name} with anchors and aliases"], raw=text.encode())
    if kind == "big_file":
        raw, what = big_file(rng)
        return Case("raw", [what], raw=raw)
    if kind == "empty":
        return Case("raw", ["empty file"], raw=rng.choice([b"", b"\n", b"---\n", b"# c\n", b"{}"]))
    return Case("raw", ["a scalar document"], raw=rng.choice([b"1", b"abc", b"[]", b"- a\n"]))


def make_case(rng: random.Random) -> Case:
    """One fuzz case drawn with `rng` (deterministic for a seeded Random)."""
    if rng.random() < 0.04:
        return special_case(rng)
    name = rng.choice(list(base_texts()))
    steps = [f"base {name}"]
    if rng.random() < 0.6:
        data = base_data(name)
        for _ in range(rng.randint(1, 4)):
            mutation = rng.choice(DATA_MUTATIONS)
            try:
                steps.append(mutation(rng, data))
            except (TypeError, ValueError, KeyError, IndexError, OverflowError, RecursionError):
                steps.append(f"{mutation.__name__}: not applicable here")
        if rng.random() < 0.25:
            raw = _dump(data)
            if raw is not None:
                return Case("raw", [*steps, "dumped to YAML"], raw=raw)
        return Case("data", steps, data=data)
    raw = base_texts()[name].encode()
    if rng.random() < 0.3:
        raw = yaml.dump(
            shared_values(base_data(name), rng), Dumper=_AliasDumper, sort_keys=False
        ).encode()
        steps.append("anchors and aliases")
    for _ in range(rng.randint(1, 3)):
        raw, what = rng.choice(RAW_MUTATIONS)(rng, raw)
        steps.append(what)
    return Case("raw", steps, raw=raw)


# --- the contract -------------------------------------------------------------------------


def check_error(exc: InstanceError, file: str) -> None:
    """An InstanceError as promised: problems, each with a path or a message, naming the file."""
    assert exc.problems, "InstanceError without problems"
    for problem in exc.problems:
        assert problem.path or problem.message, f"problem without path or message: {problem}"
        assert problem.message, f"problem without a message: {problem}"
    text = exc.render()
    assert file in text, f"the message does not name the file: {text[:200]}"
    assert "Traceback" not in text


def run_case(case: Case, tmp_dir: str | None = None) -> str:
    """Load (and on success prepare and build) one case; return "accepted" or "rejected".
    Any exception other than InstanceError, or a broken InstanceError, propagates."""
    if case.kind == "data":
        file = FILE_LABEL
        try:
            inst = validate_instance(case.data, file)
        except InstanceError as exc:
            check_error(exc, file)
            return "rejected"
    else:
        fd, file = tempfile.mkstemp(suffix=".yaml", prefix="fuzz-", dir=tmp_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(case.raw)
            try:
                inst = load_instance(file)
            except InstanceError as exc:
                check_error(exc, file)
                return "rejected"
        finally:
            os.unlink(file)
    build_model(prepare(inst))
    return "accepted"


def save_reproducer(case: Case, path: Path) -> Path:
    """Write a failing case where it can be replayed: raw bytes as .yaml, data as a pickle."""
    import pickle

    path.parent.mkdir(parents=True, exist_ok=True)
    if case.kind == "raw":
        target = path.with_suffix(".yaml")
        target.write_bytes(case.raw)
    else:
        target = path.with_suffix(".pickle")
        try:
            target.write_bytes(pickle.dumps(case.data))
        except (pickle.PicklingError, RecursionError, TypeError):
            target = path.with_suffix(".txt")  # the steps below rebuild it from its base
            target.write_text(reprlib.repr(case.data))
    path.with_suffix(".steps.txt").write_text(case.describe() + "\n")
    return target
