"""mono-to-separate and separate-to-mono on repositories shaped like real ones (tests/real_layouts):
the application at the root, in src/, in apps/ or in app/; Terraform workflows working in
infra/; app CI naming app/ in filters and inputs; attribute, ignore and CODEOWNERS rules; LFS
pointers; symbolic links; several branches, tags and remote-tracking branches.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migrate import gitops
from tests.helpers import commit_all, git, repo_state
from tests.monorepos import copy_repo
from tests.real_layouts import APP_CI_AT_ROOT, FOLLOWED, LAYOUTS, VARIABLES, build_real

BRANCH = "repo-migrate/mono-to-separate"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True)


def log_follow(repo: Path, rev: str, path: str) -> list[str]:
    out = git(repo, "log", "--follow", "--format=%an|%ad|%s", rev, "--", path)
    return [line for line in out.splitlines() if "repo-migrate" not in line]


@pytest.fixture(scope="module", params=LAYOUTS)
def split(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[str, Path, Path, Path, str]:
    """(layout, the monorepo, its pristine copy, the infra repository, mono-to-separate's output)."""
    layout = request.param
    base = tmp_path_factory.mktemp(f"real-{layout}")
    pristine = build_real(base / "pristine" / "acme-shop", layout)
    mono = copy_repo(pristine, base / "acme-shop")
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(base / "acme-infra"))
    assert out.returncode == 0, out.stderr
    return layout, mono, pristine, base / "acme-infra", out.stdout


def test_split_keeps_the_application_where_it_is(split: tuple[str, Path, Path, Path, str]) -> None:
    layout, mono, pristine, infra, _ = split
    source = gitops.ls_tree(pristine, "main")
    app = gitops.ls_tree(mono, BRANCH)
    leaving = {p for p in source if p.startswith("infra/")} | {
        ".github/workflows/terraform.yml", ".github/workflows/trigger-infra.yml"}
    rules = {".gitattributes", ".gitignore", ".github/CODEOWNERS"}
    if layout == "app":
        def moved(p: str) -> str:
            return p[4:] if p.startswith("app/") else p
        edited = rules | {".github/workflows/ci.yml", "latest"}
    else:
        def moved(p: str) -> str:
            return p
        edited = rules
    want = {moved(p): v for p, v in source.items() if p not in leaving and p not in edited}
    assert {p: v for p, v in app.items() if p not in edited and p != "infra/MOVED.md"} == want
    assert set(app) == set(want) | edited | {"infra/MOVED.md"}
    files = gitops.read_tree(mono, BRANCH)
    assets = {"root": "assets", "src": "src/assets", "apps": "apps/assets", "app": "assets"}[layout]
    assert files[".gitattributes"] == (f"* text=auto\n*.png binary\n{assets}/** "
                                       "filter=lfs diff=lfs merge=lfs -text\n").encode()
    assert files[".github/CODEOWNERS"] == b"* @acme/devs\n"
    assert files[".gitignore"] == b"node_modules/\n.terraform/\n*.tfstate*\n/dist/\n"
    if layout == "app":
        assert files[".github/workflows/ci.yml"] == APP_CI_AT_ROOT.encode()
        assert app["latest"][0] == "120000" and files["latest"] == b"src"
        assert app["main.js"] == source["app/main.js"]  # a link inside app/ moves as it is
    else:
        assert files[".github/workflows/ci.yml"] == gitops.read_file(pristine, "main",
                                                                    ".github/workflows/ci.yml")


