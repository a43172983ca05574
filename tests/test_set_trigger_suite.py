"""set-trigger on repositories the template suite generated: the kinds mean the same in both
(no-op on every generated kind subset), a manual trigger added later works, and the new triggers
are recorded in the Copier answers so that `copier update` keeps them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from migrate.cli import main
from tests.helpers import commit_all, git, repo_state
from tests.suite_fixtures import (
    TRIGGER_SUBSETS,
    case_answers,
    copier_update_cleanly,
    generate,
    make_suite_repo,
    release_suite_v2,
    tree,
)
from tests.test_templates_workflows import needs_tools, run_step

WF = ".github/workflows/trigger-infra.yml"
BRANCH = "repo-migrate/set-trigger"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["set-trigger", *args])
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def options(kinds: list[str], branches: list[str], tag: str) -> list[str]:
    args = [x for k in kinds for x in ("--on", k)]
    args += ["--paths", "infra/**"] if "path" in kinds else []
    args += [x for b in branches for x in ("--branches", b)] if "branch" in kinds else []
    return args + (["--tags", tag] if "tag" in kinds else [])


@pytest.fixture(scope="module")
def subset_repos(plain_suite: Path, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[list[str], dict[str, Any], Path]]:
    """A committed monorepo per trigger kind subset (odd ones with other branch/tag globs)."""
    out = []
    base = tmp_path_factory.mktemp("subsets")
    for index, kinds in enumerate(TRIGGER_SUBSETS):
        odd = index % 2 == 1
        answers = case_answers("monorepo", trigger_kinds=kinds,
                               branch_patterns=["main", "*-hotfix"] if odd else ["main", "release/**"],
                               tag_pattern="*-infra" if odd else "infra-v*")
        repo = generate(plain_suite, base / f"subset-{index}", answers)
        git(repo, "init", "-q", "-b", "main")
        commit_all(repo, "generated")
        out.append((kinds, answers, repo))
    return out


def test_asking_for_the_generated_kinds_changes_nothing(subset_repos, capsys) -> None:
    assert len(subset_repos) == 15
    for kinds, answers, repo in subset_repos:
        before = repo_state(repo)
        code, out, err = run(capsys, "--repo", str(repo),
                             *options(kinds, answers["branch_patterns"], answers["tag_pattern"]))
        assert (code, out, err) == (
            0, f"repo-migrate set-trigger: already up to date; nothing to do ({repo})\n", ""), kinds
        assert repo_state(repo) == before, kinds
        assert git(repo, "branch", "--list", BRANCH) == ""


def plan_step(workflow: Path, event_name: str, event: dict[str, Any], **env: str) -> dict[str, Any]:
    done, out = run_step(workflow, "validate", "Choose targets", None, {"EVENT_NAME": event_name, **env}, event)
    assert done.returncode == 0, done.stderr
    return {"trigger": out["trigger"], "environments": json.loads(out["environments"]),
            "targets": json.loads(out["targets"])}


@pytest.fixture(scope="module")
def path_only_suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A suite repository (tag v1) and a monorepo copied from it with the path kind only."""
    base = tmp_path_factory.mktemp("path-only")
    suite = make_suite_repo(base / "suite")
    repo = generate(suite, base / "repo", case_answers("monorepo", trigger_kinds=["path"]), vcs_ref="v1")
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "generated")
    return suite, repo


