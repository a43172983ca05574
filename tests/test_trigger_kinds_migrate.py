"""Every trigger kind migrates: repositories generated with each of the 15 subsets of trigger
kinds pass all four migrations, whose routing checks ask, for each kind, whether the matching
event (a push changing a variables file, a push to a matching branch, a push of a matching tag,
a manual run) reaches each variables file through exactly one trigger workflow.

For every subset: mono-to-separate's and separate-to-mono's plans (every refusal, the routing of
the source included), add-region and set-trigger applied for real (their post-conditions read
the result commit). For a monorepo without path triggers both pattern moves run in full, one
after the other.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from migrate import contract
from migrate.commands import add_region, mono_to_separate, separate_to_mono, set_trigger
from migrate.plan import FileWrite
from migrate.routing import routing_problems, workflow_files
from migrate.workflows import read_workflows
from tests.helpers import commit_all, git
from tests.suite_fixtures import TRIGGER_SUBSETS, case_answers, generate

GLOBS = {"paths": ("infra/**",), "branches": ("main",), "tags": ("v*",)}


def _generated(suite: Path, dest: Path, case: str, kinds: list[str]) -> Path:
    generate(suite, dest, case_answers(case, trigger_kinds=kinds, repo_name=dest.name))
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "generated")
    return dest


def _spec_options(kinds: list[str]) -> dict[str, Any]:
    return {"kinds": tuple(kinds),
            **{key: GLOBS[key] for key, kind in (("paths", "path"), ("branches", "branch"),
                                                 ("tags", "tag")) if kind in kinds}}


def _routing(repo: Path, rev: str) -> list[str]:
    variables = contract.variables_files(
        git(repo, "ls-tree", "-r", "--name-only", rev).splitlines())
    return [p.text for p in routing_problems(read_workflows(repo, rev), variables)]


@pytest.fixture(scope="module")
def app_repo(plain_suite: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app repository of the separate pattern (its files do not depend on the trigger
    kinds; separate-to-mono only reads it)."""
    return _generated(plain_suite, tmp_path_factory.mktemp("app") / "acme-app", "separate-app",
                      ["path"])


@pytest.mark.parametrize("kinds", TRIGGER_SUBSETS, ids=["-".join(k) for k in TRIGGER_SUBSETS])
def test_every_migration_takes_a_repository_of_these_trigger_kinds(
        kinds: list[str], plain_suite: Path, app_repo: Path, tmp_path: Path) -> None:
    mono = _generated(plain_suite, tmp_path / "acme-platform", "monorepo", kinds)
    infra = _generated(plain_suite, tmp_path / "acme-infra", "separate-infra", kinds)
    assert _routing(mono, "HEAD") == [] and _routing(infra, "HEAD") == []

    split = mono_to_separate.plan(mono_to_separate.Settings(mono, tmp_path / "out-infra"))
    # The infra repository as planned (the kept files, then the plan's writes) routes each
    # variables file once for every kind: the post-condition, on the plan.
    planned = {p.relative_to(mono).as_posix(): p.read_bytes()
               for p in (mono / "infra").iterdir()}
    planned.update({p: (mono / p).read_bytes() for p in split.keep_paths if (mono / p).is_file()})
    planned.update({c.path: c.new for c in split.infra.changes
                    if isinstance(c, FileWrite) and c.new is not None})
    assert [p for p in planned if contract.is_trigger_workflow(p)] == [
        ".github/workflows/trigger-infra.yml"]
    assert [p.text for p in routing_problems(workflow_files(planned),
                                             contract.variables_files(planned))] == []
    merge = separate_to_mono.plan(separate_to_mono.Settings(app_repo, infra, tmp_path / "out-mono"))
    assert merge.plan.repo == tmp_path / "out-mono"

    region = add_region.run(add_region.Settings(mono, "eu-west"))
    assert [p.branch for p in region.published] == ["repo-migrate/add-region-eu-west"]
    assert _routing(mono, "repo-migrate/add-region-eu-west") == []

    # To the next subset's kinds: the post-condition checks the routing of the new triggers.
    other = TRIGGER_SUBSETS[(TRIGGER_SUBSETS.index(kinds) + 1) % len(TRIGGER_SUBSETS)]
    moved = set_trigger.run(set_trigger.Settings(mono, **_spec_options(other)))
    assert [p.branch for p in moved.published] == ["repo-migrate/set-trigger"]
    assert _routing(mono, "repo-migrate/set-trigger") == []
    assert not (tmp_path / "out-infra").exists() and not (tmp_path / "out-mono").exists()


def test_a_monorepo_without_path_triggers_splits_and_joins_again(
        plain_suite: Path, tmp_path: Path) -> None:
    """In full, each with its post-conditions: mono-to-separate, then separate-to-mono of its two
    results, for a monorepo dispatching on branch pushes, tags and manual runs only."""
    mono = _generated(plain_suite, tmp_path / "acme-platform", "monorepo", ["branch", "manual", "tag"])
    mono_to_separate.run(mono_to_separate.Settings(mono, tmp_path / "acme-infra", history=False))
    app = tmp_path / "acme-app"
    git(tmp_path, "clone", "-q", "--branch", "repo-migrate/mono-to-separate", str(mono), str(app))
    assert _routing(tmp_path / "acme-infra", "HEAD") == []
    separate_to_mono.run(separate_to_mono.Settings(app, tmp_path / "acme-infra",
                                                   tmp_path / "joined"))
    assert _routing(tmp_path / "joined", "HEAD") == []
    assert git(tmp_path / "joined", "show", "HEAD:.github/workflows/trigger-infra.yml") == (
        mono / ".github/workflows/trigger-infra.yml").read_text()
    shutil.rmtree(tmp_path / "joined")
