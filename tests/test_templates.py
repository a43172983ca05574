"""The template suite: each pattern's tree, variables files, skeleton app, update, bad answers."""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from migrate.suite import bundled_suite, open_suite, read_region_catalog
from tests.checkers import check_schemafile
from tests.helpers import commit_all, git
from tests.suite_fixtures import PATTERN_CASES, case_answers, generate, make_suite_repo

COPIER = str(Path(sys.executable).parent / "copier")

EXPECTED_TREES = {
    "monorepo": [
        ".copier-answers.yml",
        ".github/workflows/app-ci.yml",
        ".github/workflows/trigger-infra.yml",
        ".gitignore",
        "README.md",
        "app/Dockerfile",
        "app/src/main.py",
        "app/tests/test_main.py",
        "infra/README.md",
        "infra/variables.schema.json",
        "infra/variables.yml",
    ],
    "separate-app": [
        ".copier-answers.yml",
        ".github/workflows/app-ci.yml",
        ".gitignore",
        "Dockerfile",
        "README.md",
        "src/main.py",
        "tests/test_main.py",
    ],
    "separate-infra": [
        ".copier-answers.yml",
        ".github/workflows/trigger-infra.yml",
        "README.md",
        "infra/README.md",
        "infra/variables.schema.json",
        "infra/variables.yml",
    ],
    "multi-service": [
        ".copier-answers.yml",
        ".github/workflows/api-ci.yml",
        ".github/workflows/trigger-infra.yml",
        ".github/workflows/web-ci.yml",
        ".github/workflows/worker-ci.yml",
        ".gitignore",
        "README.md",
        "infra/README.md",
        "infra/api-vars.yml",
        "infra/variables.schema.json",
        "infra/variables.yml",
        "infra/web-vars.yml",
        "infra/worker-vars.yml",
        *(
            f"services/{svc}/{name}"
            for svc in ("api", "web", "worker")
            for name in ("Dockerfile", "src/main.py", "tests/test_main.py")
        ),
    ],
    "multi-region": [
        ".copier-answers.yml",
        ".github/workflows/trigger-infra-ap-south.yml",
        ".github/workflows/trigger-infra-eu-west.yml",
        ".github/workflows/trigger-infra-us-east.yml",
        "README.md",
        "infra/README.md",
        "infra/ap-south-variables.yml",
        "infra/eu-west-variables.yml",
        "infra/us-east-variables.yml",
        "infra/variables.schema.json",
    ],
}

# state_key of every variables file, per pattern (the contract with the provider).
EXPECTED_STATE_KEYS = {
    "monorepo": {"infra/variables.yml": "acme/acme-platform"},
    "separate-infra": {"infra/variables.yml": "acme/acme-infra"},
    "multi-service": {
        "infra/variables.yml": "acme/acme-services",
        "infra/api-vars.yml": "acme/acme-services/api",
        "infra/web-vars.yml": "acme/acme-services/web",
        "infra/worker-vars.yml": "acme/acme-services/worker",
    },
    "multi-region": {
        "infra/us-east-variables.yml": "acme/us-east-1",
        "infra/eu-west-variables.yml": "acme/eu-west-1",
        "infra/ap-south-variables.yml": "acme/ap-south-1",
    },
}
VARIABLES_KEYS = [
    "customer_id", "state_key", "tier", "environments", "region", "compute", "network", "database",
]


def tree(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    )


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("case", list(PATTERN_CASES))
def test_pattern_generates_exactly_its_tree(generated: dict[str, Path], case: str) -> None:
    assert tree(generated[case]) == EXPECTED_TREES[case]


