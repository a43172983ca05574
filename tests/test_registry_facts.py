"""facts_from_files: what register learns from a generated customer repository's files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migrate import contract
from migrate.errors import Refused
from migrate.migration_record import MigrationRecord
from migrate.registry_edit import RepositoryFacts
from migrate.registry_facts import facts_from_files
from tests.helpers import file_bytes

EXPECTED = {
    "monorepo": ("monorepo", {"infra/variables.yml": "acme/acme-platform"}),
    "separate-infra": ("separate", {"infra/variables.yml": "acme/acme-infra"}),
    "multi-service": ("multi-service", {
        "infra/variables.yml": "acme/acme-services", "infra/api-vars.yml": "acme/acme-services/api",
        "infra/web-vars.yml": "acme/acme-services/web",
        "infra/worker-vars.yml": "acme/acme-services/worker"}),
    "multi-region": ("multi-region", {
        "infra/us-east-variables.yml": "acme/us-east-1", "infra/eu-west-variables.yml": "acme/eu-west-1",
        "infra/ap-south-variables.yml": "acme/ap-south-1"}),
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_facts_of_each_generated_pattern(generated: dict[str, Path], case: str):
    pattern, keys = EXPECTED[case]
    got = facts_from_files(file_bytes(generated[case]), "acme-org/x", "trunk")
    assert got == (RepositoryFacts("acme", "acme-org/x", pattern, "trunk", keys), None)


def test_the_tier_is_never_read_from_the_repository(generated: dict[str, Path]):
    files = file_bytes(generated["monorepo"])
    assert b"tier: standard" in files["infra/variables.yml"]
    enterprise = {**files, "infra/variables.yml": files["infra/variables.yml"].replace(
        b"tier: standard", b"tier: enterprise")}
    assert facts_from_files(enterprise, "acme-org/x", "main")[0].tier is None
    given = facts_from_files(files, "acme-org/x", "main", tier="enterprise", onboarding="managed")[0]
    assert (given.tier, given.onboarding) == ("enterprise", "managed")


def test_the_record_comes_along(generated: dict[str, Path]):
    record = {"format": contract.RECORD_FORMAT, "command": "mono-to-separate",
              "old_repository": {"name": "acme-platform", "commit": "a" * 40},
              "new_repository": {"name": "acme-infra"}, "customer_id": "acme",
              "state_keys": {"infra/variables.yml": "acme/acme-infra"}}
    files = {**file_bytes(generated["separate-infra"]), contract.RECORD_FILE: json.dumps(record).encode()}
    assert facts_from_files(files, "acme-org/acme-infra", "main")[1] == MigrationRecord(
        "mono-to-separate", "acme", "acme-platform", "a" * 40, "acme-infra",
        {"infra/variables.yml": "acme/acme-infra"})


def refusal(files: dict[str, bytes]) -> tuple[str, str | None]:
    with pytest.raises(Refused) as caught:
        facts_from_files(files, "acme-org/x", "main")
    return caught.value.problem, caught.value.fix


def test_refusals(generated: dict[str, Path]):
    assert refusal(file_bytes(generated["separate-app"])) == (
        "acme-org/x is an app repository (separate-app): it sends nothing to the provider",
        "register the repository that holds infra/ (for the separate pattern: the infra repository)")
    files = file_bytes(generated["multi-service"])
    assert refusal({**files, "infra/web-vars.yml": files["infra/web-vars.yml"].replace(
        b"customer_id: acme", b"customer_id: globex")}) == (
        "the files of acme-org/x disagree on customer_id (.copier-answers.yml: acme, "
        "infra/api-vars.yml: acme, infra/variables.yml: acme, infra/web-vars.yml: globex, "
        "infra/worker-vars.yml: acme)",
        "make every variables file carry the customer_id the provider knows")
    assert refusal({**files, "infra/api-vars.yml": b"customer_id: acme\n"}) == (
        "infra/api-vars.yml of acme-org/x has no customer_id or state_key",
        "restore them in infra/api-vars.yml (git log -p -- infra/api-vars.yml shows what they were)")
