"""Apply a plan in a scratch copy, verify it there, and publish the result last.

Results are built from what git stores, not from a work tree: a commit is made with a temporary
index from the base commit's tree and the plan's bytes (``commit_changes``), so line-ending
settings, attributes and filters of the user's configuration never change a byte of it, no hook
runs and nothing is checked out. The user's current branch, index and working tree are never
modified. A result in an existing repository is a commit on a new branch; a new repository is
built next to its destination and renamed into place. Killing the process at any moment leaves
the user's repository as it was and no destination (at worst a scratch directory named
``.<dest>.repo-migrate-<pid>-*`` beside it, or one in the system temp directory, which the next
run removes: ``migrate.leftovers``). Ctrl-C and SIGTERM unwind (``migrate.interrupts``) and
never cut a publication in two; each publication is recorded there, with how to undo it.

API
---
- ``commit_changes(repo, changes, message, *, parents, ident_from) -> str | None``: a commit in
  *repo*'s object store whose tree is the first parent's (or empty) with *changes* applied;
  None when the tree would not change. No ref, index or work tree is touched.
- ``apply_to_branch(repo, plan, *, verify=None) -> Published | None``: ``prepare_branch`` (a
  context manager yielding ``Prepared(repo, commit)``: the commit made in a scratch repository
  that borrows *repo*'s objects, checked by ``verify(scratch, commit)``, which raises
  ``migrate.errors.VerificationFailed`` to stop; None when nothing changes) followed by
  ``publish_branch`` (fetch the commit into *repo*, then ``git update-ref REF SHA ""``: creation
  only, an existing branch is never overwritten). Commands that must verify several results
  together use the two halves.
- ``publish_with_branch(staging, dest, repo, plan, prepared) -> Published``: a new repository
  (*staging* renamed to *dest*) and a branch in *repo*, both or neither: the commit is fetched
  first, the two are recorded in *repo*'s lock (``migrate.locks.publishing``), DEST is renamed
  into place and the branch created with no signal between them, and DEST is moved back out if
  the branch cannot be created.
- ``create_repository(dest, plan, *, verify=None, initial_branch="main", ident_from=None)``: a new
  repository at *dest* holding ``plan.changes`` in one commit, checked out, committed and clean.
- Building blocks: ``check_destination(dest)`` (refuses a non-empty destination, one inside a
  source, and a mount point), ``staging_dir(dest)`` (a scratch directory beside *dest*, removed
  on error, after removing those killed runs left there), ``publish_directory(staging, dest)``
  (rename into place; a rename the filesystem refuses is a ``Refused``), ``identity_env(repo)``,
  ``advance_branch(repo, commit)`` (move a scratch repository's branch and check it out),
  ``kill_point(step)``.
- ``kill_point(step)``: named step boundaries for the interrupt tests: when the environment
  variable ``REPO_MIGRATE_TEST_KILL_AT`` equals *step*, the process sends itself a signal there:
  SIGKILL, or the one ``REPO_MIGRATE_TEST_KILL_SIGNAL`` names (``TERM``, ``INT``).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from migrate import gitops, interrupts, leftovers, locks, scratch
from migrate.errors import Refused
from migrate.plan import Change, FileDelete, FileMove, FileWrite, Plan, Published

Verify = Callable[[Path, str], None]
# A rename the filesystem refuses: a mount point or a folder in use, another filesystem, no right.
_RENAME_REFUSALS = {errno.EBUSY: "it is a mount point or in use", errno.EXDEV: "it is on another filesystem",
                    errno.EACCES: "permission denied", errno.EPERM: "permission denied",
                    errno.ENOTEMPTY: "it is not empty", errno.EEXIST: "it is not empty"}


# The interrupt tests' step boundaries (see the module's API), here where the steps are.
kill_point = interrupts.kill_point


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
    if dest.is_dir() and os.path.ismount(dest):
        raise Refused(f"destination {dest} is a mount point: the new repository is built beside it "
                      "and moved into place in one rename, which cannot replace a mount point",
                      f"pass a new folder inside it (e.g. {dest / dest.name}), or unmount it")


@contextmanager
def staging_dir(dest: Path) -> Iterator[Path]:
    """A scratch directory beside *dest* (same filesystem, so publishing is one rename)."""
    path: Path | None = None
    try:
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            leftovers.sweep_beside(dest)
            with interrupts.deferred():  # made and known here, or not made
                path = scratch.make_dir(f".{dest.name}.{scratch.PREFIX}", dest.parent)
        except OSError as exc:
            raise Refused(f"cannot create {dest}: {exc.strerror or exc}",
                          "choose a destination in a folder you can write to") from exc
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(path, 0o777 & ~umask)  # mkdtemp makes it private; the result is an ordinary folder
        yield path
    finally:
        if path is not None:
            scratch.remove(path)


def publish_directory(staging: Path, dest: Path) -> None:
    """Move the finished *staging* directory to *dest* in one rename (an empty *dest* is replaced)."""
    check_destination(dest)
    kill_point("before-publish-directory")
    with interrupts.deferred():
        try:
            os.rename(staging, dest)
        except OSError as exc:
            why = _RENAME_REFUSALS.get(exc.errno or 0)
            if why is None:
                raise
            raise Refused(f"cannot move the new repository into place at {dest}: {why} "
                          f"({exc.strerror}); nothing was published",
                          "pass a destination that does not exist yet, in a folder you can write "
                          "to on the same filesystem") from exc
        interrupts.record_change(f"the repository {dest}", f"rm -rf {dest}")


def unpublish_directory(dest: Path, staging: Path) -> None:
    """Move a repository just published at *dest* back to *staging* (to be removed with it)."""
    with interrupts.deferred():
        os.rename(dest, staging)
        interrupts.forget_change(f"the repository {dest}")


def identity_env(repo: Path) -> dict[str, str]:
    """The author/committer identity git would use in *repo*, for commits made elsewhere (asked
    once per repository and run: every commit of a run is made as the same person)."""
    key = (str(repo), *(os.environ.get(v, "") for v in _IDENTITY_VARS))
    if key not in _IDENTITIES:
        _IDENTITIES[key] = _identity(repo)
    return dict(_IDENTITIES[key])


_IDENTITIES: dict[tuple[str, ...], dict[str, str]] = {}
_IDENTITY_VARS = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
                  "EMAIL", "HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")


def _identity(repo: Path) -> dict[str, str]:
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


def _apply_to_entries(entries: dict[str, tuple[str, str]], changes: Iterable[Change],
                      write_blob: Callable[[bytes], str]) -> None:
    for change in changes:
        if isinstance(change, FileWrite):
            entries[change.path] = (change.mode, write_blob(change.new))
        elif isinstance(change, FileDelete):
            if entries.pop(change.path, None) is None:
                raise RuntimeError(f"plan deletes {change.path}, which is not there")
        elif isinstance(change, FileMove):
            moved = {p: v for p, v in entries.items()
                     if p == change.src or p.startswith(change.src + "/")}
            if not moved:
                raise RuntimeError(f"plan moves {change.src}, which is not there")
            for path in moved:
                target = change.dst + path[len(change.src):]
                if target in entries and target not in moved:
                    raise RuntimeError(f"plan moves {path} onto existing {target}")
                del entries[path]
            for path, value in moved.items():
                entries[change.dst + path[len(change.src):]] = value
        else:  # pragma: no cover - the Change union is closed
            raise TypeError(change)


def commit_changes(repo: Path, changes: Iterable[Change], message: str, *,
                   parents: tuple[str, ...], ident_from: Path) -> str | None:
    """A commit in *repo*'s object store: the first parent's tree with *changes*, or None when
    that tree would not change. No ref, index or work tree of *repo* is touched."""
    base = gitops.ls_tree(repo, parents[0]) if parents else {}
    entries = dict(base)

    def write_blob(data: bytes) -> str:
        return gitops.git_bytes(repo, "hash-object", "-w", "--no-filters", "--stdin",
                                input=data).decode().strip()

    _apply_to_entries(entries, changes, write_blob)
    if parents and entries == base and len(parents) == 1:
        return None
    with scratch.scratch_dir(f"{scratch.PREFIX}index-") as tmp:
        env = {"GIT_INDEX_FILE": str(tmp / "index")}
        if parents:
            gitops.git(repo, "read-tree", parents[0], env=env)
        zero = "0 " + "0" * len(next(iter(base.values()))[1]) if base else ""
        lines = [f"{zero}\t{p}" for p in base if p not in entries]
        lines += [f"{mode} {sha}\t{p}" for p, (mode, sha) in entries.items() if base.get(p) != (mode, sha)]
        if lines:
            gitops.git_bytes(repo, "update-index", "-z", "--index-info",
                             input="".join(f"{line}\0" for line in lines).encode(
                                 "utf-8", "surrogateescape"), env=env)
        tree = gitops.git(repo, "write-tree", env=env).strip()
    args = [x for p in parents for x in ("-p", p)]
    return gitops.git(repo, "commit-tree", "--no-gpg-sign", tree, *args, "-F", "-",
                      input=message, env=identity_env(ident_from)).strip()


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
    with interrupts.deferred():
        done = gitops.run_git(repo, "update-ref", "-m", reason, ref, commit, "")
        if done.returncode != 0:
            why = done.stderr.decode(errors="replace").strip()
            raise Refused(f"branch {branch} appeared in {repo} while the command ran ({why})",
                          f"pass --branch NAME to use another name, or delete it (git branch -D {branch})")
        interrupts.record_change(f"branch {branch} in {repo}", f"git -C {repo} branch -D {branch}")


def advance_branch(repo: Path, commit: str) -> None:
    """Point the checked-out branch of the scratch repository *repo* at *commit* and check it out
    afresh, as `git clone` would: every file written under the attributes *commit* holds (an
    index kept from an earlier checkout would leave a file written before its .gitattributes
    rule arrived as it was)."""
    gitops.git(repo, "update-ref", "HEAD", commit)
    (gitops.git_dir(repo) / "index").unlink(missing_ok=True)
    gitops.git(repo, "reset", "-q", "--hard", commit)


@contextmanager
def scratch_repository(repo: Path) -> Iterator[Path]:
    """A scratch bare repository that borrows *repo*'s objects (alternates): nothing is copied,
    and what is written there never reaches *repo* until it is fetched."""
    common = gitops.common_dir(repo)
    assert common is not None  # the command checked *repo* is a repository
    with scratch.scratch_dir() as folder:
        work = folder / "work.git"
        gitops.git(folder, "init", "-q", "--bare", str(work))
        (work / "objects" / "info" / "alternates").write_text(f"{(common / 'objects').resolve()}\n")
        yield work


@dataclass(frozen=True)
class Prepared:
    """A result committed in a scratch repository (*repo*) and verified, not yet published."""

    repo: Path
    commit: str


@contextmanager
def prepare_branch(repo: Path, plan: Plan, *, verify: Verify | None = None
                   ) -> Iterator[Prepared | None]:
    """Commit *plan* in a scratch repository beside *repo*'s objects and verify it there;
    yields None if nothing changes."""
    base = plan.base or gitops.head_sha(repo)
    kill_point("before-scratch")
    with scratch_repository(repo) as work:
        kill_point("after-scratch-clone")
        commit = commit_changes(work, plan.changes, plan.commit_message, parents=(base,),
                                ident_from=repo)
        if commit is None:
            yield None
            return
        kill_point("after-commit")
        if verify is not None:
            verify(work, commit)
        kill_point("after-verify")
        yield Prepared(work, commit)


def publish_branch(repo: Path, plan: Plan, prepared: Prepared) -> Published:
    """Fetch the prepared commit into *repo* and create ``plan.branch`` there (creation only)."""
    assert plan.branch is not None
    fetch_commit(repo, prepared.repo, prepared.commit)
    kill_point("after-fetch")
    create_branch(repo, plan.branch, prepared.commit, f"repo-migrate {plan.command}")
    return Published(repo, plan.branch, prepared.commit)


def publish_with_branch(staging: Path, dest: Path, repo: Path, plan: Plan,
                        prepared: Prepared) -> Published:
    """Publish the repository built in *staging* at *dest* and ``plan.branch`` in *repo*, both
    or neither (see the module's API); returns the branch's ``Published``."""
    assert plan.branch is not None
    commit = prepared.commit
    fetch_commit(repo, prepared.repo, commit)  # not a publication: objects no ref points at
    kill_point("after-fetch")
    pubs = [
        # The new repository cannot be made again from here once gone: start over instead.
        locks.Publication(f"the repository {dest}",
                          f"git -C {repo} branch -D {plan.branch} and run the command again",
                          f"rm -rf {dest}", directory=str(dest)),
        locks.Publication(f"branch {plan.branch} in {repo}",
                          f"git -C {repo} branch {plan.branch} {commit}",
                          f"git -C {repo} branch -D {plan.branch}",
                          branch=(str(repo), f"refs/heads/{plan.branch}", commit)),
    ]
    with locks.publishing(repo, pubs), interrupts.deferred():
        publish_directory(staging, dest)
        kill_point("between-publishes")
        try:
            create_branch(repo, plan.branch, commit, f"repo-migrate {plan.command}")
        except BaseException:
            unpublish_directory(dest, staging)
            raise
    return Published(repo, plan.branch, commit)


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
        commit = commit_changes(staging, plan.changes, plan.commit_message, parents=(),
                                ident_from=ident_from or staging)
        if commit is None or not plan.changes:
            raise Refused(f"nothing to put in the new repository {dest}", "check the inputs")
        advance_branch(staging, commit)
        if verify is not None:
            verify(staging, commit)
        kill_point("after-verify")
        publish_directory(staging, dest)
    return Published(dest, None, commit)
