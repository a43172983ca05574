"""The contract end to end when a payload lies and when a repository moves: forged dispatches are
refused by the provider workflow's real verify step (nothing is planned); a commit the dispatched
ref does not contain is stopped by the plan job; after mono-to-separate and register the new infra
repository reaches the same backend key and the old repository is refused; after add-region and
register the new region reaches <prefix>/<cloud-region> (acme/eu-west-1). Local equivalents as in
tests/test_contract_end_to_end.py (see tests/contract_flow.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from migrate.commands import add_region, mono_to_separate
from tests.contract_flow import (
    GitHubStub,
    Runner,
    commit_change,
    customer_push,
    delivered,
    provider_plan,
    provider_verify,
    refused_plan_step,
)
from tests.helpers import commit_all, git
from tests.provider_world import PROVIDER_NAME, git_repo, merge_result, registered
from tests.test_contract_end_to_end import GATES
from tests.test_templates_workflows import needs_tools

REFUSED = "::error title=infra-deploy::the event was refused (verify-dispatch exit 3); nothing is planned\n"
ANNOTATION = "::error title=repo-migrate verify-dispatch::"
GLOBEX = """\
customer_id: globex
tier: enterprise
onboarding: enterprise
repositories:
  - name: globex-corp/globex-platform
    pattern: monorepo
    default_branch: main
    variables_files:
      - path: infra/variables.yml
        state_key: globex/globex-platform
"""


@dataclass
class World:
    provider: Path
    mono: Path
    infra: Path
    runner: Runner
    body: dict[str, Any]  # the staging dispatch of a push to the monorepo, as sent


@pytest.fixture(scope="module")
def world(provider_pristine: Path, customers: dict[str, Path],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    needs_tools("jq", "curl")
    root = tmp_path_factory.mktemp("moves")
    provider = git_repo(provider_pristine, root / "infra-manager")
    (provider / "customers/globex.yml").write_text(GLOBEX)
    commit_all(provider, "register globex by hand")
    mono = git_repo(customers["monorepo"], root / "acme-platform")
    infra = git_repo(customers["separate-infra"], root / "acme-infra")
    for repo in (mono, infra):
        registered(provider, repo)
    github = GitHubStub(PROVIDER_NAME, GATES)
    github.clones.update({"acme-org/acme-platform": mono, "acme-org/acme-infra": infra})
    runner = Runner(root / "runner", github)
    parent, sha = commit_change(mono, "infra/variables.yml")
    body = customer_push(runner, mono, "acme-org/acme-platform", parent, sha)[0]
    try:
        yield World(provider, mono, infra, runner, body)
    finally:
        github.close()


def forged(world: World, **payload: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(world.body))
    body["client_payload"].update(payload)
    return delivered(body, PROVIDER_NAME)


def annotations(stdout: str) -> list[str]:
    assert stdout.endswith(REFUSED)
    lines = stdout[: -len(REFUSED)].splitlines()
    assert all(line.startswith(ANNOTATION) for line in lines)
    return [line[len(ANNOTATION):] for line in lines]


def test_the_genuine_dispatch_is_accepted(world):
    verified = provider_verify(world.runner, world.provider, delivered(world.body, PROVIDER_NAME))
    assert verified.status == 0
    assert [t["state_address"] for t in verified.targets or []] == [
        "acme/acme-platform/staging/terraform.tfstate"]


FORGERIES = {
    "another customer's state_key": ({"state_key": "globex/globex-platform"}, [
        "state_key globex/globex-platform belongs to globex-corp/globex-platform (customer globex), not to "
        "acme-org/acme-platform fix: acme-org/acme-platform deploys only its own state keys: check "
        "state_key in its variables files (it never changes)",
        "infra/variables.yml of acme-org/acme-platform is registered with state_key acme/acme-platform, "
        "not globex/globex-platform fix: send the state_key the variables file carries (it never changes)"]),
    "an unregistered repository": ({"repository": "acme-org/acme-secret"}, [
        "repository acme-org/acme-secret is not registered fix: register it: repo-migrate register "
        "--registry <clone of the provider repository> <clone of acme-org/acme-secret> --github-repo "
        "acme-org/acme-secret, then merge the branch it makes",
        "state_key acme/acme-platform belongs to acme-org/acme-platform (customer acme), not to "
        "acme-org/acme-secret fix: acme-org/acme-secret deploys only its own state keys: check state_key "
        "in its variables files (it never changes)"]),
    "a variables path with ..": ({"changed_files": ["infra/../infra/variables.yml"]}, [
        "client_payload.changed_files must be a list of 1 to 100 paths under infra/ (no '..', no absolute "
        "path, no control character), not [\"infra/../infra/variables.yml\"] fix: send what the suite's "
        "trigger workflow sends (regenerate it with copier update if it was edited)"]),
    "eleven properties": ({"region": "us-east-1", "note": "x"}, [
        "client_payload has 11 top-level properties; GitHub allows at most 10 fix: send only customer_id, "
        "repository, sha, ref, changed_files, state_key, environment, target, trigger",
        "client_payload has unexpected properties: \"note\", \"region\" fix: send only customer_id, "
        "repository, sha, ref, changed_files, state_key, environment, target, trigger"]),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_payloads_are_refused_and_nothing_is_planned(world, forgery):
    changes, problems = FORGERIES[forgery]
    verified = provider_verify(world.runner, world.provider, forged(world, **changes))
    assert (verified.status, verified.targets) == (3, None)
    assert annotations(verified.stdout) == problems


def test_a_commit_the_ref_does_not_contain_is_not_planned(world):
    """The payload's sha exists in the repository, but on a branch the ref does not contain."""
    git(world.mono, "switch", "-q", "-c", "unreviewed")
    parent, sha = commit_change(world.mono, "infra/variables.yml", "# not merged\n")
    git(world.mono, "switch", "-q", "main")
    verified = provider_verify(world.runner, world.provider, forged(world, sha=sha))
    assert verified.status == 0 and verified.targets is not None
    out = refused_plan_step(world.runner, world.provider, verified.targets[0], world.mono,
                            "Check that the ref contains the commit")
    assert out == (f"::error title=infra-deploy::{sha} is not in refs/heads/main of acme-org/acme-platform "
                   "(compare: ahead): dispatch a commit of that ref\n")


