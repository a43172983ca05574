"""Set what makes a workflow run on pushes and by hand, by splicing its `on:` text.

`on.push` gets the filters of the kinds asked (path -> paths, and branches "**" unless branch is
asked too; branch -> branches; tag -> tags: the template suite's meaning, TriggerSpec.push) and
`on.workflow_dispatch` (with an `environment` choice input when ``spec.environment_input``) is
there exactly when `manual` is asked. Every other event keeps its exact text; nothing outside
`on:` changes, and no comment line outside the nodes replaced is removed (a comment above a
removed key stays where it is).

API
---
- ``set_triggers(text, spec, name)``: the workflow text with its push and manual triggers set.
- ``find_on(doc)``: the top-level ``on`` entry of a parsed workflow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from migrate.errors import UnsafeYamlEdit
from migrate.trigger_spec import FILTER_KEYS, TriggerSpec
from migrate.yaml_render import render_entry, scalar_style
from migrate.yaml_splice import Edit, YamlDoc, apply_edits, sequence_edits, verify

_NULLS = ("", "~", "null", "Null", "NULL")


# --- reading what is there ---------------------------------------------------------------------
def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and not node.style and node.value in _NULLS


def _items(node: yaml.Node) -> list[str] | None:
    if isinstance(node, yaml.ScalarNode) and not _is_null(node):
        return [node.value]
    if isinstance(node, yaml.SequenceNode) and all(isinstance(i, yaml.ScalarNode) for i in node.value):
        return [i.value for i in node.value]
    return None


def _push_is(doc: YamlDoc, node: yaml.Node, want: dict[str, list[str]]) -> bool:
    if not isinstance(node, yaml.MappingNode):
        return False
    pairs = doc.entries(node)
    return {k.value for k, _ in pairs} == set(want) and all(_items(v) == want[k.value] for k, v in pairs)


def _env_is(node: yaml.Node | None, envs: Sequence[str]) -> bool:
    if not isinstance(node, yaml.MappingNode):
        return False
    fields = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    kind = fields.get("type")
    return (isinstance(kind, yaml.ScalarNode) and kind.value == "choice"
            and "options" in fields and _items(fields["options"]) == list(envs))


def _as_data(value: Any) -> Any:
    """*value* as the BaseLoader reads it back: scalars as str, booleans as true/false."""
    if isinstance(value, dict):
        return {str(k): _as_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_data(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _expected(doc: YamlDoc, on_node: yaml.Node, on_data: Any, spec: TriggerSpec) -> Any:
    """What the edited `on:` must read back as (for the post-edit check)."""
    if isinstance(on_data, dict):
        events = dict(on_data)
    elif isinstance(on_data, list):
        events = {str(e): "" for e in on_data}
    else:
        events = {on_data: ""} if on_data not in _NULLS else {}
    push_node = (doc.find_entry(on_node, "push") or (None, None))[1] if isinstance(
        on_node, yaml.MappingNode) else None
    if spec.push:
        if push_node is None or not _push_is(doc, push_node, spec.push):
            want: dict[str, Any] = _as_data(spec.push)
            for key, value in want.items():  # a kept one-item filter may stay a plain string
                node = _find(doc, push_node, (key,))
                if isinstance(node, yaml.ScalarNode) and [node.value] == value:
                    want[key] = node.value
            events["push"] = want
    else:
        events.pop("push", None)
    if spec.manual and not spec.environment_input:
        events.setdefault("workflow_dispatch", "")
    elif spec.manual:
        wd = events.get("workflow_dispatch")
        wd = dict(wd) if isinstance(wd, dict) else {}
        inputs = wd.get("inputs")
        inputs = dict(inputs) if isinstance(inputs, dict) else {}
        current = _find(doc, on_node, ("workflow_dispatch", "inputs", "environment"))
        if not _env_is(current, spec.environments):
            inputs["environment"] = _as_data(spec.env_input())
        wd["inputs"] = inputs
        events["workflow_dispatch"] = wd
    else:
        events.pop("workflow_dispatch", None)
    return events


def _find(doc: YamlDoc, node: yaml.Node | None, path: tuple[str, ...]) -> yaml.Node | None:
    for part in path:
        if not isinstance(node, yaml.MappingNode):
            return None
        found = doc.find_entry(node, part)
        node = found[1] if found else None
    return node


def find_on(doc: YamlDoc) -> tuple[yaml.Node, yaml.Node]:
    """The top-level `on` entry (bare, "on" or 'on'); refuses a file without one."""
    root = doc.root
    if isinstance(root, yaml.MappingNode) and root.flow_style:
        raise UnsafeYamlEdit(f"{doc.name} is written as one flow mapping ({{...}})",
                             "write the workflow in block style (one key per line), then run again")
    found = doc.find_entry(root, "on") if isinstance(root, yaml.MappingNode) else None
    if found is None:
        raise UnsafeYamlEdit(
            f"{doc.name} has no top-level `on:` key, so it is not a GitHub workflow",
            "pass the path of a workflow file (.github/workflows/*.yml) with --workflow",
        )
    return found


# --- editing -----------------------------------------------------------------------------------
class _Layout:
    """Where and how new lines go inside one block mapping: column, indent step, list offset."""

    def __init__(self, doc: YamlDoc, column: int, unit: int, seq: int, style: str | None,
                 flow: tuple[str, str] | None = None, fallback: str = '"') -> None:
        self.doc, self.column, self.unit, self.seq, self.style = doc, column, unit, seq, style
        self.flow = flow  # the padding of flow filter lists, when `on:` writes them `[ a ]`
        self.fallback = fallback  # the quotes of a glob that cannot be plain, like "**"

    def entry(self, key: str, value: Any, deeper: int = 0) -> list[str]:
        # The file's quoting and flow habits are for filter globs, not for the input we add.
        globs = key in ("push", *FILTER_KEYS.values())
        return render_entry(key, value, self.column + deeper * self.unit, self.unit, self.seq,
                            self.style if globs else None, self.flow if globs else None,
                            self.fallback if globs else "'")

    def children(self, key: str, value: Any, deeper: int = 0) -> list[str]:
        """The lines under `key:` (its block value), one step right of *key*'s column."""
        return self.entry(key, value, deeper)[1:]


