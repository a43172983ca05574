"""Render new YAML text (scalars, list items, entries) the way the surrounding file writes it.

Only used for the nodes an edit adds or replaces; the rest of a file is never re-rendered.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

_Safe = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INDICATORS = "-?:,[]{}#&*!|>'\"%@`"


def _plain_ok(value: str, flow: bool) -> bool:
    """True when *value* written plain reads back as the same string (YAML 1.1 and 1.2)."""
    if (
        not value
        or value != value.strip()
        or value[0] in _INDICATORS
        or any(c in value for c in "\n\r\t")
        or ": " in value
        or " #" in value
        or value.endswith(":")
        or (flow and any(c in value for c in ",[]{}"))
    ):
        return False
    try:
        return bool(yaml.load(f"- {value}\n", Loader=_Safe) == [value])
    except yaml.YAMLError:
        return False


def render_scalar(value: str, style: str | None = None, flow: bool = False,
                  fallback: str = "'") -> str:
    """*value* as a YAML scalar: in quote *style* (' or ") if given, else plain when safe, else
    in quote *fallback*."""
    value = str(value)
    printable = value.isprintable()
    plain = style is None and printable and _plain_ok(value, flow)
    if style == '"' or not printable or (not plain and style is None and fallback == '"'):
        return json.dumps(value, ensure_ascii=False)  # JSON escapes are valid YAML escapes
    if not plain:
        return "'" + value.replace("'", "''") + "'"
    return value


def scalar_style(nodes: Iterable[yaml.Node]) -> str | None:
    """The quote style shared by all scalar *nodes* (' or "), else None (plain when safe)."""
    styles = {n.style or None for n in nodes if isinstance(n, yaml.ScalarNode)}
    return styles.pop() if len(styles) == 1 and styles <= {"'", '"'} else None


def render_flow_sequence(
    items: Sequence[str], style: str | None, lead: str = "", trail: str = "", sep: str = ", ",
    fallback: str = "'",
) -> str:
    """A one-line flow list, padded like `[ a, b ]` when *lead*/*trail* say so."""
    if not items:
        return "[]"
    return "[" + lead + sep.join(render_scalar(i, style, True, fallback) for i in items) + trail + "]"


def render_entry(
    key: str, value: Any, column: int, unit: int = 2, seq: int = 2, style: str | None = None,
    flow: tuple[str, str] | None = None, fallback: str = "'",
) -> list[str]:
    """Lines (no line breaks) of the block entry `key: value` at *column*.

    *unit* is the file's indentation step, *seq* how far a list's dashes sit right of its key;
    with *flow* (the padding inside the brackets) lists of strings are written `[ a, b ]`.
    """
    head = " " * column + render_scalar(str(key)) + ":"
    if value is None:
        return [head]
    if isinstance(value, dict):
        if not value:
            return [head + " {}"]
        lines = [head]
        for k, v in value.items():
            lines.extend(render_entry(k, v, column + unit, unit, seq, style, flow, fallback))
        return lines
    if isinstance(value, (list, tuple)):
        if not value:
            return [head + " []"]
        if flow is not None and not any(isinstance(v, (dict, list, tuple)) for v in value):
            return [head + " " + render_flow_sequence([str(v) for v in value], style, *flow,
                                                      fallback=fallback)]
        return [head] + render_items(value, column + seq, unit, seq, style, fallback)
    if isinstance(value, bool):
        return [f"{head} {'true' if value else 'false'}"]
    return [f"{head} {render_scalar(str(value), style, fallback=fallback)}"]


def render_items(
    items: Sequence[Any], column: int, unit: int = 2, seq: int = 2, style: str | None = None,
    fallback: str = "'",
) -> list[str]:
    """Lines of block list *items* with their dashes at *column*."""
    lines: list[str] = []
    pad = " " * column
    for item in items:
        if isinstance(item, dict) and item:
            sub: list[str] = []
            for k, v in item.items():
                sub.extend(render_entry(k, v, column + 2, unit, seq, style, fallback=fallback))
            lines.append(pad + "- " + sub[0][column + 2 :])
            lines.extend(sub[1:])
        else:
            lines.append(pad + "- " + render_scalar(str(item), style, fallback=fallback))
    return lines
