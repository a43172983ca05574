"""The provider pattern of the suite: its exact tree and answers, approvals.yml from the answers,
bad answers, `copier update`, and infra-deploy.yml (checkers, shape, and its scripts run)."""

from __future__ import annotations

import json
import re
import stat
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.checkers import actionlint, check_jsonschema, zizmor
from tests.helpers import commit_all, file_bytes, git
from tests.suite_fixtures import (
    PROVIDER_ANSWERS,
    copier_update_cleanly,
    generate,
    make_suite_repo,
    release_suite_v2,
)
from tests.test_templates_workflows import load_workflow, needs_tools, run_step

WORKFLOW = ".github/workflows/infra-deploy.yml"
TERRAFORM_FILES = [
    "terraform/backend.hcl", "terraform/customer.tf", "terraform/main.tf",
    *(f"terraform/modules/{m}/{f}.tf" for m in ("customer-compute", "customer-database", "customer-vpc")
      for f in ("main", "outputs", "variables", "versions")),
    "terraform/outputs.tf", "terraform/providers.tf", "terraform/variables.tf", "terraform/versions.tf",
]
EXPECTED_TREE = sorted([
    ".copier-answers.yml", WORKFLOW, ".gitignore", "README.md", "approvals.schema.json",
    "approvals.yml", "customers/README.md", "customers/registry.schema.json",
    "variables.schema.json", *TERRAFORM_FILES,
])
DEFAULT_ANSWERS = {
    "approval_database_environment": "database-approval",
    "approval_database_types": ["aws_db_*", "aws_rds_*"],
    "approval_enterprise_automatic": True,
    "approval_enterprise_environment": "enterprise-fast-track",
    "approval_high_risk_environment": "high-risk-approval",
    "approval_max_changes": 10,
    "approval_protected_environment": "production-apply",
    "approval_standard_environment": "standard-approval",
    "checkout_token_secret": "CUSTOMER_REPOS_READ_TOKEN",
    "dispatch_event_type": "customer-infra-changed",
    "environments": ["staging", "production"],
    "lock_table": "provider-platform-terraform-locks",
    "pattern": "provider",
    "protected_environments": ["production"],
    "repo_name": "infra-manager",
    "state_bucket": "provider-platform-terraform-state",
    "state_region": "us-east-1",
    "toolkit_requirement": "repo-migrate @ git+https://github.com/provider-platform/repo-pattern-suite@v1",
}
# The policy of provider-interface.md with the issue's defaults.
DEFAULT_POLICY = {
    "environments": ["staging", "production"],
    "deploy_refs": {
        "production": ["refs/heads/{default_branch}", "refs/tags/**"],
        "*": ["refs/heads/**", "refs/tags/**"],
    },
    "rules": {
        "resource_type": {"enabled": True, "environment": "database-approval",
                          "resource_types": ["aws_db_*", "aws_rds_*"]},
        "change_size": {"enabled": True, "environment": "high-risk-approval", "max_changes": 10},
        "environment": {"enabled": True, "environments": {"production": "production-apply"}},
        "tier": {"enabled": True, "tiers": {
            "standard": {"environment": "standard-approval", "automatic": False},
            "enterprise": {"environment": "enterprise-fast-track", "automatic": True},
        }},
    },
}


def tree(root: Path) -> list[str]:
    return sorted(file_bytes(root))


def test_provider_pattern_generates_exactly_its_tree(provider_repo: Path) -> None:
    assert tree(provider_repo) == EXPECTED_TREE


def test_answers_are_the_providers_and_no_customer_question_is_asked(
    provider_repo: Path, suite_repo: Path
) -> None:
    answers = yaml.safe_load((provider_repo / ".copier-answers.yml").read_text())
    assert answers == {"_commit": "v1", "_src_path": str(suite_repo), **DEFAULT_ANSWERS}


def test_variables_schema_is_the_customers_schema(provider_repo: Path, generated: dict[str, Path]) -> None:
    assert (provider_repo / "variables.schema.json").read_bytes() == (
        generated["monorepo"] / "infra/variables.schema.json").read_bytes()