def test_answers_file_records_pattern_role_and_suite_version(
    generated: dict[str, Path], suite_repo: Path
) -> None:
    app = load(generated["separate-app"] / ".copier-answers.yml")
    infra = load(generated["separate-infra"] / ".copier-answers.yml")
    assert (app["_commit"], app["_src_path"]) == ("v1", str(suite_repo))
    assert (app["pattern"], app["repo_role"], app["repo_name"]) == ("separate", "app", "acme-app")
    assert (infra["repo_role"], infra["repo_name"], infra["state_key"]) == (
        "infra", "acme-infra", "acme/acme-infra"
    )
    # The app repository is not asked infra questions, so it records none.
    assert "provider_repo" not in app and "state_key" not in app
    mono = load(generated["monorepo"] / ".copier-answers.yml")
    assert mono["trigger_kinds"] == ["path"] and mono["regions"] == ["us-east", "eu-west", "ap-south"]
    assert "region_catalog" not in mono  # hidden data, never stored


def test_copy_from_git_file_url_works(suite_repo: Path, tmp_path: Path) -> None:
    url = f"git+file://{suite_repo}"
    dest = generate(url, tmp_path / "acme", case_answers("monorepo"))
    assert tree(dest) == EXPECTED_TREES["monorepo"]
    answers = load(dest / ".copier-answers.yml")
    assert (answers["_src_path"], answers["_commit"]) == (url, "v1")


@pytest.mark.parametrize("case", list(EXPECTED_STATE_KEYS))
def test_variables_files_carry_contract_keys_in_order(generated: dict[str, Path], case: str) -> None:
    catalog = read_region_catalog()
    for rel, key in EXPECTED_STATE_KEYS[case].items():
        text = (generated[case] / rel).read_text()
        assert text.splitlines()[0] == "# yaml-language-server: $schema=variables.schema.json"
        data = yaml.safe_load(text)
        assert data["customer_id"] == "acme" and data["state_key"] == key
        if rel.endswith("-vars.yml"):
            assert list(data) == ["customer_id", "state_key", "service", "compute"]
            continue
        assert list(data) == VARIABLES_KEYS
        assert data["environments"] == ["staging", "production"]
        region = data["region"]
        expected_region = rel.split("/")[1].removesuffix("-variables.yml") if case == "multi-region" else "us-east"
        assert region == {"name": expected_region, **{
            k: catalog[expected_region][k] for k in ("cloud_region", "availability_zones")
        }}
        network = data["network"]
        vpc = ipaddress.ip_network(network["vpc_cidr"])
        assert vpc == ipaddress.ip_network(catalog[expected_region]["vpc_cidr"])
        subnets = [ipaddress.ip_network(s) for s in network["public_subnets"] + network["private_subnets"]]
        assert len(subnets) == 2 * len(region["availability_zones"])
        assert all(s.subnet_of(vpc) for s in subnets)
        assert not any(a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1:])
        # Block style for customers: no flow sequences or mappings.
        assert "[" not in text.split("\ncustomer_id:")[1] and "{" not in text.split("\ncustomer_id:")[1]


def test_multi_service_overrides_point_at_the_service_state(generated: dict[str, Path]) -> None:
    data = load(generated["multi-service"] / "infra/web-vars.yml")
    assert data == {
        "customer_id": "acme",
        "state_key": "acme/acme-services/web",
        "service": "web",
        "compute": {"min_instances": 2, "max_instances": 4, "cpu_units": 512, "memory_mib": 1024},
    }


def test_every_variables_file_validates_against_the_shipped_schema(generated: dict[str, Path]) -> None:
    schemas = {(generated[c] / "infra/variables.schema.json").read_bytes() for c in EXPECTED_STATE_KEYS}
    assert len(schemas) == 1  # one schema source, rendered the same into every pattern
    files = [generated[c] / rel for c, keys in EXPECTED_STATE_KEYS.items() for rel in keys]
    assert check_schemafile(files, generated["monorepo"] / "infra/variables.schema.json") == []


