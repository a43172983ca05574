"""The history step shows a progress bar when stderr is a terminal (a real pseudo-terminal here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import git
from tests.monorepos import build_monorepo


def test_mono_to_separate_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    mono = build_monorepo(tmp_path / "acme-platform")
    commits = int(git(mono, "rev-list", "--count", "HEAD"))
    master, slave = os.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "migrate", "mono-to-separate", str(mono),
             "--infra-repo", str(tmp_path / "acme-infra")],
            stdout=subprocess.PIPE, stderr=slave, text=True)
        os.close(slave)
        screen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal is closed once everything was read
                break
            if not chunk:
                break
            screen += chunk
    finally:
        os.close(master)
    assert done.returncode == 0
    frames = [f for f in screen.decode().replace("\r\n", "\n").split("\r") if f.strip()]
    # The last frame is the complete bar, ending the line.
    assert re.fullmatch(rf"keeping infra/ history \[#{{30}}\] {commits}/{commits} commits\n",
                        frames[-1]), frames
