"""One run per repository at a time: a lock file for each repository a run reads or writes.

A command takes the locks of its repositories before it reads them (in ``plan``, so a dry run
is refused too while another run works there: what it would print could be stale a moment
later) and of its destination before it creates anything there (in ``apply``). A lock that is
held is never waited for: the run is refused (exit 3) naming the other run's pid and how to
remove the lock if that run is gone. A lock whose process is provably gone
(``migrate.owners``: the pid is dead or reused, or the machine rebooted since) is removed and
said so; one made on another host is left for the user. Locks are re-entrant within a process
and removed when the outermost holder ends (also on Ctrl-C or SIGTERM: ``migrate.interrupts``).

Where: ``<git common dir>/repo-migrate.lock`` (shared by a repository's worktrees, which share
its branches) and, for a destination that does not exist yet, ``.<name>.repo-migrate.lock``
beside it. Each is created with O_EXCL while a ``flock`` on its folder keeps other runs from
reading it half-written or breaking it twice.

A run that publishes two results (mono-to-separate) records them in its lock first
(``publishing``); killed between the two, its stale lock tells the next run exactly what was
published and how to finish or undo it, and stays until one or the other is done.

API
---
- ``hold(*repos, command, destinations=())``: a context manager holding the lock of each
  repository in *repos* (a path that is not a git repository is skipped: the command refuses it)
  and of each destination.
- ``lock_path(repo)``, ``destination_lock_path(dest)``: where those locks are.
- ``Publication(what, finish, undo, branch=None, directory=None)``: one result about to be
  published (*branch*: ``(repo, ref, commit)``; *directory*: the new repository's path).
- ``publishing(repo, publications)``: a context manager recording them in *repo*'s lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from migrate import gitops, interrupts, leftovers, owners
from migrate.errors import Refused

LOCK_NAME = "repo-migrate.lock"


@dataclass(frozen=True)
class Publication:
    """One result about to be published, how to tell it is there, and how to finish or undo it."""

    what: str
    finish: str
    undo: str
    branch: tuple[str, str, str] | None = None  # (repository, ref, commit)
    directory: str | None = None

    def present(self) -> bool:
        """Whether this result is in place."""
        if self.branch is not None:
            repo, ref, commit = self.branch
            got = gitops.git(Path(repo), "rev-parse", "-q", "--verify", ref, check=False).strip()
            return got == commit
        return self.directory is not None and Path(self.directory).exists()


_held: dict[Path, int] = {}


def lock_path(repo: Path) -> Path | None:
    """``<git common dir>/repo-migrate.lock`` of the repository at *repo*, or None if none is."""
    if not repo.is_dir():
        return None
    common = gitops.common_dir(repo)
    return common / LOCK_NAME if common is not None else None


def destination_lock_path(dest: Path) -> Path:
    """``.<name>.repo-migrate.lock`` beside a destination *dest*."""
    dest = dest.absolute()
    return dest.parent / f".{dest.name}.{LOCK_NAME}"


@contextmanager
def _guard(folder: Path) -> Iterator[None]:
    """Only one run at a time reads, breaks or creates a lock in *folder*."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # a filesystem without flock: O_EXCL still holds
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


