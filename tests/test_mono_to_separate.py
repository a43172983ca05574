from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from migrate import gitops
from migrate.plan import FileWrite, Plan
from tests.helpers import git, repo_state
from tests.monorepos import APP_CI_AT_ROOT, TRIGGER, VARIABLES, build_monorepo, copy_repo

BRANCH = "repo-migrate/mono-to-separate"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True)


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_monorepo(tmp_path_factory.mktemp("pristine") / "acme-platform")


@pytest.fixture
def mono(pristine: Path, tmp_path: Path) -> Path:
    return copy_repo(pristine, tmp_path / "acme-platform")


def log(repo: Path, *args: str) -> list[str]:
    out = git(repo, "log", "--format=%an <%ae>|%ad|%cd|%s", "--date=iso-strict", *args)
    return out.splitlines()


def test_dry_run_prints_plan_and_changes_nothing(mono: Path, tmp_path: Path) -> None:
    before = repo_state(mono)
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "acme-infra"), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert repo_state(mono) == before
    assert not (tmp_path / "acme-infra").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-platform"]
    text = out.stdout
    assert f"{mono} on new branch {BRANCH}" in text
    assert f"new repository {tmp_path / 'acme-infra'}" in text
    assert "  move    app/src -> src\n" in text
    assert "  delete  infra/variables.yml\n" in text
    assert "keep only infra/, .github/workflows/trigger-infra.yml with git-filter-repo: the 3 commits" in text
    assert "-      - 'app/**'   # only the app\n" in text
    assert "+++ b/infra/MOVED.md\n" in text
    assert "Dry run: nothing was changed.\n" in text
    assert "only branch main is carried" not in text
    assert ("README.md is the suite's infra README, rendered with what this repository's files say "
            "(it did not come from the suite); it leaves out infra/variables.schema.json, "
            ".copier-answers.yml, which the infra repository does not have") in text


def test_other_branches_and_tags_are_noted(mono: Path, tmp_path: Path) -> None:
    git(mono, "tag", "v1.0")
    git(mono, "tag", "-a", "-m", "release", "v1.1")
    git(mono, "branch", "feature")
    git(mono, "branch", "release/1")
    head = git(mono, "rev-parse", "HEAD").strip()
    for ref in ("origin/main", "origin/feature", "upstream/old"):
        git(mono, "update-ref", f"refs/remotes/{ref}", head)
    git(mono, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "d"), "--dry-run")
    assert "only branch main is carried; these stay in acme-platform only: branches feature, " \
           "release/1; remote-tracking branches origin/feature, origin/main, upstream/old; tags " \
           "v1.0, v1.1\n" in out.stdout
    data = json.loads(cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "d"),
                          "--dry-run", "--json").stdout)
    assert data["results"][0]["left_behind"] == {"branches": ["feature", "release/1"],
                                   "remote_branches": ["origin/feature", "origin/main", "upstream/old"],
                                   "tags": ["v1.0", "v1.1"]}


def test_dry_run_json(mono: Path, tmp_path: Path) -> None:
    before = repo_state(mono)
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "d"), "--dry-run", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["command"] == "mono-to-separate"
    assert data["status"] == "planned"
    assert data["branch"] == BRANCH
    assert [r["creates_repo"] for r in data["results"]] == [False, True]
    assert {"kind": "move", "src": "app/src", "path": "src"} in data["changes"]
    assert repo_state(mono) == before
    assert not (tmp_path / "d").exists()


