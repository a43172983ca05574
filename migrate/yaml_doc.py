"""A parsed YAML text for splicing: node lookup by path, spans of whole lines, layout habits.

`YamlDoc` is the low-level half of the editing core (migrate.yaml_splice is the other): it
parses with PyYAML's composer (libyaml when present) keeping marks, strips a BOM before parsing
and maps every position back to the original text. `Edit` + `apply_edits` splice the original
text, pyupgrade-style; `verify` re-parses a result and refuses it unless it reads as expected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from migrate.errors import UnsafeYamlEdit

Path = tuple[str | int, ...]
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
        if not isinstance(node, yaml.CollectionNode) or node.flow_style or not node.value:
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
                f"{self.name} has no {show_path(path)}", "check the path, or add the key first"
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
            raise UnsafeYamlEdit(f"{self.name} has no {show_path(path)}", "check the path")
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
            found_unit, found_seq = self.measure(self.root)
            self._layout = (found_unit if found_unit is not None else 2,
                            found_seq if found_seq is not None else 2)
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


def show_path(path: Path) -> str:
    """A path as people write it: on.push.branches."""
    return ".".join(str(p) for p in path) or "document root"


def reparse(text: str, name: str) -> Any:
    """The data of *text* (every scalar a str); refuses text that does not parse."""
    return YamlDoc(text, name).data


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
