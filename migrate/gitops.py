"""Git operations, run safely: never a hook, never a prompt, never a remote, never a forced ref.

API
---
- ``git(repo, *args, input=None, check=True) -> str`` / ``git_bytes(...) -> bytes``: run git in
  *repo* with ``-c core.hooksPath=/dev/null``, ``GIT_TERMINAL_PROMPT=0`` and
  ``GIT_OPTIONAL_LOCKS=0`` (so even ``git status`` never rewrites the user's index), as a child
  process Ctrl-C and SIGTERM stop (``migrate.interrupts``); a failure raises ``GitFailed`` (an
  unexpected error, with git's stderr), except git's refusal of a repository another user owns
  (``safe.directory``), which is ``Refused`` with the fix. ``run_git(repo, *args)`` returns the
  completed process instead of raising.
- ``git_env(extra=None)``: the environment of every git process, also those other tools start
  (git-filter-repo, Copier): the settings of ``SAFE_CONFIG`` as ``GIT_CONFIG_COUNT`` variables,
  no template for the repositories it creates (so no hook in them), and none of the variables
  that would point git at another repository.
- ``toplevel(path)``, ``git_dir(repo)``, ``head_sha(repo)``, ``current_branch(repo)``,
  ``branch_exists(repo, branch)``, ``is_shallow(repo)``, ``is_bare(path)``.
- ``skip_worktree_blobs(folder, prefix)`` -> ``{path: blob_sha}``: index entries git keeps out
  of the working tree (sparse checkout, ``--skip-worktree``), whose copy in git is the one that
  counts; ``{}`` outside a repository.
- ``ls_tree(repo, rev)`` -> ``{path: (mode, blob_sha)}`` and ``read_tree(repo, rev, prefix="")``
  -> ``{path: bytes}`` (one ``cat-file --batch`` for all blobs); ``read_file(repo, rev, path)``
  -> ``bytes | None``.
- ``dirty_paths(repo, *pathspecs)``: the uncommitted or untracked paths, whole (renames: both).
- Safety checks, each raising ``migrate.errors.Refused(problem, fix)``: ``check_repo``,
  ``check_has_commits``, ``check_no_operation_in_progress``, ``check_not_detached``,
  ``check_clean``, ``check_not_shallow``, ``check_branch_free``; and
  ``check_safe_to_start(repo, *, branch, need_history)`` running all of them in that order.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from pathlib import Path

from migrate import interrupts, scratch
from migrate.errors import Refused

_SAFE_PAIRS = (("core.hooksPath", "/dev/null"), ("core.fsmonitor", "false"))
SAFE_CONFIG = tuple(x for key, value in _SAFE_PAIRS for x in ("-c", f"{key}={value}"))
_DUBIOUS = b"detected dubious ownership"
_COMMIT_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
# Variables that would point git at another repository than the one we name.
_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
             "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_COMMON_DIR")


class GitFailed(RuntimeError):
    """A git command failed where it should not have (a bug or a broken environment)."""


@functools.lru_cache(maxsize=1)
def _filter_drivers() -> tuple[str, ...]:
    """The content filter drivers the user's git configuration names (and lfs, often set per
    repository by ``git lfs install --local``)."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    out = interrupts.run(["git", "config", "--name-only", "--get-regexp", r"^filter\..*\."],
                         env=env, cwd=Path("/")).stdout.decode(errors="replace")
    names = {line.split(".", 1)[1].rsplit(".", 1)[0] for line in out.splitlines() if line.count(".") >= 2}
    return tuple(sorted(names | {"lfs"}))


