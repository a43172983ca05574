"""Every trigger kind migrates: repositories generated with each of the 15 subsets of trigger
kinds pass all four migrations, whose routing checks ask, for each kind, whether the matching
event (a push changing a variables file, a push to a matching branch, a push of a matching tag,
a manual run) reaches each variables file through exactly one trigger workflow.

For every subset: mono-to-separate's and separate-to-mono's plans (every refusal, the routing of
the source included), add-region and set-trigger applied for real (their post-conditions read
the result commit). For a few subsets both pattern moves run in full, one after the other.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from migrate import contract
from migrate.commands import add_region, mono_to_separate, separate_to_mono, set_trigger
from migrate.routing import routing_problems
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


@pytest.mark.parametrize("kinds", TRIGGER_SUBSETS, ids=["-".join(k) for k in TRIGGER_SUBSETS])
def test_every_migration_takes_a_repository_of_these_trigger_kinds(
        kinds: list[str], plain_suite: Path, tmp_path: Path) -> None:
    mono = _generated(plain_suite, tmp_path / "acme-platform", "monorepo", kinds)
    app = _generated(plain_suite, tmp_path / "acme-app", "separate-app", kinds)
    infra = _generated(plain_suite, tmp_path / "acme-infra", "separate-infra", kinds)
    assert _routing(mono, "HEAD") == [] and _routing(infra, "HEAD") == []

    split = mono_to_separate.plan(mono_to_separate.Settings(mono, tmp_path / "out-infra"))
    assert [c.path for c in split.infra.changes if contract.is_trigger_workflow(c.path)] == [
        ".github/workflows/trigger-infra.yml"]
    merge = separate_to_mono.plan(separate_to_mono.Settings(app, infra, tmp_path / "out-mono"))
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


@pytest.mark.parametrize("kinds", [["tag"], ["manual"]], ids="-".join)
def test_a_monorepo_of_these_kinds_splits_and_joins_again(
        kinds: list[str], plain_suite: Path, tmp_path: Path) -> None:
    """In full: mono-to-separate, then separate-to-mono of its two results."""
    mono = _generated(plain_suite, tmp_path / "acme-platform", "monorepo", kinds)
    mono_to_separate.run(mono_to_separate.Settings(mono, tmp_path / "acme-infra"))
    app = tmp_path / "acme-app"
    git(tmp_path, "clone", "-q", "--branch", "repo-migrate/mono-to-separate", str(mono), str(app))
    assert _routing(tmp_path / "acme-infra", "HEAD") == []
    separate_to_mono.run(separate_to_mono.Settings(app, tmp_path / "acme-infra",
                                                   tmp_path / "joined"))
    assert _routing(tmp_path / "joined", "HEAD") == []
    assert git(tmp_path / "joined", "show", "HEAD:.github/workflows/trigger-infra.yml") == (
        mono / ".github/workflows/trigger-infra.yml").read_text()
    shutil.rmtree(tmp_path / "joined")
