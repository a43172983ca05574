"""The one reader of workflow files: what GitHub reads, parsed as GitHub parses it.

`explain`, `set-trigger` and every post-condition read workflows here, so a workflow gets one
verdict everywhere: a file GitHub cannot read becomes a ``Workflow`` whose decisions are all the
same error (it never runs).

API
---
- ``WorkflowLoader``: a safe YAML loader (libyaml when available) with YAML 1.2 booleans only, so
  a bare ``on`` (or yes/no/off) stays a string, and dates stay strings, as GitHub reads them; a
  key written twice in one mapping is refused (GitHub refuses it; PyYAML would keep the last).
- ``load_workflow(text)``: parse a workflow's text; ``Refused`` when it is not YAML or repeats a
  key (naming the key and both lines).
- ``DispatchTarget(watch, vars)``; ``read_targets(doc)``: what a suite trigger workflow dispatches
  (its script's ``TARGETS`` list, ``templates/_shared/workflows.jinja``), None when it has none.
- ``Workflow(file, on, unreadable, targets, body)``: one file; ``decide(event)`` runs GitHub's trigger
  rules; ``error`` is why GitHub refuses it (unknown event, invalid glob, duplicate key, ...).
- ``parse_workflow(file, data)``: a file's bytes as a ``Workflow``.
- ``workflow_texts(repo, rev=None)``: ``{path: bytes}`` of the files GitHub reads (top level of
  ``.github/workflows``, ``*.yml``/``*.yaml``), from commit *rev* or else the working tree.
- ``read_workflows(repo, rev=None)``: every such file as a ``Workflow``, sorted by path.
- ``strings(node)``: every string of a parsed YAML document, keys and values.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from migrate import contract, gitops
from migrate.errors import Refused
from migrate.events import Decision, Event, checked, decide_checked

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DuplicateKey(yaml.constructor.ConstructorError):
    """A mapping of a workflow holds one key twice (GitHub refuses the file)."""

    def __init__(self, key: str, first: int, again: int) -> None:
        super().__init__(None, None, f"duplicate key {key!r}")
        self.key, self.first, self.again = key, first, again


class WorkflowLoader(_Base):  # type: ignore[misc]
    """YAML 1.2 booleans only (``on`` stays "on") and no timestamps, on libyaml when present;
    a key repeated in one mapping raises DuplicateKey."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        # Checked on the keys as written (a key a `<<` merge brings in is an override, not a
        # repetition), compared as constructed, so `on` and "on" are one key.
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in seen:
                        raise DuplicateKey(str(key), seen[key] + 1, key_node.start_mark.line + 1)
                    seen[key] = key_node.start_mark.line
                except TypeError:
                    continue  # an unhashable key: the base constructor refuses it
        return super().construct_mapping(node, deep)


_DROPPED = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
WorkflowLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
WorkflowLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_workflow(text: str) -> Any:
    """Parse a workflow file's text; ``on`` stays the string "on" (PyYAML's default reads True).

    Refused when the text is not YAML or a mapping repeats a key."""
    try:
        return yaml.load(text, Loader=WorkflowLoader)
    except DuplicateKey as exc:
        lines = f"line {exc.first}" if exc.first == exc.again else f"lines {exc.first} and {exc.again}"
        raise Refused(
            f"the key {exc.key!r} is written twice in one mapping ({lines}); GitHub refuses "
            "such a workflow",
            f"keep one {exc.key!r} (merge the two values into it)",
        ) from None
    except yaml.YAMLError as exc:
        raise Refused(
            f"the workflow is not valid YAML: {exc}".replace("\n", " "),
            "fix the YAML syntax (GitHub refuses a workflow it cannot parse)",
        ) from None


@dataclass(frozen=True)
class DispatchTarget:
    """One dispatch target of a suite trigger workflow: the paths whose change dispatches it
    (an entry ending in "/" is a folder) and the variables files it then sends."""

    watch: tuple[str, ...]
    vars: tuple[str, ...]

    def hits(self, path: str) -> bool:
        """True when a change of *path* dispatches this target (the script's ``hit``)."""
        return any(path.startswith(w) if w.endswith("/") else path == w for w in self.watch)


def _target(item: Any) -> DispatchTarget | None:
    if not isinstance(item, dict) or not isinstance(item.get("watch"), list):
        return None
    watch = tuple(str(w) for w in item["watch"])
    own = item.get("vars")
    return DispatchTarget(watch, tuple(str(v) for v in own) if isinstance(own, list) else ())


