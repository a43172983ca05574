"""Apply a plan in a scratch copy, verify it there, and publish the result last.

The user's current branch, index and working tree are never modified. A result in an existing
repository is a commit on a new branch; a new repository is built next to its destination and
renamed into place. Killing the process at any moment leaves the user's repository as it was
(at worst unreferenced objects, which git ignores) and no destination (at worst a scratch
directory named ``.<dest>.repo-migrate-*`` beside it, or one in the system temp directory).

API
---
- ``apply_to_branch(repo, plan, *, verify=None) -> Published | None``: clone *repo* into a
  scratch directory (``git clone --shared``: no object copied), check out ``plan.base``, apply
  ``plan.changes``, commit with ``plan.commit_message`` and the user's git identity, run
  ``verify(scratch_dir)`` (it raises ``migrate.errors.VerificationFailed`` to stop), then fetch
  the commit into *repo* and create ``refs/heads/<plan.branch>`` with ``git update-ref REF SHA ""``
  (creation only: an existing branch is never overwritten). Returns None when the plan turns out
  to change nothing. It is ``prepare_branch`` (context manager yielding ``Prepared(work,
  commit)`` or None) followed by ``publish_branch(repo, plan, prepared)``, for commands that
  must verify several results together before publishing any.
- ``create_repository(dest, plan, *, verify=None, initial_branch="main") -> Published``: a new
  repository at *dest* holding ``plan.changes`` in one commit, committed and clean.
- Building blocks for commands with their own history work: ``check_destination(dest)``,
  ``staging_dir(dest)`` (context manager: a scratch directory beside *dest*, removed on error),
  ``publish_directory(staging, dest)`` (rename into place), ``scratch_dir()`` (context manager:
  a scratch directory in the system temp directory, always removed), ``write_changes(root,
  changes)`` (atomic writes), ``commit_all(repo, message, ident_from)``, ``kill_point(step)``.
- ``kill_point(step)``: named step boundaries for the interrupt tests: when the environment
  variable ``REPO_MIGRATE_TEST_KILL_AT`` equals *step*, the process SIGKILLs itself there.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from migrate import gitops
from migrate.errors import Refused
from migrate.plan import Change, FileDelete, FileMove, FileWrite, Plan

KILL_ENV = "REPO_MIGRATE_TEST_KILL_AT"
Verify = Callable[[Path], None]


@dataclass(frozen=True)
class Published:
    """Where a result landed: a new *branch* in *repo* (None for a new repository) at *commit*."""

    repo: Path
    branch: str | None
    commit: str


def kill_point(step: str) -> None:
    """Die here, as if killed, when the interrupt tests ask for *step*."""
    if os.environ.get(KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def scratch_dir(prefix: str = "repo-migrate-") -> Iterator[Path]:
    """A private directory in the system temp directory, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def check_destination(dest: Path, *, not_inside: Iterable[Path] = ()) -> None:
    """Refuse a destination that exists and is not an empty directory, or lies in a source repo."""
    resolved = dest.resolve()
    for repo in not_inside:
        root = repo.resolve()
        if resolved == root or root in resolved.parents:
            raise Refused(f"destination {dest} is inside the repository {repo}",
                          "choose a destination outside the repository")
    if dest.is_symlink() or (dest.exists() and (not dest.is_dir() or any(dest.iterdir()))):
        raise Refused(f"destination {dest} exists and is not empty",
                      "choose a new path, or remove it first")


@contextmanager
def staging_dir(dest: Path) -> Iterator[Path]:
    """A scratch directory beside *dest* (same filesystem, so publishing is one rename)."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        path = Path(tempfile.mkdtemp(prefix=f".{dest.name}.repo-migrate-", dir=dest.parent))
    except OSError as exc:
        raise Refused(f"cannot create {dest}: {exc.strerror or exc}",
                      "choose a destination in a folder you can write to") from exc
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o777 & ~umask)  # mkdtemp makes it private; the result is an ordinary folder
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def publish_directory(staging: Path, dest: Path) -> None:
    """Move the finished *staging* directory to *dest* in one rename (an empty *dest* is replaced)."""
    check_destination(dest)
    kill_point("before-publish-directory")
    os.rename(staging, dest)


def _write_atomic(path: Path, data: bytes, executable: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o755 if executable else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune_empty_parents(path: Path, root: Path) -> None:
    parent = path.parent
    while parent != root and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


def write_changes(root: Path, changes: Iterable[Change]) -> None:
    """Apply *changes* in order under *root* (atomic writes; moves never overwrite)."""
    for change in changes:
        if isinstance(change, FileWrite):
            _write_atomic(root / change.path, change.new, change.executable)
        elif isinstance(change, FileDelete):
            target = root / change.path
            target.unlink()
            _prune_empty_parents(target, root)
        elif isinstance(change, FileMove):
            src, dst = root / change.src, root / change.dst
            if dst.exists() or dst.is_symlink():
                raise RuntimeError(f"plan moves {change.src} onto existing {change.dst}")
            dst.parent.mkdir(parents=True, exist_ok=True)
            src.rename(dst)
            _prune_empty_parents(src, root)
        else:  # pragma: no cover - the Change union is closed
            raise TypeError(change)


def identity_env(repo: Path) -> dict[str, str]:
    """The author/committer identity git would use in *repo*, for commits made elsewhere."""
    env: dict[str, str] = {}
    for role in ("AUTHOR", "COMMITTER"):
        out = gitops.git(repo, "var", f"GIT_{role}_IDENT", check=False).strip()
        if not out or "<" not in out:
            raise Refused("git does not know who you are, so it cannot commit the result",
                          'set it: git config --global user.name "Your Name" && '
                          'git config --global user.email you@example.com')
        name, _, rest = out.partition(" <")
        env[f"GIT_{role}_NAME"] = name
        env[f"GIT_{role}_EMAIL"] = rest.partition(">")[0]
    return env


def commit_all(repo: Path, message: str, ident_from: Path) -> str | None:
    """Stage everything in *repo* and commit it as *ident_from*'s user; None if nothing changed."""
    gitops.git(repo, "add", "-A")
    if _nothing_staged(repo):
        return None
    gitops.git(repo, "commit", "-q", "--no-verify", "-m", message, env=identity_env(ident_from))
    return gitops.head_sha(repo)


