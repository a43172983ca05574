"""What killed runs left behind: found at the start of a run, named, and removed when provably ours.

A run that is killed outright (SIGKILL, a power cut) cannot clean up. The next run looks where
runs leave things and says on stderr what it does about them:
- scratch folders whose names record a process that is gone (``migrate.scratch``,
  ``migrate.owners``): removed, and said so. In the system temp directory that is a killed
  run's whole run folder, Copier's temporary folders (``copier._vcs.clone.*`` and the like)
  included, since a run keeps every temporary folder in it;
- scratch folders of a process still running (another run): left alone, not mentioned;
- beside a destination, a ``.<name>.repo-migrate-*`` folder whose name records no process (an
  older version made those): named, with the command to remove it, never removed. Such folders
  in the shared temp directory, and Copier's own outside a run folder, are not ours to judge
  and are not mentioned.
Stale locks are found where locks are taken (``migrate.locks``).

API
---
- ``sweep_temp(folder)``: look in the system temp directory *folder*.
- ``sweep_beside(dest)``: look beside a destination; call it while holding the destination's
  lock, so no live run can be building there.
- ``say(message)``: one ``repo-migrate: note:`` line on stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path

from migrate import scratch


def say(message: str) -> None:
    """Write a note for the user on stderr (stdout may be --json)."""
    sys.stderr.write(f"repo-migrate: note: {message}\n")


def _sweep(folder: Path, prefix: str, what: str, *, name_unknown: bool) -> None:
    try:
        entries = sorted(p for p in folder.iterdir() if p.name.startswith(prefix))
    except OSError:
        return
    for path in entries:
        owner = scratch.owner_of(path.name, prefix)
        if owner is None:
            if name_unknown and path.is_dir():
                say(f"{path} looks like {what} left by an older repo-migrate, which did not record "
                    f"its process; it was left alone: remove it if no repo-migrate is running "
                    f"(rm -rf {path})")
        elif owner.gone():
            scratch.remove(path)
            say(f"removed {path}, {what} left by an earlier run that was killed (pid {owner.pid})")


def sweep_temp(folder: Path) -> None:
    """Remove the scratch folders killed runs left in the system temp directory *folder*."""
    _sweep(folder, scratch.PREFIX, "a scratch folder", name_unknown=False)


def sweep_beside(dest: Path) -> None:
    """Remove the half-built copies killed runs left beside *dest*; name the ones not provably ours."""
    dest = dest.absolute()
    _sweep(dest.parent, f".{dest.name}.{scratch.PREFIX}", f"a half-built copy of {dest.name}",
           name_unknown=True)
