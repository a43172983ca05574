"""The routing post-condition of add-region and set-trigger (repo-migrate explain's evaluator).

After either command, a push of each variables file alone must still run exactly one trigger
workflow. A hand-written second dispatcher for infra/variables.yml breaks that: the command
fails (exit 4), publishes nothing and leaves the repository as it was.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import file_bytes, make_repo, repo_state
from tests.monorepos import TRIGGER

GOLDEN = Path(__file__).parent / "golden" / "add_region"
LEGACY = ".github/workflows/trigger-infra-legacy.yml"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "migrate", *args], capture_output=True, text=True)


def _double_dispatching_monorepo(tmp_path: Path) -> Path:
    files = {**file_bytes(GOLDEN / "monorepo" / "input"), LEGACY: TRIGGER.encode()}
    return make_repo(tmp_path / "acme-platform", files)


# What both commands print when the result would dispatch infra/variables.yml twice.
TWO_TRIGGERS_ERROR = (
    "repo-migrate: error: infra changes no longer reach exactly one trigger workflow per "
    "variables file: a change to infra/variables.yml runs 2 trigger workflows "
    f"({LEGACY}, .github/workflows/trigger-infra.yml), not exactly one\n"
    "  fix: nothing was published; check the trigger workflows' on.push.paths "
    "(repo-migrate explain --changed <file>)\n")


def test_add_region_fails_when_a_variables_file_would_reach_two_triggers(tmp_path: Path) -> None:
    repo = _double_dispatching_monorepo(tmp_path)
    before = repo_state(repo)
    out = run_cli("add-region", "eu-west", "--repo", str(repo))
    assert out.returncode == 4, out.stderr
    assert out.stderr == TWO_TRIGGERS_ERROR
    assert repo_state(repo) == before


def test_set_trigger_on_paths_fails_when_a_variables_file_still_reaches_two_triggers(
        tmp_path: Path) -> None:
    # Narrowing trigger-infra.yml to the variables file leaves the legacy dispatcher firing too.
    repo = _double_dispatching_monorepo(tmp_path)
    before = repo_state(repo)
    out = run_cli("set-trigger", "--repo", str(repo), "--workflow", "trigger-infra.yml",
                  "--on", "path", "--paths", "infra/variables.yml")
    assert out.returncode == 4, out.stderr
    assert out.stderr == TWO_TRIGGERS_ERROR
    assert repo_state(repo) == before


def test_set_trigger_to_tags_only_is_not_held_to_path_routing(tmp_path: Path) -> None:
    # Tag releases only: a branch push of infra/variables.yml then runs no trigger workflow, as
    # asked; the routing post-condition applies to path triggers only.
    repo = make_repo(tmp_path / "acme-platform", file_bytes(GOLDEN / "monorepo" / "input"))
    out = run_cli("set-trigger", "--repo", str(repo), "--on", "tag", "--tags", "infra-v*")
    assert out.returncode == 0, out.stderr