def test_approvals_policy_has_the_issues_defaults(provider_repo: Path) -> None:
    text = (provider_repo / "approvals.yml").read_text()
    assert text.startswith("# yaml-language-server: $schema=approvals.schema.json\n#\n")
    assert yaml.safe_load(text) == DEFAULT_POLICY


def test_approvals_policy_follows_other_answers(plain_suite: Path, tmp_path: Path) -> None:
    answers = {
        **PROVIDER_ANSWERS, "environments": ["dev", "qa", "prod"], "protected_environments": ["qa", "prod"],
        "approval_database_types": ["aws_db_*", "*_rds_*"], "approval_max_changes": 0,
        "approval_database_environment": "dba", "approval_high_risk_environment": "big",
        "approval_protected_environment": "prod-gate", "approval_standard_environment": "std",
        "approval_enterprise_environment": "ent", "approval_enterprise_automatic": False,
    }
    dest = generate(plain_suite, tmp_path / "p", answers)
    assert yaml.safe_load((dest / "approvals.yml").read_text()) == {
        "environments": ["dev", "qa", "prod"],
        "deploy_refs": {
            "qa": ["refs/heads/{default_branch}", "refs/tags/**"],
            "prod": ["refs/heads/{default_branch}", "refs/tags/**"],
            "*": ["refs/heads/**", "refs/tags/**"],
        },
        "rules": {
            "resource_type": {"enabled": True, "environment": "dba", "resource_types": ["aws_db_*", "*_rds_*"]},
            "change_size": {"enabled": True, "environment": "big", "max_changes": 0},
            "environment": {"enabled": True, "environments": {"qa": "prod-gate", "prod": "prod-gate"}},
            "tier": {"enabled": True, "tiers": {
                "standard": {"environment": "std", "automatic": False},
                "enterprise": {"environment": "ent", "automatic": False},
            }},
        },
    }
    # Without a production environment the last one is protected by default; none at all works too.
    last = generate(plain_suite, tmp_path / "last", {**PROVIDER_ANSWERS, "environments": ["dev", "live"]})
    assert yaml.safe_load((last / "approvals.yml").read_text())["rules"]["environment"]["environments"] == {
        "live": "production-apply"}
    none = generate(plain_suite, tmp_path / "none", {**PROVIDER_ANSWERS, "protected_environments": []})
    policy = yaml.safe_load((none / "approvals.yml").read_text())
    assert policy["deploy_refs"] == {"*": ["refs/heads/**", "refs/tags/**"]}
    assert policy["rules"]["environment"]["environments"] == {}
    assert "3. **environment**: no environment listed;" in (none / "README.md").read_text()


BAD_PROVIDER_ANSWERS = [
    ({"state_bucket": "My_Bucket"}, 'state_bucket "My_Bucket" is not an S3 bucket name'),
    ({"state_bucket": "a..b"}, 'state_bucket "a..b" is not an S3 bucket name'),
    ({"state_bucket": "192.168.1.1"}, 'state_bucket "192.168.1.1" is not an S3 bucket name'),
    ({"lock_table": "x"}, 'lock_table "x" is not a DynamoDB table name'),
    ({"state_region": "us-east"}, 'state_region "us-east" is not an AWS region code: write it as AWS does'),
    ({"checkout_token_secret": "read-token"}, 'checkout_token_secret "read-token" is not a secret name'),
    ({"checkout_token_secret": "GITHUB_READ"}, "starts with GITHUB_, which GitHub reserves"),
    ({"toolkit_requirement": "repo-migrate"}, 'toolkit_requirement "repo-migrate" is not a pinned requirement'),
    ({"toolkit_requirement": "repo-migrate @ git+https://github.com/o/suite@main"}, "never a branch"),
    ({"toolkit_requirement": "repo-migrate>=1.0"}, "is not a pinned requirement of repo-migrate"),
    ({"protected_environments": ["prod"]}, 'protected environment "prod" is not one of the environments staging, production'),
    ({"protected_environments": "production"}, "protected_environments must be a YAML list"),
    ({"approval_database_types": []}, "approval_database_types must be a non-empty YAML list"),
    ({"approval_database_types": ["aws db"]}, 'resource type pattern "aws db" is not allowed'),
    ({"approval_max_changes": -1}, "approval_max_changes -1 is negative: give 0 or more"),
    ({"approval_protected_environment": "prod gate"}, 'approval_protected_environment "prod gate" is not a GitHub environment name'),
    ({"approval_enterprise_environment": "${{ x }}"}, "is not a GitHub environment name"),
    ({"dispatch_event_type": "Infra Changed"}, 'dispatch_event_type "Infra Changed" is not allowed'),
    ({"environments": ["Prod"]}, 'environment "Prod" is not a slug'),
    ({"repo_name": "a b"}, 'repo_name "a b" is not a GitHub repository name'),
]


