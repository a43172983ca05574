"""set-trigger is safe on any workflow: it never removes inputs the jobs use without being told,
never deletes a comment outside the nodes it replaces, edits only files GitHub runs, and gives
the provider's `environment` input only to trigger-infra workflows."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.cli import main
from tests import checkers
from tests.helpers import git, make_repo, repo_state

BRANCH = "repo-migrate/set-trigger"
DEPLOY = ".github/workflows/deploy.yml"
DEPLOY_TEXT = """\
name: deploy
on:
  push:
    branches: [main]
  workflow_dispatch:
    inputs:
      target:
        description: where to deploy
        required: true
jobs:
  deploy:
    if: inputs.target != 'none'
    runs-on: ubuntu-latest
    steps:
      - run: ./deploy.sh "$TARGET" "$OLD"
        env:
          TARGET: ${{ inputs.target }}
          OLD: ${{ github.event.inputs.target }}
"""
COMMENTED = """\
name: ci
on:
  # Run workflow every time something is pushed to the main branch
  push:
    # only main
    branches: [main]
    # and only sources
    paths: ['src/**']
  # Allows you to run this workflow manually from the Actions tab
  workflow_dispatch:
jobs: {}
"""
TRIGGER = """\
name: trigger-infra
on:
  push:
    paths: [infra/variables.yml]
jobs:
  dispatch:
    runs-on: ubuntu-latest
    steps:
      - run: ./dispatch.sh infra/variables.yml