def git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for every git process we start."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_OPTIONAL_LOCKS"] = "0"
    # A repository we create copies no template: no hook lands in it to be run by a git command
    # that ignores core.hooksPath (git 2.39's `git remote` does).
    env["GIT_TEMPLATE_DIR"] = ""
    env.setdefault("GIT_ASKPASS", "true")
    # The same settings as SAFE_CONFIG, for git processes started by other tools (filter-repo).
    # A content filter (Git LFS) that cannot run, because it is not installed or has nothing to
    # download from, leaves a file as git stores it (an LFS pointer) instead of failing; its
    # one-shot clean/smudge commands run instead of a long-running process, whose failure git
    # cannot survive.
    settings = list(_SAFE_PAIRS)
    for name in _filter_drivers():
        settings += [(f"filter.{name}.required", "false"), (f"filter.{name}.process", "")]
    n = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    for i, (key, value) in enumerate(settings):
        env[f"GIT_CONFIG_KEY_{n + i}"] = key
        env[f"GIT_CONFIG_VALUE_{n + i}"] = value
    env["GIT_CONFIG_COUNT"] = str(n + len(settings))
    if extra:
        env.update(extra)
    return env


def refuse_dubious_ownership(repo: Path, stderr: bytes) -> None:
    """Refuse, naming the fix, when *stderr* is git's refusal of a repository another user owns."""
    if _DUBIOUS in stderr:
        # git names the folder its safe.directory setting must hold (the repository's top level).
        named = re.search(rb"dubious ownership in repository at '([^']*)'", stderr)
        where = named.group(1).decode(errors="replace") if named else str(repo.absolute())
        raise Refused(f"git refuses to work in {where}: it is owned by another user (git's "
                      "safe.directory check: \"detected dubious ownership\")",
                      f"if you trust it: git config --global --add safe.directory {where}; or "
                      "run as the user who owns it")


