"""Approval routing on plans in Terraform's documented JSON plan format (`terraform show -json`):
the seed's four patterns (resource type, change size, environment, tier), their combinations,
disabled rules, custom policies, and plans that must be refused (never approved)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from migrate.approvals import (
    DEFAULT_DEPLOY_REFS,
    ChangedResource,
    Policy,
    Route,
    TierRoute,
    changed_resources,
    load_policy,
    read_plan,
    route,
)
from migrate.errors import Refused

POLICY = """\
environments: [staging, production]
deploy_refs:
  production: ["refs/heads/{default_branch}", "refs/tags/**"]
  "*": ["refs/heads/**", "refs/tags/**"]
rules:
  resource_type:
    enabled: true
    environment: database-approval
    resource_types: ["aws_db_*", "aws_rds_*"]
  change_size:
    enabled: true
    environment: high-risk-approval
    max_changes: 10
  environment:
    enabled: true
    environments: {production: production-apply}
  tier:
    enabled: true
    tiers:
      standard: {environment: standard-approval, automatic: false}
      enterprise: {environment: enterprise-fast-track, automatic: true}
"""
DEFAULT = load_policy(POLICY.encode(), "approvals.yml")


def rc(address: str, actions: list[str], mode: str = "managed", **extra: Any) -> dict[str, Any]:
    """One entry of resource_changes as Terraform writes it (module_address for child modules)."""
    parts = address.split(".")
    rtype, name = parts[-2], parts[-1]
    module = ".".join(parts[: parts.index("data") if "data" in parts else -2])
    change: dict[str, Any] = {
        "actions": actions,
        "before": None if actions[0] == "create" else {"id": name},
        "after": None if actions == ["delete"] else {"id": name},
        "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {},
    }
    if "importing" in extra:
        change["importing"] = extra.pop("importing")
    entry = {"address": address, "mode": mode, "type": rtype, "name": name,
             "provider_name": "registry.terraform.io/hashicorp/aws", "change": change, **extra}
    if module:
        entry["module_address"] = module
    return entry


def plan(*changes: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A plan document with Terraform 1.11's top-level keys."""
    doc: dict[str, Any] = {
        "format_version": "1.2", "terraform_version": "1.11.4",
        "planned_values": {"root_module": {}}, "configuration": {"root_module": {}},
        "applyable": bool(changes), "complete": True, "errored": False,
        "timestamp": "2026-01-01T00:00:00Z",
    }
    if changes:
        doc["resource_changes"] = list(changes)
    return {**doc, **top}


CREATE = rc("module.vpc.aws_vpc.main", ["create"])
UPDATE = rc("module.compute.aws_security_group.app", ["update"])
DELETE = rc("aws_instance.legacy", ["delete"])
DB_REPLACE = rc("module.database.aws_db_instance.main", ["delete", "create"])
RDS_REPLACE = rc("aws_rds_cluster.analytics", ["create", "delete"])
NOOP = rc("aws_s3_bucket.logs", ["no-op"])
READ = rc("data.aws_availability_zones.all", ["read"], mode="data")
DB_DATA = rc("module.database.data.aws_db_snapshot.latest", ["read"], mode="data")
MOVED = rc("module.compute.aws_ecs_service.app", ["no-op"], previous_address="aws_ecs_service.app")
MOVED_DB = rc("module.database.aws_db_subnet_group.main", ["no-op"],
              previous_address="aws_db_subnet_group.main")
IMPORT = rc("aws_iam_role.task", ["no-op"], importing={"id": "task-role"})
IMPORT_UPDATE = rc("aws_cloudwatch_log_group.app", ["update"], importing={"id": "/ecs/app"})
FORGET = rc("aws_ecr_repository.old", ["forget"])
UNCHANGED = (NOOP, READ, DB_DATA, MOVED, MOVED_DB)


def creates(n: int) -> list[dict[str, Any]]:
    return [rc(f"module.compute.aws_ecs_task_definition.t{i}", ["create"]) for i in range(n)]


def replaces(n: int) -> list[dict[str, Any]]:
    return [rc(f"aws_instance.r{i}", ["delete", "create"] if i % 2 else ["create", "delete"])
            for i in range(n)]


STD, ENT = "tier: standard -> standard-approval", "tier: enterprise -> enterprise-fast-track (automatic)"
PROD = "environment: production -> production-apply"
NOTHING = Route(None, False, 0, ("no changed resources: nothing to apply",))