"""
DOCKER = "name: docker\non:\n  push:\n    branches: [main]\njobs: {}\n"
ENV_INPUT = (
    "  workflow_dispatch:\n    inputs:\n      environment:\n"
    "        description: Environment at the provider to plan and apply\n"
    "        type: choice\n        required: true\n        default: staging\n        options:\n"
    "          - staging\n          - production\n")


def run(capsys: pytest.CaptureFixture[str], repo: Path, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(["set-trigger", "--repo", str(repo), *args])
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def result(repo: Path, path: str) -> str:
    return git(repo, "show", f"{BRANCH}:{path}")


# ---- inputs the jobs use -----------------------------------------------------------------------

def test_removing_a_manual_run_whose_inputs_are_used_is_refused_with_the_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {DEPLOY: DEPLOY_TEXT})
    before = repo_state(repo)
    code, out, err = run(capsys, repo, "--workflow", "deploy.yml", "--on", "branch",
                         "--branches", "main")
    assert (code, out) == (3, "")
    assert err == (
        "repo-migrate: error: these lines use inputs of on.workflow_dispatch, which this change "
        "removes (they would be undefined): .github/workflows/deploy.yml:12: if: inputs.target "
        "!= 'none'; .github/workflows/deploy.yml:17: TARGET: ${{ inputs.target }}; "
        ".github/workflows/deploy.yml:18: OLD: ${{ github.event.inputs.target }}\n"
        "  fix: keep manual runs (add --on manual), or pass --drop-inputs to remove them anyway "
        "and then fix those lines\n")
    assert repo_state(repo) == before


def test_drop_inputs_removes_them_and_says_which_lines_to_fix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "r", {DEPLOY: DEPLOY_TEXT})
    code, out, _ = run(capsys, repo, "--workflow", "deploy.yml", "--on", "branch",
                       "--branches", "main", "--drop-inputs")
    assert code == 0
    dropped = DEPLOY_TEXT.replace(
        "  workflow_dispatch:\n    inputs:\n      target:\n        description: where to deploy\n"
        "        required: true\n", "")
    assert result(repo, DEPLOY) == dropped
    assert ".github/workflows/deploy.yml:17: TARGET: ${{ inputs.target }} uses an input of the " \
           "removed on.workflow_dispatch; fix it" in out
    # Why it is refused by default: GitHub's linter then finds the input undefined.
    written = tmp_path / "deploy.yml"
    written.write_text(dropped)
    findings = checkers.actionlint([written])
    assert any('property "target" is not defined' in f for f in findings), findings


def test_inputs_a_workflow_call_also_defines_stay_defined(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = DEPLOY_TEXT.replace("          OLD: ${{ github.event.inputs.target }}\n", "").replace(
        ' "$OLD"', "").replace(
        "  workflow_dispatch:\n", "  workflow_call:\n    inputs:\n      target:\n"
        "        type: string\n  workflow_dispatch:\n")
    repo = make_repo(tmp_path / "r", {DEPLOY: text})
    code, _, err = run(capsys, repo, "--workflow", "deploy.yml", "--on", "branch",
                       "--branches", "main")
    assert code == 0, err
    assert "workflow_dispatch" not in result(repo, DEPLOY)


# ---- comments outside the replaced nodes -------------------------------------------------------

@pytest.mark.parametrize(("options", "on"), [
    (["--on", "tag", "--tags", "v*"],
     "  # Run workflow every time something is pushed to the main branch\n  push:\n"
     "    # only main\n    # and only sources\n    tags: [v*]\n"
     "  # Allows you to run this workflow manually from the Actions tab\n"),
    (["--on", "manual"],
     "  # Run workflow every time something is pushed to the main branch\n"
     "  # Allows you to run this workflow manually from the Actions tab\n  workflow_dispatch:\n"),
    (["--on", "path", "--paths", "infra/**"],
     "  # Run workflow every time something is pushed to the main branch\n  push:\n"
     "    # only main\n    branches: ['**']\n    # and only sources\n    paths: ['infra/**']\n"
     "  # Allows you to run this workflow manually from the Actions tab\n"),
], ids=["tag", "manual", "path"])
def test_comments_above_removed_keys_and_beside_replaced_filters_stay(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], on: str) -> None:
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": COMMENTED})
    code, _, err = run(capsys, repo, "--workflow", "ci.yml", *options)
    assert code == 0, err
    assert result(repo, ".github/workflows/ci.yml") == f"name: ci\non:\n{on}jobs: {{}}\n"


# ---- only the files GitHub runs ----------------------------------------------------------------

@pytest.mark.parametrize(("given", "path", "moved"), [
    ("ci/outside.yml", "ci/outside.yml", "outside.yml"),
    (".github/workflows/sub/nested.yml", ".github/workflows/sub/nested.yml", "nested.yml"),
    ("sub/nested.yml", ".github/workflows/sub/nested.yml", "nested.yml"),
    (".github/workflows/notes.txt", ".github/workflows/notes.txt", "notes.yml"),
])
def test_a_file_github_does_not_run_is_refused_with_a_fix(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], given: str, path: str,
        moved: str) -> None:
    repo = make_repo(tmp_path / "r", {path: DOCKER, ".github/workflows/trigger-infra.yml": TRIGGER,
                                      "infra/variables.yml": "customer_id: acme\n"})
    before = repo_state(repo)
    code, _, err = run(capsys, repo, "--workflow", given, "--on", "tag", "--tags", "v*")
    assert code == 3
    assert err == (
        f"repo-migrate: error: {path} is not a workflow GitHub runs: GitHub reads only the files "
        "directly in .github/workflows/ named *.yml or *.yaml\n"
        "  fix: pass a workflow of .github/workflows/, or move this one there first "
        f"(git mv {path} .github/workflows/{moved}) and commit\n")
    assert repo_state(repo) == before


# ---- the provider's environment input ----------------------------------------------------------

@pytest.mark.parametrize("everywhere", [False, True])
def test_manual_gives_the_environment_input_to_trigger_workflows_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], everywhere: bool) -> None:
    repo = make_repo(tmp_path / "r", {
        ".github/workflows/trigger-infra.yml": TRIGGER, ".github/workflows/docker.yml": DOCKER,
        "infra/variables.yml": "customer_id: acme\nenvironments: [staging, production]\n"})
    code, out, err = run(capsys, repo, "--workflow", "trigger-infra.yml", "--workflow",
                         "docker.yml", "--on", "manual",
                         *(["--environment-input"] if everywhere else []))
    assert code == 0, err
    assert result(repo, ".github/workflows/trigger-infra.yml") == TRIGGER.replace(
        "  push:\n    paths: [infra/variables.yml]\n", ENV_INPUT)
    assert result(repo, ".github/workflows/docker.yml") == DOCKER.replace(
        "  push:\n    branches: [main]\n", ENV_INPUT if everywhere else "  workflow_dispatch:\n")
    told = ".github/workflows/docker.yml: no step reads inputs.environment" in out
    assert told is everywhere