def test_after_mono_to_separate_the_new_repository_reaches_the_same_state(world, tmp_path):
    new = tmp_path / "acme-platform-infra"
    mono_to_separate.run(mono_to_separate.Settings(repo=world.mono, infra_repo=new))
    git(new, "remote", "add", "origin", "git@github.com:acme-org/acme-platform-infra.git")
    registered(world.provider, new)
    world.runner.github.clones["acme-org/acme-platform-infra"] = new
    parent, sha = commit_change(new, "infra/variables.yml")
    bodies = customer_push(world.runner, new, "acme-org/acme-platform-infra", parent, sha)
    addresses = []
    for body in bodies:
        verified = provider_verify(world.runner, world.provider, delivered(body, PROVIDER_NAME))
        assert verified.status == 0, verified.stdout
        addresses += [(t["repository"], t["state_address"]) for t in verified.targets or []]
    assert addresses == [("acme-org/acme-platform-infra", f"acme/acme-platform/{env}/terraform.tfstate")
                         for env in ("staging", "production")]
    # the old repository still pushes (its main still has infra/): refused, nothing is planned
    parent, sha = commit_change(world.mono, "infra/variables.yml", "# after the move\n")
    old = customer_push(world.runner, world.mono, "acme-org/acme-platform", parent, sha)
    assert len(old) == 2
    verified = provider_verify(world.runner, world.provider, delivered(old[0], PROVIDER_NAME))
    assert verified.status == 3
    assert annotations(verified.stdout) == [
        "repository acme-org/acme-platform is not registered fix: register it: repo-migrate register "
        "--registry <clone of the provider repository> <clone of acme-org/acme-platform> --github-repo "
        "acme-org/acme-platform, then merge the branch it makes",
        "state_key acme/acme-platform belongs to acme-org/acme-platform-infra (customer acme), not to "
        "acme-org/acme-platform fix: acme-org/acme-platform deploys only its own state keys: check "
        "state_key in its variables files (it never changes)"]


def test_after_add_region_the_new_region_reaches_its_own_state(world):
    planned = add_region.plan(add_region.Settings(repo=world.infra, region="eu-west"))
    add_region.apply(planned)
    merge_result(world.infra, planned.plan.branch or "")
    registered(world.provider, world.infra)
    parent, sha = commit_change(world.infra, "infra/eu-west-variables.yml")
    bodies = customer_push(world.runner, world.infra, "acme-org/acme-infra", parent, sha)
    assert [(b["client_payload"]["state_key"], b["client_payload"]["changed_files"]) for b in bodies] == [
        ("acme/eu-west-1", ["infra/eu-west-variables.yml"])] * 2
    targets = []
    for body in bodies:
        verified = provider_verify(world.runner, world.provider, delivered(body, PROVIDER_NAME))
        assert verified.status == 0, verified.stdout
        targets += verified.targets or []
    assert [(t["variables_file"], t["state_address"]) for t in targets] == [
        ("infra/eu-west-variables.yml", f"acme/eu-west-1/{env}/terraform.tfstate")
        for env in ("staging", "production")]
    plan = provider_plan(world.runner, world.provider, targets[0], world.infra, "tags-update.json")
    assert plan.terraform[0][-1] == "-backend-config=key=acme/eu-west-1/staging/terraform.tfstate"
    assert plan.route["environment"] == "standard-approval"
