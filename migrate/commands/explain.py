"""`repo-migrate explain`: which workflows of a repository run for a change, and why.

The changed files come from ``--changed`` or from git for ``--commits A..B``: a two-dot diff
for a push (GitHub compares the pushed head with the previous one directly) and a three-dot
diff (from the merge base) for a pull request, as GitHub does. Renames count as a deletion and
an addition, so a file moved out of a filtered folder still counts there.

With ``--commits`` the workflow files are read from commit B (GitHub runs the workflows of the
pushed commit); otherwise from the working tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate import gitops
from migrate.errors import Refused, VerificationFailed
from migrate.events import MAX_FILES, Decision, Event, check_event, decide, load_workflow

WORKFLOWS_DIR = ".github/workflows"
TRIGGER_PREFIX = "trigger-infra"  # trigger-infra.yml, trigger-infra-<region>.yml
EVENTS = ("push", "pull_request", "workflow_dispatch")


@dataclass(frozen=True)
class ExplainSettings:
    """The options of one explain run."""

    repo: Path
    event: str = "push"
    ref: str | None = None  # None: see _default_ref
    changed: tuple[str, ...] = ()
    commits: str | None = None  # "A..B"


@dataclass(frozen=True)
class WorkflowResult:
    """One workflow file and the decision for it."""

    file: str  # repository-relative, e.g. ".github/workflows/ci.yml"
    decision: Decision


@dataclass(frozen=True)
class ExplainResult:
    """Everything explain found: the event it evaluated and one result per workflow file."""

    event: Event
    commits: str | None
    workflows: tuple[WorkflowResult, ...]

    @property
    def running(self) -> list[str]:
        """The workflow files that would run."""
        return [w.file for w in self.workflows if w.decision.runs]

    @property
    def invalid(self) -> list[WorkflowResult]:
        """The workflows GitHub would refuse (they never run)."""
        return [w for w in self.workflows if w.decision.error is not None]

    def to_json(self) -> dict[str, Any]:
        """The --json document: {"workflows": [{"file", "runs", "reason", ...}], ...}."""
        return {
            "event": self.event.name,
            "ref": self.event.ref,
            "commits": self.commits,
            "commit_count": self.event.commit_count if self.commits else None,
            "changed": list(self.event.changed),
            "counted_files": min(len(self.event.changed), MAX_FILES),
            "workflows": [
                {
                    "file": w.file,
                    "runs": w.decision.runs,
                    "reason": w.decision.reason,
                    "filter": w.decision.filter,
                    "pattern": w.decision.pattern,
                    "error": w.decision.error,
                    "fix": w.decision.fix,
                }
                for w in self.workflows
            ],
        }

    def check_valid(self) -> None:
        """Raise Refused naming every workflow GitHub would refuse (exit code 3)."""
        bad = self.invalid
        if bad:
            names = ", ".join(w.file for w in bad)
            raise Refused(
                f"{len(bad)} workflow{'s' if len(bad) != 1 else ''} GitHub would refuse "
                f"(never run): {names}",
                "; ".join(f"{w.file}: {w.decision.fix}" for w in bad if w.decision.fix)
                or "fix the error shown for each one in the report above",
            )


def _split_range(commits: str) -> tuple[str, str]:
    base, sep, head = commits.partition("..")
    if not sep or head.startswith(".") or not base or not head:
        raise Refused(
            f"--commits {commits!r} is not a range A..B",
            "give two commits separated by two dots, e.g. --commits main~3..main",
        )
    return base, head


def _resolve(repo: Path, rev: str) -> str:
    out = gitops.git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    if not out.strip():
        raise Refused(f"{rev!r} is not a commit in {repo}", "give a commit, branch or tag name")
    return out.strip()


def changed_files(repo: Path, commits: str, event: str = "push") -> tuple[tuple[str, ...], int]:
    """The files changed in *commits* (A..B) as GitHub lists them for *event*, and the commit count."""
    base, head = (_resolve(repo, r) for r in _split_range(commits))
    if event == "pull_request":
        merge_base = gitops.git(repo, "merge-base", base, head, check=False).strip()
        if not merge_base:
            raise Refused(
                f"{commits!r} has no merge base, so there is no pull request diff",
                "give a head that shares history with the base branch",
            )
        base = merge_base
    raw = gitops.git(
        repo, "diff", "--name-only", "--no-renames", "--no-ext-diff", "-z", base, head
    )
    files = tuple(p for p in raw.split("\0") if p)
    count = int(gitops.git(repo, "rev-list", "--count", f"{base}..{head}").strip())
    return files, count


def _default_ref(repo: Path, event: str, commits: str | None) -> str:
    """The ref when --ref is not given: the branch the range names, else the current branch.

    A pull request's ref is its base branch: A of A..B. A push's is the pushed branch: B.
    """
    if (repo / ".git").exists():
        if commits:
            base, head = _split_range(commits)
            named = base if event == "pull_request" else head
            if gitops.branch_exists(repo, named):
                return f"refs/heads/{named}"
        branch = gitops.current_branch(repo)
        if branch and event != "pull_request":
            return f"refs/heads/{branch}"
    return "refs/heads/main"


def _workflow_texts(repo: Path, rev: str | None) -> dict[str, bytes]:
    """{".github/workflows/<name>": bytes} of the workflow files GitHub reads (top level only)."""
    if rev is not None:
        files = gitops.read_tree(repo, rev, WORKFLOWS_DIR + "/")
    else:
        folder = repo / WORKFLOWS_DIR
        files = {
            f"{WORKFLOWS_DIR}/{p.name}": p.read_bytes()
            for p in (folder.iterdir() if folder.is_dir() else ())
            if p.is_file()
        }
    return {
        path: data
        for path, data in sorted(files.items())
        if "/" not in path[len(WORKFLOWS_DIR) + 1 :] and path.endswith((".yml", ".yaml"))
    }


@dataclass(frozen=True)
class Workflow:
    """One workflow file as GitHub reads it: its ``on`` value, or why GitHub cannot read it."""

    file: str
    on: Any = None
    unreadable: Decision | None = None

    def decide(self, event: Event) -> Decision:
        """Whether this workflow runs for *event*, and why."""
        return self.unreadable or decide(self.on, event)


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


def read_workflows(repo: Path, rev: str | None = None) -> tuple[Workflow, ...]:
    """The workflows of *repo*'s working tree (or of commit *rev*), sorted by file name."""
    return tuple(parse_workflow(path, data) for path, data in _workflow_texts(repo, rev).items())


