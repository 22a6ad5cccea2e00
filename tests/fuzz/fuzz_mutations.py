"""Hypothesis strategies that mutate real input files: JSON trees, bytes, CSV cells, TOML."""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import tomllib
from typing import Any

from hypothesis import strategies as st

# Values a careless tool or user puts where another type belongs.
_AWKWARD = st.sampled_from(
    [
        "two",
        "abc",
        "",
        "..",
        ".",
        "NaN",
        "1e999",
        "-1",
        "0",
        "lower",
        "higher",
        "s",
        "req/s",
        "\u00e9\u0000",
        "/../../x",
        "null",
    ]
)
_NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 10**400, 0.0, -0.0, 1e308, -1e-9]),
    st.floats(allow_nan=True, allow_infinity=True),
)
LEAVES = st.one_of(st.none(), st.booleans(), _NUMBERS, st.text(max_size=12), _AWKWARD)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | _AWKWARD, inner, max_size=4)
    ),
    max_leaves=12,
)


def _path(data: st.DataObject, doc: Any) -> list[Any]:
    """A random path into ``doc``, biased to go deep (where the interesting values are)."""
    path: list[Any] = []
    node = doc
    while isinstance(node, dict | list) and node and data.draw(st.integers(0, 9)) < 8:
        key = data.draw(
            st.sampled_from(sorted(node, key=str))
            if isinstance(node, dict)
            else st.integers(0, len(node) - 1)
        )
        path.append(key)
        node = node[key]
    return path


def _replacement(data: st.DataObject, old: Any) -> Any:
    kind = data.draw(st.integers(0, 5))
    if kind == 0:
        return str(old)[:40]  # a number or object written as a string
    if kind == 1:
        return [old]
    if kind == 2:
        return {"x": old}
    if kind == 3 and isinstance(old, int | float) and not isinstance(old, bool):
        huge = 1e300 if old >= 0 else -1e300  # old * 1e300 overflows for a huge int
        return data.draw(st.sampled_from([-old, 0, huge, math.nan, math.inf, -math.inf]))
    return data.draw(JSON_VALUES)


def _mutate_once(data: st.DataObject, doc: Any) -> Any:
    path = _path(data, doc)
    if not path:
        return data.draw(JSON_VALUES)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    action = data.draw(st.integers(0, 9))
    if action == 0:
        del parent[key]  # a required key or element missing
    elif action == 1 and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    else:
        parent[key] = _replacement(data, parent[key])
    return doc


def mutate_tree(data: st.DataObject, doc: Any) -> Any:
    """``doc`` (parsed JSON or TOML) with one to three random edits."""
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        doc = _mutate_once(data, doc)
    return doc


def mutate_bytes(data: st.DataObject, blob: bytes) -> bytes:
    """``blob`` truncated, with a byte replaced, bytes inserted or a range removed."""
    if not blob:
        return data.draw(st.binary(max_size=64))
    at = data.draw(st.integers(0, len(blob) - 1))
    action = data.draw(st.integers(0, 3))
    if action == 0:
        return blob[:at]
    if action == 1:
        return blob[:at] + bytes([data.draw(st.integers(0, 255))]) + blob[at + 1 :]
    if action == 2:
        return blob[:at] + data.draw(st.binary(min_size=1, max_size=16)) + blob[at:]
    end = data.draw(st.integers(at, min(len(blob), at + 64)))
    return blob[:at] + blob[end:]


def deep_nesting(data: st.DataObject) -> bytes:
    """Arrays or objects nested past the parser's recursion limit (or just below it)."""
    depth = data.draw(st.sampled_from([900, 1500, 100_000]))
    if data.draw(st.booleans()):
        return ("[" * depth + "]" * depth).encode()
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def mutated_json(data: st.DataObject, seed: bytes) -> bytes:
    """A mutation of a JSON seed: mostly a tree edit, else bytes, random JSON or deep nesting."""
    kind = data.draw(st.integers(0, 19))
    if kind < 12:
        return json.dumps(mutate_tree(data, json.loads(seed))).encode()
    if kind < 17:
        return mutate_bytes(data, seed)
    if kind < 19:
        return json.dumps(data.draw(JSON_VALUES)).encode()
    return deep_nesting(data)


def mutated_csv(data: st.DataObject, seed: bytes) -> bytes:
    """A mutation of a CSV seed: cells replaced, rows dropped or cut short, or bytes."""
    if data.draw(st.integers(0, 3)) == 0:
        return mutate_bytes(data, seed)
    rows = list(csv.reader(io.StringIO(seed.decode())))
    for _ in range(data.draw(st.integers(1, 3))):
        r = data.draw(st.integers(0, len(rows) - 1))
        action = data.draw(st.integers(0, 5))
        if action == 0 and len(rows) > 1:
            del rows[r]
        elif action == 1:
            rows[r] = rows[r][: data.draw(st.integers(0, len(rows[r])))]
        elif rows[r]:
            c = data.draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = data.draw(st.text(max_size=10) | _AWKWARD | _NUMBERS.map(str))
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(
                f"{json.dumps(str(k))} = {_toml_value(v)}"
                for k, v in value.items()
                if v is not None
            )
            + "}"
        )
    return json.dumps(str(value))


def to_toml(doc: Any) -> str:
    """A small TOML writer for mutated claims documents (None values are left out)."""
    if not isinstance(doc, dict):
        return f"value = {_toml_value(doc)}\n"
    lines = []
    for key, value in doc.items():
        if isinstance(value, list) and value and all(isinstance(t, dict) for t in value):
            for table in value:
                lines.append(f"[[{json.dumps(str(key))}]]")
                lines += [
                    f"{json.dumps(str(k))} = {_toml_value(v)}"
                    for k, v in table.items()
                    if v is not None
                ]
        elif value is not None:
            lines.insert(0, f"{json.dumps(str(key))} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def mutated_toml(data: st.DataObject, seed: bytes) -> bytes:
    """A mutation of a TOML seed: mostly a tree edit written back as TOML, else bytes."""
    if data.draw(st.integers(0, 3)) == 0:
        return mutate_bytes(data, seed)
    return to_toml(mutate_tree(data, tomllib.loads(seed.decode()))).encode()