def test_split_keeps_infra_history_and_leaves_user_branch_alone(mono: Path, tmp_path: Path) -> None:
    dest = tmp_path / "acme-infra"
    before = repo_state(mono)
    source_log = log(mono, "--", "infra/variables.yml")
    head = gitops.head_sha(mono)
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(dest))
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # no progress bar when stderr is not a terminal
    assert f"Done: the infra repository is {dest}" in out.stdout
    assert "configure the secret ACME_DISPATCH in acme-infra" in out.stdout

    # the user's branch, index and working tree are untouched; only the new branch appeared
    after = repo_state(mono)
    app_commit = git(mono, "rev-parse", BRANCH).strip()
    assert after["refs"] == before["refs"].replace(
        f"refs/heads/main {head}\n", f"refs/heads/main {head}\nrefs/heads/{BRANCH} {app_commit}\n")
    assert {k: v for k, v in after.items() if k != "refs"} == {
        k: v for k, v in before.items() if k != "refs"}

    # DEST: infra/ and the trigger workflow with their history (authors, dates, messages)
    assert len(source_log) == 2
    assert log(dest, "--", "infra/variables.yml") == source_log
    assert [line.split("|")[3] for line in log(dest)] == [
        "repo-migrate mono-to-separate: infra repository from acme-platform",
        "docs and infra readme", "infra: bigger database", "start the platform"]  # merge now empty
    assert git(dest, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(dest, "fsck", "--no-progress", "--no-dangling") == ""
    assert git(dest, "for-each-ref", "--format=%(refname)") == "refs/heads/main\n"
    assert git(dest, "remote") == ""
    assert gitops.current_branch(dest) == "main"
    # DEST holds only its own history's objects: no blob of the app ever reaches it
    stored = git(dest, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)").split()
    assert sorted(stored) == sorted(line.split()[0] for line in
                                    git(dest, "rev-list", "--all", "--objects").splitlines())
    for old_main in git(mono, "log", "--format=%H", "--", "app/src/main.py").split():
        blob = git(mono, "rev-parse", f"{old_main}:app/src/main.py").strip()
        assert git(dest, "cat-file", "-e", blob, check=False) == "" and blob not in stored
    files = gitops.read_tree(dest, "HEAD")
    assert sorted(files) == [".github/workflows/trigger-infra.yml", ".gitignore",
                             ".repo-migrate/commit-map", ".repo-migrate/migration.json", "README.md",
                             "infra/README.md", "infra/variables.yml"]
    assert files[".gitignore"] == b"*.pyc\n"  # the rules that applied to infra/ went with it
    assert files["infra/variables.yml"] == (VARIABLES + "db_size: large\r\n").encode()
    assert files[".github/workflows/trigger-infra.yml"] == TRIGGER.encode()
    assert b"# acme-infra" in files["README.md"]
    record = json.loads(files[".repo-migrate/migration.json"])
    assert record["state_keys"] == {"infra/variables.yml": "acme/acme-platform"}
    assert record["customer_id"] == "acme"
    assert record["old_repository"]["commit"] == head
    assert record["old_repository"]["name"] == "acme-platform"
    assert record["new_repository"]["name"] == "acme-infra"
    assert record["commit_map"] == ".repo-migrate/commit-map"
    cmap = files[".repo-migrate/commit-map"].decode().splitlines()
    assert cmap[0].split() == ["old", "new"]
    mapping = dict(line.split() for line in cmap[1:])
    for old in git(mono, "rev-list", head, "--", "infra/").split():
        assert git(dest, "cat-file", "-t", mapping[old]).strip() == "commit"

    # REPO's new branch: the app repository
    app = gitops.read_tree(mono, BRANCH)
    assert sorted(app) == [".github/workflows/app-ci.yml", ".gitignore", "Dockerfile", "README.md",
                           "docs/guide.md", "infra/MOVED.md", "logo.png", "run.sh", "src/main.py"]
    assert app[".github/workflows/app-ci.yml"] == APP_CI_AT_ROOT.encode()
    assert app["logo.png"] == b"\x89PNG\r\n\x1a\n\0\0binary"
    assert gitops.ls_tree(mono, BRANCH)["run.sh"][0] == "100755"
    assert b"`acme-infra`" in app["infra/MOVED.md"]
    assert git(mono, "rev-parse", f"{BRANCH}^").strip() == head
    follow = git(mono, "log", "--follow", "--format=%s", BRANCH, "--", "src/main.py").splitlines()
    assert follow[1:] == ["app: greet the world", "start the platform"]
    for path, data in app.items():
        if path.endswith(".yml"):
            assert yaml.safe_load(data) is not None


def test_no_history_makes_one_commit(mono: Path, tmp_path: Path) -> None:
    dest = tmp_path / "acme-infra"
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(dest), "--no-history", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["status"] == "applied"
    assert data["published"]["infra_repo"] == str(dest)
    assert git(dest, "rev-list", "--count", "HEAD").strip() == "1"
    files = gitops.read_tree(dest, "HEAD")
    assert ".repo-migrate/commit-map" not in files
    assert files["infra/variables.yml"] == (VARIABLES + "db_size: large\r\n").encode()
    assert json.loads(files[".repo-migrate/migration.json"])["commit_map"] is None


def test_branch_option_names_the_result(mono: Path, tmp_path: Path) -> None:
    git(mono, "branch", BRANCH)
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "d"), "--branch", "split")
    assert out.returncode == 0, out.stderr
    assert gitops.read_file(mono, "split", "infra/MOVED.md") is not None
    assert git(mono, "rev-parse", BRANCH) == git(mono, "rev-parse", "main")


