"""The seed's three state layouts (per repository, per service, per region) are three shapes of
state_key, not three code paths: one function, migrate.contract.state_address, gives every
backend key from the state_keys of generated customer repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.contract import state_address
from migrate.dispatch import verify_dispatch
from migrate.registry import is_deployable
from tests.provider_world import github_name
from tests.test_dispatch import PATTERN, POLICY_DOC, SHA, keys_of, provider_registry

ENVIRONMENTS = ("staging", "production")
# The seed's trees, for customer acme with the suite's default answers.
EXPECTED = {
    "monorepo": {"acme/acme-platform/{env}/terraform.tfstate"},
    "separate-infra": {"acme/acme-infra/{env}/terraform.tfstate"},
    "multi-service": {f"acme/acme-services/{svc}/{{env}}/terraform.tfstate"
                      for svc in ("api", "web", "worker")},
    "multi-region": {f"acme/{region}/{{env}}/terraform.tfstate"
                     for region in ("us-east-1", "eu-west-1", "ap-south-1")},
}


def test_state_address_is_the_backend_key():
    assert state_address("acme/acme-platform", "staging") == "acme/acme-platform/staging/terraform.tfstate"
    assert state_address("acme/acme-services/api", "production") == (
        "acme/acme-services/api/production/terraform.tfstate")
    assert state_address("acme/us-east-1", "production") == "acme/us-east-1/production/terraform.tfstate"


@pytest.mark.parametrize("case", sorted(EXPECTED))
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_generated_repositories_give_the_seeds_trees(generated: dict[str, Path], case: str,
                                                     environment: str):
    keys = keys_of(generated[case])
    got = {state_address(key, environment) for path, key in keys.items()
           if is_deployable(PATTERN[case], path)}
    assert got == {k.format(env=environment) for k in EXPECTED[case]}


def test_the_provider_computes_the_same_trees_from_its_registry(generated: dict[str, Path]):
    """Register every generated repository, re-run each at the provider: the targets' addresses."""
    registry = provider_registry(generated)
    for case, expected in EXPECTED.items():
        for environment in ENVIRONMENTS:
            event = {"inputs": {"repository": github_name(generated[case]),
                                "environment": environment, "sha": SHA, "variables_file": ""}}
            targets = verify_dispatch(event, "workflow_dispatch", registry, POLICY_DOC)
            assert {t.state_address for t in targets} == {k.format(env=environment) for k in expected}