def _trim_start(doc: YamlDoc, node: yaml.Node) -> int:
    start = doc.start(node)
    while start > 0 and doc.text[start - 1] in " \t":
        start -= 1
    return start


def _own_lines(doc: YamlDoc, key: yaml.Node, value: yaml.Node) -> tuple[int, int]:
    """The whole lines of an entry from its key to its value's last line: comment lines above or
    after it are not part of what is replaced, so they stay."""
    doc.item_span(doc.start(key), key.start_mark.column, doc.content_end(value))  # refuses a shared line
    return doc.line_start(doc.start(key)), doc.line_end(doc.content_end(value))


def _set_block_value(doc: YamlDoc, key: yaml.Node, value: yaml.Node, lines: list[str]) -> list[Edit]:
    """Edits making *key*'s value the block *lines*; the key line and its comment stay."""
    doc.check_plain(value)
    if isinstance(value, (yaml.MappingNode, yaml.SequenceNode)) and not value.flow_style:
        span_end = _own_lines(doc, key, value)[1]
        first = doc.line_end(doc.start(key))
        if value.start_mark.line == key.start_mark.line:
            raise UnsafeYamlEdit(
                f"{doc.name}: a value starting on its key's line at line {key.start_mark.line + 1}",
                "start the nested block on the next line, then run again",
            )
        body = "".join(line + doc.newline for line in lines)
        if span_end == len(doc.text) and not doc.text.endswith("\n"):
            body = body[: -len(doc.newline)]
        return [Edit(first, span_end, body)]
    end = doc.content_end(value)
    edits = [] if _is_null(value) and doc.start(value) == doc.end(value) else [
        Edit(_trim_start(doc, value), end, "")]
    return edits + [doc.insertion(doc.line_end(end), lines)]


def _push_edits(doc: YamlDoc, key: yaml.Node, value: yaml.Node, spec: TriggerSpec,
                lay: _Layout) -> list[Edit]:
    want = spec.push
    if _push_is(doc, value, want):
        return []
    if not isinstance(value, yaml.MappingNode) or value.flow_style:
        return _set_block_value(doc, key, value, lay.children("push", want))
    doc.check_plain(value)
    pairs = doc.entries(value)
    edits: list[Edit] = []
    kept = []
    for k, v in pairs:
        if k.value in want:
            edits.extend(sequence_edits(doc, k, v, want[k.value], lay.fallback))
            kept.append((k, v))
        else:
            edits.append(doc.deletion(_own_lines(doc, k, v)))
    missing = [k for k in want if k not in {p[0].value for p in pairs}]
    if missing:
        inner = _Layout(doc, pairs[0][0].start_mark.column, lay.unit, lay.seq, lay.style, lay.flow,
                        lay.fallback)
        lines = [line for k in missing for line in inner.entry(k, want[k])]
        edits.append(doc.insertion(doc.entry_span(*(kept or pairs)[-1])[1], lines))
    return edits


