"""Byte-preserving YAML edits: locate nodes with the parser, splice the original text.

Every public function takes the whole text of a file and returns the whole new text. Bytes
outside the node being changed stay as they were: comments, blank lines, quotes, indentation
style, flow padding (`[ main ]`), trailing spaces, `---`, CRLF, a BOM, a missing final newline.
Anything that cannot be edited safely (anchors, tags, duplicate keys, several documents, ...)
is refused with `UnsafeYamlEdit`, never guessed at; every edit is checked by re-parsing.

A path is a tuple of mapping keys (str, matched against the key's text, so a bare `on` is
"on") and sequence indexes (int), e.g. `("on", "push", "branches")`.

API: set_scalar, set_sequence (alias set_block_sequence), insert_key, remove_key, get_value,
get_node_span; for several edits in one pass, YamlDoc + scalar_edit / sequence_edits /
insert_edit / YamlDoc.deletion(entry_span) -> apply_edits -> verify (see migrate.triggers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from migrate.errors import UnsafeYamlEdit
from migrate.yaml_doc import BOM, Edit, Path, YamlDoc, apply_edits, reparse, show_path, verify
from migrate.yaml_render import render_entry, render_flow_sequence, render_scalar, scalar_style

__all__ = [
    "BOM",
    "Edit",
    "Path",
    "YamlDoc",
    "apply_edits",
    "get_node_span",
    "get_value",
    "insert_key",
    "remove_key",
    "render_entry",
    "render_scalar",
    "reparse",
    "set_block_sequence",
    "set_scalar",
    "set_sequence",
    "verify",
]

def _set_in(data: Any, path: Path, value: Any) -> Any:
    """A copy of *data* with *path* set to *value* (missing mappings are created)."""
    if not path:
        return value
    if isinstance(data, list):
        copy: Any = list(data)
        copy[path[0]] = _set_in(copy[path[0]], path[1:], value)
        return copy
    copy = dict(data) if isinstance(data, dict) else {}
    copy[path[0]] = _set_in(copy.get(path[0]), path[1:], value)
    return copy


def _del_in(data: Any, path: Path) -> Any:
    copy: Any = list(data) if isinstance(data, list) else dict(data)
    if len(path) == 1:
        del copy[path[0]]
    else:
        copy[path[0]] = _del_in(copy[path[0]], path[1:])
    return copy


# --- public operations -------------------------------------------------------------------------
def get_node_span(text: str, path: Path, name: str = "the YAML file") -> tuple[int, int]:
    """(start, end) of the node at *path* in *text*, its last meaningful character included."""
    doc = YamlDoc(text, name)
    node = doc.require(path)
    return doc.start(node), doc.content_end(node)


def get_value(text: str, path: Path, name: str = "the YAML file") -> Any:
    """The value at *path* (scalars as str), or None when absent."""
    node = YamlDoc(text, name).data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def scalar_edit(doc: YamlDoc, node: yaml.Node, value: str, fallback: str = "'") -> Edit | None:
    """The edit that makes scalar *node* read *value*, keeping its quote style; None if it does."""
    if not isinstance(node, yaml.ScalarNode):
        raise UnsafeYamlEdit(f"{doc.name}: expected a single value at line {node.start_mark.line + 1}")
    doc.check_plain(node)
    if node.value == value and node.style not in ("|", ">"):
        return None
    start, end = doc.start(node), doc.end(node)
    if node.style in ("|", ">"):
        end = doc.content_end(node)
        return Edit(start, end, render_scalar(value, '"' if "\n" in value else None))
    text = render_scalar(value, node.style or None, True, fallback)  # safe in flow context too
    return Edit(start, end, " " + text if start == end else text)


def set_scalar(text: str, path: Path, value: str, name: str = "the YAML file") -> str:
    """Replace the scalar at *path* with *value*, keeping its quote style and trailing comment."""
    doc = YamlDoc(text, name)
    edit = scalar_edit(doc, doc.require(path), value)
    if edit is None:
        return text
    return verify(doc, apply_edits(text, [edit]), _set_in(doc.data, path, value))


def sequence_edits(
    doc: YamlDoc, key: yaml.Node, node: yaml.Node, items: Sequence[str], fallback: str = "'"
) -> list[Edit]:
    """Edits that make *key*'s list value hold exactly *items*, in the style it is written in
    (a new item that cannot be plain in quote *fallback*)."""
    doc.check_plain(node)
    if isinstance(node, yaml.ScalarNode):
        if len(items) == 1 and node.value:
            edit = scalar_edit(doc, node, items[0], fallback)
            return [edit] if edit else []
        start = doc.start(node)
        flow = render_flow_sequence(items, scalar_style([node]), fallback=fallback)
        return [Edit(start, doc.end(node), (" " if start == doc.end(node) else "") + flow)]
    if not isinstance(node, yaml.SequenceNode) or any(
        not isinstance(i, yaml.ScalarNode) for i in node.value
    ):
        raise UnsafeYamlEdit(
            f"{doc.name}: expected a list of values at line {node.start_mark.line + 1}",
            "write it as a list of plain strings, then run again",
        )
    if [i.value for i in node.value] == list(items):
        return []
    style = scalar_style(node.value)
    if node.flow_style:
        return [_flow_sequence_edit(doc, node, items, style, fallback)]
    return _block_sequence_edits(doc, key, node, items, style, fallback)


def _flow_sequence_edit(
    doc: YamlDoc, node: yaml.Node, items: Sequence[str], style: str | None, fallback: str = "'"
) -> Edit:
    start, end = doc.start(node), doc.end(node)
    gaps = [doc.text[start + 1 : end - 1]] if not node.value else (
        [doc.text[start + 1 : doc.start(node.value[0])]]
        + [doc.text[doc.end(a) : doc.start(b)] for a, b in zip(node.value, node.value[1:])]
        + [doc.text[doc.end(node.value[-1]) : end - 1]]
    )
    if any("#" in gap for gap in gaps):
        raise UnsafeYamlEdit(
            f"{doc.name}: a flow list with comments at line {node.start_mark.line + 1}",
            "write the list as a block list (one '- item' per line), then run again",
        )
    lead, trail = (gaps[0], gaps[-1]) if node.value else ("", "")
    sep = gaps[1] if len(gaps) > 2 else ", "
    if "\n" in lead + trail + sep:  # a multi-line flow list becomes one line
        lead, trail, sep = lead.strip(" \r\n"), trail.strip(" \r\n"), ", "
    old = {i.value: doc.text[doc.start(i) : doc.end(i)] for i in reversed(node.value)}
    texts = [old.get(i) or render_scalar(i, style, True, fallback) for i in items]
    return Edit(start, end, "[" + lead + sep.join(texts) + trail + "]" if texts else "[]")


def _block_sequence_edits(
    doc: YamlDoc, key: yaml.Node, node: yaml.Node, items: Sequence[str], style: str | None,
    fallback: str = "'",
) -> list[Edit]:
    column = node.start_mark.column
    spans = []
    for item in node.value:
        dash = doc.line_start(doc.start(item)) + column
        if doc.text[dash : dash + 1] != "-":
            raise UnsafeYamlEdit(
                f"{doc.name}: a list item at line {item.start_mark.line + 1} is not on its own line",
                "put each '- item' on a line of its own, then run again",
            )
        spans.append(doc.item_span(dash, column, doc.content_end(item)))
    first, last = spans[0][0], spans[-1][1]
    if not items:  # an empty block list cannot be written: it becomes `[]` after the key
        colon = doc.text.index(":", doc.end(key))
        tail = doc.newline if doc.text.endswith("\n", 0, last) else ""
        return [Edit(colon + 1, last, " []" + tail)]
    # Keep the lines (and comments) of items that stay: pair each wanted value with the first
    # unused item holding it.
    unused = {i: n.value for i, n in enumerate(node.value)}
    kept: list[int | None] = []
    for value in items:
        match = next((i for i, v in unused.items() if v == value), None)
        if match is not None:
            del unused[match]
        kept.append(match)
    indent = " " * column
    order = [k for k in kept if k is not None]
    if order != sorted(order):  # reordered: rewrite the list, reusing the kept items' lines
        body = "".join(
            doc.text[spans[k][0] : spans[k][1]]
            if k is not None
            else f"{indent}- {render_scalar(v, style, fallback=fallback)}{doc.newline}"
            for v, k in zip(items, kept)
        )
        if not doc.text.endswith("\n", 0, last):
            body = body.rstrip("\r\n")
        return [Edit(first, last, body)]
    edits = [doc.deletion(spans[i]) for i in unused]
    pending: list[str] = []
    for value, k in zip(items, kept):
        if k is None:
            pending.append(f"{indent}- {render_scalar(value, style, fallback=fallback)}")
        elif pending:
            edits.append(doc.insertion(spans[k][0], pending))
            pending = []
    if pending:
        edits.append(doc.insertion(last, pending))
    return edits


def set_sequence(text: str, path: Path, items: Sequence[str], name: str = "the YAML file") -> str:
    """Make the list at *path* hold exactly *items*: block or flow as written, comments of kept
    items kept, new items quoted like their neighbours."""
    doc = YamlDoc(text, name)
    key, node = doc.require_entry(path)
    edits = sequence_edits(doc, key, node, items)
    if not edits:
        return text
    stays_scalar = isinstance(node, yaml.ScalarNode) and node.value and len(items) == 1
    expected = items[0] if stays_scalar else list(items)  # `key: one` stays a string
    return verify(doc, apply_edits(text, edits), _set_in(doc.data, path, expected))


set_block_sequence = set_sequence  # the name the brief uses


def remove_key(text: str, path: Path, name: str = "the YAML file") -> str:
    """Delete the entry at *path* (key, value, its own comments); no-op when it is absent."""
    doc = YamlDoc(text, name)
    parent = doc.require(path[:-1])
    if not isinstance(parent, yaml.MappingNode) or parent.flow_style:
        raise UnsafeYamlEdit(f"{doc.name}: {show_path(path[:-1])} is not a block mapping")
    found = doc.find_entry(parent, str(path[-1]))
    if found is None:
        return text
    if len(parent.value) == 1:
        raise UnsafeYamlEdit(
            f"{doc.name}: removing {show_path(path)} would leave {show_path(path[:-1])} empty",
            "remove the parent key instead",
        )
    doc.check_plain(found[1])
    new = apply_edits(text, [doc.deletion(doc.entry_span(*found))])
    return verify(doc, new, _del_in(doc.data, path))


def insert_edit(
    doc: YamlDoc, parent_key: yaml.Node | None, parent: yaml.Node, key: str, value: Any,
    after: str | None = None,
) -> Edit:
    """The edit adding `key: value` to block mapping *parent* (after entry *after*, else last)."""
    if isinstance(parent, yaml.ScalarNode) and parent.value == "" and parent_key is not None:
        unit, seq = doc.layout()
        column = parent_key.start_mark.column + unit
        pos = doc.line_end(doc.start(parent))
    elif isinstance(parent, yaml.MappingNode) and not parent.flow_style:
        unit, seq = doc.layout(parent)
        column = parent.value[0][0].start_mark.column
        if parent_key is not None and column > parent_key.start_mark.column:
            unit = column - parent_key.start_mark.column  # mixed 2/4-space files: follow the parent
        pairs = doc.entries(parent)
        anchor = next((p for p in pairs if p[0].value == after), pairs[-1])
        pos = doc.entry_span(*anchor)[1]
    else:
        raise UnsafeYamlEdit(
            f"{doc.name}: cannot add {key!r} at line {parent.start_mark.line + 1}: not a block mapping",
            "write that mapping in block style (one key per line), then run again",
        )
    return doc.insertion(pos, render_entry(key, value, column, unit, seq))


def insert_key(
    text: str, path: Path, value: Any, after: str | None = None, name: str = "the YAML file"
) -> str:
    """Add the entry *path* = *value* (str, list, dict or None), rendered in the file's style."""
    doc = YamlDoc(text, name)
    parent = doc.require(path[:-1])
    if isinstance(parent, yaml.MappingNode) and doc.find_entry(parent, str(path[-1])):
        raise UnsafeYamlEdit(f"{doc.name} already has {show_path(path)}", "set it instead of adding it")
    parent_key = doc.require_entry(path[:-1])[0] if len(path) > 1 else None
    edit = insert_edit(doc, parent_key, parent, str(path[-1]), value, after)
    return verify(doc, apply_edits(text, [edit]), _set_in(doc.data, path, _as_data(value)))


def _as_data(value: Any) -> Any:
    """*value* as the BaseLoader would read it back (scalars as str, null as '')."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return {str(k): _as_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_data(v) for v in value]
    return value
