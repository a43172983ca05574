"""The customer registry: every customers/*.yml validated, named after its customer, the
invariant (a state_key belongs to exactly one repository) across files, and the look-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.errors import Refused
from migrate.registry import (
    Customer,
    MovedFrom,
    Owner,
    RepositoryEntry,
    VariablesFile,
    is_deployable,
    load_registry,
    registry_files,
)
from tests.helpers import build_file_tree

ACME = """\
# Registry entry of customer acme (managed by repo-migrate register; comments are kept)
customer_id: acme
tier: standard                 # standard | enterprise
onboarding: self-service
repositories:
  - name: acme-org/acme-platform   # owner/name on GitHub
    pattern: monorepo
    default_branch: main
    variables_files:
      - path: infra/variables.yml
        state_key: acme/acme-platform
  - name: acme-org/acme-services
    pattern: multi-service
    default_branch: trunk
    variables_files:
      - path: infra/variables.yml
        state_key: acme/acme-services
      - path: infra/api-vars.yml
        state_key: acme/acme-services/api
        moved_from:
          repository: acme-org/acme-api
          command: mono-to-separate
          source_commit: "0123456789012345678901234567890123456789"
"""
GLOBEX = """\
customer_id: globex
tier: enterprise
onboarding: enterprise
repositories:
  - name: globex/regions
    pattern: multi-region
    default_branch: main
    variables_files:
      - path: infra/us-east-variables.yml
        state_key: globex/us-east-1
      - path: infra/eu-west-variables.yml
        state_key: globex/eu-west-1