TABLE = [
    # (changes, environment, tier, expected route)
    ((), "production", "standard", NOTHING),
    (UNCHANGED, "production", "enterprise", NOTHING),
    ((UPDATE, *UNCHANGED), "staging", "standard", Route("standard-approval", False, 1, (STD,))),
    ((UPDATE,), "staging", "enterprise", Route("enterprise-fast-track", True, 1, (ENT,))),
    ((CREATE, DELETE, FORGET), "staging", "enterprise", Route("enterprise-fast-track", True, 3, (ENT,))),
    ((UPDATE,), "production", "enterprise", Route("production-apply", False, 1, (PROD, ENT))),
    ((UPDATE,), "production", "standard", Route("production-apply", False, 1, (PROD, STD))),
    # resource type: a database in a child module, a replace in either order, counted once
    ((DB_REPLACE, READ), "staging", "enterprise", Route("database-approval", False, 1, (
        "resource type: 1 changed resource of type aws_db_* or aws_rds_* "
        "(module.database.aws_db_instance.main) -> database-approval", ENT))),
    ((DB_REPLACE, RDS_REPLACE, UPDATE), "production", "standard", Route("database-approval", False, 3, (
        "resource type: 2 changed resources of type aws_db_* or aws_rds_* "
        "(module.database.aws_db_instance.main, aws_rds_cluster.analytics) -> database-approval",
        PROD, STD))),
    # a database data source or a database that only moved is no database change
    ((DB_DATA, MOVED_DB, UPDATE), "staging", "enterprise", Route("enterprise-fast-track", True, 1, (ENT,))),
    # change size: more than 10 changed resources; exactly 10 is not more
    (tuple(creates(10)), "staging", "enterprise", Route("enterprise-fast-track", True, 10, (ENT,))),
    (tuple(creates(11)), "staging", "enterprise", Route("high-risk-approval", False, 11, (
        "change size: 11 changed resources, more than 10 -> high-risk-approval", ENT))),
    (tuple(replaces(10)), "staging", "standard", Route("standard-approval", False, 10, (STD,))),
    ((*replaces(6), *creates(5), *UNCHANGED), "production", "enterprise",
     Route("high-risk-approval", False, 11, (
        "change size: 11 changed resources, more than 10 -> high-risk-approval", PROD, ENT))),
    # all four at once: the resource type wins
    ((DB_REPLACE, *creates(11)), "production", "standard", Route("database-approval", False, 12, (
        "resource type: 1 changed resource of type aws_db_* or aws_rds_* "
        "(module.database.aws_db_instance.main) -> database-approval",
        "change size: 12 changed resources, more than 10 -> high-risk-approval", PROD, STD))),
    # imports are applied like changes (an import-only plan still needs an apply)
    ((IMPORT, MOVED), "staging", "enterprise", Route("enterprise-fast-track", True, 1, (ENT,))),
    ((IMPORT, IMPORT_UPDATE), "production", "standard", Route("production-apply", False, 2, (PROD, STD))),
]


@pytest.mark.parametrize(("changes", "environment", "tier", "expected"), TABLE)
def test_route_table(changes, environment, tier, expected):
    assert route(plan(*changes), environment, tier, DEFAULT) == expected


def test_route_json_shape():
    got = route(plan(UPDATE), "staging", "enterprise", DEFAULT).as_json()
    assert json.dumps(got) == ('{"environment": "enterprise-fast-track", "automatic": true, '
                               '"changes": 1, "reasons": ["' + ENT + '"]}')
    assert NOTHING.as_json() == {"environment": None, "automatic": False, "changes": 0,
                                 "reasons": ["no changed resources: nothing to apply"]}


def test_changed_resources_lists_managed_changes_and_imports_once_each():
    doc = plan(CREATE, DB_REPLACE, RDS_REPLACE, *UNCHANGED, IMPORT, IMPORT_UPDATE, FORGET)
    assert changed_resources(doc) == [
        ChangedResource("module.vpc.aws_vpc.main", "aws_vpc", ("create",)),
        ChangedResource("module.database.aws_db_instance.main", "aws_db_instance", ("delete", "create")),
        ChangedResource("aws_rds_cluster.analytics", "aws_rds_cluster", ("create", "delete")),
        ChangedResource("aws_iam_role.task", "aws_iam_role", ("no-op",), importing=True),
        ChangedResource("aws_cloudwatch_log_group.app", "aws_cloudwatch_log_group", ("update",), True),
        ChangedResource("aws_ecr_repository.old", "aws_ecr_repository", ("forget",)),
    ]


