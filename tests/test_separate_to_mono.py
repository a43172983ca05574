from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from migrate import gitops
from tests.helpers import commit_all, file_bytes, git, repo_state
from tests.monorepos import TRIGGER, build_monorepo, commit, copy_repo
from tests.suite_fixtures import generate, make_suite_repo

COPIER = str(Path(sys.executable).parent / "copier")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_suite_repo(tmp_path_factory.mktemp("s2m-suite") / "suite")
    partial = repo / "templates/_shared/app/Dockerfile.jinja"
    partial.write_text(partial.read_text().replace("FROM python:3.12-slim\n", "FROM python:3.13-slim\n"))
    commit_all(repo, "v2: python 3.13")
    git(repo, "tag", "v2")
    return repo


@pytest.fixture(scope="module")
def pair(suite: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """acme-app and acme-infra generated from suite v1, each with a little history."""
    base = tmp_path_factory.mktemp("s2m-pair")
    app = generate(suite, base / "acme-app", {"customer_id": "acme", "pattern": "separate",
                                              "repo_role": "app"}, vcs_ref="v1")
    git(app, "init", "-q", "-b", "main")
    commit(app, "app from the suite", "Alice", "2025-01-01T09:00:00+00:00")
    (app / "src/main.py").write_text((app / "src/main.py").read_text() + "# more code\n")
    commit(app, "app: more code", "Bob", "2025-01-02T09:00:00+00:00")
    infra = generate(suite, base / "acme-infra", {"customer_id": "acme", "pattern": "separate",
                                                  "repo_role": "infra", "state_key": "acme/prod-1"},
                     vcs_ref="v1")
    git(infra, "init", "-q", "-b", "main")
    commit(infra, "infra from the suite", "Carol", "2025-01-03T09:00:00+00:00")
    variables = infra / "infra/variables.yml"
    variables.write_text(variables.read_text().replace("  max_instances: 4\n", "  max_instances: 6\n"))
    commit(infra, "infra: six instances", "Carol", "2025-01-04T09:00:00+00:00")
    return base


@pytest.fixture
def repos(pair: Path, tmp_path: Path) -> tuple[Path, Path]:
    return copy_repo(pair / "acme-app", tmp_path / "acme-app"), copy_repo(pair / "acme-infra", tmp_path / "acme-infra")


@pytest.fixture(scope="module")
def merged(pair: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("s2m-out") / "acme-platform"
    out = cli("separate-to-mono", "--app", str(pair / "acme-app"), "--infra", str(pair / "acme-infra"),
              "--dest", str(dest))
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    return dest


def test_monorepo_is_what_the_suite_makes_with_both_histories(merged: Path, pair: Path, suite: Path,
                                                              tmp_path: Path) -> None:
    infra = pair / "acme-infra"
    answers = yaml.safe_load((merged / ".copier-answers.yml").read_text())
    assert answers["pattern"] == "monorepo" and "repo_role" not in answers
    assert answers["state_key"] == "acme/prod-1"
    assert answers["repo_name"] == "acme-app" and answers["runtime"] == "python"
    fresh = generate(suite, tmp_path / "fresh", {k: v for k, v in answers.items() if not k.startswith("_")},
                     vcs_ref="v1")
    got, want = file_bytes(merged), file_bytes(fresh)
    assert sorted(got) == sorted(want)
    carried = {"infra/variables.yml", "app/src/main.py"}  # the customers' own files, as they are
    assert {p for p in got if got[p] != want[p]} == carried
    assert got["infra/variables.yml"] == (infra / "infra/variables.yml").read_bytes()
    ci = yaml.safe_load(got[".github/workflows/app-ci.yml"])
    assert ci[True]["push"]["paths"][0] == "app/**"
    assert ci["jobs"]["test"]["defaults"]["run"]["working-directory"] == "app"
    assert yaml.safe_load(got[".github/workflows/trigger-infra.yml"])[True]["push"]["paths"] == ["infra/**"]
    # both histories
    assert git(merged, "log", "--format=%an|%ad|%s", "--", "infra/variables.yml") == git(
        infra, "log", "--format=%an|%ad|%s", "--", "infra/variables.yml")
    assert git(merged, "log", "--follow", "--format=%s", "--", "app/src/main.py").splitlines()[-2:] == [
        "app: more code", "app from the suite"]
    assert git(merged, "rev-list", "--parents", "-1", "HEAD").split()[2] == gitops.head_sha(infra)
    assert git(merged, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(merged, "fsck", "--no-progress", "--no-dangling") == ""
    stored = git(merged, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split()
    assert sorted(stored) == sorted(line.split()[0] for line in
                                    git(merged, "rev-list", "--all", "--objects").splitlines())
    assert git(merged, "remote") == ""


def test_copier_update_applies_cleanly_in_the_monorepo(merged: Path, tmp_path: Path) -> None:
    repo = tmp_path / "m"
    git(tmp_path, "clone", "-q", str(merged), str(repo))
    done = subprocess.run([COPIER, "update", "--trust", "--defaults", "--quiet", "--conflict", "rej",
                           "--vcs-ref", "v2"], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "FROM python:3.13-slim\n" in (repo / "app/Dockerfile").read_text()
    assert "  max_instances: 6\n" in (repo / "infra/variables.yml").read_text()
    got = file_bytes(repo)
    assert not [f for f in got if f.endswith(".rej")]
    assert not [f for f, d in got.items() if b"<<<<<<<" in d]
    assert sorted(git(repo, "status", "--porcelain").splitlines()) == [
        " M .copier-answers.yml", " M app/Dockerfile"]


def test_dry_run_changes_nothing(repos: tuple[Path, Path], tmp_path: Path) -> None:
    app, infra = repos
    before = (repo_state(app), repo_state(infra))
    dest = tmp_path / "m"
    out = cli("separate-to-mono", "--app", str(app), "--infra", str(infra), "--dest", str(dest), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "  move    src -> app/src\n" in out.stdout
    assert "  create  infra/variables.yml (as in acme-infra)\n" in out.stdout
    assert "+      - app/**\n" in out.stdout
    assert "Dry run: nothing was changed.\n" in out.stdout
    out = cli("separate-to-mono", "--app", str(app), "--infra", str(infra), "--dest", str(dest),
              "--dry-run", "--json")
    data = json.loads(out.stdout)
    assert data["status"] == "planned" and data["results"][0]["creates_repo"] is True
    assert (repo_state(app), repo_state(infra)) == before
    assert not dest.exists()


def _app_is_monorepo(app: Path, infra: Path, tmp: Path) -> list[str]:
    mono = build_monorepo(tmp / "mono")
    return ["--app", str(mono), "--infra", str(infra)]


def _infra_has_no_variables(app: Path, infra: Path, tmp: Path) -> list[str]:
    return ["--app", str(app), "--infra", str(app)]


def _swapped(app: Path, infra: Path, tmp: Path) -> list[str]:
    return ["--app", str(infra), "--infra", str(app)]


def _dirty_app(app: Path, infra: Path, tmp: Path) -> list[str]:
    (app / "Dockerfile").write_text("changed\n")
    return ["--app", str(app), "--infra", str(infra)]


def _untracked_infra(app: Path, infra: Path, tmp: Path) -> list[str]:
    (infra / "infra/new.yml").write_text("x: 1\n")
    return ["--app", str(app), "--infra", str(infra)]


def _detached_infra(app: Path, infra: Path, tmp: Path) -> list[str]:
    git(infra, "checkout", "-q", "--detach", "HEAD")
    return ["--app", str(app), "--infra", str(infra)]


def _dest_not_empty(app: Path, infra: Path, tmp: Path) -> list[str]:
    (tmp / "dest").mkdir()
    (tmp / "dest" / "x").write_text("x")
    return ["--app", str(app), "--infra", str(infra)]


def _versions_differ(app: Path, infra: Path, tmp: Path) -> list[str]:
    answers = infra / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace("_commit: v1", "_commit: v2"))
    commit_all(infra, "pretend v2")
    return ["--app", str(app), "--infra", str(infra)]


def _stray_infra_file(app: Path, infra: Path, tmp: Path) -> list[str]:
    (infra / "Makefile").write_text("all:\n")
    commit_all(infra, "makefile")
    return ["--app", str(app), "--infra", str(infra)]


def _infra_routed_twice(app: Path, infra: Path, tmp: Path) -> list[str]:
    # A hand-written second dispatcher in the infra repository: infra/variables.yml runs both.
    (infra / ".github/workflows/trigger-infra-legacy.yml").write_text(TRIGGER)
    commit_all(infra, "legacy trigger")
    return ["--app", str(app), "--infra", str(infra)]


def _invalid_app_workflow(app: Path, infra: Path, tmp: Path) -> list[str]:
    # GitHub refuses this workflow ("+" must follow a character); the monorepo would hold it.
    (app / ".github/workflows/docs.yml").write_text(
        "on:\n  push:\n    paths: ['apis/c++/**']\njobs:\n  d:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo docs\n")
    commit_all(app, "docs workflow")
    return ["--app", str(app), "--infra", str(infra)]


REFUSALS = {
    "app is a monorepo": (_app_is_monorepo, "a monorepo is already the target pattern"),
    "same repository": (_infra_has_no_variables, "name the same repository"),
    "swapped": (_swapped, "pass the app repository as --app"),
    "dirty app": (_dirty_app, "git stash -u"),
    "untracked infra": (_untracked_infra, "infra/new.yml"),
    "detached infra": (_detached_infra, "git switch <branch>"),
    "dest not empty": (_dest_not_empty, "choose a new path, or remove it first"),
    "suite versions differ": (_versions_differ, "run copier update in one of them"),
    "stray infra file": (_stray_infra_file, "move them under infra/ or delete them"),
    "infra routed twice": (_infra_routed_twice, "repo-migrate explain --repo "),
    "invalid app workflow": (_invalid_app_workflow, "-app are already broken: .github/workflows/docs.yml "
                             "is invalid: on.push.paths: invalid filter pattern 'apis/c++/**'"),
}


@pytest.mark.parametrize("situation", list(REFUSALS))
def test_refusals_change_nothing(repos: tuple[Path, Path], tmp_path: Path, situation: str) -> None:
    app, infra = repos
    make, fix = REFUSALS[situation]
    args = make(app, infra, tmp_path)
    before = (repo_state(app), repo_state(infra))
    around = sorted(p.name for p in tmp_path.iterdir())
    out = cli("separate-to-mono", *args, "--dest", str(tmp_path / "dest"))
    assert out.returncode == 3, out.stderr
    assert "\n  fix: " in out.stderr and fix in out.stderr, out.stderr
    assert (repo_state(app), repo_state(infra)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == around


def test_a_trigger_left_in_the_app_repository_fails_the_routing_check(
        repos: tuple[Path, Path], tmp_path: Path) -> None:
    # The app repository kept an old dispatcher watching infra/**: in the monorepo a push of
    # infra/variables.yml would run it and the infra repository's trigger (double apply).
    app, infra = repos
    (app / ".github/workflows/trigger-infra-old.yml").write_text(TRIGGER)
    commit_all(app, "old dispatcher")
    before = (repo_state(app), repo_state(infra))
    dest = tmp_path / "acme-platform"
    out = cli("separate-to-mono", "--app", str(app), "--infra", str(infra), "--dest", str(dest))
    assert out.returncode == 4, out.stderr
    assert out.stderr == (
        "repo-migrate: error: the monorepo: infra changes no longer reach exactly one trigger "
        "workflow per variables file: a push to main changing infra/variables.yml dispatches it "
        "from 2 trigger workflows (.github/workflows/trigger-infra-old.yml, "
        ".github/workflows/trigger-infra.yml), not exactly one\n"
        "  fix: nothing was published; check the trigger workflows' triggers (repo-migrate "
        "explain --ref refs/heads/main --changed infra/variables.yml)\n")
    assert (repo_state(app), repo_state(infra)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-app", "acme-infra"]