def test_bad_provider_answers_are_refused_with_what_is_allowed(plain_suite: Path, tmp_path: Path) -> None:
    from migrate.errors import Refused
    from migrate.suite import render_project

    for index, (answers, message) in enumerate(BAD_PROVIDER_ANSWERS):
        dest = tmp_path / f"dest-{index}"
        with pytest.raises(Refused) as refused:
            render_project({**PROVIDER_ANSWERS, **answers}, dest, src=str(plain_suite))
        assert message in refused.value.problem, answers
        assert not dest.exists() or not any(dest.iterdir())


def test_copier_update_keeps_the_providers_edits(tmp_path: Path) -> None:
    suite = make_suite_repo(tmp_path / "suite")
    repo = generate(suite, tmp_path / "infra-manager", PROVIDER_ANSWERS)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "generated from the suite v1")
    # The provider raises the change-size limit and registers a customer.
    policy = repo / "approvals.yml"
    policy.write_text(policy.read_text().replace("    max_changes: 10\n", "    max_changes: 25\n"))
    (repo / "customers/acme.yml").write_text("customer_id: acme\ntier: standard\n")
    commit_all(repo, "provider: a larger change-size limit; register acme")
    release_suite_v2(suite)

    after = copier_update_cleanly(repo)
    assert b"    max_changes: 25\n" in after["approvals.yml"]
    assert after["customers/acme.yml"] == b"customer_id: acme\ntier: standard\n"
    assert b"\n# Made by the provider's template suite; `copier update` keeps it current.\n" in after[WORKFLOW]
    assert yaml.safe_load(after[".copier-answers.yml"])["_commit"] == "v2"
    assert sorted(git(repo, "status", "--porcelain").splitlines()) == [
        " M .copier-answers.yml", " M .github/workflows/infra-deploy.yml",
    ]


# --- infra-deploy.yml ---


def test_deploy_workflow_passes_the_checkers(provider_repo: Path, plain_suite: Path, tmp_path: Path) -> None:
    other = generate(plain_suite, tmp_path / "other", {
        **PROVIDER_ANSWERS, "environments": ["dev", "prod"], "dispatch_event_type": "infra.v2",
        "checkout_token_secret": "READ_APP_TOKEN", "state_region": "eu-central-1",
        "toolkit_requirement": "repo-migrate==1.4.0",
    })
    files = [provider_repo / WORKFLOW, other / WORKFLOW]
    assert actionlint(files) + zizmor(files) + check_jsonschema(files) == []
    data = load_workflow(other / WORKFLOW)
    assert data["on"]["repository_dispatch"] == {"types": ["infra.v2"]}
    assert data["on"]["workflow_dispatch"]["inputs"]["environment"]["options"] == ["dev", "prod"]
    assert data["env"] == {"TOOLKIT_REQUIREMENT": "repo-migrate==1.4.0"}
    assert "token: ${{ secrets.READ_APP_TOKEN }}" in (other / WORKFLOW).read_text()
    assert "aws-region: eu-central-1" in (other / WORKFLOW).read_text()