def policy(**rules: dict[str, Any]) -> Policy:
    doc = {"environments": ["staging", "production"], "rules": {
        "resource_type": {"enabled": True, "environment": "database-approval",
                          "resource_types": ["aws_db_*", "aws_rds_*"]},
        "change_size": {"enabled": True, "environment": "high-risk-approval", "max_changes": 10},
        "environment": {"enabled": True, "environments": {"production": "production-apply"}},
        "tier": {"enabled": True, "tiers": {
            "standard": {"environment": "standard-approval", "automatic": False},
            "enterprise": {"environment": "enterprise-fast-track", "automatic": True}}},
        **rules}}
    return load_policy(json.dumps(doc).encode(), "approvals.yml")  # JSON is YAML


OFF = {"enabled": False}


@pytest.mark.parametrize(("rules", "changes", "environment", "tier", "expected"), [
    ({"resource_type": OFF}, (DB_REPLACE,), "staging", "enterprise",
     Route("enterprise-fast-track", True, 1, (ENT,))),
    ({"change_size": OFF}, tuple(creates(30)), "staging", "standard",
     Route("standard-approval", False, 30, (STD,))),
    ({"environment": OFF}, (UPDATE,), "production", "enterprise",
     Route("enterprise-fast-track", True, 1, (ENT,))),
    # a disabled rule may keep its settings
    ({"environment": {"enabled": False, "environments": {"production": "production-apply"}}},
     (UPDATE,), "production", "standard", Route("standard-approval", False, 1, (STD,))),
    ({"tier": OFF}, (UPDATE,), "production", "enterprise", Route("production-apply", False, 1, (PROD,))),
    ({"resource_type": OFF, "change_size": OFF, "environment": OFF}, (DB_REPLACE, *creates(20)),
     "production", "standard", Route("standard-approval", False, 21, (STD,))),
    # custom: IAM is sensitive, any change at all is large, both environments gated per name,
    # and standard customers are automatic too (but only where the tier rule wins)
    ({"resource_type": {"enabled": True, "environment": "security-review", "resource_types": ["aws_iam_*"]},
      "change_size": {"enabled": True, "environment": "big-change", "max_changes": 0},
      "environment": {"enabled": True, "environments": {"staging": "staging-apply"}},
      "tier": {"enabled": True, "tiers": {"standard": {"environment": "std-auto", "automatic": True},
                                          "enterprise": {"environment": "ent", "automatic": False}}}},
     (IMPORT, DB_REPLACE), "staging", "standard", Route("security-review", False, 2, (
         "resource type: 1 changed resource of type aws_iam_* (aws_iam_role.task) -> security-review",
         "change size: 2 changed resources, more than 0 -> big-change",
         "environment: staging -> staging-apply", "tier: standard -> std-auto (automatic)"))),
    ({"change_size": OFF, "environment": {"enabled": True, "environments": {"staging": "staging-apply"}},
      "tier": {"enabled": True, "tiers": {"standard": {"environment": "std-auto", "automatic": True},
                                          "enterprise": {"environment": "ent", "automatic": False}}}},
     (UPDATE,), "production", "standard",
     Route("std-auto", True, 1, ("tier: standard -> std-auto (automatic)",))),
])
def test_custom_and_disabled_rules(rules, changes, environment, tier, expected):
    assert route(plan(*changes), environment, tier, policy(**rules)) == expected


def test_no_rule_applies_is_refused_not_approved():
    off = policy(tier=OFF, environment=OFF)
    with pytest.raises(Refused) as caught:
        route(plan(UPDATE), "staging", "enterprise", off)
    assert (caught.value.problem, caught.value.fix) == (
        "no approval rule of the policy applies to this plan (1 changed resources, environment "
        "staging, tier enterprise)",
        "enable the tier rule in approvals.yml: it routes every plan the other rules leave")
    assert route(plan(NOOP), "staging", "enterprise", off) == NOTHING


