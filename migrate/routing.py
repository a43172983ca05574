"""Routing post-conditions: each variables file reaches exactly one trigger workflow, whatever
the trigger kind.

Every command that reads or changes workflows or variables files asks here, with GitHub's own
rules (`migrate.events`) over the one workflow reader (`migrate.workflows`) and what each trigger
workflow's script dispatches (`migrate.trigger_reach`). Broken routing is: a workflow GitHub
would refuse; an event (a push changing one variables file, a push changing none, a tag push,
a manual run) that dispatches one variables file from several trigger workflows (a double
apply); or a variables file that no event dispatches at all. A source already broken is refused
before any work (``Refused``, exit 3); a result that breaks it fails its post-condition
(``VerificationFailed``, exit 4, nothing published).

API
---
- ``Problem(kind, text, file)``: one way routing is broken (kind: invalid, double, unreached).
- ``routing_problems(workflows, variables, ref)``: every problem of these parsed workflows.
- ``senders(workflows, path, variables, ref)``: the trigger workflows known to send *path*.
- ``workflow_files(files)``: the parsed workflows among ``{path: bytes}``.
- ``workflows_run_for(repo, changed, event="push", ref=..., rev=None)``: the workflow files that
  run for a change of *changed*.
- ``trigger_routing(repo, files, ref=..., rev=None)``: for each file pushed alone to *ref*, the
  trigger workflows (``trigger-infra*``) that run.
- ``check_trigger_routing(repo, variables, ref=..., rev=None)``: no problem, or
  ``VerificationFailed`` naming each.
- ``refuse_broken_routing(repo, variables, branch, rev=None)``: the same, as a refusal of a source
  (read from *rev*, else HEAD); with no trigger workflow only invalid workflows count.
- ``check_routing(repo, variables, branch, where, rev=None)``: the same in a result, named *where*.
- ``refuse_broken_result(before, after, variables, ref, what, keep_existing=(), fix=None)``:
  refuse a planned change (``{path: bytes}`` of the workflows before and after) whose result has
  a problem, saying which were there already.
- ``check_no_trigger_runs(repo, files, branch, where, rev=None)``: no trigger workflow runs for any
  of *files* (an app repository has no infra).
- ``branch_ref(branch)``: ``refs/heads/<branch>`` (``main`` when None).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from migrate import contract
from migrate.errors import Refused, VerificationFailed
from migrate.events import Event
from migrate.trigger_reach import Probe, probes, reached
from migrate.workflows import Workflow, parse_workflow, read_workflows

MAIN = "refs/heads/main"


@dataclass(frozen=True)
class Problem:
    """One way the routing is broken: a workflow GitHub refuses (invalid), a variables file one
    event dispatches from several trigger workflows (double), or one nothing dispatches
    (unreached)."""

    kind: str
    text: str
    file: str | None = None  # the variables file (double, unreached) or workflow (invalid)
    probe: Probe | None = None


def branch_ref(branch: str | None) -> str:
    """The full ref of *branch* (``refs/heads/main`` when there is none)."""
    return f"refs/heads/{branch or 'main'}"


def workflow_files(files: Mapping[str, bytes]) -> list[Workflow]:
    """The workflows GitHub reads among *files*, parsed, sorted by path."""
    return [parse_workflow(p, files[p]) for p in sorted(files) if contract.is_workflow_file(p)]


def routing_problems(workflows: Sequence[Workflow], variables: Iterable[str],
                     ref: str = MAIN) -> list[Problem]:
    """Every problem of *workflows* for the variables files *variables* (see the module)."""
    found = [Problem("invalid", f"{w.file} is invalid: {w.error.error}", w.file)
             for w in workflows if w.error is not None]
    files = sorted(variables)
    triggers = [w for w in workflows if contract.is_trigger_workflow(w.file) and w.error is None]
    reached_by: dict[str, set[str]] = {f: set() for f in files}
    doubles: set[tuple[str, tuple[str, ...]]] = set()
    for probe in probes(triggers, ref):
        for path in files:
            event = probe.with_file(path)
            sends = [(w.file, reached(w, event, files)) for w in triggers]
            sending = tuple(name for name, got in sends if got is not None and path in got)
            # A hand-written trigger that runs but names no file may send this one: it counts
            # as reaching it, never towards sending it twice.
            if sending or any(got is None for _, got in sends):
                reached_by[path].add(probe.kind)
            if len(sending) > 1 and (path, sending) not in doubles:
                doubles.add((path, sending))
                found.append(Problem(
                    "double", f"{probe.says(path)} dispatches {'it' if probe.one_file else path} "
                    f"from {len(sending)} trigger workflows ({', '.join(sending)}), not exactly "
                    "one", path, probe))
    found += [Problem("unreached", f"no trigger workflow dispatches {path} (no push, tag push or "
                      "manual run sends it)", path)
              for path, kinds in reached_by.items() if not kinds]
    return found


def senders(workflows: Sequence[Workflow], path: str, variables: Iterable[str],
            ref: str = MAIN) -> set[str]:
    """The trigger workflows known to send *path* for some event of some trigger kind."""
    files = sorted(variables)
    triggers = [w for w in workflows if contract.is_trigger_workflow(w.file) and w.error is None]
    found: set[str] = set()
    for probe in probes(triggers, ref):
        event = probe.with_file(path)
        for w in triggers:
            got = reached(w, event, files)
            if got is not None and path in got:
                found.add(w.file)
    return found


def _explain_hint(repo: Path | None, problems: Sequence[Problem]) -> str:
    """The explain command that shows the first problem's event."""
    first = next((p for p in problems if p.kind != "invalid"), None)
    base = "repo-migrate explain" + (f" --repo {repo}" if repo else "")
    if first is None:
        return base
    if first.probe is None:  # unreached: how a push of it fares is the first thing to see
        return f"{base} --changed {first.file}"
    event = first.probe.event
    if first.probe.kind == "manual":
        return f"{base} --event workflow_dispatch"
    changed = f" --changed {first.file}" if first.probe.one_file else ""
    return f"{base} --ref {event.ref}{changed}"