def test_schema_rejects_broken_variables(generated: dict[str, Path], tmp_path: Path) -> None:
    good = (generated["monorepo"] / "infra/variables.yml").read_text()
    override = (generated["multi-service"] / "infra/api-vars.yml").read_text()
    broken = {
        "state-key-upper.yml": good.replace("state_key: acme/acme-platform", "state_key: Acme/X"),
        "bad-cidr.yml": good.replace("vpc_cidr: 10.10.0.0/16", "vpc_cidr: 10.10.0.0/33"),
        "unknown-key.yml": good + "colour: blue\n",
        "no-database.yml": good.split("# Managed PostgreSQL")[0],
        "bad-region.yml": good.replace("name: us-east", "name: mars-north"),
        "override-extra.yml": override + "network:\n  vpc_cidr: 10.0.0.0/16\n",
    }
    for name, text in broken.items():
        (tmp_path / name).write_text(text)
    findings = check_schemafile(
        [tmp_path / n for n in broken], generated["monorepo"] / "infra/variables.schema.json"
    )
    assert {Path(f.split(":")[0]).name for f in findings} == set(broken)


def test_region_catalog_is_read_from_copier_yml_with_distinct_ranges() -> None:
    catalog = read_region_catalog()
    config = yaml.safe_load((Path(__file__).parent.parent / "copier.yml").read_text())
    assert catalog == config["region_catalog"]["default"]
    assert {"us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-southeast",
            "ap-northeast", "sa-east", "ca-central"} <= set(catalog)
    networks = [ipaddress.ip_network(r["vpc_cidr"]) for r in catalog.values()]
    assert all(n.prefixlen == 16 for n in networks)
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1:])
    for region in catalog.values():
        assert all(az.startswith(region["cloud_region"]) for az in region["availability_zones"])


def test_render_file_matches_a_real_copy(generated: dict[str, Path], tmp_path: Path) -> None:
    suite = bundled_suite(tmp_path)
    rendered = suite.render(case_answers("multi-service"), ["infra/api-vars.yml", "README.md"])
    assert rendered["infra/api-vars.yml"] == (generated["multi-service"] / "infra/api-vars.yml").read_bytes()
    assert rendered["README.md"] == (generated["multi-service"] / "README.md").read_bytes()
    answers = load(generated["multi-region"] / ".copier-answers.yml")  # _commit etc. are ignored
    assert suite.render_file(answers, "infra/eu-west-variables.yml") == (
        generated["multi-region"] / "infra/eu-west-variables.yml"
    ).read_bytes()
    with pytest.raises(FileNotFoundError, match="renders no infra/nope.yml"):
        suite.render_file(answers, "infra/nope.yml")


@pytest.mark.parametrize("case", ["multi-service", "separate-infra"])
def test_render_files_gives_each_file_as_the_whole_copy_does(generated: dict[str, Path], case: str,
                                                             tmp_path: Path) -> None:
    # Rendering only the paths asked for (Copier exclusions) must not change their bytes.
    root = generated[case]
    answers = load(root / ".copier-answers.yml")
    paths = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                   if p.is_file() and ".git" not in p.relative_to(root).parts
                   and p.name != ".copier-answers.yml")  # _src_path and _commit differ
    suite = bundled_suite(tmp_path)
    assert suite.render(answers, paths) == {p: (root / p).read_bytes() for p in paths}
    assert list(suite.render(answers, [paths[-1]])) == [paths[-1]]


def _run_tests(folder: Path, runtime: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = ["node", "--test"] if runtime == "node" else [sys.executable, "-m", "unittest", "discover", "-s", "tests", "-v"]
    return subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("case", "folder"),
    [("monorepo", "app"), ("separate-app", "."), ("multi-service", "services/worker")],
)
def test_python_skeleton_tests_pass_locally(generated: dict[str, Path], case: str, folder: str) -> None:
    done = _run_tests(generated[case] / folder, "python")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Ran 2 tests" in done.stderr and "OK" in done.stderr


