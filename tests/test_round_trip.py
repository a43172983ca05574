"""mono-to-separate then separate-to-mono, on suite-generated and hand-made monorepos.

Also: results of a suite-generated monorepo carry the separate pattern's answers, and
`copier update` to a newer suite version applies cleanly in each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from migrate import gitops
from tests.helpers import commit_all, file_bytes, git
from tests.monorepos import build_monorepo, commit, copy_repo
from tests.suite_fixtures import generate, make_suite_repo

COPIER = str(Path(sys.executable).parent / "copier")
BRANCH = "repo-migrate/mono-to-separate"
CUSTOMER_STEP = (
    "      # customer: also check the types\n"
    "      - name: Type check\n"
    "        run: python3 -m compileall src\n"
)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The suite as a git repository: v1, and v2 changing an app and an infra template."""
    repo = make_suite_repo(tmp_path_factory.mktemp("m2s-suite") / "suite")
    partial = repo / "templates/_shared/app/Dockerfile.jinja"
    partial.write_text(partial.read_text().replace("FROM python:3.12-slim\n", "FROM python:3.13-slim\n"))
    shared = repo / "templates/_shared/variables.jinja"
    shared.write_text(shared.read_text().replace(
        "# Service tier at the provider: standard or enterprise.\n",
        "# Service tier at the provider: standard or enterprise (see your contract).\n"))
    commit_all(repo, "v2: python 3.13, tier comment")
    git(repo, "tag", "v2")
    return repo


@pytest.fixture(scope="module")
def suite_mono(suite: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A monorepo generated from suite v1, then edited by the customer over a few commits."""
    repo = generate(suite, tmp_path_factory.mktemp("m2s-mono") / "acme-platform",
                    {"customer_id": "acme", "pattern": "monorepo"}, vcs_ref="v1")
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "generated from the suite v1", "Alice", "2025-01-01T09:00:00+00:00")
    variables = repo / "infra/variables.yml"
    variables.write_text(variables.read_text().replace("  max_instances: 4\n", "  max_instances: 9\n"))
    commit(repo, "infra: allow more instances", "Carol", "2025-02-01T09:00:00+00:00")
    ci = repo / ".github/workflows/app-ci.yml"
    ci.write_text(ci.read_text() + CUSTOMER_STEP)
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nOur team notes.\n")
    commit(repo, "ci: type check; readme notes", "Bob", "2025-03-01T09:00:00+00:00")
    main = repo / "app/src/main.py"
    main.write_text(main.read_text() + "# customer code\n")
    commit(repo, "app: customer code", "Alice", "2025-04-01T09:00:00+00:00")
    return repo


@pytest.fixture(scope="module")
def split(suite_mono: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(monorepo copy, app repository checked out from the new branch, infra repository)."""
    base = tmp_path_factory.mktemp("m2s-split")
    mono = copy_repo(suite_mono, base / "acme-platform")
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(base / "acme-infra"))
    assert out.returncode == 0, out.stderr
    app = base / "acme-app"
    git(base, "clone", "-q", "--branch", BRANCH, str(mono), str(app))
    return mono, app, base / "acme-infra"


def answers(repo: Path) -> dict:
    return yaml.safe_load((repo / ".copier-answers.yml").read_text())


def test_results_carry_separate_pattern_answers(split: tuple[Path, Path, Path], suite: Path) -> None:
    _, app, infra = split
    a, i = answers(app), answers(infra)
    assert {k: a[k] for k in ("_commit", "pattern", "repo_role", "repo_name", "runtime", "customer_id")} == {
        "_commit": "v1", "pattern": "separate", "repo_role": "app", "repo_name": "acme-platform",
        "runtime": "python", "customer_id": "acme"}
    assert "state_key" not in a and "provider_repo" not in a
    assert {k: i[k] for k in ("_commit", "pattern", "repo_role", "repo_name", "state_key")} == {
        "_commit": "v1", "pattern": "separate", "repo_role": "infra", "repo_name": "acme-infra",
        "state_key": "acme/acme-platform"}
    assert "runtime" not in i
    # app CI is the separate pattern's, with the customer's own step carried over
    ci = (app / ".github/workflows/app-ci.yml").read_text()
    assert ci.endswith(CUSTOMER_STEP)
    assert "paths:" not in ci and "working-directory" not in ci
    assert (app / "README.md").read_text().endswith("\nOur team notes.\n")
    assert "application repository" in (app / "README.md").read_text()