def explain(settings: ExplainSettings) -> ExplainResult:
    """Evaluate every workflow of ``settings.repo`` for the described event."""
    repo = settings.repo
    if not repo.is_dir():
        raise Refused(f"{repo} is not a directory", "pass --repo with a repository's path")
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
        rev = _split_range(settings.commits)[1]
    for path in changed:
        if path.startswith("/") or "\\" in path or path in ("", ".") or ".." in path.split("/"):
            raise Refused(
                f"changed path {path!r} is not a repository-relative path",
                "give paths relative to the repository root with '/' (e.g. infra/variables.yml)",
            )
    event = Event(
        name=settings.event,
        ref=settings.ref or _default_ref(repo, settings.event, settings.commits),
        changed=changed,
        commit_count=count,
    )
    check_event(event)
    results = tuple(WorkflowResult(w.file, w.decide(event)) for w in read_workflows(repo, rev))
    return ExplainResult(event=event, commits=settings.commits, workflows=results)


def workflows_run_for(
    repo_dir: Path,
    changed: list[str] | tuple[str, ...],
    event: str = "push",
    ref: str = "refs/heads/main",
) -> list[str]:
    """The workflow files of *repo_dir*'s working tree that run for *changed* (a post-condition API)."""
    result = explain(ExplainSettings(repo=Path(repo_dir), event=event, ref=ref, changed=tuple(changed)))
    return result.running


def trigger_routing(
    repo_dir: Path, files: list[str] | tuple[str, ...], ref: str = "refs/heads/main"
) -> dict[str, list[str]]:
    """For each file pushed alone to *ref*: the trigger workflows (trigger-infra*) that run."""
    workflows = [
        w for w in read_workflows(Path(repo_dir))
        if w.file.startswith(f"{WORKFLOWS_DIR}/{TRIGGER_PREFIX}")
    ]
    return {
        f: [w.file for w in workflows if w.decide(Event("push", ref, (f,))).runs] for f in files
    }


def check_trigger_routing(
    repo_dir: Path, variables_files: list[str] | tuple[str, ...], ref: str = "refs/heads/main"
) -> None:
    """Post-condition: a push changing each variables file alone runs exactly one trigger workflow.

    Raises VerificationFailed naming every file that reaches none or several, and every
    workflow GitHub would refuse.
    """
    invalid = [w for w in read_workflows(Path(repo_dir)) if w.decide(Event("push", ref)).error]
    problems = [f"{w.file} is invalid: {w.decide(Event('push', ref)).error}" for w in invalid]
    for path, running in trigger_routing(repo_dir, variables_files, ref).items():
        if len(running) != 1:
            problems.append(
                f"a change to {path} runs {len(running)} trigger workflows"
                + (f" ({', '.join(running)})" if running else "")
                + ", not exactly one"
            )
    if problems:
        raise VerificationFailed(
            "infra changes no longer reach exactly one trigger workflow per variables file: "
            + "; ".join(problems),
            "check the trigger workflows' on.push.paths (repo-migrate explain --changed <file>)",
        )


def format_table(result: ExplainResult) -> str:
    """A readable, aligned table of the result (what the CLI prints without --json)."""
    ev = result.event
    n = len(ev.changed)
    head = f"{ev.name} {ev.ref}"
    if ev.name != "workflow_dispatch":
        head += f", {n} changed file{'s' if n != 1 else ''}"
        if result.commits:
            head += f" ({result.commits}, {ev.commit_count} commit{'s' if ev.commit_count != 1 else ''})"
    lines = [head]
    if not result.workflows:
        lines.append(f"no workflow files in {WORKFLOWS_DIR}")
        return "\n".join(lines) + "\n"
    rows = [
        (w.file, "ERROR" if w.decision.error else ("yes" if w.decision.runs else "no"),
         w.decision.reason)
        for w in result.workflows
    ]
    width = max(len("WORKFLOW"), *(len(r[0]) for r in rows))
    lines.append(f"{'WORKFLOW':<{width}}  RUNS   REASON")
    for (f, r, why), w in zip(rows, result.workflows):
        lines.append(f"{f:<{width}}  {r:<5}  {why}")
        if w.decision.fix:
            lines.append(f"{'':<{width}}  {'':<5}  fix: {w.decision.fix}")
    running = sum(1 for w in result.workflows if w.decision.runs)
    lines.append(f"{running} of {len(rows)} workflow{'s' if len(rows) != 1 else ''} would run")
    return "\n".join(lines) + "\n"


__all__ = [
    "ExplainResult",
    "ExplainSettings",
    "Workflow",
    "WorkflowResult",
    "changed_files",
    "check_trigger_routing",
    "explain",
    "format_table",
    "parse_workflow",
    "read_workflows",
    "trigger_routing",
    "workflows_run_for",
]