def _nothing_staged(repo: Path) -> bool:
    has_head = gitops.git(repo, "rev-parse", "-q", "--verify", "HEAD", check=False).strip()
    if not has_head:
        return not gitops.git(repo, "ls-files").strip()
    return not gitops.git(repo, "diff", "--cached", "--name-only").strip()


def fetch_commit(repo: Path, source: Path, commit: str) -> None:
    """Copy *commit* and its objects from *source* into *repo*, writing no ref and no FETCH_HEAD."""
    tmp_ref = "refs/heads/repo-migrate-result"
    gitops.git(source, "update-ref", tmp_ref, commit)
    gitops.git(repo, "-c", "gc.auto=0", "-c", "maintenance.auto=false", "fetch", "-q",
               "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules",
               str(source), tmp_ref)


def create_branch(repo: Path, branch: str, commit: str, reason: str) -> None:
    """Create ``refs/heads/<branch>`` at *commit*; refuses (never overwrites) an existing one."""
    gitops.check_branch_free(repo, branch)
    ref = f"refs/heads/{branch}"
    out = gitops.git_bytes(repo, "update-ref", "-m", reason, ref, commit, "", check=False)
    if gitops.git(repo, "rev-parse", "-q", "--verify", ref, check=False).strip() != commit:
        raise Refused(f"branch {branch} appeared in {repo} while the command ran ({out!r})",
                      f"pass --branch NAME to use another name, or delete it (git branch -D {branch})")


@dataclass(frozen=True)
class Prepared:
    """A result committed in a scratch clone (*work*) and verified, not yet published."""

    work: Path
    commit: str


@contextmanager
def prepare_branch(repo: Path, plan: Plan, *, verify: Verify | None = None
                   ) -> Iterator[Prepared | None]:
    """Commit *plan* in a scratch clone of *repo* and verify it; yields None if nothing changes."""
    base = plan.base or gitops.head_sha(repo)
    kill_point("before-scratch")
    with scratch_dir() as scratch:
        work = scratch / "work"
        # --shared: the scratch borrows the user's objects through alternates, copying none.
        gitops.git(repo, "clone", "-q", "--shared", "--no-checkout", "--no-tags", str(repo),
                   str(work))
        gitops.git(work, "checkout", "-q", "--detach", base)
        kill_point("after-scratch-clone")
        write_changes(work, plan.changes)
        commit = commit_all(work, plan.commit_message, ident_from=repo)
        if commit is None:
            yield None
            return
        kill_point("after-commit")
        if verify is not None:
            verify(work)
        kill_point("after-verify")
        yield Prepared(work, commit)


def publish_branch(repo: Path, plan: Plan, prepared: Prepared) -> Published:
    """Fetch the prepared commit into *repo* and create ``plan.branch`` there (creation only)."""
    assert plan.branch is not None
    fetch_commit(repo, prepared.work, prepared.commit)
    kill_point("after-fetch")
    create_branch(repo, plan.branch, prepared.commit, f"repo-migrate {plan.command}")
    return Published(repo, plan.branch, prepared.commit)


def apply_to_branch(repo: Path, plan: Plan, *, verify: Verify | None = None) -> Published | None:
    """Apply *plan* to *repo* as a commit on the new branch ``plan.branch``; publish last."""
    if plan.branch is None:
        raise ValueError("apply_to_branch needs a plan with a branch; use create_repository")
    gitops.check_branch_free(repo, plan.branch)
    with prepare_branch(repo, plan, verify=verify) as prepared:
        if prepared is None:
            return None
        return publish_branch(repo, plan, prepared)


def create_repository(dest: Path, plan: Plan, *, verify: Verify | None = None,
                      initial_branch: str = "main", ident_from: Path | None = None) -> Published:
    """Create a new repository at *dest* holding ``plan.changes`` in one commit; publish last."""
    check_destination(dest)
    kill_point("before-staging")
    with staging_dir(dest) as staging:
        gitops.git(staging, "init", "-q", "-b", initial_branch)
        write_changes(staging, plan.changes)
        commit = commit_all(staging, plan.commit_message, ident_from=ident_from or staging)
        if commit is None:
            raise Refused(f"nothing to put in the new repository {dest}", "check the inputs")
        if verify is not None:
            verify(staging)
        kill_point("after-verify")
        publish_directory(staging, dest)
    return Published(dest, None, commit)
