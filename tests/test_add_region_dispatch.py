"""add-region in a monorepo, then one push changing both the old variables file and the new
region's: GitHub runs both trigger workflows (migrate's model of its filters) and their plan
steps, run with bash and jq, dispatch each file from exactly one workflow."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from migrate.routing import workflows_run_for
from tests.helpers import commit_all, git
from tests.suite_fixtures import case_answers, generate
from tests.test_templates_workflows import needs_tools, run_step

OLD = ".github/workflows/trigger-infra.yml"
BOTH = ["infra/variables.yml", "infra/{region}-variables.yml"]


def add_region(repo: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "migrate", "add-region", *args, "--repo", str(repo)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def dispatched(repo: Path, changed: list[str]) -> dict[str, list[str]]:
    """{workflow: the files its dispatches list} for a push of *changed* to main."""
    event = {"commits": [{"added": [], "modified": changed, "removed": []}]}
    out: dict[str, list[str]] = {}
    for workflow in workflows_run_for(repo, changed, ref="refs/heads/main"):
        if "/trigger-infra" not in workflow:
            continue
        done, result = run_step(repo / workflow, "validate", "Choose targets", None,
                                {"EVENT_NAME": "push"}, event)
        assert done.returncode == 0, done.stderr
        out[workflow] = [f for t in json.loads(result["targets"]) for f in t["changed_files"]]
    return out


@pytest.fixture(scope="module")
def monorepo(suite_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = generate(suite_repo, tmp_path_factory.mktemp("mono") / "acme-platform",
                    case_answers("monorepo"), vcs_ref="v1")
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "generated")
    return repo


def test_each_file_is_dispatched_by_one_workflow_after_add_region(monorepo: Path, tmp_path: Path) -> None:
    needs_tools("jq")
    repo = tmp_path / "repo"
    shutil.copytree(monorepo, repo)
    add_region(repo, "eu-west")
    git(repo, "checkout", "-q", "repo-migrate/add-region-eu-west")
    changed = [f.format(region="eu-west") for f in BOTH]
    assert dispatched(repo, changed) == {
        OLD: ["infra/variables.yml"],
        ".github/workflows/trigger-infra-eu-west.yml": ["infra/eu-west-variables.yml"],
    }
    # Each target watches its own files and the schema: a schema change reaches both.
    assert dispatched(repo, ["infra/variables.schema.json"]) == {
        OLD: ["infra/variables.schema.json"],
        ".github/workflows/trigger-infra-eu-west.yml": ["infra/variables.schema.json"],
    }


def test_a_folder_watch_of_an_older_suite_is_narrowed(monorepo: Path, tmp_path: Path) -> None:
    """An older suite's trigger watched `infra/`: the copied trigger (a region the catalog does
    not know) and the existing one both watch their own files after add-region."""
    needs_tools("jq")
    repo = tmp_path / "repo"
    shutil.copytree(monorepo, repo)
    wf = repo / OLD
    new_watch = b'"watch": ["infra/variables.yml", "infra/variables.schema.json"]'
    assert wf.read_bytes().count(new_watch) == 1
    wf.write_bytes(wf.read_bytes().replace(new_watch, b'"watch": ["infra/"]'))
    commit_all(repo, "as an older suite wrote it")
    add_region(repo, "nordics", "--cloud-region", "eu-north-1")
    git(repo, "checkout", "-q", "repo-migrate/add-region-nordics")
    changed = [f.format(region="nordics") for f in BOTH]
    assert dispatched(repo, changed) == {
        OLD: ["infra/variables.yml"],
        ".github/workflows/trigger-infra-nordics.yml": ["infra/nordics-variables.yml"],
    }
    targets = _targets(repo / ".github/workflows/trigger-infra-nordics.yml")
    assert targets == [{"target": "nordics", "state_key": "acme/eu-north-1",
                        "watch": ["infra/nordics-variables.yml", "infra/variables.schema.json"],
                        "vars": ["infra/nordics-variables.yml"]}]
    assert b'"watch": ["infra/variables.yml", "infra/variables.schema.json"]' in (repo / OLD).read_bytes()


def _targets(workflow: Path) -> Any:
    import yaml

    data = yaml.safe_load(workflow.read_text())
    step = [s for s in data["jobs"]["validate"]["steps"] if s.get("id") == "plan"][0]
    return json.loads(step["env"]["TARGETS"])