"""
FILES = {"customers/acme.yml": ACME.encode(), "customers/globex.yml": GLOBEX.encode()}


def refusal(files: dict[str, bytes]) -> tuple[str, str | None]:
    with pytest.raises(Refused) as caught:
        load_registry(files)
    return caught.value.problem, caught.value.fix


def test_load_and_look_up():
    reg = load_registry(FILES)
    platform = RepositoryEntry("acme-org/acme-platform", "monorepo", "main",
                               (VariablesFile("infra/variables.yml", "acme/acme-platform"),))
    services = RepositoryEntry("acme-org/acme-services", "multi-service", "trunk", (
        VariablesFile("infra/variables.yml", "acme/acme-services"),
        VariablesFile("infra/api-vars.yml", "acme/acme-services/api", MovedFrom(
            "acme-org/acme-api", "mono-to-separate", "0123456789012345678901234567890123456789")),
    ))
    acme = Customer("acme", "standard", "self-service", (platform, services), "customers/acme.yml")
    assert reg.customer("acme") == acme
    assert [c.customer_id for c in reg.customers] == ["acme", "globex"]
    assert reg.customer("initech") is None
    # GitHub compares owner/name without case
    assert reg.repository("ACME-org/Acme-Platform") == (acme, platform)
    assert reg.repository("acme-org/acme-infra") is None
    assert reg.owner_of("acme/acme-services/api") == Owner(acme, services, services.variables_files[1])
    assert reg.owner_of("acme/acme-services/web") is None
    assert reg.state_key_of("globex/regions", "infra/eu-west-variables.yml") == "globex/eu-west-1"
    assert reg.state_key_of("globex/regions", "infra/variables.yml") is None
    assert reg.state_key_of("globex/nothing", "infra/variables.yml") is None
    assert reg.text_of("acme") == ACME
    assert reg.text_of("initech") is None
    # the shared file of a multi-service repository is no state of its own
    assert services.deploy_files == (services.variables_files[1],)
    assert platform.deploy_files == platform.variables_files
    assert is_deployable("monorepo", "infra/variables.yml")
    assert not is_deployable("multi-service", "infra/variables.yml")
    assert is_deployable("multi-service", "infra/web-vars.yml")


def test_load_from_a_provider_repository_directory(tmp_path: Path):
    build_file_tree(tmp_path, {**dict(FILES.items()),
                               "customers/registry.schema.json": "{}", "customers/README.md": "x",
                               "customers/archive/old.yml": "not: checked", "approvals.yml": "x"})
    assert registry_files(tmp_path) == FILES
    assert load_registry(tmp_path).customer("globex") is not None
    assert load_registry(tmp_path / "nothing-here").customers == ()
    assert load_registry({}).customers == ()


@pytest.mark.parametrize(("files", "problem", "fix"), [
    ({"customers/acme.yml": ACME.replace("tier: standard ", "tier: gold ")},
     "customers/acme.yml: tier: 'gold' is not one of ['standard', 'enterprise']",
     "correct tier in customers/acme.yml: Service tier: picks the tier rule of approvals.yml "
     "(standard or enterprise). The provider's decision; a customer repository's answers never "
     "change it."),
    ({"customers/acme.yml": ACME.replace("state_key: acme/acme-services/api", "state_key: ../api")},
     "customers/acme.yml: repositories[1].variables_files[1].state_key: '../api' does not match "
     "'^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$'",
     "correct repositories[1].variables_files[1].state_key in customers/acme.yml: Stable address "
     "of a Terraform state at the provider: lowercase path segments of a-z, 0-9, '.', '_' and '-' "
     "separated by single '/'. The backend key of an environment is "
     "<state_key>/<environment>/terraform.tfstate."),
    ({"customers/acme.yml": ACME.replace("    pattern: monorepo\n", "")},
     "customers/acme.yml: repositories[0]: 'pattern' is a required property",
     "add the missing key to repositories[0] in customers/acme.yml"),
    ({"customers/acme.yml": ACME + "notes: hello\n"},
     "customers/acme.yml: the top level: Additional properties are not allowed ('notes' was unexpected)",
     "remove or rename the unexpected key in the top level of customers/acme.yml"),
    ({"customers/acme.yml": ""},
     "customers/acme.yml: the top level: None is not of type 'object'",
     "correct the top level in customers/acme.yml: One customer of the provider: "
     "customers/<customer_id>.yml in the provider's manager repository. The provider's pipeline "
     "trusts a dispatch only as far as this registry allows: the customer, its repositories "
     "(owner/name on GitHub), their variables files and each file's state_key. A state_key "
     "belongs to exactly one variables file of one repository across the whole registry, and "
     "never changes. Written and updated by `repo-migrate register` (comments are kept); shipped "
     "by the provider's template suite, do not edit."),
    ({"customers/acme-corp.yml": ACME},
     "customers/acme-corp.yml: customer_id is acme but the file is named acme-corp.yml",
     "rename the file to customers/acme.yml (an entry is named after its customer_id)"),
    ({"customers/acme.yaml": ACME},
     "customers/acme.yaml: registry entries are named <customer_id>.yml",
     "rename it to customers/acme.yml"),
    ({"customers/acme.yml": ACME.replace("tier: standard ", "tier: standard\ntier: enterprise ")},
     "customers/acme.yml: key 'tier' appears twice (line 4)",
     "keep one 'tier' in customers/acme.yml, then run again"),
    ({"customers/acme.yml": ACME.replace("infra/api-vars.yml", "infra/variables.yml")},
     "customers/acme.yml: repositories[1].variables_files[1].path: infra/variables.yml is listed "
     "twice for acme-org/acme-services", "list each variables file once"),
    ({"customers/acme.yml": ACME.replace("state_key: acme/acme-services\n",
                                         "state_key: acme/acme-platform\n")},
     "customers/acme.yml: repositories[1].variables_files[0].state_key: acme/acme-platform is also "
     "registered for acme-org/acme-platform (infra/variables.yml) in customers/acme.yml",
     "a state_key belongs to exactly one repository: remove it where it is no longer deployed "
     "(repo-migrate register moves it when a migration record proves the move)"),
    ({"customers/acme.yml": ACME, "customers/globex.yml": GLOBEX.replace(
        "state_key: globex/eu-west-1", "state_key: acme/acme-platform")},
     "customers/globex.yml: repositories[0].variables_files[1].state_key: acme/acme-platform is "
     "also registered for acme-org/acme-platform (infra/variables.yml) in customers/acme.yml",
     "a state_key belongs to exactly one repository: remove it where it is no longer deployed "
     "(repo-migrate register moves it when a migration record proves the move)"),
    ({"customers/acme.yml": ACME, "customers/globex.yml": GLOBEX.replace(
        "name: globex/regions", "name: Acme-Org/ACME-platform")},
     "customers/globex.yml: repositories[0].name: Acme-Org/ACME-platform is also registered in "
     "customers/acme.yml (repositories[0])",
     "a repository belongs to one customer, once: remove one entry"),
])
def test_refusals_name_file_path_and_fix(files, problem, fix):
    assert refusal({p: t.encode() for p, t in files.items()}) == (problem, fix)


def test_invalid_yaml_is_refused():
    problem, fix = refusal({"customers/acme.yml": b"customer_id: [acme\n"})
    assert problem.startswith("customers/acme.yml is not valid YAML: ")
    assert fix == "fix customers/acme.yml so that it parses as one YAML document"
