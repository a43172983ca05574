from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from migrate import gitops
from migrate.errors import Refused
from tests.helpers import commit_all, git, make_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "r", {"a.txt": "a\n", "infra/v.yml": b"k: v\r\n", "bin": b"\0\1"})


def test_reads_files_at_head(repo: Path) -> None:
    assert gitops.read_tree(repo, "HEAD") == {"a.txt": b"a\n", "bin": b"\0\1", "infra/v.yml": b"k: v\r\n"}
    assert gitops.read_tree(repo, "HEAD", "infra/") == {"infra/v.yml": b"k: v\r\n"}
    assert gitops.read_file(repo, "HEAD", "a.txt") == b"a\n"
    assert gitops.read_file(repo, "HEAD", "missing") is None
    assert gitops.current_branch(repo) == "main"
    assert gitops.head_sha(repo) == git(repo, "rev-parse", "HEAD").strip()


def test_clean_repo_passes_every_check(repo: Path) -> None:
    gitops.check_safe_to_start(repo, branch="repo-migrate/x", need_history=True)


def refusal(repo: Path, **kw: object) -> str:
    with pytest.raises(Refused) as exc:
        gitops.check_safe_to_start(repo, **{"branch": "repo-migrate/x", **kw})  # type: ignore[arg-type]
    assert exc.value.fix
    return str(exc.value)


def test_refuses_modified_file(repo: Path) -> None:
    (repo / "a.txt").write_text("changed\n")
    assert "git stash -u" in refusal(repo)


def test_refuses_untracked_file(repo: Path) -> None:
    (repo / "new.txt").write_text("x")
    assert "new.txt" in refusal(repo)


def test_ignored_files_are_fine(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    commit_all(repo, "ignore")
    (repo / "x.log").write_text("x")
    gitops.check_safe_to_start(repo, branch="repo-migrate/x")


def test_refuses_merge_in_progress(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "side")
    (repo / "a.txt").write_text("side\n")
    commit_all(repo, "side")
    git(repo, "switch", "-q", "main")
    (repo / "a.txt").write_text("main\n")
    commit_all(repo, "main")
    git(repo, "merge", "-q", "side", check=False)
    assert "git merge --abort" in refusal(repo)


def test_refuses_detached_head(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach", "HEAD")
    assert "git switch" in refusal(repo)


def test_refuses_existing_branch(repo: Path) -> None:
    git(repo, "branch", "repo-migrate/x")
    msg = refusal(repo)
    assert "--branch NAME" in msg and "git branch -D repo-migrate/x" in msg


def test_refuses_invalid_branch_name(repo: Path) -> None:
    assert "not a valid branch name" in refusal(repo, branch="a..b")


def test_refuses_shallow_clone_only_when_history_needed(repo: Path, tmp_path: Path) -> None:
    commit_all_extra = repo / "b.txt"
    commit_all_extra.write_text("b")
    commit_all(repo, "second")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    gitops.check_safe_to_start(shallow, branch="repo-migrate/x", need_history=False)
    assert "--no-history" in refusal(shallow, need_history=True)


def test_refuses_non_repository(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    assert "not a git working tree" in refusal(tmp_path / "plain")
    assert "does not exist" in refusal(tmp_path / "nope")


def test_hooks_never_run_even_when_repo_config_names_them(repo: Path) -> None:
    hooks = repo / "hooks"
    hooks.mkdir()
    (hooks / "pre-commit").write_text("#!/bin/sh\nexit 1\n")
    (hooks / "pre-commit").chmod(0o755)
    git(repo, "config", "core.hooksPath", str(hooks))
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, "commit", "-q", "--allow-empty", "-m", "plain git runs the hook")
    gitops.git(repo, "commit", "-q", "--allow-empty", "-m", "gitops does not")
    assert git(repo, "log", "-1", "--format=%s").strip() == "gitops does not"
