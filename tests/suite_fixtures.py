"""Session fixtures for the template suite: a git repository of the suite and generated patterns.

Registered from tests/conftest.py (pytest_plugins), so any test module can ask for them.
`suite_with_history` builds a suite repository whose tags are earlier suite versions read from
this project's git history, for tests that `copier update` repositories made by an older suite;
the session fixture `suite_v1_v2` is one: v1 = the first landed suite, v2 = the working tree.
"""

from __future__ import annotations

import io
import itertools
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, commit_all, file_bytes, git

SUITE_FILES = ("copier.yml", "templates")
TRIGGER_KINDS = ("path", "branch", "manual", "tag")
# Every non-empty combination of trigger kinds (15).
TRIGGER_SUBSETS = [
    list(combo)
    for size in range(1, len(TRIGGER_KINDS) + 1)
    for combo in itertools.combinations(TRIGGER_KINDS, size)
]
# One generated repository per pattern (separate is two repositories).
PATTERN_CASES: dict[str, dict[str, Any]] = {
    "monorepo": {"pattern": "monorepo"},
    "separate-app": {"pattern": "separate", "repo_role": "app"},
    "separate-infra": {"pattern": "separate", "repo_role": "infra"},
    "multi-service": {"pattern": "multi-service"},
    "multi-region": {"pattern": "multi-region"},
}
INFRA_CASES = ("monorepo", "separate-infra", "multi-service", "multi-region")


def copy_suite(dest: Path, root: Path = ROOT) -> Path:
    """Copy the suite's own files (copier.yml, templates/) from *root* into *dest*."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SUITE_FILES:
        if (root / name).is_dir():
            shutil.copytree(root / name, dest / name)
        else:
            shutil.copy2(root / name, dest / name)
    return dest


def make_suite_repo(dest: Path, tag: str = "v1") -> Path:
    """A git repository holding a copy of the suite, committed on main and tagged *tag*."""
    copy_suite(dest)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "suite")
    git(dest, "tag", tag)
    return dest


# The first landed suite version (copier.yml + templates/ as customers first got them); every
# repository it generated must take `copier update` to the current suite cleanly.
FIRST_SUITE_COMMIT = "d5087f7"


def suite_files_at(commit: str, dest: Path, root: Path = ROOT) -> Path:
    """Write the suite's files (copier.yml, templates/) as they were at *commit* of *root* into *dest*."""
    found = subprocess.run(["git", "-C", str(root), "cat-file", "-e", f"{commit}^{{commit}}"],
                           capture_output=True)
    if found.returncode != 0:
        pytest.fail(f"commit {commit} of the suite is not in {root}: this test needs the project's "
                    "history (a full clone; in a shallow one run `git fetch --unshallow`)")
    archive = subprocess.run(["git", "-C", str(root), "archive", "--format=tar", commit, *SUITE_FILES],
                             capture_output=True, check=True).stdout
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def suite_with_history(dest: Path, tags: Mapping[str, str | None], root: Path = ROOT) -> Path:
    """A git repository of the suite with one commit per entry of *tags*, in order, each tagged
    with its key: the suite's files at that commit of *root*, or its working tree for None."""
    dest.mkdir(parents=True, exist_ok=True)
    git(dest, "init", "-q", "-b", "main")
    for tag, commit in tags.items():
        for name in SUITE_FILES:  # a file the next version dropped must be gone from it
            if (dest / name).is_dir():
                shutil.rmtree(dest / name)
            elif (dest / name).exists():
                (dest / name).unlink()
        if commit is None:
            copy_suite(dest, root)
        else:
            suite_files_at(commit, dest, root)
        git(dest, "add", "-A")
        git(dest, "commit", "-q", "--allow-empty", "-m", f"suite {tag} ({commit or 'working tree'})")
        git(dest, "tag", tag)
    return dest


def generate(src: Path | str, dest: Path, answers: Mapping[str, Any], **options: Any) -> Path:
    """Real `copier copy` (Python API, no prompts) of *src* into *dest* with *answers*."""
    from copier import run_copy  # lazily: every test session loads this plugin

    run_copy(
        str(src), str(dest), data=dict(answers), defaults=True, unsafe=True, quiet=True, **options
    )
    return dest


# Kept under this name for the test modules that import it from here.
tree = file_bytes


def release_suite_v2(suite: Path) -> None:
    """Tag v2 of a suite repository: a line added to the READMEs, a comment of every workflow."""
    readme = suite / "templates" / "_shared" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nSuite v2.\n")
    workflows = suite / "templates" / "_shared" / "workflows.jinja"
    workflows.write_text(workflows.read_text().replace("# Generated by the provider",
                                                       "# Made by the provider"))
    commit_all(suite, "v2")
    git(suite, "tag", "v2")


def copier_update_cleanly(repo: Path, vcs_ref: str = "v2") -> dict[str, bytes]:
    """Real `copier update` of *repo* to *vcs_ref*; asserts no conflict; returns the new tree."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    upd = subprocess.run(["copier", "update", "--trust", "--defaults", "--vcs-ref", vcs_ref],
                         cwd=repo, capture_output=True, text=True, env=env)
    assert upd.returncode == 0, upd.stderr
    after = tree(repo)
    assert not list(repo.rglob("*.rej"))
    for path, data in after.items():
        assert b"<<<<<<<" not in data and b">>>>>>>" not in data, path
    return after


def case_answers(case: str, **extra: Any) -> dict[str, Any]:
    """The answers of a PATTERN_CASES entry for customer acme, plus *extra*."""
    return {"customer_id": "acme", **PATTERN_CASES[case], **extra}


@pytest.fixture(scope="session")
def suite_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of the current suite (tag v1), to copy from as customers do."""
    return make_suite_repo(tmp_path_factory.mktemp("suite-repo") / "suite")


@pytest.fixture(scope="session")
def plain_suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite as a plain folder (no git): Copier renders it without cloning, which is faster."""
    return copy_suite(tmp_path_factory.mktemp("plain-suite") / "suite")


@pytest.fixture(scope="session")
def generated(suite_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One repository per PATTERN_CASES entry, copied from the suite's git repository."""
    out = tmp_path_factory.mktemp("generated")
    return {case: generate(suite_repo, out / case, case_answers(case)) for case in PATTERN_CASES}


# The provider's manager repository (pattern provider), with the suite's default answers.
PROVIDER_ANSWERS: dict[str, Any] = {"pattern": "provider"}


@pytest.fixture(scope="session")
def provider_repo(suite_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The provider's manager repository, copied once per session from the suite's git repository."""
    return generate(suite_repo, tmp_path_factory.mktemp("provider") / "infra-manager", PROVIDER_ANSWERS)


@pytest.fixture(scope="session")
def suite_v1_v2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite's git repository as customers met it: v1 = the first landed suite
    (FIRST_SUITE_COMMIT), v2 = this working tree."""
    return suite_with_history(tmp_path_factory.mktemp("history") / "suite",
                              {"v1": FIRST_SUITE_COMMIT, "v2": None})