def test_node_skeleton_tests_pass_locally(plain_suite: Path, tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    dest = generate(plain_suite, tmp_path / "ms", case_answers("multi-service", runtime="node", services=["api"]))
    assert tree(dest / "services/api") == ["Dockerfile", "package.json", "src/main.js", "tests/main.test.js"]
    done = _run_tests(dest / "services/api", "node")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# pass 2" in done.stdout and "# fail 0" in done.stdout


def test_readme_explains_pattern_triggers_secret_and_update(generated: dict[str, Path]) -> None:
    for case in ("monorepo", "separate-infra", "multi-service", "multi-region"):
        readme = (generated[case] / "README.md").read_text()
        assert "PROVIDER_DISPATCH_TOKEN" in readme and "provider-platform/infra-manager" in readme
        assert "## What triggers what" in readme and "copier update --trust" in readme
    assert "The **multi-region** repository" in (generated["multi-region"] / "README.md").read_text()
    app = (generated["separate-app"] / "README.md").read_text()
    assert "application repository" in app and "copier update" in app and "SECRET" not in app


def test_copier_update_merges_template_change_with_customer_edit(tmp_path: Path) -> None:
    suite = make_suite_repo(tmp_path / "suite")
    project = tmp_path / "acme"
    done = subprocess.run(
        [COPIER, "copy", "--trust", "--defaults", "--quiet", "-d", "customer_id=acme", str(suite), str(project)],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated from the suite v1")
    variables = project / "infra/variables.yml"
    variables.write_text(variables.read_text().replace("  max_instances: 4\n", "  max_instances: 9\n"))
    commit_all(project, "customer: allow more instances")
    # The provider improves a template (in a shared partial) and releases v2.
    partial = suite / "templates/_shared/app/Dockerfile.jinja"
    partial.write_text(partial.read_text().replace("FROM python:3.12-slim\n", "FROM python:3.13-slim\n"))
    shared = suite / "templates/_shared/variables.jinja"
    shared.write_text(shared.read_text().replace(
        "# Service tier at the provider: standard or enterprise.\n",
        "# Service tier at the provider: standard or enterprise (see your contract).\n",
    ))
    commit_all(suite, "v2: python 3.13, tier comment")
    git(suite, "tag", "v2")

    done = subprocess.run(
        [COPIER, "update", "--trust", "--defaults", "--quiet"], cwd=project, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    text = variables.read_text()
    assert "  max_instances: 9\n" in text  # the customer's edit survived
    assert "(see your contract).\n" in text  # the template change arrived
    assert "FROM python:3.13-slim\n" in (project / "app/Dockerfile").read_text()
    assert load(project / ".copier-answers.yml")["_commit"] == "v2"
    files = tree(project)
    assert not [f for f in files if f.endswith(".rej")]
    markers = ("<<<<<<<", ">>>>>>>", "=======\n")
    assert not [f for f in files if any(m in (project / f).read_text() for m in markers)]
    status = git(project, "status", "--porcelain")
    assert sorted(status.splitlines()) == [
        " M .copier-answers.yml", " M app/Dockerfile", " M infra/variables.yml",
    ]


# Refused through the copier CLI, as a customer would meet them (issue 2: customer_id cases).
BAD_ANSWERS_CLI = [
    (["customer_id=Acme"], 'customer_id "Acme" has uppercase letters: use lowercase, e.g. "acme"'),
    (["customer_id=acme corp"], 'customer_id "acme corp" contains spaces'),
    (["customer_id=acme/corp"], 'customer_id "acme/corp" contains "/"'),
    (["customer_id=acme..corp"], 'customer_id "acme..corp" contains ".."'),
    (["customer_id=${{ github.token }}"], 'contains "${{" (a GitHub expression)'),
    (["customer_id="], 'customer_id is empty: give a lowercase slug such as "acme"'),
    (["customer_id=acme", "regions=[us-east, mars-north]"], 'unknown region "mars-north": choose from us-east, us-west'),
]
# The other validators, through Copier's Python API in-process (no process start-up each).
BAD_ANSWERS_API = [
    ({"pattern": "multi-service", "services": ["api", "api"]}, "has duplicates: list each service once"),
    ({"environments": ["Staging"]}, 'environment "Staging" is not a slug'),
    ({"trigger_kinds": []}, "trigger_kinds is empty: choose at least one of path, branch"),
    ({"provider_repo": "manager"}, 'provider_repo "manager" is not an owner/name'),
    ({"state_key": "Acme/x"}, 'state_key "Acme/x" is not allowed'),
    ({"dispatch_token_secret": "GITHUB_PAT"}, "starts with GITHUB_, which GitHub reserves"),
    ({"repo_name": "a b"}, 'repo_name "a b" is not a GitHub repository name'),
    ({"tag_pattern": "v 1"}, 'tag_pattern "v 1": " " is not a character the suite writes into a workflow'),
    ({"trigger_kinds": ["branch"], "branch_patterns": ["main", "${{ x }}"]}, "branch pattern"),
    ({"pattern": "mono"}, "Invalid choice for 'pattern': 'mono' is not in"),
]


@pytest.mark.parametrize(("data", "message"), BAD_ANSWERS_CLI, ids=[m[:30] for _, m in BAD_ANSWERS_CLI])
def test_bad_answers_are_refused_and_nothing_generated(
    suite_repo: Path, tmp_path: Path, data: list[str], message: str
) -> None:
    dest = tmp_path / "dest"
    args = [a for d in data for a in ("-d", d)]
    done = subprocess.run(
        [COPIER, "copy", "--trust", "--defaults", *args, str(suite_repo), str(dest)],
        capture_output=True, text=True,
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert not dest.exists() or not any(dest.iterdir())


def test_other_bad_answers_are_refused_with_their_validator_message(
    plain_suite: Path, tmp_path: Path
) -> None:
    from migrate.errors import Refused
    from migrate.suite import render_project

    for index, (answers, message) in enumerate(BAD_ANSWERS_API):
        dest = tmp_path / f"dest-{index}"
        with pytest.raises(Refused) as refused:
            render_project({"customer_id": "acme", **answers}, dest, src=str(plain_suite))
        assert message in refused.value.problem, answers
        assert not dest.exists() or not any(dest.iterdir())


def test_suite_root_follows_the_environment_variable(
    plain_suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from migrate.errors import Refused
    from migrate.suite import suite_root

    monkeypatch.setenv("REPO_MIGRATE_SUITE", str(plain_suite))
    assert suite_root() == plain_suite
    assert read_region_catalog()["eu-central"]["vpc_cidr"] == "10.40.0.0/16"
    monkeypatch.setenv("REPO_MIGRATE_SUITE", str(tmp_path))
    with pytest.raises(Refused) as refused:
        suite_root()
    assert refused.value.problem == f"no template suite at {tmp_path} (copier.yml is missing)"
    assert refused.value.fix == (
        "point REPO_MIGRATE_SUITE at the suite's repository root, the folder holding copier.yml"
    )


def test_render_tree_at_a_suite_version(tmp_path: Path) -> None:
    suite = make_suite_repo(tmp_path / "suite")
    readme = suite / "templates/_shared/README.md.jinja"
    readme.write_text(readme.read_text() + "\nVersion two.\n")
    commit_all(suite, "v2")
    git(suite, "tag", "v2")
    answers = case_answers("separate-infra")
    with open_suite({**answers, "_src_path": str(suite), "_commit": "v1"}) as at_v1:
        v1 = at_v1.render(answers)
    with open_suite({**answers, "_src_path": str(suite), "_commit": "v2"}) as at_v2:
        v2 = at_v2.render_file(answers, "README.md")
    assert sorted(v1) == EXPECTED_TREES["separate-infra"]
    assert v2 == v1["README.md"] + b"\nVersion two.\n"


def test_render_refuses_bad_answers_with_the_validator_message(
    plain_suite: Path, tmp_path: Path
) -> None:
    from migrate.errors import Refused
    from migrate.suite import render_project

    with pytest.raises(Refused) as refused:
        render_project({"customer_id": "acme", "regions": ["mars-north"]}, tmp_path / "out",
                       src=str(plain_suite))
    assert refused.value.problem.startswith(
        "Validation error for question 'regions': unknown region \"mars-north\": choose from us-east,"
    )
    assert not (tmp_path / "out").exists()
