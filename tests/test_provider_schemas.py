"""The provider's two static schemas: valid draft 2020-12, closed objects, a description on every
property, and the same verdicts from check-jsonschema (what workflows run) as from the library."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from migrate.provider_schemas import APPROVALS_SCHEMA, REGISTRY_SCHEMA, load_schema, show_path
from tests.checkers import check_schemafile
from tests.helpers import ROOT
from tests.test_approvals import POLICY

SCHEMAS = (REGISTRY_SCHEMA, APPROVALS_SCHEMA)
ENTRY = """\
# Registry entry of customer acme
customer_id: acme
tier: standard
onboarding: self-service
repositories:
  - name: acme-org/acme-platform
    pattern: monorepo
    default_branch: main
    variables_files:
      - path: infra/variables.yml
        state_key: acme/acme-platform
        moved_from:
          repository: acme-org/acme-old
          command: mono-to-separate
          source_commit: 0123456789abcdef0123456789abcdef01234567
"""


def objects(schema: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema that lists properties, with where it sits (`if` conditions aside)."""
    if isinstance(schema, dict):
        if "properties" in schema:
            yield where, schema
        for key, value in schema.items():
            if key != "if":
                yield from objects(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from objects(value, f"{where}/{i}")


@pytest.mark.parametrize("path", SCHEMAS)
def test_schema_is_valid_closed_and_described(path):
    schema = load_schema(path)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["description"]
    found = list(objects(schema))
    assert found
    for where, obj in found:
        assert obj.get("additionalProperties") is False, where
        for name, prop in obj["properties"].items():
            assert prop.get("description"), f"{where}/properties/{name}"


def test_schema_files_are_static_json_not_templates():
    for path in SCHEMAS:
        assert (ROOT / path).is_file() and not (ROOT / f"{path}.jinja").exists()
        assert (ROOT / path).read_text().endswith("}\n")


@pytest.mark.parametrize(("schema", "text", "valid"), [
    (REGISTRY_SCHEMA, ENTRY, True),
    (REGISTRY_SCHEMA, ENTRY.replace("default_branch: main", "default_branch: a..b"), False),
    (REGISTRY_SCHEMA, ENTRY.replace("default_branch: main", "default_branch: release/v1.2"), True),
    (REGISTRY_SCHEMA, ENTRY.replace("state_key: acme/acme-platform", "state_key: acme/../x"), False),
    (REGISTRY_SCHEMA, ENTRY.replace("name: acme-org/acme-platform", "name: acme-org/.."), False),
    (REGISTRY_SCHEMA, ENTRY.replace("path: infra/variables.yml", "path: infra/eu-west-variables.yml"), True),
    (REGISTRY_SCHEMA, ENTRY.replace("path: infra/variables.yml", "path: infra/../variables.yml"), False),
    (REGISTRY_SCHEMA, ENTRY.replace("tier: standard", "tier: gold"), False),
    (APPROVALS_SCHEMA, POLICY, True),
    (APPROVALS_SCHEMA, POLICY.replace("max_changes: 10", "max_changes: ten"), False),
    (APPROVALS_SCHEMA, POLICY.replace('"refs/tags/**"]\n  "*"', '"tags/**"]\n  "*"'), False),
])
def test_check_jsonschema_agrees(tmp_path, schema, text, valid):
    doc = tmp_path / "doc.yml"
    doc.write_text(text)
    findings = check_schemafile([doc], ROOT / schema)
    assert (not findings) is valid, findings
    errors = list(Draft202012Validator(load_schema(schema)).iter_errors(yaml.safe_load(text)))
    assert (not errors) is valid


def test_show_path():
    assert show_path(()) == "the top level"
    assert show_path(("repositories", 0, "variables_files", 1, "state_key")) == (
        "repositories[0].variables_files[1].state_key")
