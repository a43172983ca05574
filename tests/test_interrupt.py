"""Kill the process (SIGKILL) at every named step: the sources stay as they were, no half DEST.

The engine calls ``publish.kill_point(step)`` at its step boundaries; the environment variable
REPO_MIGRATE_TEST_KILL_AT makes the process kill itself there, so no test depends on timing.
A killed run leaves its locks and scratch folders; the next run removes them (and the signals
that unwind, SIGINT and SIGTERM, are tested in tests/test_faults.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import git, repo_state
from tests.monorepos import build_monorepo, copy_repo

# In the order mono-to-separate reaches them; the last comes after DEST is in place.
M2S_BEFORE_DEST = ["after-infra-clone", "after-filter-repo", "after-infra-commit", "before-scratch",
                   "after-scratch-clone", "after-commit", "after-verify", "before-publish",
                   "after-fetch", "before-publish-directory"]
M2S_AFTER_DEST = ["between-publishes"]
S2M_STEPS = ["after-app-clone", "after-infra-fetch", "after-merge", "before-publish",
             "before-publish-directory"]


def cli(*args: str, kill_at: str | None = None, tmp: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"REPO_MIGRATE_TEST_KILL_AT": kill_at} if kill_at else {})}
    if tmp is not None:
        # A killed run cannot clean its scratch copies in the system temp directory: keep them
        # in the test's own folder instead of piling up in /tmp.
        tmp.mkdir(exist_ok=True)
        env["TMPDIR"] = str(tmp)
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True,
                          env=env)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_monorepo(tmp_path_factory.mktemp("kill") / "acme-platform")


def leftovers(folder: Path, dest: Path) -> list[str]:
    """What is beside DEST: only the source and, at most, a scratch directory named as such and
    the killed run's lock of DEST."""
    return sorted(p.name for p in folder.iterdir() if p != dest and p.name != ".tmp"
                  and not p.name.startswith(f".{dest.name}.repo-migrate-")
                  and p.name != f".{dest.name}.repo-migrate.lock")


@pytest.mark.parametrize("step", M2S_BEFORE_DEST + M2S_AFTER_DEST)
def test_killed_mono_to_separate_leaves_source_as_it_was(pristine: Path, tmp_path: Path, step: str) -> None:
    mono = copy_repo(pristine, tmp_path / "acme-platform")
    dest = tmp_path / "acme-infra"
    before = repo_state(mono)
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(dest), kill_at=step,
              tmp=tmp_path / ".tmp")
    assert out.returncode == -signal.SIGKILL, (step, out.returncode, out.stderr)
    assert repo_state(mono) == before
    fsck = git(mono, "fsck", "--no-progress", "--connectivity-only")  # raises on a broken repo
    assert "missing" not in fsck and "broken" not in fsck
    assert leftovers(tmp_path, dest) == ["acme-platform"]
    if step in M2S_BEFORE_DEST:
        assert not dest.exists()
        if step in ("after-filter-repo", "before-publish-directory"):  # running again just works
            again = cli("mono-to-separate", str(mono), "--infra-repo", str(dest), tmp=tmp_path / ".tmp")
            assert again.returncode == 0, again.stderr
            # ... and removes what the killed run left: its scratch folders and locks.
            assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp", "acme-infra", "acme-platform"]
            assert list((tmp_path / ".tmp").iterdir()) == []
            assert not (mono / ".git" / "repo-migrate.lock").exists()
    else:  # DEST was published whole, the branch not yet: a complete, clean repository
        assert git(dest, "status", "--porcelain", "--untracked-files=all") == ""
        assert (dest / "infra/variables.yml").is_file()
        assert git(dest, "fsck", "--no-progress", "--no-dangling").strip() == ""


@pytest.fixture(scope="module")
def split(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("kill-split")
    mono = copy_repo(pristine, base / "acme-platform")
    assert cli("mono-to-separate", str(mono), "--infra-repo", str(base / "acme-infra")).returncode == 0
    git(mono, "switch", "-q", "repo-migrate/mono-to-separate")
    return base


@pytest.mark.parametrize("step", S2M_STEPS)
def test_killed_separate_to_mono_leaves_sources_as_they_were(split: Path, tmp_path: Path, step: str) -> None:
    mono = copy_repo(split / "acme-platform", tmp_path / "acme-platform")
    infra = copy_repo(split / "acme-infra", tmp_path / "acme-infra")
    dest = tmp_path / "again"
    before = (repo_state(mono), repo_state(infra))
    out = cli("separate-to-mono", "--app", str(mono), "--infra", str(infra), "--dest", str(dest),
              kill_at=step, tmp=tmp_path / ".tmp")
    assert out.returncode == -signal.SIGKILL, (step, out.returncode, out.stderr)
    assert (repo_state(mono), repo_state(infra)) == before
    assert not dest.exists()
    assert leftovers(tmp_path, dest) == ["acme-infra", "acme-platform"]