def run_git(repo: Path, *args: str, input: bytes | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``git -C repo args`` safely; the completed process, whatever its exit code."""
    cmd = ["git", *SAFE_CONFIG, "-C", str(repo), *args]
    proc = interrupts.run(cmd, input=input, env=git_env(env))
    if proc.returncode != 0:
        refuse_dubious_ownership(repo, proc.stderr)
    return proc


def git_bytes(repo: Path, *args: str, input: bytes | None = None, check: bool = True,
              env: dict[str, str] | None = None) -> bytes:
    """Run ``git -C repo args`` safely and return its stdout as bytes."""
    proc = run_git(repo, *args, input=input, env=env)
    if check and proc.returncode != 0:
        raise GitFailed(f"git {' '.join(args)} failed in {repo} (exit {proc.returncode}):\n"
                        + proc.stderr.decode(errors="replace"))
    return proc.stdout


def git(repo: Path, *args: str, input: str | None = None, check: bool = True,
        env: dict[str, str] | None = None) -> str:
    """Run ``git -C repo args`` safely and return its stdout as text."""
    data = git_bytes(repo, *args, input=None if input is None else input.encode(), check=check,
                     env=env)
    return data.decode("utf-8", errors="surrogateescape")


def _ok(repo: Path, *args: str) -> bool:
    return run_git(repo, *args).returncode == 0


def toplevel(path: Path) -> Path:
    """The root of the working tree containing *path*; refuses when there is none."""
    check_repo(path)
    return Path(git(path, "rev-parse", "--show-toplevel").strip())


def git_dir(repo: Path) -> Path:
    return Path(git(repo, "rev-parse", "--absolute-git-dir").strip())


def head_sha(repo: Path) -> str:
    return git(repo, "rev-parse", "--verify", "HEAD^{commit}").strip()


def current_branch(repo: Path) -> str | None:
    """The checked-out branch's short name, or None on a detached HEAD."""
    out = git(repo, "symbolic-ref", "-q", "--short", "HEAD", check=False).strip()
    return out or None


def branch_exists(repo: Path, branch: str) -> bool:
    return _ok(repo, "rev-parse", "--verify", "-q", f"refs/heads/{branch}")


def is_shallow(repo: Path) -> bool:
    return git(repo, "rev-parse", "--is-shallow-repository").strip() == "true"


def is_commit_id(text: str) -> bool:
    """True for a full commit id (sha1 or sha256), which names one commit for good."""
    return bool(_COMMIT_ID.match(text))


def common_dir(repo: Path) -> Path | None:
    """The absolute git common directory of the repository at *repo* (shared by its worktrees),
    or None when *repo* is in none."""
    out = git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir", check=False).strip()
    return Path(out) if out else None


def is_bare(path: Path) -> bool:
    """True when *path* is (inside) a bare repository."""
    return run_git(path, "rev-parse", "--is-bare-repository").stdout.strip() == b"true"


def skip_worktree_blobs(folder: Path, prefix: str) -> dict[str, str]:
    """``{path: blob_sha}`` of the index entries under *prefix* (relative to *folder*) that git
    keeps out of the working tree; ``{}`` when *folder* is in no repository."""
    proc = run_git(folder, "ls-files", "-z", "-t", "--stage", "--", prefix)
    found: dict[str, str] = {}
    for entry in proc.stdout.split(b"\0") if proc.returncode == 0 else []:
        meta, _, path = entry.partition(b"\t")
        fields = meta.split(b" ")
        if fields[0] == b"S" and len(fields) == 4:
            found[path.decode("utf-8", errors="surrogateescape")] = fields[2].decode()
    return found


def ls_tree(repo: Path, rev: str) -> dict[str, tuple[str, str]]:
    """Every file of *rev*'s tree: ``{path: (mode, blob_sha)}`` (symlinks and gitlinks too)."""
    out = git_bytes(repo, "ls-tree", "-r", "-z", "--full-tree", rev)
    files: dict[str, tuple[str, str]] = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, _kind, sha = meta.decode().split(" ")
        files[path.decode("utf-8", errors="surrogateescape")] = (mode, sha)
    return files


def cat_blobs(repo: Path, shas: list[str]) -> list[bytes]:
    """The contents of *shas*, read through one ``git cat-file --batch``."""
    if not shas:
        return []
    out = git_bytes(repo, "cat-file", "--batch", input="".join(f"{s}\n" for s in shas).encode())
    blobs, pos = [], 0
    for _ in shas:
        nl = out.index(b"\n", pos)
        header = out[pos:nl].split(b" ")
        size = int(header[2])
        blobs.append(out[nl + 1:nl + 1 + size])
        pos = nl + 1 + size + 1
    return blobs


def read_tree(repo: Path, rev: str, prefix: str = "") -> dict[str, bytes]:
    """``{path: content}`` of every file of *rev* under *prefix* (``""``: the whole tree)."""
    entries = {p: s for p, (m, s) in ls_tree(repo, rev).items()
               if p.startswith(prefix) and m != "160000"}
    return dict(zip(entries, cat_blobs(repo, list(entries.values()))))


def read_file(repo: Path, rev: str, path: str) -> bytes | None:
    """The content of *path* at *rev*, or None when it does not exist there."""
    done = run_git(repo, "cat-file", "blob", f"{rev}:{path}")
    if done.returncode == 0:
        return done.stdout
    if not _ok(repo, "cat-file", "-e", f"{rev}:{path}"):  # only a failure asks why
        return None
    return git_bytes(repo, "cat-file", "blob", f"{rev}:{path}")


# ---- safety checks ------------------------------------------------------------------------

def merge_file(ours: bytes, base: bytes, theirs: bytes) -> bytes | None:
    """Three-way merge of *theirs*' change (from *base*) into *ours* with git merge-file.

    Returns the merged bytes, or None on a conflict. This is how edits are replayed onto newly
    rendered template text, the way `copier update` does it.
    """
    with scratch.scratch_dir(f"{scratch.PREFIX}merge-") as tmp:
        paths = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = tmp / name
            path.write_bytes(data)
            paths.append(str(path))
        done = interrupts.run(["git", *SAFE_CONFIG, "merge-file", "-p", "--quiet", *paths],
                              env=git_env())
    return done.stdout if done.returncode == 0 else None


def check_repo(path: Path) -> None:
    """Refuse a path that is not a git working tree (a bare repository, say, or another user's)."""
    if not path.exists():
        raise Refused(f"{path} does not exist", "pass the path of a git repository")
    inside = run_git(path, "rev-parse", "--is-inside-work-tree")
    if inside.returncode == 0 and inside.stdout.strip() == b"false":
        if is_bare(path):
            raise Refused(f"{path} is a bare repository: it has no working tree or checked-out branch "
                          "to migrate", f"clone it and run in the clone: git clone {path} "
                          f"{path.name.removesuffix('.git')}-work")
        raise Refused(f"{path} is inside a git directory, not in a working tree",
                      "pass the path of the repository's working tree")
    if inside.returncode != 0:
        raise Refused(f"{path} is not a git working tree",
                      "pass the path of a (non-bare) git repository, or run from inside one")


def check_has_commits(repo: Path) -> None:
    if not _ok(repo, "rev-parse", "--verify", "-q", "HEAD^{commit}"):
        raise Refused(f"{repo} has no commits yet", "commit your files first, then run again")


_IN_PROGRESS = {
    "MERGE_HEAD": ("a merge", "finish it (git commit) or abort it (git merge --abort)"),
    "rebase-merge": ("a rebase", "finish it (git rebase --continue) or abort it (git rebase --abort)"),
    "rebase-apply": ("a rebase or am", "finish it or abort it (git rebase --abort / git am --abort)"),
    "CHERRY_PICK_HEAD": ("a cherry-pick", "finish it or abort it (git cherry-pick --abort)"),
    "REVERT_HEAD": ("a revert", "finish it or abort it (git revert --abort)"),
    "BISECT_LOG": ("a bisect", "end it (git bisect reset)"),
}


def check_no_operation_in_progress(repo: Path) -> None:
    gdir = git_dir(repo)
    for name, (what, fix) in _IN_PROGRESS.items():
        if (gdir / name).exists():
            raise Refused(f"{repo} has {what} in progress", fix)


def check_not_detached(repo: Path) -> None:
    if current_branch(repo) is None:
        raise Refused(f"{repo} is on a detached HEAD",
                      "check out the branch to migrate (git switch <branch>), then run again")


def dirty_paths(repo: Path, *pathspecs: str) -> list[str]:
    """The paths with uncommitted changes or untracked (under *pathspecs*), each whole: a staged
    rename or copy gives its new and its old path."""
    out = git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *pathspecs)
    entries = iter(out.split("\0"))
    paths: list[str] = []
    for entry in entries:
        if len(entry) > 3:
            paths.append(entry[3:])
            if "R" in entry[:2] or "C" in entry[:2]:  # -z: the old path follows, without a status
                paths.append(next(entries, ""))
    return [p for p in paths if p]