def test_unknown_environment_is_refused():
    with pytest.raises(Refused) as caught:
        route(plan(UPDATE), "qa", "standard", DEFAULT)
    assert caught.value.problem == ("environment 'qa' is not one of the policy's environments "
                                    "(staging, production)")


FIX = "pass the JSON of the saved plan: terraform show -json tfplan > plan.json"


@pytest.mark.parametrize(("data", "problem", "fix"), [
    (b"", "plan.json is not JSON (Expecting value: line 1 column 1 (char 0)): not Terraform's "
     "JSON plan format", FIX),
    (b"\xff\xfe{", "plan.json is not JSON ('utf-8' codec can't decode byte 0xff in position 0: "
     "invalid start byte): not Terraform's JSON plan format", FIX),
    (b'{"format_version": "1.2",', "plan.json is not JSON (Expecting property name enclosed in "
     "double quotes: line 1 column 26 (char 25)): not Terraform's JSON plan format", FIX),
    (b"[]", "plan.json holds a JSON list, not an object: not Terraform's JSON plan format", FIX),
    (b'{"resource_changes": []}', "plan.json has no format_version: not Terraform's JSON plan "
     "format", FIX),
    (json.dumps(plan(format_version="0.1")).encode(), 'plan.json has format_version "0.1"; '
     "repo-migrate reads format 1.x of Terraform's JSON plan format", "plan with Terraform 1.x"),
    (json.dumps(plan(format_version=1.2)).encode(), "plan.json has no format_version: not "
     "Terraform's JSON plan format", FIX),
    (b'{"format_version": "1.0", "terraform_version": "1.11.4", "values": {"root_module": {}}}',
     "plan.json is Terraform's JSON state (terraform show -json without a plan file), not a plan", FIX),
    (json.dumps({k: v for k, v in plan(UPDATE).items() if k != "configuration"}).encode(),
     "plan.json lacks configuration: not Terraform's JSON plan format", FIX),
    (json.dumps(plan(UPDATE, errored=True)).encode(), "plan.json is the plan of a failed "
     "`terraform plan` (errored: true)", "fix the errors terraform plan reported, then plan again"),
    (json.dumps(plan(resource_changes={"a": 1})).encode(), "plan.json: resource_changes is not a "
     "list: not Terraform's JSON plan format", FIX),
    (json.dumps(plan({"address": "aws_vpc.main", "type": "aws_vpc",
                      "change": {"actions": ["create"]}})).encode(),
     "plan.json: resource_changes[0] lacks address, type, mode (managed or data) or change: not "
     "Terraform's JSON plan format", FIX),
    (json.dumps(plan(UPDATE, rc("aws_vpc.main", ["destroy"]))).encode(), 'plan.json: '
     'resource_changes[1] (aws_vpc.main) has actions ["destroy"], which repo-migrate does not '
     "know, so it cannot judge the change",
     "plan with the Terraform version the provider pins, or upgrade repo-migrate"),
])
def test_unreadable_or_foreign_json_is_refused(data, problem, fix):
    with pytest.raises(Refused) as caught:
        read_plan(data, "plan.json")
    assert (caught.value.problem, caught.value.fix) == (problem, fix)


def test_read_plan_returns_the_document():
    doc = plan(UPDATE, NOOP)
    assert read_plan(json.dumps(doc).encode(), "plan.json") == doc
    assert read_plan(json.dumps(plan()).encode(), "plan.json") == plan()


def test_route_refuses_a_malformed_plan_it_was_handed():
    with pytest.raises(Refused, match=r"resource_changes\[0\]"):
        route({"resource_changes": [{"address": "x"}]}, "staging", "enterprise", DEFAULT)


def test_load_policy_reads_the_template_default():
    assert Policy(
        environments=("staging", "production"),
        deploy_refs={"production": ("refs/heads/{default_branch}", "refs/tags/**"),
                     "*": ("refs/heads/**", "refs/tags/**")},
        resource_type=("database-approval", ("aws_db_*", "aws_rds_*")),
        change_size=("high-risk-approval", 10),
        environment={"production": "production-apply"},
        tier={"standard": TierRoute("standard-approval", False),
              "enterprise": TierRoute("enterprise-fast-track", True)},
    ) == DEFAULT
    assert DEFAULT.deploy_patterns("production", "main") == ("refs/heads/main", "refs/tags/**")
    assert DEFAULT.deploy_patterns("staging", "main") == ("refs/heads/**", "refs/tags/**")
    # a default branch holding filter characters matches only itself
    assert DEFAULT.deploy_patterns("production", "c++") == ("refs/heads/c\\+\\+", "refs/tags/**")