def _read(path: Path) -> dict[str, Any] | None:
    """The lock's record; ``{}`` when it cannot be read as one; None when there is no lock."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError:
        return {}
    try:
        # raw_decode: a record rewritten in place may be followed by the tail of a longer one.
        record, _ = json.JSONDecoder().raw_decode(text.lstrip())
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _write(fd: int, record: dict[str, Any]) -> None:
    data = (json.dumps(record, indent=1, sort_keys=True) + "\n").encode()
    os.pwrite(fd, data, 0)
    os.ftruncate(fd, len(data))


def _describe(record: dict[str, Any]) -> str:
    owner = owners.Owner.from_dict(record)
    if owner is None:
        return "a run repo-migrate cannot identify (the lock is unreadable)"
    where = f" on {owner.host}" if owner.host and owner.host != owners.current().host else ""
    return (f"pid {owner.pid}{where}, repo-migrate {record.get('command', '?')}, "
            f"started {record.get('created', '?')}")


def _half_published(path: Path, record: dict[str, Any]) -> None:
    """Refuse while a killed run's two results are published by half (the lock stays)."""
    pubs = [Publication(**{**p, "branch": tuple(p["branch"]) if p.get("branch") else None})
            for p in record.get("publishing") or []]
    present = [p for p in pubs if p.present()]
    if not present or len(present) == len(pubs):
        return
    absent = [p for p in pubs if p not in present]
    raise Refused(
        f"an earlier run ({_describe(record)}) was killed while publishing its results: it "
        f"published {'; '.join(p.what for p in present)}, but not "
        f"{'; '.join(p.what for p in absent)}",
        f"to finish it: {' && '.join(p.finish for p in absent)}; or to undo it: "
        f"{' && '.join(p.undo for p in present)} and run the command again (the lock {path} "
        "is removed once the results are whole or gone)")


def _take(path: Path, command: str, shown: Path) -> None:
    """Create the lock at *path* (of *shown*), or refuse (a live lock) or break a stale one."""
    me = owners.current()
    record = {**me.as_dict(), "command": command, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    with _guard(path.parent):
        other = _read(path)
        if other is not None:
            owner = owners.Owner.from_dict(other)
            if owner is None or not owner.gone():
                raise Refused(
                    f"another repo-migrate run is working on {shown} ({_describe(other)})",
                    "wait for it to finish and run again; if no such run is going on (it was "
                    f"killed or its machine is gone), remove its lock: rm {path}")
            _half_published(path, other)
            path.unlink()
            leftovers.say(f"removed the lock of an earlier run that was killed ({_describe(other)}): "
                          f"{path}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            _write(fd, record)
        finally:
            os.close(fd)


def _release(path: Path) -> None:
    record = _read(path)
    if record is not None and owners.Owner.from_dict(record) == owners.current():
        path.unlink(missing_ok=True)


@contextmanager
def _holding(path: Path, command: str, shown: Path) -> Iterator[None]:
    counted = False
    try:
        with interrupts.deferred():  # taken and counted here, or not taken
            if path not in _held:
                _take(path, command, shown)
            _held[path] = _held.get(path, 0) + 1
            counted = True
        yield
    finally:
        if counted:
            with interrupts.deferred():
                _held[path] -= 1
                if not _held[path]:
                    del _held[path]
                    _release(path)


@contextmanager
def hold(*repos: Path, command: str, destinations: Iterable[Path] = ()) -> Iterator[None]:
    """Hold the lock of each repository in *repos* and of each destination, or refuse (exit 3)."""
    paths: dict[Path, Path] = {}
    for repo in repos:
        found = lock_path(repo)
        if found is not None:
            paths.setdefault(found, repo)
    for dest in destinations:
        lock = destination_lock_path(dest)
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Refused(f"cannot create {dest}: {exc.strerror or exc}",
                          "choose a destination in a folder you can write to") from exc
        paths.setdefault(lock, dest)
    with contextlib.ExitStack() as stack:
        for path, shown in paths.items():
            stack.enter_context(_holding(path, command, shown))
        yield


@contextmanager
def publishing(repo: Path, publications: Sequence[Publication]) -> Iterator[None]:
    """Record *publications* in *repo*'s lock (held by this run) while they are published."""
    path = lock_path(repo)
    if path is None or path not in _held:  # a library caller that took no lock: nothing to note
        yield
        return
    record = _read(path) or {}
    fd = os.open(path, os.O_WRONLY)
    try:
        _write(fd, {**record, "publishing": [asdict(p) for p in publications]})
        try:
            yield
        finally:
            _write(fd, record)
    finally:
        os.close(fd)