def test_deploy_workflow_shape(provider_repo: Path) -> None:
    data = load_workflow(provider_repo / WORKFLOW)
    assert data["on"] == {
        "repository_dispatch": {"types": ["customer-infra-changed"]},
        "workflow_dispatch": {"inputs": {
            "repository": {"description": "Customer repository (owner/name), as registered in customers/",
                           "type": "string", "required": True},
            "environment": {"description": "Environment to plan and apply", "type": "choice",
                            "required": True, "default": "staging", "options": ["staging", "production"]},
            "sha": {"description": "Commit of the customer repository to deploy (40 hex characters)",
                    "type": "string", "required": True},
            "variables_file": {"description": "Variables file in that repository, as registered",
                               "type": "string", "required": True, "default": "infra/variables.yml"},
        }},
    }
    jobs = data["jobs"]
    assert data["permissions"] == {}
    assert {name: (job.get("needs"), job["permissions"]) for name, job in jobs.items()} == {
        "verify": (None, {"contents": "read"}),
        "plan": ("verify", {"contents": "read", "id-token": "write"}),
        "route": ("plan", {"actions": "read"}),
        "apply": ("route", {"contents": "read", "id-token": "write"}),
    }
    assert jobs["plan"]["strategy"]["matrix"] == {"target": "${{ fromJSON(needs.verify.outputs.targets) }}"}
    assert jobs["apply"]["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.route.outputs.apply) }}"}
    assert jobs["apply"]["environment"] == "${{ matrix.environment }}"
    assert jobs["apply"]["concurrency"] == {"group": "terraform-${{ matrix.target.state_address }}",
                                            "cancel-in-progress": False}
    steps = [s for job in jobs.values() for s in job["steps"]]
    # Payload and inputs reach scripts through env: only.
    assert not [s["name"] for s in steps if "${{" in s.get("run", "")]
    for s in steps:
        if "uses" in s:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", s["uses"]), s["uses"]
        if s.get("uses", "").startswith("actions/checkout@"):
            assert s["with"]["persist-credentials"] is False
    customer = [s for s in steps if s["name"] == "Check out the customer repository at the dispatched commit"]
    assert len(customer) == 2 and all(s["with"] == {
        "repository": "${{ matrix.target.repository }}", "ref": "${{ matrix.target.sha }}",
        "token": "${{ secrets.CUSTOMER_REPOS_READ_TOKEN }}", "path": "customer", "persist-credentials": False,
    } for s in customer)
    inits = [s["run"] for s in steps if s["name"].startswith("terraform init")]
    assert inits == [
        'terraform init -input=false -backend-config=backend.hcl -backend-config="key=$STATE_ADDRESS"',
        'terraform init -input=false -lockfile=readonly -backend-config=backend.hcl -backend-config="key=$STATE_ADDRESS"',
    ]
    apply_run = jobs["apply"]["steps"][-1]["run"]
    assert 'echo "$PLAN_SHA256  tfplan" | sha256sum --check --strict\n' in apply_run
    assert "terraform apply -input=false -lock-timeout=10m tfplan\n" in apply_run


# --- The workflow's scripts, run with bash and jq as the runner would. ---


def fake_toolkit(runner_temp: Path, stdout: str, status: int) -> None:
    """A stand-in for repo-migrate that prints what the interface documents (until it ships)."""
    binary = runner_temp / "toolkit/bin/repo-migrate"
    binary.parent.mkdir(parents=True, exist_ok=True)
    binary.write_text(f"#!/bin/sh\ncat <<'OUT'\n{stdout}OUT\nexit {status}\n")
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)


TARGET = {"id": "t1", "customer_id": "acme", "repository": "acme-org/acme-platform", "sha": "a" * 40,
          "ref": "refs/heads/main", "variables_file": "infra/variables.yml", "state_key": "acme/acme-platform",
          "environment": "staging", "state_address": "acme/acme-platform/staging/terraform.tfstate",
          "tier": "standard", "trigger": "path"}


def test_verify_step_passes_targets_on_and_stops_on_refusal(provider_repo: Path, tmp_path: Path) -> None:
    needs_tools("jq")
    wf = provider_repo / WORKFLOW
    fake_toolkit(tmp_path, json.dumps({"targets": [TARGET]}) + "\n", 0)
    done, out = run_step(wf, "verify", "Verify the payload", provider_repo,
                         {"RUNNER_TEMP": str(tmp_path), "GITHUB_EVENT_NAME": "repository_dispatch"}, {})
    assert done.returncode == 0, done.stderr
    assert json.loads(out["targets"]) == [TARGET]
    assert done.stdout == "t1: acme-org/acme-platform@" + "a" * 40 + (
        " infra/variables.yml -> acme/acme-platform/staging/terraform.tfstate\n")
    annotation = ("::error title=repo-migrate verify-dispatch::repository acme-org/x is not registered for"
                  " acme fix: register it with repo-migrate register\n")
    refused = json.dumps({"targets": [], "problems": [{"problem": "p", "fix": "f"}]}) + "\n"
    fake_toolkit(tmp_path, annotation + refused, 3)
    done, out = run_step(wf, "verify", "Verify the payload", provider_repo,
                         {"RUNNER_TEMP": str(tmp_path), "GITHUB_EVENT_NAME": "repository_dispatch"}, {})
    assert (done.returncode, out) == (3, {})
    assert done.stdout == annotation + (
        "::error title=infra-deploy::the event was refused (verify-dispatch exit 3); nothing is planned\n")