def test_infra_repository_holds_infra_its_workflows_and_rules(
        split: tuple[str, Path, Path, Path, str]) -> None:
    _, _, pristine, infra, out = split
    source = gitops.ls_tree(pristine, "main")
    got = gitops.ls_tree(infra, "HEAD")
    carried = {p: v for p, v in source.items() if p.startswith("infra/")
               or p in (".github/workflows/terraform.yml", ".github/workflows/trigger-infra.yml")}
    assert {p: v for p, v in got.items() if p in carried} == carried  # modes (the link) and bytes
    assert got["infra/current.tfvars"][0] == "120000"
    assert sorted(set(got) - set(carried)) == [
        ".gitattributes", ".github/CODEOWNERS", ".gitignore", ".repo-migrate/commit-map",
        ".repo-migrate/migration.json", "README.md"]
    files = gitops.read_tree(infra, "HEAD")
    assert files[".gitattributes"] == (b"* text=auto\n*.png binary\n"
                                       b"infra/**/*.zip filter=lfs diff=lfs merge=lfs -text\n")
    assert files[".github/CODEOWNERS"] == (b"* @acme/devs\n/infra/ @acme/ops\n"
                                           b"/.github/workflows/terraform.yml @acme/ops\n")
    assert files[".gitignore"] == b"node_modules/\n.terraform/\n*.tfstate*\n/infra/plan.out\n"
    # the checked-out LFS pointer is what git stores: no filter ran
    assert (infra / "infra/lambda.zip").read_bytes() == files["infra/lambda.zip"]
    assert git(infra, "status", "--porcelain", "--untracked-files=all") == ""
    readme = files["README.md"].decode()
    rows = [line.split("|")[1].strip() for line in readme.splitlines() if line.startswith("| `")]
    assert rows == ["`infra/variables.yml`", "`.github/workflows/trigger-infra.yml`"]
    assert "(region eu-west, eu-west-1)" in readme and "ACME_DISPATCH" in readme
    assert "copier update" not in readme
    assert log_follow(infra, "HEAD", "infra/variables.yml") == log_follow(
        pristine, "main", "infra/variables.yml")
    assert ("only branch main is carried; these stay in acme-shop only: branches feature, hotfix; "
            "remote-tracking branches origin/feature, origin/hotfix, origin/main; tags v1.0, v1.1"
            ) in out
    assert (".github/workflows/terraform.yml moves to the infra repository: all its path filters "
            "watch infra/") in out
    assert "1 file stored with Git LFS moves (infra/lambda.zip)" in out


def test_round_trip_gives_back_the_monorepo_byte_for_byte(
        split: tuple[str, Path, Path, Path, str], tmp_path: Path) -> None:
    layout, mono, pristine, infra, _ = split
    app = tmp_path / "acme-app"
    git(tmp_path, "clone", "-q", "--branch", BRANCH, str(mono), str(app))
    before = (repo_state(app), repo_state(infra))
    dest = tmp_path / "acme-shop-again"
    out = cli("separate-to-mono", "--app", str(app), "--infra", str(infra), "--dest", str(dest))
    assert out.returncode == 0, out.stderr
    assert (repo_state(app), repo_state(infra)) == before
    assert gitops.ls_tree(dest, "HEAD") == gitops.ls_tree(pristine, "main")
    assert git(dest, "status", "--porcelain", "--untracked-files=all") == ""
    followed = FOLLOWED[layout]
    assert log_follow(dest, "HEAD", followed) == log_follow(pristine, "main", followed)
    # the infra repository's history is merged in (the app's history still holds the originals)
    infra_log = log_follow(infra, "HEAD", "infra/variables.yml")
    assert infra_log == log_follow(pristine, "main", "infra/variables.yml")
    assert log_follow(dest, "HEAD^2", "infra/variables.yml") == infra_log


def test_dry_run_json_lists_what_stays_and_what_moves(
        split: tuple[str, Path, Path, Path, str], tmp_path: Path) -> None:
    layout, _, pristine, _, _ = split
    mono = copy_repo(pristine, tmp_path / "acme-shop")
    before = repo_state(mono)
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "d"), "--dry-run", "--json")
    assert out.returncode == 0, out.stderr
    assert repo_state(mono) == before
    data = json.loads(out.stdout)["results"][0]
    assert data["app_folder"] == ("app" if layout == "app" else "")
    assert data["moved_workflows"] == [".github/workflows/terraform.yml"]
    assert data["left_behind"] == {"branches": ["feature", "hotfix"],
                                   "remote_branches": ["origin/feature", "origin/hotfix", "origin/main"],
                                   "tags": ["v1.0", "v1.1"]}


