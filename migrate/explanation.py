"""What `repo-migrate explain` finds: the event evaluated and one decision per workflow file.

The changed files come from ``--changed`` or from git for ``--commits A..B``: a two-dot diff for
a push (GitHub compares the pushed head with the previous one directly) and a three-dot diff
(from the merge base) for a pull request, as GitHub does. Renames count as a deletion and an
addition, so a file moved out of a filtered folder still counts there.

API
---
- ``WorkflowResult(file, decision)``; ``Explanation(event, commits, workflows, ...)``
  with ``running``, ``invalid`` and ``check_valid()`` (``Refused`` naming each workflow GitHub
  would refuse: exit code 3, after the report).
- ``changed_files(repo, commits, event)``: the files of ``A..B`` as GitHub lists them, and the
  number of commits.
- ``split_range(commits)``: ``(A, B)`` of ``A..B`` (refused otherwise).
- ``default_ref(repo, event, commits)``: the ref when none is given: the branch or tag the
  range names (B for a push, A for a pull request; a pull request's base is a branch), else the
  current branch.
- ``repository_root(path)``: the folder whose ``.github/workflows`` GitHub reads for *path*: the
  root of the git working tree holding it (a subfolder without workflows of its own), else *path*.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migrate import contract, gitops
from migrate.errors import Refused
from migrate.events import Decision, Event


@dataclass(frozen=True)
class WorkflowResult:
    """One workflow file and the decision for it."""

    file: str  # repository-relative, e.g. ".github/workflows/ci.yml"
    decision: Decision


@dataclass(frozen=True)
class Explanation:
    """Everything explain found: the event it evaluated and one result per workflow file."""

    event: Event
    commits: str | None
    workflows: tuple[WorkflowResult, ...]
    root: Path | None = None  # set when the workflows read are those of the repository root

    @property
    def running(self) -> list[str]:
        """The workflow files that would run."""
        return [w.file for w in self.workflows if w.decision.runs]

    @property
    def invalid(self) -> list[WorkflowResult]:
        """The workflows GitHub would refuse (they never run)."""
        return [w for w in self.workflows if w.decision.error is not None]

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


def split_range(commits: str) -> tuple[str, str]:
    """The two ends of ``A..B``; refused when *commits* is not such a range."""
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
    base, head = (_resolve(repo, r) for r in split_range(commits))
    if event == "pull_request":
        merge_base = gitops.git(repo, "merge-base", base, head, check=False).strip()
        if not merge_base:
            raise Refused(
                f"{commits!r} has no merge base, so there is no pull request diff",
                "give a head that shares history with the base branch",
            )
        base = merge_base
    raw = gitops.git(repo, "diff", "--name-only", "--no-renames", "--no-ext-diff", "-z", base, head)
    files = tuple(p for p in raw.split("\0") if p)
    count = int(gitops.git(repo, "rev-list", "--count", f"{base}..{head}").strip())
    return files, count


def _named_ref(repo: Path, name: str, kinds: tuple[str, ...]) -> str | None:
    """The full ref *name* names among refs/<kind>/ (a full ref as given, else heads before tags)."""
    wanted = [name] if name.startswith(tuple(f"refs/{k}/" for k in kinds)) else [
        f"refs/{k}/{name}" for k in kinds]
    for ref in wanted:
        if gitops.git(repo, "rev-parse", "--verify", "--quiet", ref, check=False).strip():
            return ref
    return None


def default_ref(repo: Path, event: str, commits: str | None) -> str:
    """The ref when --ref is not given: the branch or tag the range names, else the current branch.

    A pull request's ref is its base branch: A of A..B. A push's is what was pushed: B, a branch
    or a tag (a tag push: GitHub then skips path filters and matches on.push.tags).
    """
    if (repo / ".git").exists():
        if commits:
            base, head = split_range(commits)
            named = _named_ref(repo, base, ("heads",)) if event == "pull_request" else (
                _named_ref(repo, head, ("heads", "tags")))
            if named is not None:
                return named
        branch = gitops.current_branch(repo)
        if branch and event != "pull_request":
            return f"refs/heads/{branch}"
    return "refs/heads/main"


def repository_root(path: Path) -> Path:
    """Where GitHub reads the workflows for *path*: the root of its git working tree when *path*
    is a subfolder without ``.github/workflows`` of its own, else *path* itself."""
    if (path / contract.WORKFLOWS_DIR).is_dir():
        return path
    top = gitops.git(path, "rev-parse", "--show-toplevel", check=False).strip()
    return Path(top) if top else path