class _Environments(BaseHTTPRequestHandler):
    """GitHub's environments API for three environments: two gated, one without reviewers."""

    rules = {"database-approval": [{"type": "required_reviewers"}], "production-apply": [
        {"type": "wait_timer"}, {"type": "required_reviewers"}], "standard-approval": []}

    def do_GET(self) -> None:
        name = self.path.rsplit("/", 1)[1]
        if name not in self.rules:
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b'{"message": "Not Found"}')
            return
        body = json.dumps({"name": name, "protection_rules": self.rules[name]}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def route_file(routes: Path, target_id: str, changes: int, environment: str | None, automatic: bool = False) -> dict[str, Any]:
    entry = {"target": {**TARGET, "id": target_id}, "plan_sha256": "0" * 64,
             "route": {"environment": environment, "automatic": automatic, "changes": changes, "reasons": []}}
    (routes / f"{target_id}.json").write_text(json.dumps(entry))
    return entry


def choose(provider_repo: Path, work: Path, port: int) -> tuple[int, str, list[dict[str, Any]] | None]:
    done, out = run_step(provider_repo / WORKFLOW, "route", "Choose the plans", work,
                         {"GITHUB_API_URL": f"http://127.0.0.1:{port}", "GITHUB_TOKEN": "t",
                          "GITHUB_REPOSITORY": "provider-platform/infra-manager"}, {})
    return done.returncode, done.stdout, json.loads(out["apply"]) if "apply" in out else None


def test_route_step_applies_only_changing_plans_behind_real_gates(provider_repo: Path, tmp_path: Path) -> None:
    needs_tools("jq", "curl")
    server = HTTPServer(("127.0.0.1", 0), _Environments)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    routes = tmp_path / "routes"
    routes.mkdir()
    try:
        route_file(routes, "t1", 0, None)  # nothing to apply
        db = route_file(routes, "t2", 3, "database-approval")
        fast = route_file(routes, "t3", 2, "enterprise-fast-track", automatic=True)  # no reviewers needed
        prod = route_file(routes, "t4", 12, "production-apply")
        status, stdout, chosen = choose(provider_repo, tmp_path, port)
        assert status == 0, stdout
        assert chosen == [{"target": e["target"], "environment": e["route"]["environment"],
                           "plan_sha256": "0" * 64} for e in (db, fast, prod)]
        assert stdout == "t2: database-approval\nt3: enterprise-fast-track\nt4: production-apply\n"

        route_file(routes, "t5", 1, "standard-approval")  # exists, but nobody reviews it
        status, stdout, chosen = choose(provider_repo, tmp_path, port)
        assert (status, chosen) == (1, None)
        assert stdout == ("::error title=infra-deploy::approval environment standard-approval is missing or has"
                          " no required reviewers: create it in Settings -> Environments with its reviewers\n")
        (routes / "t5.json").unlink()
        route_file(routes, "t6", 1, "high-risk-approval")  # GitHub would create it without reviewers
        status, stdout, _ = choose(provider_repo, tmp_path, port)
        assert status == 1 and "approval environment high-risk-approval is missing" in stdout
        (routes / "t6.json").unlink()
        route_file(routes, "t7", 4, None)  # changes, but no rule applied
        status, stdout, _ = choose(provider_repo, tmp_path, port)
        assert (status, stdout) == (1, "::error title=infra-deploy::no approval environment for t7: enable a"
                                       " rule in approvals.yml that applies to every plan\n")
    finally:
        server.shutdown()
        server.server_close()


PLAN_JSON = {
    "format_version": "1.2", "terraform_version": "1.11.4",
    "resource_changes": [
        {"address": "module.vpc[0].aws_vpc.this", "mode": "managed", "type": "aws_vpc",
         "change": {"actions": ["no-op"]}},
        {"address": "module.database[0].aws_db_instance.this", "mode": "managed", "type": "aws_db_instance",
         "change": {"actions": ["update"]}},
        {"address": "module.compute[0].aws_launch_template.node", "mode": "managed",
         "type": "aws_launch_template", "change": {"actions": ["delete", "create"]}},
        {"address": "data.aws_vpc.shared[0]", "mode": "data", "type": "aws_vpc", "change": {"actions": ["read"]}},
    ],
}


def test_plan_summary_lists_changed_resources_and_the_route(provider_repo: Path, tmp_path: Path) -> None:
    needs_tools("jq")
    work = tmp_path / "ws"
    (work / "terraform").mkdir(parents=True)
    (work / "terraform/plan.json").write_text(json.dumps(PLAN_JSON))
    (work / "terraform/route.json").write_text(json.dumps({
        "environment": "database-approval", "automatic": False, "changes": 2,
        "reasons": ["resource_type: aws_db_instance", "environment: staging is not gated"]}))
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "REPOSITORY": "acme-org/acme-platform", "SHA": "a" * 40,
           "REF": "refs/heads/main", "VARIABLES_FILE": "infra/variables.yml", "ENVIRONMENT": "staging",
           "STATE_ADDRESS": "acme/acme-platform/staging/terraform.tfstate", "TIER": "standard"}
    done, _ = run_step(provider_repo / WORKFLOW, "plan", "Summarise the plan", work / "terraform", env, {})
    assert done.returncode == 0, done.stderr
    assert summary.read_text() == (
        "### acme-org/acme-platform: infra/variables.yml -> staging\n\n"
        f"Commit `{'a' * 40}` (refs/heads/main), state `acme/acme-platform/staging/terraform.tfstate`,"
        " tier standard.\n"
        "Changes: 2. Approval: `database-approval`.\n"
        "- resource_type: aws_db_instance\n"
        "- environment: staging is not gated\n\n"
        "| Action | Resource |\n| --- | --- |\n"
        "| update | `module.database[0].aws_db_instance.this` |\n"
        "| delete, create | `module.compute[0].aws_launch_template.node` |\n"
    )


