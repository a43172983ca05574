"""Line endings and attributes (issue 9 item 4): every migration compares and writes what git
stores (blobs), so core.autocrlf, text/eol/binary/-text attributes and LFS filter lines (no
git-lfs installed, and a filter.lfs configuration that fails if it runs) change nothing.

For each configuration, on the suite's monorepo holding a CRLF script, a binary and an LFS
pointer: mono-to-separate then separate-to-mono gives the monorepo's tree back exactly, every
destination checked out is what a plain `git clone` checks out, and add-region's result holds
normalized blobs (a fresh checkout is clean, and stays clean when renormalized).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from migrate import gitops
from tests.helpers import file_bytes, git
from tests.real_layouts import lfs_pointer

# A filter configuration that fails whenever it runs (as a half-installed Git LFS would).
FAILING_LFS = ('[filter "lfs"]\n\tclean = false\n\tsmudge = false\n\tprocess = false\n'
               "\trequired = true\n")
CASES = {
    "autocrlf=true, binary, -text": ("[core]\n\tautocrlf = true\n", "*.png binary\n*.bat -text\n"),
    "autocrlf=input, eol=crlf": ("[core]\n\tautocrlf = input\n", "*.yml text eol=crlf\n*.md text eol=crlf\n"),
    "text": ("", "* text\n"),
    "lfs, failing filter": (FAILING_LFS, "*.zip filter=lfs diff=lfs merge=lfs -text\n"),
}
NO_FILTER = ("-c", "filter.lfs.required=false", "-c", "filter.lfs.process=", "-c",
             "filter.lfs.smudge=", "-c", "filter.lfs.clean=")


def env_with(config: Path) -> dict[str, str]:
    return {**os.environ, "GIT_CONFIG_GLOBAL": str(config)}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True,
                          env=env)


def clone_checkout(src: Path, dest: Path, env: dict[str, str], branch: str | None = None) -> dict[str, bytes]:
    """What a plain `git clone` checks out (an LFS filter that fails is skipped, as git-lfs-less
    machines do)."""
    args = ["git", *NO_FILTER, "clone", "-q", *(["-b", branch] if branch else []), str(src), str(dest)]
    subprocess.run(args, check=True, env=env, capture_output=True)
    return file_bytes(dest)


@pytest.fixture(scope="module")
def base(generated: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite's monorepo (without Copier answers, so no test waits for Copier) with a CRLF
    script, a binary and an LFS pointer, committed."""
    repo = tmp_path_factory.mktemp("eol") / "acme-platform"
    shutil.copytree(generated["monorepo"], repo)
    (repo / ".copier-answers.yml").unlink()
    git(repo, "init", "-q", "-b", "main")
    (repo / "app/run.bat").write_bytes(b"@echo off\r\nrem windows\r\n")
    (repo / "app/logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\r\n")
    (repo / "infra/lambda.zip").write_text(lfs_pointer("c", 999))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "generated, with a script, a logo and a pointer")
    return repo


@pytest.mark.parametrize("case", list(CASES))
def test_migrations_work_on_blobs_whatever_the_line_ending_settings(
        case: str, base: Path, tmp_path: Path) -> None:
    config_text, attributes = CASES[case]
    mono = tmp_path / "acme-platform"
    git(tmp_path, "clone", "-q", str(base), str(mono))
    git(mono, "remote", "remove", "origin")
    config = tmp_path / "gitconfig"
    config.write_text(Path(os.environ["GIT_CONFIG_GLOBAL"]).read_text().replace(
        "\tautocrlf = false\n", "") + config_text)
    env = env_with(config)

    def plain_git(*args: str) -> None:  # git as the user runs it, a failing filter skipped
        subprocess.run(["git", "-C", str(mono), *NO_FILTER, *args], check=True, env=env,
                       capture_output=True)

    if attributes:
        (mono / ".gitattributes").write_text(attributes)
        plain_git("add", "--renormalize", ".")
        plain_git("add", ".gitattributes")
        plain_git("commit", "-qm", "attributes")
    # the work tree as the user has it: checked out again under these settings
    plain_git("rm", "-rq", "--cached", ".")
    plain_git("reset", "-q", "--hard")
    source = gitops.ls_tree(mono, "main")

    infra = tmp_path / "acme-infra"
    out = run(env, "mono-to-separate", str(mono), "--infra-repo", str(infra))
    assert out.returncode == 0, out.stderr
    assert file_bytes(infra) == clone_checkout(infra, tmp_path / "infra-clone", env)
    got = gitops.ls_tree(infra, "HEAD")
    assert {p: got[p] for p in source if p.startswith("infra/")} == {
        p: v for p, v in source.items() if p.startswith("infra/")}
    app = tmp_path / "acme-app"
    clone_checkout(mono, app, env, "repo-migrate/mono-to-separate")

    again = tmp_path / "again"
    out = run(env, "separate-to-mono", "--app", str(app), "--infra", str(infra), "--dest", str(again))
    assert out.returncode == 0, out.stderr
    assert gitops.ls_tree(again, "HEAD") == source
    assert file_bytes(again) == clone_checkout(again, tmp_path / "again-clone", env)

    out = run(env, "add-region", "eu-central", "--repo", str(mono))
    assert out.returncode == 0, out.stderr
    check = tmp_path / "region-clone"
    clone_checkout(mono, check, env, "repo-migrate/add-region-eu-central")
    renorm = subprocess.run(["git", "-C", str(check), *NO_FILTER, "add", "--renormalize", "."],
                            env=env, capture_output=True)
    assert renorm.returncode == 0
    status = subprocess.run(["git", "-C", str(check), "status", "--porcelain"], env=env,
                            capture_output=True, text=True)
    written = git(mono, "diff", "--name-only", "main", "repo-migrate/add-region-eu-central").split()
    assert len(written) == 3  # the new variables file and trigger, the edited trigger
    # what add-region wrote is already normalized (the source's own CRLF script may not be)
    assert [line for line in status.stdout.splitlines() if line[3:] in written] == []

