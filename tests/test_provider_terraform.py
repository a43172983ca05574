"""The provider's Terraform (templates/provider/terraform), offline: it parses, reads exactly the
variables schema's properties, is formatted, passes checkov, and reads each pattern's files.

The AWS provider cannot be downloaded here, so `terraform validate` and `plan` of the whole
module cannot run; the module's reading of a variables file (customer.tf: locals and the
contract's preconditions, no provider) runs for real with `terraform console` and `plan`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest

from migrate.contract import state_address
from tests.checkers import missing
from tests.helpers import ROOT

CHECKOV = ROOT / ".tools" / "checkov-3.3.30"
HCL = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
# Every read of the customer's variables file goes through local.file (the file given) or
# local.shared (the repository's shared variables.yml; the same file unless it is an override).
READ = re.compile(r"\blocal\.(?:file|shared)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def terraform() -> str:
    found = shutil.which("terraform")
    if found is None:
        missing("terraform", "Terraform 1.11 is expected on PATH")
    return str(found)


def tf_env() -> dict[str, str]:
    # No user CLI configuration (plugin caches, credentials): the runs must be hermetic.
    return {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1"}


def strings(node: Any) -> Iterator[str]:
    """Every string of a python-hcl2 tree (expressions come as "${...}")."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def schema_paths(schema: dict[str, Any]) -> set[str]:
    """Dotted paths of the schema's leaf properties, both kinds of file (variables, overrides)."""
    defs = schema["$defs"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            rest = {k: v for k, v in node.items() if k != "$ref"}
            node = {**defs[node["$ref"].removeprefix("#/$defs/")], **rest}
        return node

    def walk(node: dict[str, Any], prefix: str) -> set[str]:
        node = resolve(node)
        if "properties" not in node:
            return {prefix}
        return set().union(*(walk(sub, f"{prefix}.{name}" if prefix else name)
                             for name, sub in node["properties"].items()))

    return walk(schema["then"], "") | walk(schema["else"], "")


@pytest.fixture(scope="module")
def tf_dir(provider_repo: Path) -> Path:
    return provider_repo / "terraform"


@pytest.fixture(scope="module")
def parsed(tf_dir: Path) -> dict[str, dict[str, Any]]:
    return {p.relative_to(tf_dir).as_posix(): hcl2.loads(p.read_text(), serialization_options=HCL) for p in sorted(tf_dir.rglob("*.tf"))}


def test_every_tf_file_parses_into_the_expected_layout(parsed: dict[str, dict[str, Any]]) -> None:
    assert sorted(parsed) == [
        "customer.tf", "main.tf",
        *(f"modules/{m}/{f}.tf" for m in ("customer-compute", "customer-database", "customer-vpc")
          for f in ("main", "outputs", "variables", "versions")),
        "outputs.tf", "providers.tf", "variables.tf", "versions.tf",
    ]
    root_inputs = {name for block in parsed["variables.tf"]["variable"] for name in block}
    assert root_inputs == {"variables_file", "environment"}
    modules = {name: body["source"] for block in parsed["main.tf"]["module"] for name, body in block.items()}
    assert modules == {"vpc": "./modules/customer-vpc", "compute": "./modules/customer-compute",
                       "database": "./modules/customer-database"}


def test_versions_are_pinned_exactly_and_the_backend_is_partial_s3(parsed: dict[str, dict[str, Any]]) -> None:
    (block,) = parsed["versions.tf"]["terraform"]
    assert block["required_version"] == "1.11.4"
    assert block["required_providers"] == [{"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}]
    # bucket, region, lock table and key all come at init (backend.hcl, key=<state address>).
    assert block["backend"] == [{"s3": {"encrypt": True}}]


def test_backend_settings_come_from_the_answers(provider_repo: Path) -> None:
    text = (provider_repo / "terraform/backend.hcl").read_text()
    assert hcl2.loads(text, serialization_options=HCL) == {"bucket": "provider-platform-terraform-state",
                                "dynamodb_table": "provider-platform-terraform-locks",
                                "region": "us-east-1"}


def test_the_module_reads_exactly_the_variables_schema(
    parsed: dict[str, dict[str, Any]], provider_repo: Path
) -> None:
    schema = json.loads((provider_repo / "variables.schema.json").read_text())
    expected = schema_paths(schema)
    assert len(expected) == 22 and {"service", "compute.cpu_units", "region.cloud_region"} <= expected
    read = {m.group(1).lstrip(".") for tree in parsed.values() for s in strings(tree) for m in READ.finditer(s)}
    assert read - expected == set(), "read but not in the schema (invented)"
    assert expected - read == set(), "in the schema but never read (not consumed)"
    # Only customer.tf reads the file; the modules take plain values.
    readers = {name for name, tree in parsed.items()
               if any(re.search(r"\blocal\.(?:file|shared)\b|yamldecode\(", s) for s in strings(tree))}
    assert readers == {"customer.tf"}


def test_region_and_default_tags_come_from_the_variables_file(parsed: dict[str, dict[str, Any]]) -> None:
    (aws,) = [p["aws"] for p in parsed["providers.tf"]["provider"]]
    assert aws["region"] == "${local.region.cloud_region}"
    tags = aws["default_tags"][0]["tags"]
    for name in ("customer_id = local.customer_id", "state_key = local.state_key",
                 "environment = var.environment", '"managed-by" = "terraform"'):
        assert name in tags


def test_terraform_fmt_check_is_clean(tf_dir: Path) -> None:
    done = subprocess.run([terraform(), "fmt", "-check", "-recursive", "-list=true"], cwd=tf_dir,
                          capture_output=True, text=True, env=tf_env())
    assert (done.returncode, done.stdout) == (0, "")


def test_checkov_finds_nothing_and_every_skip_says_why(tf_dir: Path) -> None:
    binary = CHECKOV / "bin" / "checkov"
    if not (CHECKOV / ".installed").is_file():
        missing("checkov", "scripts/bootstrap installs checkov 3.3.30 into .tools; it could not")
    done = subprocess.run(
        [str(binary), "-d", str(tf_dir), "--framework", "terraform", "--skip-download",
         "--compact", "-o", "json"],
        capture_output=True, text=True, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"}, timeout=300,
    )
    report = json.loads(done.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["summary"]["parsing_errors"] == 0
    assert report["results"]["failed_checks"] == [], done.stdout
    assert report["summary"]["passed"] > 150
    skipped = {(c["check_id"], c["file_path"]): c["check_result"]["suppress_comment"]
               for c in report["results"].get("skipped_checks", [])}
    key_policy = "a key policy, where Resource \"*\" is this key and the account-root statement is AWS's default"
    assert skipped == {
        **{(check, f"/modules/{module}/main.tf"): key_policy
           for check in ("CKV_AWS_109", "CKV_AWS_111", "CKV_AWS_356")
           for module in ("customer-compute", "customer-database", "customer-vpc")},
        ("CKV_AWS_157", "/modules/customer-database/main.tf"):
            "multi_az is the customer's choice (database.multi_az in its variables file; the standard tier's default is false)",
    }
    assert done.returncode == 0


# --- customer.tf, evaluated for real on each pattern's generated variables files. ---


@pytest.fixture(scope="module")
def reader(tf_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """customer.tf and variables.tf alone: no provider, so `terraform init` works offline."""
    work = tmp_path_factory.mktemp("reader")
    for name in ("customer.tf", "variables.tf"):
        shutil.copy2(tf_dir / name, work / name)
    done = subprocess.run([terraform(), "init", "-input=false", "-no-color"], cwd=work,
                          capture_output=True, text=True, env=tf_env())
    assert done.returncode == 0, done.stderr
    return work


def evaluate(reader: Path, variables_file: Path, environment: str = "staging") -> dict[str, Any]:
    expression = ("jsonencode({is_service = local.is_service, has_services = local.has_services, "
                  "service = local.service, state_key = local.state_key, tier = local.tier, "
                  "state_address = local.state_address, "
                  "name = local.name, region = local.region, compute = local.compute, "
                  "network = local.network, database = local.database})")
    done = subprocess.run(
        [terraform(), "console", "-var", f"variables_file={variables_file}", "-var", f"environment={environment}"],
        cwd=reader, input=expression, capture_output=True, text=True, env=tf_env(),
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(json.loads(done.stdout)))


def plan_error(reader: Path, variables_file: Path, environment: str) -> str:
    done = subprocess.run(
        [terraform(), "plan", "-input=false", "-no-color", "-var", f"variables_file={variables_file}",
         "-var", f"environment={environment}"],
        cwd=reader, capture_output=True, text=True, env=tf_env(),
    )
    assert done.returncode == 1, done.stdout
    return " ".join(done.stderr.split())


STANDARD_COMPUTE = {"instance_type": "t3.medium", "min_instances": 2, "max_instances": 4,
                    "cpu_units": 512, "memory_mib": 1024}
STANDARD_DATABASE = {"engine": "postgres", "engine_version": "16", "instance_class": "db.t3.medium",
                     "allocated_storage_gb": 50, "multi_az": False, "backup_retention_days": 7}


def test_a_monorepo_file_builds_everything_in_its_region(reader: Path, generated: dict[str, Path]) -> None:
    got = evaluate(reader, generated["monorepo"] / "infra/variables.yml")
    assert got == {
        "is_service": False, "has_services": False, "service": "", "state_key": "acme/acme-platform",
        "state_address": "acme/acme-platform/staging/terraform.tfstate",
        "tier": "standard", "name": "acme-acme-platform-staging-8abac9e1",
        "region": {"name": "us-east", "cloud_region": "us-east-1",
                   "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"]},
        "compute": STANDARD_COMPUTE,
        "network": {"vpc_cidr": "10.10.0.0/16",
                    "public_subnets": ["10.10.0.0/24", "10.10.1.0/24", "10.10.2.0/24"],
                    "private_subnets": ["10.10.16.0/20", "10.10.32.0/20", "10.10.48.0/20"]},
        "database": STANDARD_DATABASE,
    }


def test_a_region_file_sets_the_provider_region(reader: Path, generated: dict[str, Path]) -> None:
    got = evaluate(reader, generated["multi-region"] / "infra/eu-west-variables.yml", "production")
    assert (got["state_key"], got["region"]["cloud_region"], got["network"]["vpc_cidr"]) == (
        "acme/eu-west-1", "eu-west-1", "10.30.0.0/16")
    assert got["name"] == "acme-eu-west-1-production-" + got["name"].rsplit("-", 1)[1]
    # The module names the state as the workflow's backend key does: one function on both sides.
    assert got["state_address"] == state_address("acme/eu-west-1", "production")


def test_a_service_override_reads_the_shared_file_beside_it(
    reader: Path, generated: dict[str, Path], tmp_path: Path
) -> None:
    infra = tmp_path / "infra"
    shutil.copytree(generated["multi-service"] / "infra", infra)
    shared = evaluate(reader, infra / "variables.yml")
    assert (shared["is_service"], shared["has_services"], shared["state_key"]) == (False, True, "acme/acme-services")
    (infra / "api-vars.yml").write_text(
        "customer_id: acme\nstate_key: acme/acme-services/api\nservice: api\ncompute:\n  min_instances: 5\n"
    )
    api = evaluate(reader, infra / "api-vars.yml")
    assert (api["is_service"], api["has_services"], api["service"], api["state_key"]) == (
        True, False, "api", "acme/acme-services/api")
    assert api["state_address"] == state_address("acme/acme-services/api", "staging")
    assert api["compute"] == {**STANDARD_COMPUTE, "min_instances": 5}
    assert (api["region"], api["network"], api["database"]) == (
        shared["region"], shared["network"], shared["database"])


def test_the_contract_stops_a_plan_before_any_resource(
    reader: Path, generated: dict[str, Path], tmp_path: Path
) -> None:
    error = plan_error(reader, generated["monorepo"] / "infra/variables.yml", "qa")
    assert ('Environment "qa" is not one of the variables file\'s environments (staging, production):'
            " plan one of those, or have the customer add it.") in error
    infra = tmp_path / "infra"
    shutil.copytree(generated["multi-service"] / "infra", infra)
    (infra / "web-vars.yml").write_text("customer_id: acme\nstate_key: other/web\nservice: web\n")
    error = plan_error(reader, infra / "web-vars.yml", "staging")
    assert "does not belong to its shared variables.yml (customer_id acme, state_key acme/acme-services/<service>)" in error
