"""History rewriting in scratch clones: git-filter-repo with a progress bar, never on a user repo.

API
---
- ``clone_for_rewrite(source, dest, branch, only_reachable=False)``: a local clone of one
  branch, no tags, no remote left, ready for filter-repo (git hardlinks the immutable object
  files, so nothing is copied and the source is never written to); ``only_reachable`` copies
  just that branch's objects instead.
- ``rewriting(work, args, *, progress)``: the same started, as a context manager yielding the
  function that waits for the end (leaving the block early stops filter-repo).
- ``filter_repo(work, args, *, progress)``: run git-filter-repo (the pinned Python module, as a
  subprocess) in *work* with *args*; on a terminal (``progress=True``) a bar counts the commits
  parsed, otherwise it is quiet. Raises ``GitFailed`` with its output when it fails; Ctrl-C or
  SIGTERM stops it with its git processes (``migrate.interrupts``).
- ``commit_map(work)``: the path of the ``old new`` commit map filter-repo wrote.
- ``count_commits(repo, rev, *paths)``: commits reachable from *rev* (touching *paths*), counted
  once per process for a commit id.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from migrate import gitops, interrupts
from migrate.gitops import GitFailed

_PARSED = re.compile(rb"Parsed (\d+) commits")


def clone_for_rewrite(source: Path, dest: Path, branch: str, *, only_reachable: bool = False) -> None:
    """Clone *branch* of *source* into *dest* for rewriting; no tags, no remote.

    ``only_reachable`` copies just the objects of that branch (``--no-local``, slower) for a
    result that is kept as is; filter-repo's own clean-up drops the rest in the other case.
    """
    how = ["--no-local"] if only_reachable else []
    # No checkout: filter-repo checks out only what it keeps, and a kept clone is checked out
    # once, at its final commit (publish.advance_branch).
    gitops.git(source, "clone", "-q", "--no-checkout", *how, "--no-tags", "--single-branch",
               "--branch", branch, str(source), str(dest))
    # Not `git remote remove`: git 2.39's `git remote` ignores core.hooksPath, and deleting the
    # remote's refs would run a reference-transaction hook of the repository.
    gitops.git(dest, "config", "--remove-section", "remote.origin")
    gitops.git(dest, "symbolic-ref", "--delete", "refs/remotes/origin/HEAD", check=False)
    refs = gitops.git(dest, "for-each-ref", "--format=delete %(refname)", "refs/remotes/origin/")
    gitops.git(dest, "update-ref", "--no-deref", "--stdin", input=refs)


_COUNTS: dict[tuple[str, str, tuple[str, ...]], int] = {}


def count_commits(repo: Path, rev: str = "HEAD", *paths: str) -> int:
    """How many commits are reachable from *rev* (and touch *paths*, with git's simplification).

    Counted once per process for a commit id (it cannot change): a command may count ahead, in
    a thread, what its post-conditions will ask for.
    """
    key = (str(repo), rev, paths)
    if key in _COUNTS:
        return _COUNTS[key]
    args = ["rev-list", "--count", rev] + (["--", *paths] if paths else [])
    count = int(gitops.git(repo, *args).strip())
    if gitops.is_commit_id(rev):
        _COUNTS[key] = count
    return count


class _Bar:
    """A one-line progress bar on *stream* (a terminal)."""

    def __init__(self, stream: TextIO, label: str, total: int) -> None:
        self.stream, self.label, self.total, self.last = stream, label, max(total, 1), -1

    def update(self, done: int) -> None:
        pct = min(100, done * 100 // self.total)
        if pct == self.last:
            return
        self.last = pct
        filled = pct * 30 // 100
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] "
                          f"{min(done, self.total)}/{self.total} commits")
        self.stream.flush()

    def close(self) -> None:
        self.update(self.total)
        self.stream.write("\n")
        self.stream.flush()


def filter_repo(work: Path, args: list[str], *, progress: bool = False,
                label: str = "rewriting history") -> None:
    """Run git-filter-repo in the scratch clone *work* (never in a user's repository)."""
    with rewriting(work, args, progress=progress, label=label) as finished:
        finished()


@contextmanager
def rewriting(work: Path, args: list[str], *, progress: bool = False,
              label: str = "rewriting history") -> Iterator[Callable[[], None]]:
    """Start git-filter-repo in the scratch clone *work* and go on; the block calls the function
    it yields to wait for the end (GitFailed if it failed). Leaving the block early (a refusal,
    a signal) stops filter-repo with its children."""
    cmd = [sys.executable, "-m", "git_filter_repo", "--force", *args]
    bar = _Bar(sys.stderr, label, count_commits(work)) if progress else None
    output = bytearray()
    with interrupts.started(cmd, cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=gitops.git_env()) as proc:
        assert proc.stdout is not None
        stream = proc.stdout

        def drain() -> None:
            # Read all the while, so that filter-repo never waits on a full pipe.
            while chunk := stream.read1(65536):  # type: ignore[attr-defined]
                output.extend(chunk)
                if bar is not None:
                    found = _PARSED.findall(bytes(output[-4096:]))
                    if found:
                        bar.update(int(found[-1]))

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()

        def finished() -> None:
            interrupts.kill_point("filter-repo-running")
            code = proc.wait()
            reader.join()
            if bar is not None:
                bar.close()
            if code != 0:
                raise GitFailed(f"git-filter-repo {' '.join(args)} failed (exit {code}):\n"
                                + output.decode(errors="replace"))

        yield finished


def commit_map(work: Path) -> Path:
    """The commit map (``old new`` per line) filter-repo wrote in *work*."""
    return gitops.git_dir(work) / "filter-repo" / "commit-map"
