"""The one policy for "the suite at this repository's version": that commit of `_src_path` (or of
$REPO_MIGRATE_SUITE); when it cannot be reached, a refusal naming the fix, nothing changed; any
other failure while rendering is a bug (exit 1), never a refusal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from migrate.cli import main
from tests.helpers import commit_all, git, repo_state
from tests.suite_fixtures import case_answers, generate, make_suite_repo


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.fixture
def made(tmp_path: Path) -> tuple[Path, Path]:
    """A monorepo generated from a suite git repository (tag v1), and that suite."""
    suite = make_suite_repo(tmp_path / "suite")
    repo = generate(suite, tmp_path / "acme-platform", case_answers("monorepo"))
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "generated")
    return repo, suite


def test_a_suite_that_is_gone_is_a_refusal_naming_the_fix(made, tmp_path, capsys, monkeypatch) -> None:
    repo, suite = made
    monkeypatch.delenv("REPO_MIGRATE_SUITE", raising=False)
    shutil.move(suite, tmp_path / "moved-away")
    before = repo_state(repo)
    code, _, err = run(capsys, "mono-to-separate", str(repo), "--infra-repo", str(tmp_path / "infra"))
    assert code == 3
    assert err.startswith(f"repo-migrate: error: the template suite version that made this repository "
                          f"({suite} at v1) cannot be reached: ")
    assert ("fix: make that suite reachable at _src_path of .copier-answers.yml (a clone holding "
            "commit v1), or point REPO_MIGRATE_SUITE at a local clone that holds it; to migrate "
            "without Copier, remove .copier-answers.yml in a commit") in err
    assert repo_state(repo) == before and not (tmp_path / "infra").exists()
    # The same suite, cloned elsewhere and named by REPO_MIGRATE_SUITE, is the way out.
    monkeypatch.setenv("REPO_MIGRATE_SUITE", str(tmp_path / "moved-away"))
    code, _, err = run(capsys, "mono-to-separate", str(repo), "--infra-repo", str(tmp_path / "infra"))
    assert code == 0, err


def test_a_commit_the_suite_does_not_hold_is_a_refusal(made, tmp_path, capsys, monkeypatch) -> None:
    repo, suite = made
    monkeypatch.delenv("REPO_MIGRATE_SUITE", raising=False)
    answers = repo / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace("_commit: v1", "_commit: v9"))
    commit_all(repo, "an answers file naming a version that was never released")
    before = repo_state(repo)
    code, _, err = run(capsys, "add-region", "us-west", "--repo", str(repo), "--dry-run")
    assert code == 3
    assert err.startswith(f"repo-migrate: error: the template suite version that made this repository "
                          f"({suite} at v9) cannot be reached: {suite} has no commit v9\n")
    assert repo_state(repo) == before


def test_a_failure_inside_the_render_is_a_bug_not_a_refusal(tmp_path, capsys, monkeypatch) -> None:
    suite = make_suite_repo(tmp_path / "suite")
    repo = generate(suite, tmp_path / "acme-platform", case_answers("monorepo"))
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "generated")
    # The suite's v1 now fails to render (a template calling what does not exist): the suite's
    # bug, not the customer's input.
    readme = suite / "templates/_shared/README.md.jinja"
    readme.write_text(readme.read_text() + "{{ no_such_function() }}\n")
    commit_all(suite, "broken")
    git(suite, "tag", "-f", "v1")
    monkeypatch.delenv("REPO_MIGRATE_SUITE", raising=False)
    before = repo_state(repo)
    code, _, err = run(capsys, "mono-to-separate", str(repo), "--infra-repo", str(tmp_path / "infra"),
                       "--dry-run")
    assert code == 1
    assert "Traceback" in err and err.endswith("repo-migrate: unexpected error (a bug); please report it\n")
    assert repo_state(repo) == before
