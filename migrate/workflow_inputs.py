"""The manual-run inputs a workflow's jobs use, so that set-trigger never removes
``on.workflow_dispatch`` from under them unnoticed.

A job that reads ``${{ inputs.target }}`` (or ``github.event.inputs.target``, or ``if:
inputs.target``) after its ``workflow_dispatch`` is gone reads an input nothing defines:
actionlint reports ``property "target" is not defined`` and the run sees an empty string.

API
---
- ``InputReference(line, name, text)``.
- ``dropped_input_references(text, spec, name, read_by_any_event=())``: the uses of inputs of
  on.workflow_dispatch that setting *spec* would remove.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import yaml

from migrate.trigger_spec import TriggerSpec
from migrate.triggers import find_on
from migrate.yaml_splice import YamlDoc


@dataclass(frozen=True)
class InputReference:
    """A use of a manual-run input in the workflow: its line (1-based), the input, the line's text."""

    line: int
    name: str
    text: str


_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_IF_LINE = re.compile(r"^[ \t]*(?:-[ \t]+)?if:[ \t]*(\S.*)$", re.MULTILINE)
_INPUT = re.compile(
    r"(?<![\w.-])(?P<event>github\s*\.\s*event\s*\.\s*)?inputs\s*"
    r"(?:\.\s*(?P<dot>[A-Za-z_][\w-]*)|\[\s*'(?P<single>[^']*)'\s*\]|\[\s*\"(?P<double>[^\"]*)\"\s*\])",
    re.IGNORECASE)


def _input_names(doc: YamlDoc, on: yaml.Node, event: str) -> set[str]:
    inputs: yaml.Node | None = on
    for key in (event, "inputs"):
        found = doc.find_entry(inputs, key) if isinstance(inputs, yaml.MappingNode) else None
        inputs = found[1] if found else None
    if not isinstance(inputs, yaml.MappingNode):
        return set()
    return {k.value.lower() for k, _ in inputs.value if isinstance(k, yaml.ScalarNode)}


def dropped_input_references(text: str, spec: TriggerSpec, name: str = "the workflow",
                             read_by_any_event: Collection[str] = ()) -> list[InputReference]:
    """Where the workflow uses an input of on.workflow_dispatch (``inputs.x``,
    ``github.event.inputs.x``) that setting *spec* removes; empty when manual runs stay or
    define no inputs. An input on.workflow_call also defines stays defined for ``inputs.x``, and
    ``github.event.inputs.x`` of an input in *read_by_any_event* is read on purpose whatever the
    event (empty without a manual run)."""
    if spec.manual:
        return []
    doc = YamlDoc(text, name)
    on_key, on = find_on(doc)
    dispatch = _input_names(doc, on, "workflow_dispatch")
    if not dispatch:
        return []
    called = _input_names(doc, on, "workflow_call")
    skip = (doc.start(on_key), doc.content_end(on))  # the definitions themselves
    found: dict[tuple[int, str], InputReference] = {}
    spans = [m.span() for m in _EXPRESSION.finditer(text)]
    spans += [m.span(1) for m in _IF_LINE.finditer(text)]
    for start, end in spans:
        if skip[0] <= start < skip[1]:
            continue
        for ref in _INPUT.finditer(text, start, end):
            input_name = (ref["dot"] or ref["single"] or ref["double"] or "").lower()
            if input_name not in dispatch or (input_name in called and not ref["event"]) or (
                    ref["event"] and input_name in read_by_any_event):
                continue
            line = text.count("\n", 0, ref.start()) + 1
            line_text = text.splitlines()[line - 1].strip()
            found.setdefault((line, input_name), InputReference(line, input_name, line_text))
    return [found[k] for k in sorted(found)]