def test_empty_destination_directory_is_used(mono: Path, tmp_path: Path) -> None:
    dest = tmp_path / "empty"
    dest.mkdir()
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(dest))
    assert out.returncode == 0, out.stderr
    assert (dest / "infra/variables.yml").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-platform", "empty"]


def _dirty(repo: Path, tmp: Path) -> None:
    (repo / "app/src/main.py").write_text("changed\n")


def _untracked(repo: Path, tmp: Path) -> None:
    (repo / "notes.txt").write_text("todo\n")


def _staged(repo: Path, tmp: Path) -> None:
    (repo / "README.md").write_text("staged\n")
    git(repo, "add", "README.md")


def _merging(repo: Path, tmp: Path) -> None:
    git(repo, "switch", "-q", "-c", "side")
    (repo / "README.md").write_text("side\n")
    git(repo, "commit", "-qam", "side")
    git(repo, "switch", "-q", "main")
    (repo / "README.md").write_text("main\n")
    git(repo, "commit", "-qam", "main")
    git(repo, "merge", "-q", "side", check=False)


def _rebasing(repo: Path, tmp: Path) -> None:
    _merging(repo, tmp)
    git(repo, "merge", "--abort")
    git(repo, "rebase", "side", check=False)


def _detached(repo: Path, tmp: Path) -> None:
    git(repo, "checkout", "-q", "--detach", "HEAD")


def _no_infra(repo: Path, tmp: Path) -> None:
    git(repo, "rm", "-rq", "infra")
    git(repo, "commit", "-qm", "no infra")


def _separate_app(repo: Path, tmp: Path) -> None:
    _no_infra(repo, tmp)


def _infra_only(repo: Path, tmp: Path) -> None:
    git(repo, "rm", "-rq", "app")
    git(repo, "commit", "-qm", "no app")