def _with(pristine: Path, tmp_path: Path, files: dict[str, str], links: dict[str, str]) -> Path:
    mono = copy_repo(pristine, tmp_path / "acme-shop")
    for path, text in files.items():
        (mono / path).parent.mkdir(parents=True, exist_ok=True)
        (mono / path).write_text(text)
    for path, target in links.items():
        (mono / path).symlink_to(target)
    commit_all(mono, "edit")
    return mono


@pytest.fixture(scope="module")
def app_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real(tmp_path_factory.mktemp("real-edits") / "acme-shop", "app")


def test_link_whose_target_leaves_is_refused(app_layout: Path, tmp_path: Path) -> None:
    mono = _with(app_layout, tmp_path, {}, {"app/vars.yml": "../infra/variables.yml"})
    before = repo_state(mono)
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "d"))
    assert out.returncode == 3, out.stderr
    assert ("app/vars.yml is a symbolic link to ../infra/variables.yml, which goes to the infra "
            "repository while the link goes to the app repository") in out.stderr
    assert "replace the link with a copy of infra/variables.yml (or remove it)" in out.stderr
    assert repo_state(mono) == before and not (tmp_path / "d").exists()


def test_workflow_calling_or_mixing_infra_stays_with_a_reason(app_layout: Path, tmp_path: Path) -> None:
    deploy = ("name: deploy\non: [push]\njobs:\n  plan:\n    uses: ./.github/workflows/terraform.yml\n"
              "  app:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make -C infra outputs\n"
              "        working-directory: app\n")
    mono = _with(app_layout, tmp_path, {".github/workflows/deploy.yml": deploy}, {})
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "d"), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert (".github/workflows/terraform.yml stays: it is a reusable workflow that "
            ".github/workflows/deploy.yml names; move it by hand with its callers") in out.stdout
    assert ".github/workflows/deploy.yml stays: it names infra/ but also works outside it" in out.stdout
    assert "delete  .github/workflows/terraform.yml" not in out.stdout


def test_variables_are_carried_exactly(split: tuple[str, Path, Path, Path, str]) -> None:
    _, _, _, infra, _ = split
    assert gitops.read_file(infra, "HEAD", "infra/variables.yml") == (VARIABLES + "db_size: large\n").encode()


def test_rule_files_of_app_join_the_roots_and_come_back(app_layout: Path, tmp_path: Path) -> None:
    mono = _with(app_layout, tmp_path, {"app/.gitignore": "dist/\nnode_modules/\n",
                                        "app/.gitattributes": "*.svg binary\n"}, {})
    source = gitops.ls_tree(mono, "main")
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "acme-infra"))
    assert out.returncode == 0, out.stderr
    files = gitops.read_tree(mono, BRANCH)
    assert files[".gitignore"] == b"node_modules/\n.terraform/\n*.tfstate*\n/dist/\ndist/\n"
    assert files[".gitattributes"].endswith(b"assets/** filter=lfs diff=lfs merge=lfs -text\n*.svg binary\n")
    assert ".gitignore joins the rules of app/.gitignore to the root's" in out.stdout
    app = tmp_path / "acme-app"
    git(tmp_path, "clone", "-q", "--branch", BRANCH, str(mono), str(app))
    dest = tmp_path / "again"
    out = cli("separate-to-mono", "--app", str(app), "--infra", str(tmp_path / "acme-infra"),
              "--dest", str(dest))
    assert out.returncode == 0, out.stderr
    assert gitops.ls_tree(dest, "HEAD") == source
