"""Byte-preserving YAML edits: locate nodes with the parser, splice the original text.

Every public function takes the whole text of a file and returns the whole new text. Bytes
outside the node being changed stay as they were: comments, blank lines, quotes, indentation
style, flow padding (`[ main ]`), trailing spaces, `---`, CRLF, a BOM, a missing final newline.
Anything that cannot be edited safely (anchors, tags, duplicate keys, several documents, ...)
is refused with `UnsafeYamlEdit`, never guessed at; every edit is checked by re-parsing.

A path is a tuple of mapping keys (str, matched against the key's text, so a bare `on` is
"on") and sequence indexes (int), e.g. `("on", "push", "branches")`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Union

import yaml

from migrate.errors import UnsafeYamlEdit
from migrate.yaml_render import render_entry, render_flow_sequence, render_scalar, scalar_style

__all__ = [
    "Edit",
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

Path = tuple[Union[str, int], ...]
BOM = "\ufeff"
# YAML treats these as line breaks; our line arithmetic only knows "\n" (and "\r\n").
_ODD_BREAKS = ("\x85", "\u2028", "\u2029")
_Loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # every scalar stays a str


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` of the original text with ``new``."""

    start: int
    end: int
    new: str


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping *edits* (original positions) to *text*, pyupgrade-style."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    out: list[str] = []
    pos = 0
    for edit in ordered:
        if edit.start < pos:
            raise UnsafeYamlEdit(
                "internal error: two edits overlap", "report this bug with the file attached"
            )
        out.append(text[pos : edit.start])
        out.append(edit.new)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def _parse(body: str, name: str) -> tuple[yaml.Node | None, Any]:
    loader = _Loader(body)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise UnsafeYamlEdit(
            f"{name} is not valid YAML (or holds several documents): {exc}",
            "fix the file so that it parses as one YAML document, then run again",
        ) from exc
    finally:
        loader.dispose()
    return node, data


