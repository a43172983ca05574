"""Corpus check: set-trigger's core over 120 real workflows written by people.

For every file: set a tag trigger, then a path trigger. Each result parses, on.push holds
exactly the filters of the kinds asked (the template suite's mapping, `expected_push` below),
every other event keeps its exact text, everything outside `on:` is
byte-identical, every comment line outside the replaced nodes is kept (a comment above a removed
key included), and the same call twice changes nothing the second time.
Reads ../shared/corpus relative to the repository root; skipped when it is absent.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from migrate.trigger_spec import make_spec
from migrate.triggers import set_triggers

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "workflows"
FILES = sorted(CORPUS.glob("*.y*ml")) if CORPUS.is_dir() else []
TAG = make_spec(["tag"], tags=["v*"])
PATH = make_spec(["path"], paths=["infra/**", "!infra/README.md"])
BRANCH_MANUAL = make_spec(["branch", "manual"], branches=["main", "release/**"])
MANAGED = ("push", "workflow_dispatch")


def expected_push(kinds: list[str], paths: list[str] = (), branches: list[str] = (),
                  tags: list[str] = ()) -> dict[str, list[str]]:
    """on.push for *kinds*, as templates/_shared/workflows.jinja writes it: branch -> branches,
    tag -> tags, path -> paths plus every branch ("**") when branch is not asked."""
    push: dict[str, list[str]] = {}
    if "branch" in kinds:
        push["branches"] = list(branches)
    elif "path" in kinds:
        push["branches"] = ["**"]
    if "tag" in kinds:
        push["tags"] = list(tags)
    if "path" in kinds:
        push["paths"] = list(paths)
    return push
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _on_parts(text: str) -> tuple[str, str, dict[str, str], object]:
    """(text before the `on` key, text from the next top-level key on, {event: its exact text},
    the parsed `on` value). Independent of the code under test: PyYAML's composer and marks."""
    body = text.lstrip("\ufeff")
    shift = len(text) - len(body)
    root = yaml.compose(body, Loader=_Loader)
    keys = [k for k, _ in root.value]
    i = next(n for n, k in enumerate(keys) if k.value == "on")
    on_key, on = root.value[i]
    start = on_key.start_mark.index + shift
    end = keys[i + 1].start_mark.index + shift if i + 1 < len(keys) else len(text)
    events: dict[str, str] = {}
    if isinstance(on, yaml.MappingNode):
        for k, v in on.value:
            last = v
            while isinstance(last, (yaml.MappingNode, yaml.SequenceNode)) and last.value and not last.flow_style:
                last = last.value[-1][1] if isinstance(last, yaml.MappingNode) else last.value[-1]
            stop = last.end_mark.index + shift
            events[k.value] = text[k.start_mark.index + shift : stop].rstrip()
    elif isinstance(on, yaml.SequenceNode):
        events = {i.value: i.value for i in on.value}
    elif on.value:
        events = {on.value: on.value}
    data = yaml.load(body, Loader=_Loader)
    value = data[True] if True in data else data["on"]
    return text[:start], text[end:], events, value


def _last_line(node: yaml.Node) -> int:
    last = node
    while isinstance(last, (yaml.MappingNode, yaml.SequenceNode)) and last.value and not last.flow_style:
        last = last.value[-1][1] if isinstance(last, yaml.MappingNode) else last.value[-1]
    mark = last.end_mark
    return mark.line - 1 if mark.column == 0 and mark.line > last.start_mark.line else mark.line


def _replaced_lines(text: str, manual: bool) -> set[int]:
    """Lines of the nodes set-trigger may replace (0-based): each entry of on.push (or on.push's
    whole value when it is not a block mapping), on.workflow_dispatch when manual is not asked,
    all of `on` when it is not a block mapping. Independent of the code under test."""
    body = text.lstrip("\ufeff")
    root = yaml.compose(body, Loader=_Loader)
    on_key, on = next((k, v) for k, v in root.value if k.value == "on")
    if not isinstance(on, yaml.MappingNode) or on.flow_style:
        return set(range(on_key.start_mark.line, _last_line(on) + 1))
    lines: set[int] = set()
    for key, value in on.value:
        if key.value == "push" and isinstance(value, yaml.MappingNode) and not value.flow_style:
            for k, v in value.value:
                lines.update(range(k.start_mark.line, _last_line(v) + 1))
        elif key.value == "push" or (key.value == "workflow_dispatch" and not manual):
            lines.update(range(key.start_mark.line, _last_line(value) + 1))
    return lines


def _comments_kept(before: str, after: str, manual: bool) -> None:
    """Every comment line outside the replaced nodes is still there (the same number of times)."""
    replaced = _replaced_lines(before, manual)
    kept = Counter(line.strip() for n, line in enumerate(before.lstrip("\ufeff").splitlines())
                   if line.strip().startswith("#") and n not in replaced)
    now = Counter(line.strip() for line in after.lstrip("\ufeff").splitlines()
                  if line.strip().startswith("#"))
    assert not kept - now, f"comment lines lost: {sorted(kept - now)}"


def _check(before: str, after: str, spec_push: dict[str, list[str]], manual: bool = False) -> None:
    _comments_kept(before, after, manual)
    head0, tail0, events0, _ = _on_parts(before)
    head1, tail1, events1, on = _on_parts(after)
    assert (head1, tail1) == (head0, tail0), "bytes outside `on:` changed"
    assert isinstance(on, dict) and on["push"] == spec_push, "on.push is not what was asked"
    if manual:
        env = on["workflow_dispatch"]["inputs"]["environment"]
        assert (env["type"], env["options"]) == ("choice", ["staging", "production"])
    else:
        assert "workflow_dispatch" not in on, "manual was not asked"
    for name, text in events0.items():
        if name not in MANAGED:
            assert name in events1, f"event {name} lost"
            if text != name:  # events of a mapping `on:` keep their exact text
                assert events1[name] == text, f"event {name} changed"


@pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS}")
def test_corpus_has_all_files():
    assert len(FILES) == 120


def _crlf_bom_no_final_newline(text: str) -> str:
    return "\ufeff" + text.rstrip("\n").replace("\n", "\r\n")


@pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("variant", ["as-is", "crlf-bom-no-final-newline"])
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_set_tag_then_path_trigger(path: Path, variant: str):
    original = path.read_bytes().decode("utf-8")
    if variant != "as-is":
        original = _crlf_bom_no_final_newline(original)
    tagged = set_triggers(original, TAG, path.name)
    _check(original, tagged, expected_push(["tag"], tags=["v*"]))
    assert set_triggers(tagged, TAG, path.name) == tagged
    pathed = set_triggers(tagged, PATH, path.name)
    _check(original, pathed, expected_push(["path"], paths=["infra/**", "!infra/README.md"]))
    assert set_triggers(pathed, PATH, path.name) == pathed
    if variant != "as-is":  # the new lines follow the file's line ending; no final newline added
        assert "\n" not in pathed.replace("\r\n", "") and not pathed.endswith("\n")


@pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_set_branch_and_manual_trigger(path: Path):
    """Beyond the issue's check: a branch trigger plus manual runs, on the same files."""
    original = path.read_bytes().decode("utf-8")
    out = set_triggers(original, BRANCH_MANUAL, path.name)
    _check(original, out, expected_push(["branch", "manual"], branches=["main", "release/**"]),
           manual=True)
    assert set_triggers(out, BRANCH_MANUAL, path.name) == out
