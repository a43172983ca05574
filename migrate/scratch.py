"""Scratch folders, named after the run that made them, and removed whatever happens.

Every scratch folder's name holds its owner (``migrate.owners``): ``<prefix><pid>-<start>-<random>``,
so a later run can tell a folder left by a killed run (its process is gone: remove it) from one
a running process still uses (leave it), with no marker file to write or to lose. A run of the
command line also keeps every temporary folder made through ``tempfile`` (Copier's included)
inside one such folder of its own (``run_folder``), so a killed run's leftovers in the system
temp directory are one folder, provably its own.

API
---
- ``PREFIX``: ``"repo-migrate-"``, the start of every scratch folder's name.
- ``make_dir(prefix, parent=None) -> Path``: a new private folder named as above (in *parent*,
  default the temp directory).
- ``scratch_dir(prefix="repo-migrate-", parent=None)``: a context manager: ``make_dir``, removed
  on the way out.
- ``remove(path)``: remove a folder without a signal cutting the removal short.
- ``run_folder()``: a context manager for a whole run: a scratch folder in the system temp
  directory that ``tempfile`` uses as its default directory until the run ends; yields the
  system temp directory (where earlier runs' leftovers are looked for).
- ``owner_of(name, prefix) -> Owner | None``: the owner a scratch folder's name records (after
  *prefix* and an optional kind such as ``render-``).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from migrate import interrupts, owners

PREFIX = "repo-migrate-"
_KIND = re.compile(r"[a-z]+-")


def make_dir(prefix: str = PREFIX, parent: Path | None = None) -> Path:
    """A new private folder ``<prefix><pid>-<start>-<random>`` in *parent* (default: temp dir)."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{owners.current().tag}-", dir=parent))


def remove(path: Path) -> None:
    """Remove *path* and everything below it; a signal meanwhile waits until it is gone."""
    with interrupts.deferred():
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def scratch_dir(prefix: str = PREFIX, parent: Path | None = None) -> Iterator[Path]:
    """A scratch folder named after this run, removed afterwards."""
    path: Path | None = None
    try:
        with interrupts.deferred():  # made and known here, or not made
            path = make_dir(prefix, parent)
        yield path
    finally:
        if path is not None:
            remove(path)


@contextmanager
def run_folder() -> Iterator[Path]:
    """Keep every temporary folder of this run (ours and Copier's) in one folder of its own."""
    system = Path(tempfile.gettempdir())
    previous = tempfile.tempdir
    with scratch_dir(PREFIX, system) as folder:
        tempfile.tempdir = str(folder)
        try:
            yield system
        finally:
            tempfile.tempdir = previous


def owner_of(name: str, prefix: str) -> owners.Owner | None:
    """The owner recorded in a scratch folder's *name* that starts with *prefix*, or None."""
    if not name.startswith(prefix):
        return None
    rest = name[len(prefix):]
    kind = _KIND.match(rest)  # repo-migrate-render-<tag>-...: the kind of folder comes first
    return owners.parse_tag(rest[kind.end():] if kind else rest)
