"""The one reader of workflow files: what GitHub reads, parsed as GitHub parses it.

`explain`, `set-trigger` and every post-condition read workflows here, so a workflow gets one
verdict everywhere: a file GitHub cannot read becomes a ``Workflow`` whose decisions are all the
same error (it never runs).

API
---
- ``WorkflowLoader``: a safe YAML loader (libyaml when available) with YAML 1.2 booleans only, so
  a bare ``on`` (or yes/no/off) stays a string, and dates stay strings, as GitHub reads them.
- ``load_workflow(text)``: parse a workflow's text; ``Refused`` when it is not YAML.
- ``Workflow(file, on, unreadable)``: one file; ``decide(event)`` runs GitHub's trigger rules.
- ``parse_workflow(file, data)``: a file's bytes as a ``Workflow``.
- ``workflow_texts(repo, rev=None)``: ``{path: bytes}`` of the files GitHub reads (top level of
  ``.github/workflows``, ``*.yml``/``*.yaml``), from commit *rev* or else the working tree.
- ``read_workflows(repo, rev=None)``: every such file as a ``Workflow``, sorted by path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from migrate import contract, gitops
from migrate.errors import Refused
from migrate.events import Decision, Event, decide

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class WorkflowLoader(_Base):  # type: ignore[misc]
    """YAML 1.2 booleans only (``on`` stays "on") and no timestamps, on libyaml when present."""


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
    """Parse a workflow file's text; ``on`` stays the string "on" (PyYAML's default reads True)."""
    try:
        return yaml.load(text, Loader=WorkflowLoader)
    except yaml.YAMLError as exc:
        raise Refused(
            f"the workflow is not valid YAML: {exc}".replace("\n", " "),
            "fix the YAML syntax (GitHub refuses a workflow it cannot parse)",
        ) from None


@dataclass(frozen=True)
class Workflow:
    """One workflow file as GitHub reads it: its ``on`` value, or why GitHub cannot read it."""

    file: str
    on: Any = None
    unreadable: Decision | None = None

    def decide(self, event: Event) -> Decision:
        """Whether this workflow runs for *event*, and why."""
        return self.unreadable or decide(self.on, event)

    @property
    def error(self) -> Decision | None:
        """The reason GitHub refuses this workflow (it then never runs), or None."""
        decision = self.decide(Event("push"))
        return decision if decision.error else None


def parse_workflow(file: str, data: bytes) -> Workflow:
    """Parse one workflow file's bytes (a file GitHub cannot read becomes an error decision)."""

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
    return Workflow(file, on=doc.get("on"))


def workflow_texts(repo: Path, rev: str | None = None) -> dict[str, bytes]:
    """``{path: bytes}`` of the workflow files GitHub reads, from commit *rev* or the working tree."""
    if rev is not None:
        files = gitops.read_tree(repo, rev, contract.WORKFLOWS_DIR + "/")
    else:
        folder = repo / contract.WORKFLOWS_DIR
        files = {f"{contract.WORKFLOWS_DIR}/{p.name}": p.read_bytes()
                 for p in (folder.iterdir() if folder.is_dir() else ()) if p.is_file()}
    return {path: data for path, data in sorted(files.items()) if contract.is_workflow_file(path)}


def read_workflows(repo: Path, rev: str | None = None) -> tuple[Workflow, ...]:
    """The workflows of *repo*'s working tree (or of commit *rev*), sorted by path."""
    return tuple(parse_workflow(path, data) for path, data in workflow_texts(repo, rev).items())
