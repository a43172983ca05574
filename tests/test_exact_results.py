"""Small results that must be exactly right: a region that exists is not added twice, a tag
range explains a tag push, a subfolder is explained from its repository's root, the migration
record holds normalised paths, and every message names a dirty file whole."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from migrate.cli import main
from tests.helpers import build_file_tree, commit_all, git, make_repo, repo_state
from tests.suite_fixtures import case_answers, generate


@pytest.fixture(scope="module")
def _monorepo(plain_suite: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default monorepo (region us-east, us-east-1), committed."""
    repo = generate(plain_suite, tmp_path_factory.mktemp("exact") / "acme-platform",
                    case_answers("monorepo"))
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "generated")
    return repo


@pytest.fixture
def mono(_monorepo: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(_monorepo, tmp_path / "acme-platform", symlinks=True))


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.mark.parametrize(("args", "problem"), [
    (["us-east"], "the region us-east already exists: infra/variables.yml deploys region us-east "
                  "in us-east-1"),
    (["virginia", "--cloud-region", "us-east-1"],
     "the region virginia already exists: infra/variables.yml deploys region us-east in "
     "us-east-1 (the cloud region of virginia)"),
])
def test_add_region_refuses_the_region_a_monorepo_already_deploys(
        mono: Path, capsys: pytest.CaptureFixture[str], args: list[str], problem: str) -> None:
    before = repo_state(mono)
    code, out, err = cli(capsys, "add-region", *args, "--repo", str(mono))
    assert (code, out) == (3, "")
    assert err == (f"repo-migrate: error: {problem}\n  fix: pick a region that has no variables "
                   "file yet; to change this one, edit infra/variables.yml\n")
    assert repo_state(mono) == before


def test_explain_a_tag_range_evaluates_the_tag_push(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    release = "on:\n  push:\n    tags: ['v1.*']\njobs: {}\n"
    main_only = "on:\n  push:\n    branches: [main]\njobs: {}\n"
    repo = make_repo(tmp_path / "r", {".github/workflows/release.yml": release,
                                      ".github/workflows/main.yml": main_only, "a.txt": "1\n"})
    git(repo, "tag", "v1.0.1")
    build_file_tree(repo, {"a.txt": "2\n"})
    commit_all(repo, "change")
    git(repo, "tag", "v1.1.0")
    code, out, _ = cli(capsys, "explain", "--repo", str(repo), "--commits", "v1.0.1..v1.1.0",
                       "--json")
    doc = json.loads(out)
    assert (code, doc["ref"]) == (0, "refs/tags/v1.1.0")
    assert [(w["file"], w["runs"], w["reason"]) for w in doc["workflows"]] == [
        (".github/workflows/main.yml", False,
         "on.push has only branch filters (branches); a tag push does not run it"),
        (".github/workflows/release.yml", True, "tag 'v1.1.0' matched on.push.tags 'v1.*'")]


def test_explain_a_subfolder_reads_the_repository_roots_workflows(
        mono: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "explain", "--repo", str(mono / "app"), "--changed",
                       "infra/variables.yml")
    assert code == 0
    assert out.splitlines()[:2] == [
        "push refs/heads/main, 1 changed file",
        f"workflows of the repository root {mono} (GitHub reads only its .github/workflows)"]
    assert ".github/workflows/trigger-infra.yml  yes" in out
    _, out, _ = cli(capsys, "explain", "--repo", str(mono / "app" / "src"), "--changed",
                    "infra/variables.yml", "--json")
    doc = json.loads(out)
    assert doc["repository_root"] == str(mono)
    assert [w["file"] for w in doc["workflows"] if w["runs"]] == [
        ".github/workflows/trigger-infra.yml"]
    _, out, _ = cli(capsys, "explain", "--repo", str(mono), "--json")
    assert "repository_root" not in json.loads(out)


def test_the_migration_record_holds_normalised_paths(
        mono: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "mono-to-separate", str(mono), "--infra-repo",
                       str(tmp_path / "elsewhere" / ".." / "acme-infra"), "--no-history")
    assert code == 0, err
    record = json.loads((tmp_path / "acme-infra" / ".repo-migrate" / "migration.json").read_text())
    assert record["new_repository"]["path"] == str(tmp_path / "acme-infra")
    assert record["old_repository"]["path"] == str(mono)
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize(("args", "problem"), [
    (["add-region", "eu-west", "--repo", "{repo}"],
     "uncommitted changes to the files add-region reads (infra/old-variables.yml, "
     "infra/variables.yml)"),
    (["set-trigger", "--on", "tag", "--tags", "v*", "--repo", "{repo}"],
     "uncommitted changes to the files set-trigger reads (infra/old-variables.yml, "
     "infra/variables.yml)"),
    (["mono-to-separate", "{repo}", "--infra-repo", "{repo}-infra"],
     "{repo} has uncommitted or untracked changes (infra/old-variables.yml, infra/variables.yml)"),
])
def test_a_dirty_file_is_named_whole(
        mono: Path, capsys: pytest.CaptureFixture[str], args: list[str], problem: str) -> None:
    # A staged rename: git status -z lists the new path, then the old one without a status.
    git(mono, "mv", "infra/variables.yml", "infra/old-variables.yml")
    before = repo_state(mono)
    code, _, err = cli(capsys, *(a.format(repo=mono) for a in args))
    assert code == 3
    assert err.startswith(f"repo-migrate: error: {problem.format(repo=mono)}\n  fix: ")
    assert repo_state(mono) == before