def _answers_separate(repo: Path, tmp: Path) -> None:
    (repo / ".copier-answers.yml").write_text("pattern: separate\nrepo_role: app\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "answers")


def _multi_region(repo: Path, tmp: Path) -> None:
    (repo / ".copier-answers.yml").write_text("pattern: multi-region\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "answers")


def _dest_not_empty(repo: Path, tmp: Path) -> None:
    (tmp / "dest").mkdir()
    (tmp / "dest" / "keep.txt").write_text("mine\n")


def _dest_is_file(repo: Path, tmp: Path) -> None:
    (tmp / "dest").write_text("a file\n")


def _branch_exists(repo: Path, tmp: Path) -> None:
    git(repo, "branch", BRANCH)


def _name_clash(repo: Path, tmp: Path) -> None:
    (repo / "Dockerfile").write_text("FROM scratch\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "root dockerfile")


def _second_trigger(repo: Path, tmp: Path) -> None:
    # A hand-written second dispatcher that also fires for infra/variables.yml: double apply.
    (repo / ".github/workflows/trigger-infra-legacy.yml").write_text(TRIGGER.replace(
        "name: trigger-infra", "name: trigger-infra-legacy"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "legacy trigger")


def _trigger_misses_variables(repo: Path, tmp: Path) -> None:
    (repo / ".github/workflows/trigger-infra.yml").write_text(TRIGGER.replace(
        "paths: ['infra/**']", "paths: ['infra/modules/**']"))
    git(repo, "commit", "-qam", "trigger watches modules only")


def _invalid_trigger(repo: Path, tmp: Path) -> None:
    (repo / ".github/workflows/trigger-infra.yml").write_text(TRIGGER.replace(
        "paths: ['infra/**']", "paths: ['infra/**']\n    paths-ignore: ['infra/README.md']"))
    git(repo, "commit", "-qam", "paths and paths-ignore")


REFUSALS = {
    "modified file": (_dirty, "git stash -u"),
    "untracked file": (_untracked, "notes.txt"),
    "staged change": (_staged, "commit them"),
    "merge in progress": (_merging, "git merge --abort"),
    "rebase in progress": (_rebasing, "git rebase --abort"),
    "detached HEAD": (_detached, "git switch <branch>"),
    "no infra/": (_no_infra, "not a monorepo"),
    "infra only": (_infra_only, "already looks like an infra repository"),
    "answers say separate": (_answers_separate, "use separate-to-mono"),
    "multi-region repository": (_multi_region, "mono-to-separate splits a monorepo"),
    "destination not empty": (_dest_not_empty, "choose a new path, or remove it first"),
    "destination is a file": (_dest_is_file, "choose a new path, or remove it first"),
    "branch exists": (_branch_exists, "pass --branch NAME to use another name"),
    "name in app/ and at root": (_name_clash, "Dockerfile"),
    "two triggers for infra/variables.yml": (_second_trigger, "repo-migrate explain --repo "),
    "no trigger for infra/variables.yml": (_trigger_misses_variables, "--changed infra/variables.yml"),
    "invalid trigger workflow": (_invalid_trigger, "repo-migrate explain"),
}
ROUTING_PROBLEMS = {
    "two triggers for infra/variables.yml": "a push to main changing infra/variables.yml dispatches "
    "it from 2 trigger workflows (.github/workflows/trigger-infra-legacy.yml, "
    ".github/workflows/trigger-infra.yml), not exactly one",
    "no trigger for infra/variables.yml": "no trigger workflow dispatches infra/variables.yml (no "
    "push, tag push or manual run sends it)",
    "invalid trigger workflow": ".github/workflows/trigger-infra.yml is invalid: ",
}


@pytest.mark.parametrize("situation", list(REFUSALS))
def test_unsafe_start_is_refused_and_nothing_changes(mono: Path, tmp_path: Path, situation: str) -> None:
    make, fix = REFUSALS[situation]
    make(mono, tmp_path)
    before = repo_state(mono)
    around = sorted(p.name for p in tmp_path.iterdir())
    dest = tmp_path / "dest"
    dest_before = dest.read_bytes() if dest.is_file() else sorted(p.name for p in dest.glob("*"))
    for extra in ([], ["--dry-run"]):
        out = cli("mono-to-separate", str(mono), "--infra-repo", str(dest), *extra)
        assert out.returncode == 3, out.stderr
        assert out.stderr.startswith("repo-migrate: error: ")
        assert "\n  fix: " in out.stderr
        assert fix in out.stderr
        assert ROUTING_PROBLEMS.get(situation, "") in out.stderr
        assert "Traceback" not in out.stderr
        assert repo_state(mono) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == around
        assert (dest.read_bytes() if dest.is_file() else sorted(p.name for p in dest.glob("*"))) == dest_before


def test_shallow_clone_needs_no_history(pristine: Path, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{pristine}", str(shallow))
    before = repo_state(shallow)
    out = cli("mono-to-separate", str(shallow), "--infra-repo", str(tmp_path / "d"))
    assert out.returncode == 3
    assert "git fetch --unshallow" in out.stderr and "--no-history" in out.stderr
    assert repo_state(shallow) == before
    assert not (tmp_path / "d").exists()
    out = cli("mono-to-separate", str(shallow), "--infra-repo", str(tmp_path / "d"), "--no-history")
    assert out.returncode == 0, out.stderr
    assert git(tmp_path / "d", "rev-list", "--count", "HEAD").strip() == "1"


def test_destination_inside_the_repository_is_refused(mono: Path) -> None:
    before = repo_state(mono)
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(mono / "sub"))
    assert out.returncode == 3
    assert "inside the repository" in out.stderr
    assert repo_state(mono) == before


def test_not_a_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    out = cli("mono-to-separate", str(tmp_path / "plain"), "--infra-repo", str(tmp_path / "d"))
    assert out.returncode == 3
    assert "not a git working tree" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain"]


def test_progress_bar_counts_commits_on_a_terminal(pristine: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from migrate import history

    work = tmp_path / "work"
    history.clone_for_rewrite(pristine, work, "main")
    history.filter_repo(work, ["--path", "infra/"], progress=True, label="keeping infra/")
    err = capsys.readouterr().err
    assert err.endswith("\rkeeping infra/ [##############################] 6/6 commits\n")
    history.filter_repo(work, ["--path", "infra/variables.yml"], progress=False)
    assert capsys.readouterr().err == ""


def test_missing_trigger_workflow_is_noted(mono: Path, tmp_path: Path) -> None:
    git(mono, "rm", "-q", ".github/workflows/trigger-infra.yml")
    git(mono, "commit", "-qm", "no trigger")
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "d"), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "no .github/workflows/trigger-infra*.yml: the infra repository gets no workflow" in out.stdout
    assert "keep only infra/ with git-filter-repo" in out.stdout


def test_failed_post_condition_publishes_nothing_and_exits_4(
        mono: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from migrate.cli import main
    from migrate.commands import mono_to_separate as core
    from migrate.errors import VerificationFailed

    seen: list[Path] = []
    real = core.verify_infra  # the last check before publishing (the app's half ran already)

    def verify_then_fail(m: core.Split, infra_work: Path) -> None:
        real(m, infra_work)
        seen.append(infra_work)
        raise VerificationFailed("a post-condition failed (simulated)", "report it")

    monkeypatch.setattr(core, "verify_infra", verify_then_fail)
    before = repo_state(mono)
    dest = tmp_path / "acme-infra"
    with pytest.raises(SystemExit) as exc:
        main(["mono-to-separate", str(mono), "--infra-repo", str(dest)])
    assert exc.value.code == 4
    assert "a post-condition failed (simulated)" in capsys.readouterr().err
    assert len(seen) == 1 and not seen[0].exists()  # the scratch copy is gone
    assert repo_state(mono) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-platform"]


def test_no_hook_runs_and_no_config_or_remote_changes(mono: Path, tmp_path: Path) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    marker = tmp_path / "HOOK_RAN"
    for name in ("pre-commit", "post-commit", "post-checkout", "reference-transaction",
                 "post-merge", "pre-push", "post-rewrite"):
        (hooks / name).write_text(f"#!/bin/sh\necho {name} >> '{marker}'\n")
        (hooks / name).chmod(0o755)
    git(mono, "config", "core.hooksPath", str(hooks))
    git(mono, "remote", "add", "origin", "https://example.invalid/acme/acme-platform.git")
    git(mono, "commit", "-q", "--allow-empty", "-m", "hooks work for plain git")
    assert {"pre-commit", "post-commit", "reference-transaction"} <= set(marker.read_text().split())
    marker.unlink()
    config = (mono / ".git/config").read_bytes()
    out = cli("mono-to-separate", str(mono), "--infra-repo", str(tmp_path / "acme-infra"))
    assert out.returncode == 0, out.stderr
    assert not marker.exists()
    assert (mono / ".git/config").read_bytes() == config
    assert git(mono, "for-each-ref", "--format=%(refname)", "refs/remotes") == ""
    assert git(tmp_path / "acme-infra", "remote") == ""


def _add_trigger_to_infra(plan: Plan) -> Plan:
    extra = FileWrite(".github/workflows/trigger-infra-copy.yml", None, TRIGGER.encode())
    return dataclasses.replace(plan, changes=(*plan.changes, extra))


def _add_trigger_to_app(plan: Plan) -> Plan:
    extra = FileWrite(".github/workflows/trigger-infra.yml", None, TRIGGER.encode())
    return dataclasses.replace(plan, changes=(*plan.changes, extra))


@pytest.mark.parametrize(("part", "edit", "problem"), [
    ("infra_plan", _add_trigger_to_infra,
     "the infra repository: infra changes no longer reach exactly one trigger workflow per variables "
     "file: a push to main changing infra/variables.yml dispatches it from 2 trigger workflows"),
    ("app_plan", _add_trigger_to_app,
     "the app branch would still dispatch infra changes: infra/MOVED.md runs "
     ".github/workflows/trigger-infra.yml"),
])
@pytest.mark.parametrize("history", [True, False])
def test_broken_routing_in_a_result_publishes_nothing_and_exits_4(
        mono: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], part: str, edit: Any, problem: str, history: bool) -> None:
    # A planner bug that would leave a second dispatcher (infra) or one in the app repository:
    # the routing post-condition (repo-migrate explain's evaluator) stops it in the scratch copy.
    from migrate.cli import main
    from migrate.commands import mono_to_separate as core

    real = getattr(core, part)
    monkeypatch.setattr(core, part, lambda *a, **k: edit(real(*a, **k)))
    before = repo_state(mono)
    dest = tmp_path / "acme-infra"
    with pytest.raises(SystemExit) as exc:
        main(["mono-to-separate", str(mono), "--infra-repo", str(dest),
              *([] if history else ["--no-history"])])
    assert exc.value.code == 4
    err = capsys.readouterr().err
    assert problem in err and "nothing was published" in err
    assert repo_state(mono) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-platform"]