class YamlDoc:
    """One parsed YAML text: node lookup by path, spans, and the file's layout habits."""

    def __init__(self, text: str, name: str = "the YAML file") -> None:
        self.text = text
        self.name = name
        self.offset = 1 if text.startswith(BOM) else 0  # the parser never sees the BOM
        body = text[self.offset :]
        if any(c in body for c in _ODD_BREAKS) or "\r" in body.replace("\r\n", ""):
            raise UnsafeYamlEdit(
                f"{name} uses unusual line breaks (a lone CR, NEL, U+2028 or U+2029)",
                "convert the file to LF or CRLF line endings and run again",
            )
        self.newline = "\r\n" if "\r\n" in body else "\n"
        self.root, self.data = _parse(body, name)
        self._layout: tuple[int, int] | None = None

    # --- positions -------------------------------------------------------------------------
    def start(self, node: yaml.Node) -> int:
        return node.start_mark.index + self.offset

    def end(self, node: yaml.Node) -> int:
        return node.end_mark.index + self.offset

    def content_end(self, node: yaml.Node) -> int:
        """End of the node's last meaningful character (block collections end at a child)."""
        if isinstance(node, yaml.ScalarNode):
            end = self.end(node)
            if node.style in ("|", ">"):  # block scalars own the blank lines after them
                while end > self.start(node) and self.text[end - 1] in " \t\r\n":
                    end -= 1
            return end
        if node.flow_style or not node.value:
            return self.end(node)
        last = node.value[-1]
        return self.content_end(last[1] if isinstance(node, yaml.MappingNode) else last)

    def line_start(self, pos: int) -> int:
        return max(self.text.rfind("\n", 0, pos) + 1, self.offset)

    def line_end(self, pos: int) -> int:
        """Position just after the line break of the line holding *pos* (or the end of text)."""
        i = self.text.find("\n", pos)
        return len(self.text) if i < 0 else i + 1

    def starts_line(self, pos: int) -> bool:
        return self.text[self.line_start(pos) : pos].strip(" ") == ""

    # --- lookup ----------------------------------------------------------------------------
    def entries(self, mapping: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        """The (key, value) pairs of *mapping*; refuses duplicate, merge and complex keys."""
        seen: set[str] = set()
        for key, _value in mapping.value:
            if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                raise UnsafeYamlEdit(
                    f"{self.name}: a complex or merge key (<<) at line {key.start_mark.line + 1}",
                    "write the mapping out without merge keys, then run again",
                )
            if key.value in seen:
                raise UnsafeYamlEdit(
                    f"{self.name}: key {key.value!r} appears twice at line {key.start_mark.line + 1}",
                    "remove the duplicate key, then run again",
                )
            seen.add(key.value)
        return list(mapping.value)

    def find_entry(self, mapping: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
        for k, v in self.entries(mapping):
            if k.value == key:
                return k, v
        return None

    def lookup(self, path: Path) -> yaml.Node | None:
        """The node at *path*, or None when some part of it is missing."""
        node = self.root
        for part in path:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                found = self.find_entry(node, part)
                node = found[1] if found else None
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                node = node.value[part] if -len(node.value) <= part < len(node.value) else None
            else:
                return None
            if node is None:
                return None
        return node

    def require(self, path: Path) -> yaml.Node:
        node = self.lookup(path)
        if node is None:
            raise UnsafeYamlEdit(
                f"{self.name} has no {_show(path)}", "check the path, or add the key first"
            )
        return node

    def require_entry(self, path: Path) -> tuple[yaml.Node, yaml.Node]:
        parent = self.require(path[:-1])
        found = (
            self.find_entry(parent, path[-1])
            if isinstance(parent, yaml.MappingNode) and isinstance(path[-1], str)
            else None
        )
        if found is None:
            raise UnsafeYamlEdit(f"{self.name} has no {_show(path)}", "check the path")
        return found

    # --- layout habits ---------------------------------------------------------------------
    def walk(self, node: yaml.Node | None = None) -> Iterator[tuple[yaml.Node, yaml.Node]]:
        """Every (key, value) pair of every mapping below *node*, depth first."""
        node = self.root if node is None else node
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                yield k, v
                yield from self.walk(v)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from self.walk(item)

    def layout(self, near: yaml.Node | None = None) -> tuple[int, int]:
        """(indent unit, offset of a block list under its key), as this file writes them."""
        if near is not None:
            local = self.measure(near)
            if local[1] is not None:
                unit = local[0] if local[0] is not None else self.layout()[0]
                return unit, local[1]
        if self._layout is None:
            unit, seq = self.measure(self.root)
            self._layout = (unit if unit is not None else 2, seq if seq is not None else 2)
        return self._layout

    def measure(self, node: yaml.Node | None) -> tuple[int | None, int | None]:
        """(most common indent step, list offset) below *node*; None where none is seen."""
        units: Counter[int] = Counter()
        seqs: Counter[int] = Counter()
        for k, v in self.walk(node):
            if isinstance(v, yaml.MappingNode) and not v.flow_style and v.value:
                step = v.value[0][0].start_mark.column - k.start_mark.column
                if step > 0:
                    units[step] += 1
            elif isinstance(v, yaml.SequenceNode) and not v.flow_style and v.value:
                seqs[max(v.start_mark.column - k.start_mark.column, 0)] += 1
        return (
            units.most_common(1)[0][0] if units else None,
            seqs.most_common(1)[0][0] if seqs else None,
        )

    # --- spans -----------------------------------------------------------------------------
    def item_span(self, lead: int, column: int, content_end: int) -> tuple[int, int]:
        """Whole lines of an entry or list item starting at *lead* (its key or dash).

        Comment lines directly above at the same column and comment lines after it indented
        deeper belong to it, so removing it leaves no orphaned comment behind.
        """
        if not self.starts_line(lead):
            raise UnsafeYamlEdit(
                f"{self.name}: line {self.text.count(chr(10), 0, lead) + 1} holds more than "
                "one entry, so it cannot be edited line by line",
                "put each key and list item on a line of its own, then run again",
            )
        start = self.line_start(lead)
        while start > self.offset:
            prev = self.line_start(start - 1)
            line = self.text[prev:start].rstrip("\r\n")
            if not line.lstrip(" ").startswith("#") or len(line) - len(line.lstrip(" ")) != column:
                break
            start = prev
        end = self.line_end(content_end)
        while end < len(self.text):
            line = self.text[end : self.line_end(end)].rstrip("\r\n")
            if not line.lstrip(" ").startswith("#") or len(line) - len(line.lstrip(" ")) <= column:
                break
            end = self.line_end(end)
        return start, end

    def entry_span(self, key: yaml.Node, value: yaml.Node) -> tuple[int, int]:
        """Whole lines of a block-mapping entry, see item_span."""
        return self.item_span(self.start(key), key.start_mark.column, self.content_end(value))

    def deletion(self, span: tuple[int, int]) -> Edit:
        """Delete whole lines; at the end of a file without a final newline keep it so."""
        start, end = span
        if end == len(self.text) and not self.text.endswith("\n") and start > self.offset:
            nl = 2 if self.text[start - 2 : start] == "\r\n" else 1
            return Edit(start - nl, end, "")
        return Edit(start, end, "")

    def insertion(self, pos: int, lines: Sequence[str]) -> Edit:
        """Insert whole *lines* (without line breaks) at line start *pos*, in the file's EOL."""
        nl = self.newline
        if pos == len(self.text) and self.text and not self.text.endswith("\n"):
            return Edit(pos, pos, "".join(nl + line for line in lines))
        return Edit(pos, pos, "".join(line + nl for line in lines))

    def check_plain(self, node: yaml.Node) -> None:
        """Refuse a node that carries an anchor, alias or tag: splicing could break references."""
        ids: set[int] = set()
        stack = [node]
        while stack:
            n = stack.pop()
            if id(n) in ids or self.text[self.start(n) : self.start(n) + 1] in ("&", "*", "!"):
                raise UnsafeYamlEdit(
                    f"{self.name}: an anchor, alias or tag at line {n.start_mark.line + 1} "
                    "inside the part to edit",
                    "write that part out without &anchors, *aliases and !tags, then run again",
                )
            ids.add(id(n))
            if isinstance(n, yaml.MappingNode):
                stack.extend(x for pair in n.value for x in pair)
            elif isinstance(n, yaml.SequenceNode):
                stack.extend(n.value)


def _show(path: Path) -> str:
    return ".".join(str(p) for p in path) or "document root"


def reparse(text: str, name: str) -> Any:
    """The data of *text* (every scalar a str); refuses text that does not parse."""
    return YamlDoc(text, name).data


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
    copy = dict(data)
    if len(path) == 1:
        del copy[path[0]]
    else:
        copy[path[0]] = _del_in(copy[path[0]], path[1:])
    return copy


def verify(old: YamlDoc, new_text: str, expected: Any) -> str:
    """Return *new_text* if it parses to *expected*; otherwise refuse (never write a mangled file)."""
    try:
        same = reparse(new_text, old.name) == expected
    except UnsafeYamlEdit:
        same = False  # the edit would not even parse: say so as a refusal, not a syntax error
    if not same:
        raise UnsafeYamlEdit(
            f"editing {old.name} in place would change more than asked",
            "make this change by hand (and please report the file so it can be supported)",
        )
    return new_text


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


def scalar_edit(doc: YamlDoc, node: yaml.Node, value: str) -> Edit | None:
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
    text = render_scalar(value, node.style or None)
    return Edit(start, end, " " + text if start == end else text)


def set_scalar(text: str, path: Path, value: str, name: str = "the YAML file") -> str:
    """Replace the scalar at *path* with *value*, keeping its quote style and trailing comment."""
    doc = YamlDoc(text, name)
    edit = scalar_edit(doc, doc.require(path), value)
    if edit is None:
        return text
    return verify(doc, apply_edits(text, [edit]), _set_in(doc.data, path, value))


def sequence_edits(
    doc: YamlDoc, key: yaml.Node, node: yaml.Node, items: Sequence[str]
) -> list[Edit]:
    """Edits that make *key*'s list value hold exactly *items*, in the style it is written in."""
    doc.check_plain(node)
    if isinstance(node, yaml.ScalarNode):
        if len(items) == 1 and node.value:
            edit = scalar_edit(doc, node, items[0])
            return [edit] if edit else []
        start = doc.start(node)
        flow = render_flow_sequence(items, scalar_style([node]))
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
        return [_flow_sequence_edit(doc, node, items, style)]
    return _block_sequence_edits(doc, key, node, items, style)


def _flow_sequence_edit(
    doc: YamlDoc, node: yaml.Node, items: Sequence[str], style: str | None
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
    texts = [old.get(i) or render_scalar(i, style, flow=True) for i in items]
    return Edit(start, end, "[" + lead + sep.join(texts) + trail + "]" if texts else "[]")


def _block_sequence_edits(
    doc: YamlDoc, key: yaml.Node, node: yaml.Node, items: Sequence[str], style: str | None
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
            else f"{indent}- {render_scalar(v, style)}{doc.newline}"
            for v, k in zip(items, kept)
        )
        if not doc.text.endswith("\n", 0, last):
            body = body.rstrip("\r\n")
        return [Edit(first, last, body)]
    edits = [doc.deletion(spans[i]) for i in unused]
    pending: list[str] = []
    for value, k in zip(items, kept):
        if k is None:
            pending.append(f"{indent}- {render_scalar(value, style)}")
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
        raise UnsafeYamlEdit(f"{doc.name}: {_show(path[:-1])} is not a block mapping")
    found = doc.find_entry(parent, str(path[-1]))
    if found is None:
        return text
    if len(parent.value) == 1:
        raise UnsafeYamlEdit(
            f"{doc.name}: removing {_show(path)} would leave {_show(path[:-1])} empty",
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
        raise UnsafeYamlEdit(f"{doc.name} already has {_show(path)}", "set it instead of adding it")
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
