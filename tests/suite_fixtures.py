"""Session fixtures for the template suite: a git repository of the suite and generated patterns.

Registered from tests/conftest.py (pytest_plugins), so any test module can ask for them.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, git

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


def generate(src: Path | str, dest: Path, answers: Mapping[str, Any], **options: Any) -> Path:
    """Real `copier copy` (Python API, no prompts) of *src* into *dest* with *answers*."""
    from copier import run_copy  # lazily: every test session loads this plugin

    run_copy(
        str(src), str(dest), data=dict(answers), defaults=True, unsafe=True, quiet=True, **options
    )
    return dest


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