def _dispatch_edits(doc: YamlDoc, key: yaml.Node, value: yaml.Node, spec: TriggerSpec,
                    lay: _Layout) -> list[Edit]:
    if not spec.environment_input:
        return []  # manual runs are there already, with whatever inputs the workflow defines
    env = spec.env_input()
    if _env_is(_find(doc, value, ("inputs", "environment")), spec.environments):
        return []
    if _is_null(value) or isinstance(value, yaml.MappingNode) and value.flow_style and not value.value:
        return _set_block_value(doc, key, value, lay.children(
            "workflow_dispatch", {"inputs": {"environment": env}}))
    if not isinstance(value, yaml.MappingNode) or value.flow_style:
        raise UnsafeYamlEdit(
            f"{doc.name}: on.workflow_dispatch at line {key.start_mark.line + 1} is not a block mapping",
            "write on.workflow_dispatch in block style (one key per line), then run again",
        )
    found = doc.find_entry(value, "inputs")
    step = value.value[0][0].start_mark.column - key.start_mark.column
    inner = _Layout(doc, value.value[0][0].start_mark.column, step, lay.seq, lay.style)
    if found is None:
        anchor = doc.entries(value)[-1]
        return [doc.insertion(doc.entry_span(*anchor)[1], inner.entry("inputs", {"environment": env}))]
    ik, iv = found
    if _is_null(iv) or isinstance(iv, yaml.MappingNode) and iv.flow_style and not iv.value:
        return _set_block_value(doc, ik, iv, inner.children("inputs", {"environment": env}))
    if not isinstance(iv, yaml.MappingNode) or iv.flow_style:
        raise UnsafeYamlEdit(
            f"{doc.name}: on.workflow_dispatch.inputs at line {ik.start_mark.line + 1} is not a "
            "block mapping",
            "write the inputs in block style (one key per line), then run again",
        )
    deep = _Layout(doc, iv.value[0][0].start_mark.column, step, lay.seq, lay.style)
    current = doc.find_entry(iv, "environment")
    if current is None:
        return [doc.insertion(doc.entry_span(*doc.entries(iv)[-1])[1], deep.entry("environment", env))]
    return _set_block_value(doc, *current, deep.children("environment", env))


def _block_on_edits(doc: YamlDoc, on_key: yaml.Node, on: yaml.MappingNode,
                    spec: TriggerSpec) -> list[Edit]:
    pairs = doc.entries(on)
    column = pairs[0][0].start_mark.column
    # New nested lines step like the events' own contents do, else like `on:` steps to them.
    unit, seq = doc.layout(on)
    inner_unit = doc.measure(on)[0]
    if inner_unit is None and column > on_key.start_mark.column:
        inner_unit = column - on_key.start_mark.column
    lay = _Layout(doc, column, inner_unit or unit, seq, _filter_style(on), _filter_flow(doc, on),
                  _filter_fallback(on))
    edits: list[Edit] = []
    new: list[str] = []
    removed = set()
    for name, want, make in (
        ("push", bool(spec.push), _push_edits),
        ("workflow_dispatch", spec.manual, _dispatch_edits),
    ):
        found = doc.find_entry(on, name)
        if found and want:
            edits.extend(make(doc, *found, spec, lay))
        elif found:
            doc.check_plain(found[1])
            edits.append(doc.deletion(_own_lines(doc, *found)))
            removed.add(name)
        elif want:
            new.extend(lay.entry(name, spec.push if name == "push" else _dispatch_value(spec)))
    if new:
        staying = [p for p in pairs if p[0].value not in removed] or pairs
        edits.append(doc.insertion(doc.entry_span(*staying[-1])[1], new))
    return edits


def _dispatch_value(spec: TriggerSpec) -> dict[str, Any] | None:
    """A new on.workflow_dispatch: with the environment input, or bare (None)."""
    return {"inputs": {"environment": spec.env_input()}} if spec.environment_input else None


