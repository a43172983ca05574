"""`repo-migrate explain`: which workflows of a repository run for a change, and why.

A read-only command: ``plan(settings)`` is the whole of it (there is nothing to apply). With
``--commits`` the workflow files are read from commit B (GitHub runs the workflows of the pushed
commit); otherwise from the working tree. A subfolder of a repository is explained from the
repository's root (GitHub reads only the root's ``.github/workflows``). The report is
``migrate.explanation.Explanation``; every workflow GitHub would refuse (YAML it cannot read, a
key written twice, an unknown event, an invalid glob, a filter beside its ``-ignore`` twin) is
an ERROR row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migrate import gitops
from migrate.errors import Refused
from migrate.events import Event, check_event
from migrate.explanation import (
    Explanation,
    WorkflowResult,
    changed_files,
    default_ref,
    repository_root,
    split_range,
)
from migrate.workflows import read_workflows

COMMAND = "explain"
EVENTS = ("push", "pull_request", "workflow_dispatch")


@dataclass(frozen=True)
class Settings:
    """The options of one explain run."""

    repo: Path
    event: str = "push"
    ref: str | None = None  # None: explanation.default_ref
    changed: tuple[str, ...] = ()
    commits: str | None = None  # "A..B"


def _check_paths(changed: tuple[str, ...]) -> None:
    for path in changed:
        if path.startswith("/") or "\\" in path or path in ("", ".") or ".." in path.split("/"):
            raise Refused(
                f"changed path {path!r} is not a repository-relative path",
                "give paths relative to the repository root with '/' (e.g. infra/variables.yml)",
            )


def plan(settings: Settings) -> Explanation:
    """Evaluate every workflow of ``settings.repo`` for the described event (changes nothing)."""
    if not settings.repo.is_dir():
        raise Refused(f"{settings.repo} is not a directory", "pass --repo with a repository's path")
    repo = repository_root(settings.repo)
    if not settings.commits and gitops.is_bare(repo):
        raise Refused(f"{repo} is a bare repository: it has no working tree to read workflows from",
                      "pass --commits A..B to read them from commits, or run in a clone")
    if settings.event not in EVENTS:
        raise Refused(f"unknown event {settings.event!r}", f"use one of: {', '.join(EVENTS)}")
    if settings.commits and settings.changed:
        raise Refused(
            "--changed and --commits both give the changed files",
            "give either --changed PATH (repeatable) or --commits A..B",
        )
    changed = tuple(settings.changed)
    count = 1
    rev: str | None = None
    if settings.commits:
        gitops.check_repo(repo)
        changed, count = changed_files(repo, settings.commits, settings.event)
        rev = split_range(settings.commits)[1]
    _check_paths(changed)
    event = Event(
        name=settings.event,
        ref=settings.ref or default_ref(repo, settings.event, settings.commits),
        changed=changed,
        commit_count=count,
    )
    check_event(event)
    results = tuple(WorkflowResult(w.file, w.decide(event)) for w in read_workflows(repo, rev))
    root = repo if repo.resolve() != settings.repo.resolve() else None
    return Explanation(event=event, commits=settings.commits, workflows=results, root=root)