def workflows_run_for(repo: Path, changed: Sequence[str], event: str = "push", ref: str = MAIN,
                      rev: str | None = None) -> list[str]:
    """The workflow files of *repo* (working tree, or commit *rev*) that run for *changed*."""
    ev = Event(event, ref, tuple(changed))
    return [w.file for w in read_workflows(repo, rev) if w.decide(ev).runs]


def trigger_routing(repo: Path, files: Iterable[str], ref: str = MAIN,
                    rev: str | None = None) -> dict[str, list[str]]:
    """For each file pushed alone to *ref*: the trigger workflows that run."""
    triggers = [w for w in read_workflows(repo, rev) if contract.is_trigger_workflow(w.file)]
    return {f: [w.file for w in triggers if w.decide(Event("push", ref, (f,))).runs] for f in files}


def check_trigger_routing(repo: Path, variables: Iterable[str], ref: str = MAIN,
                          rev: str | None = None) -> None:
    """Each variables file reaches exactly one trigger workflow for every trigger kind, and no
    workflow is one GitHub would refuse; else VerificationFailed naming every problem."""
    problems = routing_problems(read_workflows(repo, rev), variables, ref)
    if problems:
        raise VerificationFailed(
            "infra changes no longer reach exactly one trigger workflow per variables file: "
            + "; ".join(p.text for p in problems),
            f"check the trigger workflows' triggers ({_explain_hint(None, problems)})")


def refuse_broken_routing(repo: Path, variables: Iterable[str], branch: str | None,
                          rev: str | None = None) -> None:
    """Refuse a source whose routing is already broken, before any work (the result would be too).

    Read from commit *rev* (HEAD when None). Without trigger workflows only workflows GitHub
    would refuse count (there is no routing to keep).
    """
    workflows = read_workflows(repo, rev or "HEAD")
    has_triggers = any(contract.is_trigger_workflow(w.file) for w in workflows)
    problems = routing_problems(workflows, variables if has_triggers else (), branch_ref(branch))
    if problems:
        raise Refused(
            f"the workflows of {repo} are already broken: {'; '.join(p.text for p in problems)} "
            "(a migration keeps every workflow valid and each variables file reaching exactly "
            "one trigger workflow)",
            f"see which workflows run with {_explain_hint(repo, problems)}; make each variables "
            "file reach exactly one valid trigger-infra workflow and fix any workflow it reports "
            "as ERROR, commit, then run again")


def check_routing(repo: Path, variables: Iterable[str], branch: str | None, where: str,
                  rev: str | None = None) -> None:
    """In a result: each variables file reaches exactly one trigger workflow, all valid."""
    try:
        check_trigger_routing(repo, variables, branch_ref(branch), rev)
    except VerificationFailed as exc:
        raise VerificationFailed(f"{where}: {exc.problem}",
                                 f"nothing was published; {exc.fix}") from None


def refuse_broken_result(before: Mapping[str, bytes], after: Mapping[str, bytes],
                         variables: Iterable[str], ref: str, what: str,
                         keep_existing: Collection[str] = (), fix: str | None = None) -> None:
    """Refuse a planned change whose result has a routing problem.

    *before* and *after* map paths to bytes (files the change leaves alone appear only in
    *before*). A problem of a kind in *keep_existing* that the source had already is let be;
    every other is refused, saying which were so already.
    """
    files = sorted(variables)
    old = {p.text for p in routing_problems(workflow_files(before), files, ref)}
    result = routing_problems(workflow_files({**before, **after}), files, ref)
    blocking = [p for p in result if not (p.kind in keep_existing and p.text in old)]
    if blocking:
        already = all(p.text in old for p in blocking)
        raise Refused(
            f"after {what}, " + "; ".join(
                p.text + (" (so already before)" if p.text in old else "") for p in blocking),
            fix if fix and not already else
            f"{'the workflows are already so: ' if already else ''}make each variables file "
            "reach exactly one valid trigger-infra workflow (see which run with "
            f"{_explain_hint(None, blocking)}), or include every workflow involved in this "
            "change; commit, then run again")


def check_no_trigger_runs(repo: Path, files: Iterable[str], branch: str | None, where: str,
                          rev: str | None = None) -> None:
    """In a result: no trigger workflow runs for a push of any of *files*."""
    routing = trigger_routing(repo, sorted(files), branch_ref(branch), rev)
    running = {f: r for f, r in routing.items() if r}
    if running:
        shown = "; ".join(f"{f} runs {', '.join(r)}" for f, r in list(running.items())[:5])
        raise VerificationFailed(f"{where} would still dispatch infra changes: {shown}",
                                 "nothing was published; please report this (with the "
                                 "repository's layout) as a bug")