def test_load_policy_without_deploy_refs_uses_the_defaults():
    text = POLICY.replace('  production: ["refs/heads/{default_branch}", "refs/tags/**"]\n', "")
    text = text.replace('deploy_refs:\n  "*": ["refs/heads/**", "refs/tags/**"]\n', "")
    assert "deploy_refs" not in text
    assert load_policy(text.encode(), "approvals.yml").deploy_refs == DEFAULT_DEPLOY_REFS


TIER_AUTOMATIC = ("True when that environment has no required reviewer, so the apply follows "
                  "the plan without a person (only when the tier rule wins: any earlier rule that "
                  "applies keeps its reviewers).")


@pytest.mark.parametrize(("old", "new", "problem", "fix"), [
    ("automatic: true}", 'automatic: "yes"}',
     "approvals.yml: rules.tier.tiers.enterprise.automatic: 'yes' is not of type 'boolean'",
     "correct rules.tier.tiers.enterprise.automatic in approvals.yml: " + TIER_AUTOMATIC),
    ("    max_changes: 10\n", "    max_changes: -1\n",
     "approvals.yml: rules.change_size.max_changes: -1 is less than the minimum of 0",
     "correct rules.change_size.max_changes in approvals.yml: The largest number of changed "
     "resources that does not trigger the rule (default 10)."),
    ("    resource_types: [\"aws_db_*\", \"aws_rds_*\"]\n", "",
     "approvals.yml: rules.resource_type: 'resource_types' is a required property",
     "add the missing key to rules.resource_type in approvals.yml"),
    ("environments: [staging, production]\n", "environments: [staging, production]\ndefaults: {}\n",
     "approvals.yml: the top level: Additional properties are not allowed ('defaults' was unexpected)",
     "remove or rename the unexpected key in the top level of approvals.yml"),
    ("environment: database-approval", "environment: database approval",
     "approvals.yml: rules.resource_type.environment: 'database approval' does not match "
     "'^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$'",
     "correct rules.resource_type.environment in approvals.yml: A GitHub environment of the "
     "manager repository (its required reviewers are the gate): 1-255 of letters, digits, '.', "
     "'_' and '-', starting with a letter or digit."),
    ('  "*": ["refs/heads/**", "refs/tags/**"]\n', '  qa: ["refs/heads/**"]\n',
     "approvals.yml: deploy_refs.qa: qa is not one of environments (staging, production)",
     "add qa to environments or remove it"),
    ('"refs/tags/**"]\n  "*"', '"refs/tags/c++"]\n  "*"',
     "approvals.yml: deploy_refs.production[1]: invalid filter pattern 'refs/tags/c++' "
     "(character 13): '+' after '+' has no preceding character to repeat ('+' means one or more "
     "of the preceding character); GitHub refuses a workflow with this pattern",
     "escape literal characters with '\\': write 'refs/tags/c\\+\\+' (in YAML single quotes)"),
    ("{default_branch}", "{branch}",
     "approvals.yml: deploy_refs.production[0]: 'refs/heads/{branch}' holds a placeholder other "
     "than {default_branch}", "use only {default_branch} (the repository's default branch)"),
    ("{production: production-apply}", "{prod: production-apply}",
     "approvals.yml: rules.environment.environments.prod: prod is not one of environments "
     "(staging, production)", "add prod to environments or remove it from the rule"),
    ("    enabled: true\n    environment: high",
     "    enabled: true\n    enabled: false\n    environment: high",
     "approvals.yml: key 'enabled' appears twice (line 12)",
     "keep one 'enabled' in approvals.yml, then run again"),
    ("rules:\n", "rules: [\n", None, "fix approvals.yml so that it parses as one YAML document"),
])
def test_load_policy_refusals(old, new, problem, fix):
    assert old in POLICY
    with pytest.raises(Refused) as caught:
        load_policy(POLICY.replace(old, new, 1).encode(), "approvals.yml")
    if problem is None:
        assert caught.value.problem.startswith("approvals.yml is not valid YAML: ")
    else:
        assert caught.value.problem == problem
    assert caught.value.fix == fix
