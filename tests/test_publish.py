from __future__ import annotations

from pathlib import Path

import pytest

from migrate import gitops
from migrate.errors import Refused, VerificationFailed
from migrate.plan import FileDelete, FileMove, FileWrite, Plan
from migrate.publish import apply_to_branch, create_repository
from tests.helpers import git, make_repo, repo_state

FILES = {"a.txt": "a\n", "app/src/main.py": "print(1)\n", "old.txt": "old\n", "w.yml": b"x: 1\r\n"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "r", FILES)


def plan_for(repo: Path, **kw: object) -> Plan:
    fields = dict(
        command="demo",
        repo=repo,
        branch="repo-migrate/demo",
        changes=(
            FileWrite("w.yml", b"x: 1\r\n", b"x: 2\r\n"),
            FileMove("app/src", "src"),
            FileDelete("old.txt", b"old\n"),
            FileWrite("bin/run", None, b"#!/bin/sh\n", executable=True),
        ),
    )
    fields.update(kw)
    return Plan(**fields)  # type: ignore[arg-type]


def test_result_is_a_new_branch_and_nothing_else_changes(repo: Path) -> None:
    before = repo_state(repo)
    head = gitops.head_sha(repo)
    published = apply_to_branch(repo, plan_for(repo))
    assert published is not None
    after = repo_state(repo)
    assert after["refs"] == before["refs"] + f"refs/heads/repo-migrate/demo {published.commit}\n"
    assert {k: v for k, v in after.items() if k != "refs"} == {
        k: v for k, v in before.items() if k != "refs"}
    assert gitops.read_tree(repo, "repo-migrate/demo") == {
        "a.txt": b"a\n", "src/main.py": b"print(1)\n", "w.yml": b"x: 2\r\n", "bin/run": b"#!/bin/sh\n"}
    assert git(repo, "rev-parse", "repo-migrate/demo^").strip() == head
    assert git(repo, "log", "-1", "--format=%s|%an", "repo-migrate/demo") == "repo-migrate demo|Test Author\n"
    assert gitops.ls_tree(repo, "repo-migrate/demo")["bin/run"][0] == "100755"
    # rename detection follows the move
    log = git(repo, "log", "--follow", "--format=%s", "repo-migrate/demo", "--", "src/main.py")
    assert log == "repo-migrate demo\ninitial\n"
    # no scratch remote, no FETCH_HEAD, no worktree left behind
    assert git(repo, "remote") == ""
    assert not (repo / ".git" / "FETCH_HEAD").exists()
    assert not (repo / ".git" / "worktrees").exists()


def test_existing_branch_is_never_overwritten(repo: Path) -> None:
    git(repo, "branch", "repo-migrate/demo")
    before = repo_state(repo)
    with pytest.raises(Refused, match="--branch NAME"):
        apply_to_branch(repo, plan_for(repo))
    assert repo_state(repo) == before


def test_failed_verification_publishes_nothing(repo: Path) -> None:
    before = repo_state(repo)
    seen: list[bytes] = []

    def verify(work: Path, commit: str) -> None:
        seen.append(gitops.read_file(work, commit, "w.yml") or b"")
        raise VerificationFailed("state_key changed", "report a bug")

    with pytest.raises(VerificationFailed):
        apply_to_branch(repo, plan_for(repo), verify=verify)
    assert seen == [b"x: 2\r\n"]
    assert repo_state(repo) == before


def test_plan_that_changes_nothing_publishes_nothing(repo: Path) -> None:
    before = repo_state(repo)
    same = plan_for(repo, changes=(FileWrite("a.txt", b"a\n", b"a\n"),))
    assert apply_to_branch(repo, same) is None
    assert repo_state(repo) == before


def test_user_branch_moved_on_uses_plan_base(repo: Path) -> None:
    plan = plan_for(repo, base=gitops.head_sha(repo))
    (repo / "later.txt").write_text("later\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "later")
    published = apply_to_branch(repo, plan)
    assert published is not None
    assert "later.txt" not in gitops.read_tree(repo, published.commit)


def test_create_repository_is_committed_and_clean(tmp_path: Path) -> None:
    dest = tmp_path / "out" / "new"
    plan = Plan("demo", dest, None, changes=(FileWrite("README.md", None, b"hi\n"),))
    published = create_repository(dest, plan)
    assert git(dest, "status", "--porcelain") == ""
    assert gitops.read_tree(dest, "HEAD") == {"README.md": b"hi\n"}
    assert published.commit == gitops.head_sha(dest)
    assert gitops.current_branch(dest) == "main"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["new"]  # no staging dir left


def test_create_repository_refuses_non_empty_destination(tmp_path: Path) -> None:
    dest = tmp_path / "d"
    dest.mkdir()
    (dest / "keep").write_text("mine")
    plan = Plan("demo", dest, None, changes=(FileWrite("README.md", None, b"hi\n"),))
    with pytest.raises(Refused, match="exists and is not empty"):
        create_repository(dest, plan)
    assert [p.name for p in dest.iterdir()] == ["keep"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_create_repository_into_empty_directory(tmp_path: Path) -> None:
    dest = tmp_path / "d"
    dest.mkdir()
    plan = Plan("demo", dest, None, changes=(FileWrite("README.md", None, b"hi\n"),))
    create_repository(dest, plan)
    assert (dest / "README.md").read_bytes() == b"hi\n"


def test_failed_verification_creates_no_destination(tmp_path: Path) -> None:
    dest = tmp_path / "d"

    def verify(work: Path, commit: str) -> None:
        raise VerificationFailed("no", "no")

    plan = Plan("demo", dest, None, changes=(FileWrite("README.md", None, b"hi\n"),))
    with pytest.raises(VerificationFailed):
        create_repository(dest, plan, verify=verify)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_destination_folder_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    plan = Plan("demo", blocker / "new", None, changes=(FileWrite("README.md", None, b"hi\n"),))
    with pytest.raises(Refused, match="cannot create"):
        create_repository(blocker / "new", plan)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
