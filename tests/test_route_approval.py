"""repo-migrate route-approval on plans in Terraform's JSON plan format (tests/golden/plans/,
shaped like the provider module's plans) with the generated provider repository's approvals.yml:
text and JSON output, and every plan that must never be approved (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.provider_world import cli

PLANS = ROOT / "tests" / "golden" / "plans"
DB = ("resource type: 1 changed resource of type aws_db_* or aws_rds_* "
      "(module.database[0].aws_db_instance.this) -> database-approval")
PROD = "environment: production -> production-apply"
STANDARD = "tier: standard -> standard-approval"
FAST = "tier: enterprise -> enterprise-fast-track (automatic)"


def route(capsys, policy: Path, plan: str, environment: str, tier: str, *more: str) -> tuple[int, str, str]:
    return cli(capsys, "route-approval", "--plan", str(PLANS / plan), "--environment", environment,
               "--tier", tier, "--policy", str(policy), *more)


@pytest.mark.parametrize(("plan", "environment", "tier", "expected"), [
    ("tags-update.json", "staging", "standard", ("standard-approval", False, 2, [STANDARD])),
    ("tags-update.json", "staging", "enterprise", ("enterprise-fast-track", True, 2, [FAST])),
    ("tags-update.json", "production", "enterprise", ("production-apply", False, 2, [PROD, FAST])),
    ("database-resize.json", "staging", "enterprise", ("database-approval", False, 1, [DB, FAST])),
    ("first-deploy.json", "production", "standard", ("database-approval", False, 13, [
        "resource type: 2 changed resources of type aws_db_* or aws_rds_* (module.database[0]."
        "aws_db_subnet_group.this, module.database[0].aws_db_instance.this) -> database-approval",
        "change size: 13 changed resources, more than 10 -> high-risk-approval", PROD, STANDARD])),
    ("no-changes.json", "production", "standard", (None, False, 0, ["no changed resources: nothing to apply"])),
])
def test_json_route_of_each_plan(provider_repo, capsys, plan, environment, tier, expected):
    code, out, err = route(capsys, provider_repo / "approvals.yml", plan, environment, tier, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == dict(zip(("environment", "automatic", "changes", "reasons"), expected))


def test_text_route(provider_repo, capsys):
    code, out, err = route(capsys, provider_repo / "approvals.yml", "database-resize.json", "production",
                           "standard")
    assert (code, err) == (0, "")
    assert out == f"""\
route-approval: {PLANS / 'database-resize.json'}, environment production, tier standard
1 changed resource:
  update           module.database[0].aws_db_instance.this
Approval environment: database-approval (its required reviewers approve)
Reasons (the first decides):
  - {DB}
  - {PROD}
  - {STANDARD}
"""
    code, out, _ = route(capsys, provider_repo / "approvals.yml", "tags-update.json", "staging", "enterprise")
    assert out.splitlines()[-3:] == ["Approval environment: enterprise-fast-track (automatic: no reviewer)",
                                     "Reasons (the first decides):", f"  - {FAST}"]
    code, out, _ = route(capsys, provider_repo / "approvals.yml", "no-changes.json", "staging", "standard")
    assert out.splitlines()[1:] == ["No changed resources: nothing to apply."]


def test_the_policy_defaults_to_approvals_yml_here(provider_repo, capsys, monkeypatch):
    monkeypatch.chdir(provider_repo)
    code, out, _ = cli(capsys, "route-approval", "--plan", str(PLANS / "tags-update.json"),
                       "--environment", "staging", "--tier", "standard", "--json")
    assert (code, json.loads(out)["environment"]) == (0, "standard-approval")


PLAN_FIX = "  fix: pass the JSON of the saved plan: terraform show -json tfplan > plan.json\n"


@pytest.mark.parametrize(("data", "message"), [
    (None, "cannot read the plan {plan}: No such file or directory\n" + PLAN_FIX),
    (b"Terraform will perform the following actions:\n", "{plan} is not JSON (Expecting value: line 1 "
     "column 1 (char 0)): not Terraform's JSON plan format\n" + PLAN_FIX),
    (b'{"format_version": "1.0", "terraform_version": "1.11.4", "values": {}}',
     "{plan} is Terraform's JSON state (terraform show -json without a plan file), not a plan\n" + PLAN_FIX),
    (b'{"format_version": "2.0"}', '{plan} has format_version "2.0"; repo-migrate reads format 1.x of '
     "Terraform's JSON plan format\n  fix: plan with Terraform 1.x\n"),
])
def test_a_plan_that_cannot_be_read_is_never_approved(provider_repo, capsys, tmp_path, data, message):
    plan = tmp_path / "plan.json"
    if data is not None:
        plan.write_bytes(data)
    code, out, err = cli(capsys, "route-approval", "--plan", str(plan), "--environment", "production",
                         "--tier", "enterprise", "--policy", str(provider_repo / "approvals.yml"), "--json")
    assert (code, out) == (3, "")
    assert err == "repo-migrate: error: " + message.format(plan=plan)


def test_bad_options_and_policies_are_refused(provider_repo, capsys, tmp_path):
    code, out, err = route(capsys, provider_repo / "approvals.yml", "tags-update.json", "qa", "standard")
    assert (code, out, err) == (3, "", "repo-migrate: error: environment 'qa' is not one of the policy's "
                                "environments (staging, production)\n  fix: pass one of those, or add it "
                                "to environments in approvals.yml\n")
    code, _, err = route(capsys, provider_repo / "approvals.yml", "tags-update.json", "staging", "gold")
    assert code == 2 and "'gold' is not one of 'standard', 'enterprise'" in err
    code, _, err = route(capsys, tmp_path / "approvals.yml", "tags-update.json", "staging", "standard")
    assert (code, err) == (3, f"repo-migrate: error: cannot read the policy {tmp_path / 'approvals.yml'}: "
                              "No such file or directory\n  fix: pass --policy with the provider "
                              "repository's approvals.yml\n")


def test_the_schema_beside_the_policy_applies_too(provider_repo, capsys, tmp_path):
    """A provider whose copy of approvals.schema.json caps max_changes at 5."""
    policy = tmp_path / "approvals.yml"
    policy.write_bytes((provider_repo / "approvals.yml").read_bytes())
    schema = json.loads((provider_repo / "approvals.schema.json").read_text())
    change_size = schema["properties"]["rules"]["properties"]["change_size"]
    change_size["properties"]["max_changes"]["maximum"] = 5
    (tmp_path / "approvals.schema.json").write_text(json.dumps(schema))
    code, out, err = route(capsys, policy, "tags-update.json", "staging", "standard")
    assert (code, out) == (3, "")
    assert err.startswith(f"repo-migrate: error: {policy}: rules.change_size.max_changes: 10 is greater "
                          "than the maximum of 5\n")
