"""Hermetic git for every test: pinned identity and dates, isolated global config, no hooks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Session fixtures of the template suite (suite_repo, plain_suite, generated).
pytest_plugins = ["tests.suite_fixtures", "tests.provider_world"]

HERMETIC_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C.UTF-8",
}


@pytest.fixture(autouse=True, scope="session")
def _hermetic_git(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("home")
    config = home / ".gitconfig"
    config.write_text(
        "[init]\n\tdefaultBranch = main\n"
        "[core]\n\thooksPath = /dev/null\n\tautocrlf = false\n"
        "[protocol \"file\"]\n\tallow = always\n"
        "[advice]\n\tdetachedHead = false\n"
    )
    os.environ.update(HERMETIC_ENV)
    os.environ["HOME"] = str(home)
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
    os.environ["GIT_CONFIG_GLOBAL"] = str(config)
    os.environ.pop("GIT_DIR", None)
    os.environ.pop("GIT_WORK_TREE", None)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