def test_plan_summary_lists_imports_as_changes(provider_repo: Path, tmp_path: Path) -> None:
    # route-approval counts an import as a change; the table must list it, or "Changes: 2"
    # would stand above one row.
    needs_tools("jq")
    work = tmp_path / "ws"
    (work / "terraform").mkdir(parents=True)
    (work / "terraform/plan.json").write_text(json.dumps({
        "format_version": "1.2", "terraform_version": "1.11.4",
        "resource_changes": [
            {"address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket",
             "change": {"actions": ["no-op"], "importing": {"id": "acme-logs"}}},
            {"address": "aws_iam_role.ci", "mode": "managed", "type": "aws_iam_role",
             "change": {"actions": ["update"], "importing": {"id": "ci"}}},
            {"address": "aws_vpc.this", "mode": "managed", "type": "aws_vpc",
             "change": {"actions": ["no-op"]}},
        ],
    }))
    (work / "terraform/route.json").write_text(json.dumps({
        "environment": None, "automatic": False, "changes": 2, "reasons": []}))
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "REPOSITORY": "acme-org/acme-platform", "SHA": "b" * 40,
           "REF": "refs/heads/main", "VARIABLES_FILE": "infra/variables.yml", "ENVIRONMENT": "production",
           "STATE_ADDRESS": "acme/acme-platform/production/terraform.tfstate", "TIER": "standard"}
    done, _ = run_step(provider_repo / WORKFLOW, "plan", "Summarise the plan", work / "terraform", env, {})
    assert done.returncode == 0, done.stderr
    assert summary.read_text().endswith(
        "Changes: 2. Approval: none routed (not applied).\n\n"
        "| Action | Resource |\n| --- | --- |\n"
        "| import | `aws_s3_bucket.logs` |\n"
        "| update, import | `aws_iam_role.ci` |\n"
    )
