"""Workflows when infra/ leaves a repository or a folder moves: which workflows concern only the
infrastructure (they go with it), and the proof, with explain's evaluator, that a move changed
no decision it should not.

A workflow concerns only the infrastructure when every path filter it has watches ``infra/``
(or workflow files), or when every job that runs commands works in ``infra/``
(``working-directory: ./infra``), and nothing in it names another folder of the repository.
Such a workflow moves to the infra repository, where ``infra/`` stays ``infra/``, so it needs
no edit there. Any other workflow that names ``infra/`` stays, with the reason.

API
---
- ``Verdict(moves, reason)``; ``infra_verdict(name, data, others, tops)``: whether workflow
  *name* (bytes *data*) goes with ``infra/`` and why; None when it does not name ``infra/``.
  *others* are the texts of the other workflows (one calling it keeps it here), *tops* the
  top-level folders that stay (a workflow naming one of them stays too).
- ``check_same_runs(before, after, pairs, ref)``: for each workflow in both, each path event and
  each sample ``(old path, new path)`` pair, the problems where the decision after the move
  differs from the one before. A filter that matched all of the moved folder may now match
  the whole repository (``widened``): for such a workflow and event a path that did not move may
  start to run it, nothing else.
- ``widened(before, after)``: ``{workflow: [events]}`` whose path filter now matches every file.
- ``sample_pairs(pairs, limit)``: a deterministic sample of pairs: a file of each extension in
  every folder, every root file.
  Unchanged workflows are checked for the paths that moved only.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrate import yaml_splice
from migrate.errors import UnsafeYamlEdit
from migrate.events import PATH_EVENTS, Event
from migrate.workflows import Workflow, parse_workflow, strings

_INFRA = re.compile(r"(?<![\w.$/@-])(?:\./)?infra(?![\w.-])")
# A path in the repository: a folder name followed by a slash, not a URL or an action reference.
_FOLDER_REF = re.compile(r"(?<![\w.$/@:-])(?:\./)?([A-Za-z0-9_][\w.-]*)/")


@dataclass(frozen=True)
class Verdict:
    """Whether a workflow that names infra/ moves with it, and why (shown in the plan)."""

    moves: bool
    reason: str


def _uses(doc: dict[str, Any]) -> dict[str, Any]:
    """*doc* without the path filters that exclude (``!infra/**``, ``paths-ignore``): excluding
    infra/ is not using it."""
    on = doc.get("on")
    if not isinstance(on, dict):
        return doc
    kept = {}
    for event, spec in on.items():
        if isinstance(spec, dict):
            spec = {k: ([p for p in v if not (isinstance(p, str) and p.startswith("!"))]
                        if k == "paths" and isinstance(v, list) else v)
                    for k, v in spec.items() if k != "paths-ignore"}
        kept[event] = spec
    return {**doc, "on": kept}


def _in_infra(value: str) -> bool:
    clean = value.strip().removeprefix("./").rstrip("/")
    return clean == "infra" or clean.startswith("infra/")


def _filters(data: dict[str, Any]) -> dict[str, list[str]] | None:
    """{event: positive paths patterns} of the path events; None when a path event has none."""
    on = data.get("on")
    if isinstance(on, str):
        on = {on: None}
    elif isinstance(on, list):
        on = dict.fromkeys(on)
    if not isinstance(on, dict):
        return None
    found: dict[str, list[str]] = {}
    for event in PATH_EVENTS:
        if event not in on:
            continue
        spec = on[event]
        paths = spec.get("paths") if isinstance(spec, dict) else None
        if isinstance(paths, str):
            paths = [paths]
        if not isinstance(paths, list):
            return None
        found[event] = [p for p in paths if isinstance(p, str) and not p.startswith("!")]
    return found


def _job_dirs(data: dict[str, Any]) -> list[str | None] | None:
    """The working directory of every step that runs a command (None: the root); None when a
    job calls a reusable workflow (what it runs is not here)."""
    top = data.get("defaults")
    base = top.get("run", {}).get("working-directory") if isinstance(top, dict) and \
        isinstance(top.get("run"), dict) else None
    jobs = data.get("jobs")
    if not isinstance(jobs, dict):
        return None
    dirs: list[str | None] = []
    for spec in jobs.values():
        if not isinstance(spec, dict) or "uses" in spec:
            return None
        d = spec.get("defaults")
        job_dir = d["run"].get("working-directory") if isinstance(d, dict) and \
            isinstance(d.get("run"), dict) else None
        for step in spec.get("steps") or []:
            if isinstance(step, dict) and "run" in step:
                dirs.append(step.get("working-directory") or job_dir or base)
    return dirs


def _other_folders(data: dict[str, Any], tops: Collection[str]) -> list[str]:
    """Folders among *tops* (the repository's, other than infra/ and .github/) it names."""
    folders = set()
    for value in strings({k: v for k, v in data.items() if k != "name"}):
        for m in _FOLDER_REF.finditer(value):
            if m.group(1) in tops and m.group(1) not in ("infra", ".github"):
                folders.add(m.group(1))
    return sorted(folders)


def infra_verdict(name: str, data: bytes, others: Mapping[str, bytes] = {},
                  tops: Collection[str] = ()) -> Verdict | None:
    """Whether the workflow *name* concerns only the infrastructure (it moves with infra/), and
    why; None when it does not name infra/. *tops*: the folders that stay."""
    try:
        doc = yaml_splice.reparse(data.decode("utf-8-sig"), name)
    except (UnicodeDecodeError, UnsafeYamlEdit):
        return None
    if not isinstance(doc, dict) or not any(_INFRA.search(s) for s in strings(_uses(doc))):
        return None
    base = name.rsplit("/", 1)[-1]
    call = re.compile(rb"uses:\s*['\"]?\./\.github/workflows/" + re.escape(base.encode()))
    callers = [o for o, text in others.items() if o != name and call.search(text)]
    if callers or "workflow_call" in str(doc.get("on")):
        return Verdict(False, f"{name} stays: it is a reusable workflow"
                       + (f" that {', '.join(callers)} names" if callers else "")
                       + "; move it by hand with its callers")
    filters = _filters(doc)
    outside = sorted({p for ps in (filters or {}).values() for p in ps
                      if not _in_infra(p) and not p.startswith(".github/")})
    if outside:
        return Verdict(False, f"{name} stays: its path filters also watch {', '.join(outside[:3])}"
                       " (it names infra/, which leaves: review it)")
    by_filters = bool(filters) and all(any(_in_infra(p) for p in ps) for ps in (filters or {}).values())
    dirs = _job_dirs(doc) or []
    by_jobs = bool(dirs) and all(d is not None and _in_infra(d) for d in dirs)
    if not (by_filters or by_jobs):
        return Verdict(False, f"{name} stays: it names infra/ but also works outside it "
                       "(review it: infra/ leaves this repository)")
    folders = _other_folders(doc, tops)
    if folders:
        return Verdict(False, f"{name} stays: it concerns infra/ but also names "
                       f"{', '.join(f + '/' for f in folders[:3])} (review it: infra/ leaves "
                       "this repository)")
    why = "all its path filters watch infra/" if by_filters else "all its jobs work in infra/"
    return Verdict(True, f"{name} moves to the infra repository: {why} (infra/ stays infra/ "
                   "there, so it is not edited)")


def _everything(w: Workflow) -> set[str]:
    """Path events whose filter matches every file: none at all, or a ``**`` in ``paths``."""
    on = w.on if isinstance(w.on, dict) else {}
    out = set()
    for e in PATH_EVENTS:
        found = on.get(e)
        spec: dict[str, Any] = found if isinstance(found, dict) else {}
        paths = spec.get("paths")
        if "paths-ignore" not in spec and (paths is None or (isinstance(paths, list) and "**" in paths)):
            out.add(e)
    return out


def widened(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> dict[str, list[str]]:
    """``{workflow: [events]}`` whose path filter now matches every file (it did not before)."""
    out = {}
    for name in sorted(set(before) & set(after)):
        lost = _everything(parse_workflow(name, after[name])) - \
            _everything(parse_workflow(name, before[name]))
        if lost:
            out[name] = sorted(lost)
    return out


def sample_pairs(pairs: Sequence[tuple[str, str]], limit: int = 400) -> list[tuple[str, str]]:
    """A deterministic sample of *pairs*: the first file of each extension in every folder
    (every file at the root), at most *limit*; filters tell paths apart by folder and name."""
    seen: set[tuple[str, str]] = set()
    out = []
    for old, new in sorted(pairs):
        folder, _, name = old.rpartition("/")
        key = (folder, name.rpartition(".")[2] if "." in name and folder else name)
        if key not in seen:
            seen.add(key)
            out.append((old, new))
    return out[:limit]


def check_same_runs(before: Mapping[str, bytes], after: Mapping[str, bytes],
                    pairs: Sequence[tuple[str, str]], ref: str) -> list[str]:
    """Where a workflow's decision for a sample path after the move differs from the one for
    its old path before (a widened filter may only start running for a path that did not move)."""
    problems: list[str] = []
    loose = widened(before, after)
    moved = [(old, new) for old, new in pairs if old != new]
    for name in sorted(set(before) & set(after)):
        old_w, new_w = parse_workflow(name, before[name]), parse_workflow(name, after[name])
        if before[name] == after[name] and not _path_filter_events(old_w):
            continue  # the same workflow, running for every path: nothing can differ
        # An unchanged workflow decides the same for a path that did not move.
        todo = moved if before[name] == after[name] else pairs
        for event in ("push", "pull_request"):
            for old, new in todo:
                was = old_w.decide(Event(event, ref, (old,))).runs
                now = new_w.decide(Event(event, ref, (new,))).runs
                if was == now or (old == new and now and event in loose.get(name, [])):
                    continue
                problems.append(f"{name} {'runs' if now else 'does not run'} for a {event} of "
                                f"{new}, though it {'ran' if was else 'did not run'} for {old}")
                if len(problems) >= 10:
                    return problems
    return problems


def _path_filter_events(w: Workflow) -> set[str]:
    on = w.on if isinstance(w.on, dict) else {}
    return {e for e in PATH_EVENTS if isinstance(on.get(e), dict)
            and ("paths" in on[e] or "paths-ignore" in on[e])}