def test_manual_added_later_dispatches_the_chosen_environment(path_only_suite, tmp_path, capsys) -> None:
    needs_tools("jq")
    repo = tmp_path / "repo"
    shutil.copytree(path_only_suite[1], repo)
    code, out, _ = run(capsys, "--repo", str(repo), "--on", "path", "--on", "manual",
                       "--paths", "infra/**")
    assert code == 0 and "no step reads inputs.environment" not in out
    git(repo, "checkout", "-q", BRANCH)
    workflow = repo / WF
    manual = plan_step(workflow, "workflow_dispatch", {"inputs": {"environment": "production"}},
                       INPUT_ENVIRONMENT="production")
    assert manual == {"trigger": "manual", "environments": ["production"], "targets": [
        {"target": "us-east", "state_key": "acme/acme-platform", "changed_files": ["infra/variables.yml"]}]}
    # Every other kind is handled too, though the workflow was generated for path only.
    tag = plan_step(workflow, "push", {"commits": []}, GITHUB_REF="refs/tags/infra-v3")
    assert tag["trigger"] == "tag" and tag["environments"] == ["staging", "production"]
    branch = plan_step(workflow, "push", {"commits": [{"added": ["app/x.py"], "modified": [], "removed": []}]})
    assert branch["trigger"] == "branch"
    # The answers say what the workflow now does.
    answers = (repo / ".copier-answers.yml").read_text()
    assert "trigger_kinds:\n- path\n- manual\n" in answers
    assert git(repo, "diff", "--name-only", "main", BRANCH).split() == [
        ".copier-answers.yml", WF, "README.md"]


def test_copier_update_after_set_trigger_keeps_the_new_triggers(path_only_suite, tmp_path, capsys) -> None:
    suite = tmp_path / "suite"
    shutil.copytree(path_only_suite[0], suite)  # this test tags its own v2
    repo = tmp_path / "repo"
    shutil.copytree(path_only_suite[1], repo)
    answers_text = (repo / ".copier-answers.yml").read_text()
    (repo / ".copier-answers.yml").write_text(answers_text.replace(
        str(path_only_suite[0]), str(suite)))
    commit_all(repo, "the suite moved")
    code, out, err = run(capsys, "--repo", str(repo), "--on", "tag", "--on", "manual", "--on", "branch",
                         "--tags", "v*", "--branches", "main")
    assert code == 0, err
    git(repo, "merge", "-q", "--ff-only", BRANCH)
    before = tree(repo)
    assert b"trigger_kinds:\n- branch\n- manual\n- tag\n" in before[".copier-answers.yml"]
    assert b"branch_patterns:\n- main\n" in before[".copier-answers.yml"]
    assert b"tag_pattern: v*\n" in before[".copier-answers.yml"]
    release_suite_v2(suite)
    after = copier_update_cleanly(repo)
    # Exactly what copying v2 with those triggers gives.
    fresh = tree(generate(suite, tmp_path / "fresh", case_answers(
        "monorepo", trigger_kinds=["branch", "manual", "tag"], branch_patterns=["main"],
        tag_pattern="v*"), vcs_ref="v2"))
    assert after == fresh
    assert b"    branches:\n      - main\n    tags:\n      - v*\n" in after[WF]
    assert b"# Made by the provider" in after[WF] and after["README.md"].endswith(b"Suite v2.\n")


def test_answers_follow_or_a_note_says_why_not(subset_repos, tmp_path, capsys) -> None:
    kinds, _, generated = subset_repos[0]
    assert kinds == ["path"]
    repo = tmp_path / "repo"
    shutil.copytree(generated, repo)
    before = repo_state(repo)
    code, out, _ = run(capsys, "--repo", str(repo), "--on", "tag", "--tags", "v*", "--tags", "w*",
                       "--dry-run")
    assert code == 0 and (".copier-answers.yml is not updated: the suite's tag_pattern holds one "
                          "tag pattern, not several; copier update will treat the new triggers as "
                          "your own edit") in out
    assert "edit    .copier-answers.yml" not in out and repo_state(repo) == before
    # A suite that is not a local git repository (here a plain folder): the answers follow, the
    # workflow is spliced as it is.
    code, out, _ = run(capsys, "--repo", str(repo), "--on", "path", "--on", "manual", "--paths", "infra/**")
    assert code == 0
    assert git(repo, "diff", "--name-only", "main", BRANCH).split() == [".copier-answers.yml", WF]
    answers = git(repo, "diff", "main", BRANCH, "--", ".copier-answers.yml")
    assert answers.endswith(" trigger_kinds:\n - path\n+- manual\n")
