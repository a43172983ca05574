"""Signals and the child processes they stop: Ctrl-C and SIGTERM unwind, they never cut a run short.

``handled()`` turns SIGINT and SIGTERM into the exception ``Interrupted``, raised in the main
thread, so every context manager on the way out runs: scratch folders and clones are removed,
locks released. The first signal stops every child process we started (each runs in a process
group of its own, so git's and git-filter-repo's children stop too) and makes worker threads
stop at their next child process; later signals are ignored while the run cleans up. A signal
that arrives inside ``deferred()`` (publishing, removing a folder) waits until it ends, so a
result is published whole or not at all. What a run published is recorded with
``record_change``, so that an interrupted run can say exactly what was changed.

API
---
- ``Interrupted(signum)``: a ``BaseException`` (``except Exception`` never swallows it);
  ``exit_code`` (128 + signal number: 130, 143) and ``word`` ("interrupted", "terminated").
- ``handled()``: a context manager installing the handlers (main thread only), restoring the
  previous ones on exit.
- ``deferred()``: a section a signal does not cut (main thread; elsewhere it changes nothing).
- ``adopt(proc)`` / ``stop(proc)``: a long-lived helper process (``migrate.render_worker``) stopped
  with the others on a signal, or when its user is done.
- ``run(cmd, *, input=None, env=None, cwd=None) -> CompletedProcess[bytes]``: a child process,
  output captured, stdin empty unless *input*; stopped with its process group on any exception.
- ``started(cmd, **popen_args)``: the same as a context manager yielding the ``Popen``.
- ``record_change(what, undo)``, ``forget_change(what)``, ``changes()``: what this run published,
  with the command that undoes each.
- ``kill_point(step)``: for the fault tests: when ``REPO_MIGRATE_TEST_KILL_AT`` is *step*, the
  process sends itself SIGKILL there, or the signal ``REPO_MIGRATE_TEST_KILL_SIGNAL`` names
  (``TERM``, ``INT``); the steps are named where they are (``migrate.publish``, commands).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
KILL_ENV = "REPO_MIGRATE_TEST_KILL_AT"
KILL_SIGNAL_ENV = "REPO_MIGRATE_TEST_KILL_SIGNAL"
_STOP_WAIT = 3.0  # seconds a child gets to exit after SIGTERM before it is killed


class Interrupted(BaseException):
    """The run was stopped by a signal (Ctrl-C or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def word(self) -> str:
        return "interrupted" if self.signum == signal.SIGINT else "terminated"


@dataclass(frozen=True)
class Change:
    """One thing this run published, and the command that undoes it."""

    what: str
    undo: str


class _State:
    first: int | None = None  # the signal being acted on
    pending: int | None = None  # a signal that arrived inside deferred()
    depth = 0  # nesting of deferred() in the main thread
    children: set[subprocess.Popen[bytes]] = set()
    changes: list[Change] = []


_cancel = threading.Event()


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _State.first is not None:
        return  # already unwinding: let the clean-up finish
    _State.first = signum
    _cancel.set()
    if _State.depth:
        _State.pending = signum
        return
    _signal_children(signal.SIGTERM)
    raise Interrupted(signum)


@contextmanager
def handled() -> Iterator[None]:
    """Install the SIGINT/SIGTERM handlers for the duration of a run (main thread); a signal the
    run was started ignoring (a shell's background job ignores SIGINT) stays ignored."""
    previous = {s: signal.signal(s, _handler) for s in SIGNALS
                if signal.getsignal(s) is not signal.SIG_IGN}
    _State.first = _State.pending = None
    _State.changes = []
    _cancel.clear()
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _cancel.clear()


@contextmanager
def deferred() -> Iterator[None]:
    """A section no signal cuts: one that arrives meanwhile is acted on when it ends."""
    if not _main_thread():
        yield
        return
    _State.depth += 1
    try:
        yield
    finally:
        _State.depth -= 1
        if not _State.depth and _State.pending is not None:
            # Also when the section failed: the run stops either way, and the signal says why.
            signum, _State.pending = _State.pending, None
            _signal_children(signal.SIGTERM)
            raise Interrupted(signum)


def _check_cancelled() -> None:
    # Worker threads learn of the signal here (only the main thread receives it).
    if _cancel.is_set() and not _main_thread():
        raise Interrupted(_State.first or signal.SIGTERM)


def _signal_children(signum: int) -> None:
    for proc in tuple(_State.children):  # tuple(): a C-level copy, safe beside other threads
        _signal_group(proc, signum)


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _stop(proc: subprocess.Popen[bytes]) -> None:
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(_STOP_WAIT)
    except subprocess.TimeoutExpired:
        _signal_group(proc, signal.SIGKILL)
        proc.wait()
    _signal_group(proc, signal.SIGKILL)  # a grandchild that outlived its parent


@contextmanager
def started(cmd: Sequence[str], **popen_args: Any) -> Iterator[subprocess.Popen[bytes]]:
    """Start *cmd* in a process group of its own; on any exception stop the whole group."""
    _check_cancelled()
    proc: subprocess.Popen[bytes] | None = None
    try:
        with deferred():  # a signal must not land between fork and the child being tracked
            proc = subprocess.Popen(list(cmd), process_group=0, **popen_args)
            _State.children.add(proc)
        yield proc
    except BaseException:
        if proc is not None:
            _stop(proc)
        raise
    finally:
        if proc is not None:
            _State.children.discard(proc)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
            proc.wait()
    _check_cancelled()


def adopt(proc: subprocess.Popen[bytes]) -> None:
    """Stop *proc*, a helper process started outside ``started`` (in a process group of its own),
    with the run's other children when a signal comes."""
    _State.children.add(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop an adopted process now (its group, as a signal would) and forget it."""
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    _stop(proc)
    _State.children.discard(proc)


def run(cmd: Sequence[str], *, input: bytes | None = None, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run *cmd* to the end with its output captured (stdin empty unless *input* is given)."""
    stdin = subprocess.PIPE if input is not None else subprocess.DEVNULL
    with started(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                 cwd=cwd) as proc:
        out, err = proc.communicate(input)
    return subprocess.CompletedProcess(list(cmd), proc.returncode, out, err)


def record_change(what: str, undo: str) -> None:
    """Remember that this run published *what* (undone by the command *undo*)."""
    _State.changes.append(Change(what, undo))


def forget_change(what: str) -> None:
    """*what* was undone (rolled back) after all."""
    _State.changes = [c for c in _State.changes if c.what != what]


def changes() -> list[Change]:
    """What this run has published so far."""
    return list(_State.changes)


def kill_point(step: str) -> None:
    """Receive a signal here (SIGKILL unless the test names another) when a test asks for *step*."""
    if os.environ.get(KILL_ENV) == step:
        name = os.environ.get(KILL_SIGNAL_ENV, "KILL")
        os.kill(os.getpid(), signal.Signals[f"SIG{name}"])