def test_migrated_then_updated_equals_fresh_copy_plus_customer_edits(
        split: tuple[Path, Path, Path], suite: Path, tmp_path: Path) -> None:
    _, app_src, infra_src = split
    for name, src, edited in (
        ("app", app_src, {".github/workflows/app-ci.yml", "README.md", "src/main.py", "infra/MOVED.md"}),
        ("infra", infra_src, {"infra/variables.yml", ".repo-migrate/migration.json",
                              ".repo-migrate/commit-map"}),
    ):
        repo = tmp_path / name
        git(tmp_path, "clone", "-q", str(src), str(repo))
        done = subprocess.run([COPIER, "update", "--trust", "--defaults", "--quiet", "--conflict", "rej",
                               "--vcs-ref", "v2"], cwd=repo, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        got = file_bytes(repo)
        assert not [f for f in got if f.endswith(".rej")]
        assert not [f for f, data in got.items() if b"<<<<<<<" in data or b">>>>>>>" in data]
        assert answers(repo)["_commit"] == "v2"
        fresh = generate(suite, tmp_path / f"fresh-{name}",
                         {k: v for k, v in answers(repo).items() if not k.startswith("_")}, vcs_ref="v2")
        want = file_bytes(fresh)
        assert set(want) - set(got) == set()
        for path in set(want) - edited - {".copier-answers.yml"}:
            assert got[path] == want[path], path
        assert set(got) - set(want) <= edited
    app = tmp_path / "app"
    assert "FROM python:3.13-slim\n" in (app / "Dockerfile").read_text()
    assert (app / ".github/workflows/app-ci.yml").read_text().endswith(CUSTOMER_STEP)
    assert (app / "src/main.py").read_text().endswith("# customer code\n")
    text = (tmp_path / "infra/infra/variables.yml").read_text()
    assert "  max_instances: 9\n" in text and "(see your contract).\n" in text


def test_round_trip_gives_back_the_suite_monorepo(
        split: tuple[Path, Path, Path], suite_mono: Path, tmp_path: Path) -> None:
    mono, app, infra = split
    dest = tmp_path / "acme-platform-again"
    out = cli("separate-to-mono", "--app", str(app), "--infra", str(infra), "--dest", str(dest))
    assert out.returncode == 0, out.stderr
    assert gitops.ls_tree(dest, "HEAD") == gitops.ls_tree(suite_mono, "HEAD")  # paths, modes, bytes
    assert file_bytes(dest) == file_bytes(suite_mono)
    assert git(dest, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(dest, "log", "--format=%an %ad %s", "--", "infra/variables.yml") == git(
        infra, "log", "--format=%an %ad %s", "--", "infra/variables.yml")
    assert len(git(dest, "log", "--format=%s", "--", "infra/variables.yml").splitlines()) == 2


def test_round_trip_gives_back_a_hand_made_monorepo(tmp_path: Path) -> None:
    mono = build_monorepo(tmp_path / "acme-platform")
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "acme-infra"))
    assert out.returncode == 0, out.stderr
    git(mono, "switch", "-q", BRANCH)  # the customer merged the result
    dest = tmp_path / "again"
    out = cli("separate-to-mono", "--app", str(mono), "--infra", str(tmp_path / "acme-infra"),
              "--dest", str(dest))
    assert out.returncode == 0, out.stderr
    assert gitops.ls_tree(dest, "HEAD") == gitops.ls_tree(mono, "main")
    follow = git(dest, "log", "--follow", "--format=%s", "--", "app/src/main.py").splitlines()
    assert follow[-2:] == ["app: greet the world", "start the platform"]


def test_workflows_of_every_result_pass_the_real_checkers(
        split: tuple[Path, Path, Path], tmp_path: Path) -> None:
    from tests import checkers

    _, app, infra = split
    dest = tmp_path / "again"
    out = cli("separate-to-mono", "--app", str(app), "--infra", str(infra), "--dest", str(dest))
    assert out.returncode == 0, out.stderr
    workflows = [p for root in (app, infra, dest) for p in sorted((root / ".github/workflows").glob("*.yml"))]
    assert len(workflows) == 4  # app-ci; trigger-infra; both again in the monorepo
    assert checkers.actionlint(workflows) == []
    assert checkers.check_jsonschema(workflows) == []
    assert checkers.zizmor(workflows) == []
