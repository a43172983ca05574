"""Which variables files a trigger workflow dispatches for an event, and the events to ask about.

GitHub decides whether a workflow runs (`migrate.events`); what a run then sends to the provider
is decided by the workflow's own script. A suite trigger workflow
(``templates/_shared/workflows.jinja``) lists its targets in ``TARGETS``: a push that changes
files under ``infra/`` dispatches the changed files its targets watch; an event that changes
none (a tag push, a manual run, a branch push of other files) dispatches every target's
variables files. A hand-written trigger workflow has no such list: it is taken to send the
variables files its jobs name (a path written out outside ``on``), else those its own path filter
watches (``on.push.paths``, else ``on.pull_request.paths``); with neither, which files it sends
is unknown (``None``): a push changing a file it runs for counts as sending that file, and any
other event it runs for as sending something, never as sending one file twice.

The events asked about cover every trigger kind: a push changing one variables file (path),
a push changing none (branch), a tag push (tag) and a manual run (manual); the branches and tags
are names the trigger workflows' own ``branches``/``tags`` patterns match, plus the branch given.

API
---
- ``reached(workflow, event, variables)``: the variables files *workflow* dispatches for *event*
  (none when GitHub does not run it; None when it runs but what it sends is unknown).
- ``Probe(kind, event, one_file)`` and ``probes(workflows, ref)``: the events that exercise
  every trigger kind of *workflows*; ``Probe.says(path)`` words one of them for a message.
- ``example_name(pattern, fill)``: a branch or tag name a filter pattern matches, or None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrate import contract
from migrate.errors import InvalidPattern
from migrate.events import PATH_EVENTS, Decision, Event
from migrate.filters import ESCAPABLE, Pattern, compile_pattern, compiled, is_included
from migrate.workflows import DispatchTarget, Workflow

# A tag no pattern is written for: a push filter without tags runs for every tag.
ANY_TAG = "refs/tags/v1.0.0"


def _events(workflow: Workflow) -> Mapping[str, Any]:
    events = workflow.events
    return {} if isinstance(events, Decision) else events


def _watched(workflow: Workflow) -> tuple[Pattern, ...] | None:
    """A hand-written trigger's own path filter: the files it is about (None: it has none)."""
    for name, config in _events(workflow).items():
        if name in PATH_EVENTS and isinstance(config, Mapping):
            paths = config.get("paths")
            if isinstance(paths, str):
                paths = [paths]
            if isinstance(paths, list) and all(isinstance(p, str) for p in paths):
                try:
                    return compiled(tuple(paths))
                except InvalidPattern:
                    return None
    return None


def _named(workflow: Workflow, path: str) -> bool:
    # A whole path token in what the jobs say (not in `on`: a filter names files to run for,
    # even to exclude): infra/us-variables.yml is not named by infra/us-variables.yml.bak.
    return re.search(r"(?<![\w./-])" + re.escape(path) + r"(?![\w/-]|\.\w)", workflow.body) is not None


def _hand_written_sends(workflow: Workflow, variables: Sequence[str]) -> frozenset[str] | None:
    named = frozenset(v for v in variables if _named(workflow, v))
    if named:
        return named
    watch = _watched(workflow)
    return None if watch is None else frozenset(v for v in variables if is_included(watch, v))


def _target_vars(target: DispatchTarget, variables: Sequence[str]) -> list[str]:
    # Older targets without `vars` dispatch what they watch.
    own = target.vars or tuple(v for v in variables if target.hits(v))
    return [v for v in own if v in variables]


def reached(workflow: Workflow, event: Event, variables: Sequence[str]) -> frozenset[str] | None:
    """The variables files *workflow* sends to the provider for *event* (None: it runs, but what
    it sends is unknown)."""
    if workflow.unreadable is not None or not workflow.decide(event).runs:
        return frozenset()
    infra = [f for f in event.changed if f.startswith(contract.INFRA_DIR + "/")]
    if workflow.targets is None:
        sends = _hand_written_sends(workflow, variables)
        if infra:
            return frozenset(f for f in infra if f in variables and (sends is None or f in sends))
        return sends
    if not infra:
        return frozenset(v for t in workflow.targets for v in _target_vars(t, variables))
    return frozenset(f for f in infra if f in variables and any(t.hits(f) for t in workflow.targets))


@dataclass(frozen=True)
class Probe:
    """One event asked about: the trigger kind it exercises and whether it changes one file
    (then it is asked once per variables file, with that file as the change)."""

    kind: str  # path, branch, tag or manual
    event: Event
    one_file: bool = False

    def with_file(self, path: str) -> Event:
        """The event, changing *path* when the probe changes one file."""
        if not self.one_file:
            return self.event
        return Event(self.event.name, self.event.ref, (path,))

    def says(self, path: str) -> str:
        """The probe in words, e.g. "a push to main changing infra/variables.yml"."""
        name = self.event.ref.split("/", 2)[-1]
        if self.kind == "manual":
            return "a manual run (workflow_dispatch) of the trigger workflows"
        if self.kind == "tag":
            return f"a push of tag {name}"
        if self.one_file:
            return f"a push to {name} changing {path}"
        return f"a push to {name} changing no file under infra/"


def example_name(pattern: str, fill: str = "x") -> str | None:
    """A name the filter *pattern* matches (``*`` and ``**`` become *fill*); None when there is
    none to give (a negation, or a pattern GitHub refuses)."""
    try:
        compiled = compile_pattern(pattern)
    except InvalidPattern:
        return None
    if compiled.negated:
        return None
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            i += 3  # zero directories
        elif ch == "*":
            out.append(fill)
            i += 2 if pattern.startswith("**", i) else 1
        elif ch in "?+":
            i += 1  # the preceding character, once, already matches
        elif ch == "[":
            out.append(pattern[i + 1])
            i = pattern.index("]", i + 1) + 1
        elif ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in ESCAPABLE:
            out.append(pattern[i + 1])
            i += 2
        else:
            out.append(ch)
            i += 1
    name = "".join(out)
    return name if name and compiled.matches(name) else None


def _push_patterns(workflows: Iterable[Workflow], key: str) -> list[str]:
    found: list[str] = []
    for workflow in workflows:
        push = _events(workflow).get("push")
        value = push.get(key) if isinstance(push, Mapping) else None
        found += [value] if isinstance(value, str) else [v for v in value or () if isinstance(v, str)]
    return found


def probes(workflows: Sequence[Workflow], ref: str) -> list[Probe]:
    """The events that exercise every trigger kind of *workflows*: for the branch *ref*, ``main``
    and a branch each ``branches`` pattern matches, a push changing one variables file and one
    changing none; a tag each ``tags`` pattern matches (and any other tag); a manual run."""
    branches: list[str | None] = [ref.split("/", 2)[2]] if ref.startswith("refs/heads/") else []
    branches += ["main", *(example_name(p) for p in _push_patterns(workflows, "branches"))]
    tags = [example_name(p, "1") for p in _push_patterns(workflows, "tags")]
    found: list[Probe] = []
    for branch in dict.fromkeys(b for b in branches if b):
        event = Event("push", f"refs/heads/{branch}")
        found += [Probe("path", event, one_file=True), Probe("branch", event)]
    for tag in dict.fromkeys([*(f"refs/tags/{t}" for t in tags if t), ANY_TAG]):
        found.append(Probe("tag", Event("push", tag)))
    found.append(Probe("manual", Event("workflow_dispatch", ref)))
    return found