def check_clean(repo: Path) -> None:
    """Refuse uncommitted changes and untracked files (ignored files are fine)."""
    entries = dirty_paths(repo)
    if entries:
        shown = ", ".join(entries[:5]) + (" ..." if len(entries) > 5 else "")
        raise Refused(f"{repo} has uncommitted or untracked changes ({shown})",
                      "commit them, or stash them (git stash -u), then run again")


def check_not_shallow(repo: Path) -> None:
    if is_shallow(repo):
        raise Refused(f"{repo} is a shallow clone; its history is incomplete",
                      "fetch the full history (git fetch --unshallow), or pass --no-history")


def check_branch_free(repo: Path, branch: str) -> None:
    """Refuse an invalid branch name or one that already exists (we never overwrite a ref)."""
    if not _ok(repo, "check-ref-format", "--branch", branch):
        raise Refused(f"{branch!r} is not a valid branch name", "pass --branch NAME with a valid name")
    if branch_exists(repo, branch):
        raise Refused(f"branch {branch} already exists in {repo}",
                      f"pass --branch NAME to use another name, or delete it (git branch -D {branch})")


def check_safe_to_start(repo: Path, *, branch: str | None, need_history: bool = False) -> None:
    """All the starting-state checks a command that commits to *repo* needs."""
    check_repo(repo)
    check_has_commits(repo)
    check_no_operation_in_progress(repo)
    check_not_detached(repo)
    check_clean(repo)
    if need_history:
        check_not_shallow(repo)
    if branch is not None:
        check_branch_free(repo, branch)