def read_targets(doc: Any) -> tuple[DispatchTarget, ...] | None:
    """The ``TARGETS`` a suite trigger workflow's script dispatches (the first step env holding
    a JSON list of ``{watch, vars}``), or None for a workflow without one (hand-written)."""
    jobs = doc.get("jobs") if isinstance(doc, dict) else None
    for job in jobs.values() if isinstance(jobs, dict) else ():
        steps = job.get("steps") if isinstance(job, dict) else None
        for step in steps if isinstance(steps, list) else ():
            env = step.get("env") if isinstance(step, dict) else None
            raw = env.get("TARGETS") if isinstance(env, dict) else None
            if not isinstance(raw, str) or "${{" in raw:
                continue
            try:
                items = json.loads(raw)
            except ValueError:
                continue
            targets = [_target(i) for i in items] if isinstance(items, list) else [None]
            if all(t is not None for t in targets):
                return tuple(t for t in targets if t is not None)
    return None


@dataclass(frozen=True)
class Workflow:
    """One workflow file as GitHub reads it: its ``on`` value, or why GitHub cannot read it, and
    (for a suite trigger workflow) what its script dispatches."""

    file: str
    on: Any = None
    unreadable: Decision | None = None
    targets: tuple[DispatchTarget, ...] | None = None
    # Every string of the file outside `on` (keys and values, one a line): what its jobs name.
    body: str = field(default="", repr=False, compare=False)

    def decide(self, event: Event) -> Decision:
        """Whether this workflow runs for *event*, and why."""
        return self.unreadable or decide_checked(self.events, event)

    @functools.cached_property
    def events(self) -> dict[str, Any] | Decision:
        """Its events as GitHub reads them (``events.checked``), or why GitHub refuses it."""
        return checked(self.on)

    @functools.cached_property
    def error(self) -> Decision | None:
        """The reason GitHub refuses this workflow (it then never runs), or None: its reading
        failed, or its events did not check (every filter is compiled then)."""
        return self.unreadable or (self.events if isinstance(self.events, Decision) else None)


@functools.lru_cache(maxsize=4096)
def parse_workflow(file: str, data: bytes) -> Workflow:
    """Parse one workflow file's bytes (a file GitHub cannot read becomes an error decision).

    Cached: the routing checks read the same files before, during and after a change."""

    def bad(problem: str, fix: str | None) -> Workflow:
        return Workflow(file, unreadable=Decision(
            False, f"invalid workflow: {problem}", error=problem, fix=fix))

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return bad("the workflow is not UTF-8 text", "save it as UTF-8")
    try:
        doc = load_workflow(text)
    except Refused as exc:
        return bad(exc.problem, exc.fix)
    if not isinstance(doc, dict):
        return bad("the workflow is not a YAML mapping",
                   "write the workflow as a mapping with 'on' and 'jobs' keys")
    body = "\n".join(strings({k: v for k, v in doc.items() if k != "on"}))
    return Workflow(file, on=doc.get("on"), targets=read_targets(doc), body=body)


def strings(node: Any) -> Iterator[str]:
    """Every string of a parsed YAML document, keys and values (a stack, not recursion: a deep
    document cannot exhaust it)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            yield item


def workflow_texts(repo: Path, rev: str | None = None) -> dict[str, bytes]:
    """``{path: bytes}`` of the workflow files GitHub reads, from commit *rev* or the working tree."""
    if rev is not None:
        files = gitops.read_tree(repo, rev, contract.WORKFLOWS_DIR + "/")
    else:
        folder = repo / contract.WORKFLOWS_DIR
        files = {f"{contract.WORKFLOWS_DIR}/{p.name}": p.read_bytes()
                 for p in (folder.iterdir() if folder.is_dir() else ()) if p.is_file()}
        # A sparse checkout leaves files out of the working tree: git's copy is the one that counts.
        skipped = gitops.skip_worktree_blobs(repo, contract.WORKFLOWS_DIR + "/")
        files.update(zip(skipped, gitops.cat_blobs(repo, list(skipped.values()))))
    return {path: data for path, data in sorted(files.items()) if contract.is_workflow_file(path)}


def read_workflows(repo: Path, rev: str | None = None) -> tuple[Workflow, ...]:
    """The workflows of *repo*'s working tree (or of commit *rev*), sorted by path."""
    return tuple(parse_workflow(path, data) for path, data in workflow_texts(repo, rev).items())