def _filter_items(on: yaml.Node) -> list[yaml.ScalarNode]:
    items: list[yaml.ScalarNode] = []
    stack = [on]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            stack.extend(v for _, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            items.extend(i for i in node.value if isinstance(i, yaml.ScalarNode))
    return items


def _filter_style(on: yaml.Node) -> str | None:
    """The quote style of the filter globs already in `on:` (so new ones look the same)."""
    return scalar_style(_filter_items(on))


def _filter_fallback(on: yaml.Node) -> str:
    """The quotes for a glob that cannot be written plain: those of the quoted globs already in
    `on:` when they agree, else double quotes, as the template suite writes `"**"`."""
    quoted = {n.style for n in _filter_items(on) if n.style in ("'", '"')}
    return quoted.pop() if len(quoted) == 1 else '"'


def _filter_flow(doc: YamlDoc, on: yaml.MappingNode) -> tuple[str, str] | None:
    """The bracket padding when every filter list of every event is a flow list, else None."""
    lists = [v for _, event in on.value if isinstance(event, yaml.MappingNode)
             for _, v in event.value if isinstance(v, yaml.SequenceNode)]
    if not lists or any(not s.flow_style for s in lists):
        return None
    first = lists[0]
    if not first.value:
        return ("", "")
    lead = doc.text[doc.start(first) + 1 : doc.start(first.value[0])]
    trail = doc.text[doc.end(first.value[-1]) : doc.end(first) - 1]
    return (lead, trail) if (lead + trail).strip(" ") == "" else ("", "")


def _event_names(doc: YamlDoc, on: yaml.Node) -> list[tuple[str, str, str | None]]:
    """(name, name as written, value text) of each event of a non-block-mapping `on:`."""
    def text(node: yaml.Node) -> str:
        return doc.text[doc.start(node) : doc.end(node)]

    if isinstance(on, yaml.ScalarNode):
        return [] if _is_null(on) else [(on.value, text(on), None)]
    if isinstance(on, yaml.SequenceNode) and all(isinstance(i, yaml.ScalarNode) for i in on.value):
        return [(i.value, text(i), None) for i in on.value]
    if isinstance(on, yaml.MappingNode):  # a flow mapping: keep each event's value text
        out = []
        for k, v in doc.entries(on):
            value = None if _is_null(v) else text(v)
            if value is not None and ("\n" in value or "#" in value):
                raise UnsafeYamlEdit(
                    f"{doc.name}: event {k.value!r} in the flow mapping `on:` spans lines",
                    "write `on:` as a block mapping (one event per line), then run again",
                )
            out.append((k.value, text(k), value))
        return out
    raise UnsafeYamlEdit(f"{doc.name}: `on:` at line {on.start_mark.line + 1} is not a list of events",
                         "write `on:` as a mapping of events, then run again")


def _convert_on_edits(doc: YamlDoc, on_key: yaml.Node, on: yaml.Node,
                      spec: TriggerSpec) -> list[Edit]:
    """`on: push` / `on: [a, b]` / `on: {..}` / empty `on:` become a block mapping of events."""
    doc.check_plain(on)
    events = _event_names(doc, on)
    unit, seq = doc.layout()
    lay = _Layout(doc, on_key.start_mark.column + unit, unit, seq, None)
    wd_value = _dispatch_value(spec)
    lines: list[str] = []
    names = [e[0] for e in events]
    for name, written, value in events:
        if name == "push":
            lines.extend(lay.entry("push", spec.push) if spec.push else [])
        elif name == "workflow_dispatch":
            if value not in (None, "{}"):
                raise UnsafeYamlEdit(
                    f"{doc.name}: on.workflow_dispatch is written inline",
                    "write `on:` as a block mapping (one event per line), then run again",
                )
            if spec.manual:
                lines.extend(lay.entry(name, wd_value) if wd_value else
                             [" " * lay.column + written + ":" + ("" if value is None else " " + value)])
        else:
            lines.append(" " * lay.column + written + ":" + ("" if value is None else " " + value))
    if spec.push and "push" not in names:
        lines.extend(lay.entry("push", spec.push))
    if spec.manual and "workflow_dispatch" not in names:
        lines.extend(lay.entry("workflow_dispatch", wd_value))
    if isinstance(on, yaml.SequenceNode) and not on.flow_style:
        column = on.start_mark.column
        doc.item_span(doc.line_start(doc.start(on.value[0])) + column, column,
                      doc.content_end(on.value[0]))  # refuses an item that shares its line
        start = doc.line_start(doc.start(on.value[0]))  # a comment above the list stays
        end = doc.line_end(doc.content_end(on))
        body = "".join(line + doc.newline for line in lines)
        if end == len(doc.text) and not doc.text.endswith("\n"):
            body = body[: -len(doc.newline)]
        return [Edit(start, end, body)]
    return _set_block_value(doc, on_key, on, lines)


def set_triggers(text: str, spec: TriggerSpec, name: str = "the workflow") -> str:
    """The workflow *text* with its push and manual triggers set to *spec*; *text* itself when
    it already has them. Refuses (UnsafeYamlEdit) what it cannot edit safely."""
    doc = YamlDoc(text, name)
    on_key, on = find_on(doc)
    if isinstance(on, yaml.MappingNode) and not on.flow_style:
        edits = _block_on_edits(doc, on_key, on, spec)
    else:
        edits = _convert_on_edits(doc, on_key, on, spec)
    if not edits:
        return text
    expected = dict(doc.data)
    expected[on_key.value] = _expected(doc, on, doc.data[on_key.value], spec)
    return verify(doc, apply_edits(text, edits), expected)
