"""Routing post-conditions: which trigger workflows a change to a variables file reaches.

Every command that changes workflows or variables files asks here, with GitHub's own rules
(`migrate.events`) over the one workflow reader (`migrate.workflows`), whether each variables file
still reaches exactly one trigger workflow. A source whose routing is already broken is refused
before any work (``Refused``, exit 3); a result that breaks it fails its post-condition
(``VerificationFailed``, exit 4, nothing published).

API
---
- ``workflows_run_for(repo, changed, event="push", ref=..., rev=None)``: the workflow files that
  run for a change of *changed*.
- ``trigger_routing(repo, files, ref=..., rev=None)``: for each file pushed alone to *ref*, the
  trigger workflows (``trigger-infra*``) that run.
- ``check_trigger_routing(repo, variables, ref=..., rev=None)``: each variables file pushed alone
  runs exactly one trigger workflow, and no workflow is one GitHub would refuse.
- ``refuse_broken_routing(repo, variables, branch, rev=None)``: the same, as a refusal of a source.
- ``check_routing(repo, variables, branch, where, rev=None)``: the same in a result, named *where*.
- ``check_no_trigger_runs(repo, files, branch, where, rev=None)``: no trigger workflow runs for any
  of *files* (an app repository has no infra).
- ``check_no_double_dispatch(before, after, variables, ref)``: refuse an edit after which a push
  of one variables file runs several of the workflows where it ran at most one.
- ``branch_ref(branch)``: ``refs/heads/<branch>`` (``main`` when None).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from migrate import contract
from migrate.errors import Refused, VerificationFailed
from migrate.events import Event
from migrate.workflows import Workflow, parse_workflow, read_workflows

MAIN = "refs/heads/main"


def branch_ref(branch: str | None) -> str:
    """The full ref of *branch* (``refs/heads/main`` when there is none)."""
    return f"refs/heads/{branch or 'main'}"


def workflows_run_for(repo: Path, changed: Sequence[str], event: str = "push", ref: str = MAIN,
                      rev: str | None = None) -> list[str]:
    """The workflow files of *repo* (working tree, or commit *rev*) that run for *changed*."""
    ev = Event(event, ref, tuple(changed))
    return [w.file for w in read_workflows(repo, rev) if w.decide(ev).runs]


def _triggers(repo: Path, rev: str | None) -> list[Workflow]:
    return [w for w in read_workflows(repo, rev) if contract.is_trigger_workflow(w.file)]


def trigger_routing(repo: Path, files: Iterable[str], ref: str = MAIN,
                    rev: str | None = None) -> dict[str, list[str]]:
    """For each file pushed alone to *ref*: the trigger workflows that run."""
    triggers = _triggers(repo, rev)
    return {f: [w.file for w in triggers if w.decide(Event("push", ref, (f,))).runs] for f in files}


def check_trigger_routing(repo: Path, variables: Iterable[str], ref: str = MAIN,
                          rev: str | None = None) -> None:
    """A push changing each variables file alone runs exactly one trigger workflow.

    Raises VerificationFailed naming every file that reaches none or several, and every workflow
    GitHub would refuse.
    """
    problems = [f"{w.file} is invalid: {w.error.error}"
                for w in read_workflows(repo, rev) if w.error is not None]
    for path, running in trigger_routing(repo, variables, ref, rev).items():
        if len(running) != 1:
            problems.append(f"a change to {path} runs {len(running)} trigger workflows"
                            + (f" ({', '.join(running)})" if running else "") + ", not exactly one")
    if problems:
        raise VerificationFailed(
            "infra changes no longer reach exactly one trigger workflow per variables file: "
            + "; ".join(problems),
            "check the trigger workflows' on.push.paths (repo-migrate explain --changed <file>)")


def refuse_broken_routing(repo: Path, variables: Iterable[str], branch: str | None,
                          rev: str | None = None) -> None:
    """Refuse a source whose routing is already broken, before any work (the result would be too).

    Broken: a push of one of *variables* runs zero or several trigger workflows, or a workflow is
    one GitHub would refuse (with no *variables*, only the latter is checked).
    """
    files = sorted(variables)
    try:
        check_trigger_routing(repo, files, branch_ref(branch), rev)
    except VerificationFailed as exc:
        details = exc.problem.split("per variables file: ", 1)[-1]
        raise Refused(
            f"the workflows of {repo} are already broken: {details} (a migration keeps every "
            "workflow valid and each variables file reaching exactly one trigger workflow)",
            f"see which workflows run with repo-migrate explain --repo {repo} --changed "
            f"{files[0] if files else 'infra/variables.yml'}; make each variables file reach exactly "
            "one valid trigger-infra workflow and fix any workflow it reports as ERROR, commit, "
            "then run again") from None


def check_routing(repo: Path, variables: Iterable[str], branch: str | None, where: str,
                  rev: str | None = None) -> None:
    """In a result: a push of each variables file alone runs exactly one trigger workflow."""
    try:
        check_trigger_routing(repo, variables, branch_ref(branch), rev)
    except VerificationFailed as exc:
        raise VerificationFailed(f"{where}: {exc.problem}",
                                 f"nothing was published; {exc.fix}") from None


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


def check_no_double_dispatch(before: Mapping[str, bytes], after: Mapping[str, bytes],
                             variables: Iterable[str], ref: str) -> None:
    """Refuse an edit after which a push of one variables file runs several of the workflows
    (each would dispatch it: double apply) where it ran at most one before."""
    old = [parse_workflow(name, data) for name, data in before.items()]
    new = [parse_workflow(name, after.get(name, data)) for name, data in before.items()]

    def running(workflows: list[Workflow], path: str) -> list[str]:
        event = Event("push", ref, (path,))
        return [w.file for w in workflows if w.unreadable is None and w.decide(event).runs]

    for path in variables:
        now = running(new, path)
        if len(now) > 1 and len(running(old, path)) <= 1:
            raise Refused(
                f"after this change a push of {path} would run {len(now)} of these workflows "
                f"({', '.join(now)}): each would dispatch it (double apply)",
                "change one workflow at a time with --workflow, or give each its own --paths")
