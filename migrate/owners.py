"""Who made a lock or a scratch folder, and whether that process can still be running.

A run marks what it leaves on disk while it works (its locks, its scratch folders) with its
process: the pid, the process's start time (so a reused pid is told apart) and, in a lock, the
host and the boot. A later run removes such a thing only when the process that made it is
provably gone; anything else is reported and left alone.

API
---
- ``Owner(pid, start, host, boot)``: a process; ``current()`` is this one.
- ``Owner.gone() -> bool``: provably not running any more: same host and boot, and the pid is
  dead or now another process (its start time differs); or same host and another boot.
  Made on another host: never provably gone (its pid means nothing here).
- ``Owner.tag`` / ``parse_tag(text)``: ``<pid>-<start>``, the owner as part of a folder's name
  (the host and boot are those of the machine the folder is on, so they are left out).
- ``Owner.as_dict()`` / ``Owner.from_dict(data)``: the owner in a lock file.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_TAG = re.compile(r"(\d+)-(\d+)")


def _start_time(pid: int) -> int:
    """The process's start time in clock ticks after boot (0 where /proc is not there)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return 0
    # The command name (field 2) may hold spaces and parentheses: count from its end.
    fields = stat[stat.rindex(b")") + 2:].split()
    return int(fields[19])


@cache
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


@dataclass(frozen=True)
class Owner:
    """A process that made a lock or a scratch folder."""

    pid: int
    start: int
    host: str = ""
    boot: str = ""

    @property
    def tag(self) -> str:
        """``<pid>-<start>``: the owner in a folder's name."""
        return f"{self.pid}-{self.start}"

    def gone(self) -> bool:
        """True only when this process is provably not running (see the module's rule)."""
        here = current()
        if self.host and self.host != here.host:
            return False
        if self.boot and here.boot and self.boot != here.boot:
            return True
        if not _alive(self.pid):
            return True
        return bool(self.start and _start_time(self.pid) not in (0, self.start))

    def as_dict(self) -> dict[str, Any]:
        return {"pid": self.pid, "start": self.start, "host": self.host, "boot": self.boot}

    @classmethod
    def from_dict(cls, data: Any) -> Owner | None:
        """The owner recorded in *data* (a lock file's JSON), or None when it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("pid"), int):
            return None
        return cls(data["pid"], int(data.get("start") or 0), str(data.get("host") or ""),
                   str(data.get("boot") or ""))


def current() -> Owner:
    """This process."""
    pid = os.getpid()
    return Owner(pid, _start_time(pid), socket.gethostname(), _boot_id())


def parse_tag(text: str) -> Owner | None:
    """The owner named by a ``<pid>-<start>`` tag (the start of *text*), or None."""
    found = _TAG.match(text)
    return Owner(int(found.group(1)), int(found.group(2))) if found else None
