"""The routing checks of add-region and set-trigger (repo-migrate explain's evaluator).

Each variables file must reach exactly one trigger workflow. A hand-written second dispatcher
for infra/variables.yml breaks that: add-region refuses such a source before any work (exit 3);
set-trigger refuses a change that leaves it so (exit 3), and takes one that mends it. Nothing is
changed when refused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import file_bytes, git, make_repo, repo_state
from tests.monorepos import TRIGGER

GOLDEN = Path(__file__).parent / "golden" / "add_region"
LEGACY = ".github/workflows/trigger-infra-legacy.yml"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True)


def _double_dispatching_monorepo(tmp_path: Path) -> Path:
    files = {**file_bytes(GOLDEN / "monorepo" / "input"), LEGACY: TRIGGER.encode()}
    return make_repo(tmp_path / "acme-platform", files)


# How a push of infra/variables.yml reaches both dispatchers.
TWICE = ("a push to main changing infra/variables.yml dispatches it from 2 trigger workflows "
         f"({LEGACY}, .github/workflows/trigger-infra.yml), not exactly one")


def test_add_region_refuses_a_source_that_dispatches_a_file_twice(tmp_path: Path) -> None:
    repo = _double_dispatching_monorepo(tmp_path)
    before = repo_state(repo)
    out = run_cli("add-region", "eu-west", "--repo", str(repo))
    assert out.returncode == 3, out.stderr
    assert out.stderr == (
        f"repo-migrate: error: the workflows of {repo} are already broken: {TWICE} (a migration "
        "keeps every workflow valid and each variables file reaching exactly one trigger "
        "workflow)\n"
        f"  fix: see which workflows run with repo-migrate explain --repo {repo} --ref "
        "refs/heads/main --changed infra/variables.yml; make each variables file reach exactly "
        "one valid trigger-infra workflow and fix any workflow it reports as ERROR, commit, then "
        "run again\n")
    assert repo_state(repo) == before


def test_set_trigger_refuses_a_change_that_leaves_a_file_dispatched_twice(tmp_path: Path) -> None:
    # Narrowing trigger-infra.yml to the variables file leaves the legacy dispatcher firing too.
    repo = _double_dispatching_monorepo(tmp_path)
    before = repo_state(repo)
    out = run_cli("set-trigger", "--repo", str(repo), "--workflow", "trigger-infra.yml",
                  "--on", "path", "--paths", "infra/variables.yml")
    assert out.returncode == 3, out.stderr
    assert out.stderr == (
        f"repo-migrate: error: after this change, {TWICE} (so already before)\n"
        "  fix: the workflows are already so: make each variables file reach exactly one valid "
        "trigger-infra workflow (see which run with repo-migrate explain --ref refs/heads/main "
        "--changed infra/variables.yml), or include every workflow involved in this change; "
        "commit, then run again\n")
    assert repo_state(repo) == before


def test_set_trigger_takes_the_change_that_mends_it(tmp_path: Path) -> None:
    # The legacy dispatcher to manual runs only: each push of the file dispatches it once.
    repo = _double_dispatching_monorepo(tmp_path)
    out = run_cli("set-trigger", "--repo", str(repo), "--workflow", LEGACY, "--on", "manual")
    assert out.returncode == 0, out.stderr
    assert git(repo, "show", f"repo-migrate/set-trigger:{LEGACY}") == TRIGGER.replace(
        "  push:\n    paths: ['infra/**']\n",
        "  workflow_dispatch:\n    inputs:\n      environment:\n"
        "        description: Environment at the provider to plan and apply\n"
        "        type: choice\n        required: true\n        default: staging\n"
        "        options:\n          - staging\n          - production\n")


def test_set_trigger_to_tags_only_is_not_held_to_path_routing(tmp_path: Path) -> None:
    # Tag releases only: a branch push of infra/variables.yml then runs no trigger workflow, as
    # asked; the routing post-condition applies to path triggers only.
    repo = make_repo(tmp_path / "acme-platform", file_bytes(GOLDEN / "monorepo" / "input"))
    out = run_cli("set-trigger", "--repo", str(repo), "--on", "tag", "--tags", "infra-v*")
    assert out.returncode == 0, out.stderr
