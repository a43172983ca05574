"""verify_dispatch: payloads built by the generated trigger workflows' own scripts (the plan and
dispatch steps run with bash and jq, curl captured) are accepted with exact targets; forged
payloads are refused with every problem and its fix."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from migrate import contract
from migrate.approvals import load_policy
from migrate.dispatch import DispatchRefused, Target, targets_json, verify_dispatch
from migrate.dispatch_payload import Problem
from migrate.registry import Registry, load_registry
from migrate.registry_edit import register
from migrate.registry_facts import facts_from_files
from tests.helpers import file_bytes
from tests.provider_world import github_name
from tests.suite_fixtures import INFRA_CASES
from tests.test_approvals import POLICY
from tests.test_templates_workflows import needs_tools, run_step

SHA = "5f2c1e0d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e"
POLICY_DOC = load_policy(POLICY.encode(), "approvals.yml")
PATTERN = {"monorepo": "monorepo", "separate-infra": "separate", "multi-service": "multi-service",
           "multi-region": "multi-region"}
GLOBEX = """\
customer_id: globex
tier: enterprise
onboarding: enterprise
repositories:
  - name: globex/platform
    pattern: monorepo
    default_branch: main
    variables_files:
      - path: infra/variables.yml
        state_key: globex/platform
"""
REGISTER_FIX = ("register it: repo-migrate register --registry <clone of the provider repository> "
                "<clone of {0}> --github-repo {0}, then merge the branch it makes")
SHAPE_FIX = "send what the suite's trigger workflow sends (regenerate it with copier update if it was edited)"


def keys_of(repo: Path) -> dict[str, str]:
    """{variables file: state_key} of a generated repository, read from its files."""
    files = file_bytes(repo)
    return {p: contract.state_key_of(files[p], p) or "" for p in contract.variables_files(files)}


def provider_registry(generated: dict[str, Path]) -> Registry:
    """The provider's registry after registering each generated infra repository, plus globex."""
    reg = load_registry({"customers/globex.yml": GLOBEX.encode()})
    for case in INFRA_CASES:
        repo = generated[case]
        facts, record = facts_from_files(file_bytes(repo), github_name(repo), "main")
        assert (facts.pattern, dict(facts.state_keys), record) == (PATTERN[case], keys_of(repo), None)
        got = register(reg, facts)
        reg = load_registry({"customers/globex.yml": GLOBEX.encode(), got.path: got.new.encode()})
    return reg


@pytest.fixture(scope="module")
def world(generated: dict[str, Path]) -> Registry:
    return provider_registry(generated)


@pytest.fixture(scope="module")
def fake_curl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A curl that records the payload file it is asked to POST (one JSON document per line)."""
    bin_dir = tmp_path_factory.mktemp("fakebin")
    curl = bin_dir / "curl"
    curl.write_text('#!/usr/bin/env bash\nwhile [ $# -gt 0 ]; do\n  if [ "$1" = --data ]; then '
                    'jq -c . "${2#@}" >> "$CAPTURE"; fi\n  shift\ndone\n')
    curl.chmod(curl.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def dispatched(repo: Path, workflow: str, fake_curl: Path, tmp_path: Path, changed: list[str],
               ref: str = "refs/heads/main") -> list[dict[str, Any]]:
    """The repository_dispatch events a push of *changed* to *ref* sends: the workflow's plan
    step decides, its dispatch step builds each payload with jq."""
    needs_tools("jq")
    event = {"commits": [{"added": [], "modified": changed, "removed": []}]} if changed else {}
    common = {"GITHUB_REF": ref, "GITHUB_SHA": SHA, "GITHUB_REPOSITORY": github_name(repo)}
    done, out = run_step(repo / workflow, "validate", "Choose targets", None,
                         {"EVENT_NAME": "push", **common}, event)
    assert done.returncode == 0, done.stderr
    capture = tmp_path / "capture.jsonl"
    capture.write_text("")
    for environment in json.loads(out["environments"]):
        done, _ = run_step(repo / workflow, "dispatch", "Send repository_dispatch", None, {
            **common, "DISPATCH_TOKEN": "token", "ENVIRONMENT": environment,
            "TARGETS": out["targets"], "TRIGGER": out["trigger"], "CAPTURE": str(capture),
            "GITHUB_API_URL": "https://api.github.invalid",
            "PATH": f"{fake_curl}{os.pathsep}{os.environ['PATH']}"}, {})
        assert done.returncode == 0, done.stderr
    return [{"action": body["event_type"], "client_payload": body["client_payload"],
             "branch": "main", "repository": {"full_name": "provider-platform/infra-manager"},
             "sender": {"login": "acme-bot"}}
            for body in map(json.loads, capture.read_text().splitlines())]


def target(i: int, repo: str, file: str, key: str, env: str, trigger: str = "path",
           ref: str = "refs/heads/main") -> dict[str, str]:
    return {"id": f"t{i}", "customer_id": "acme", "repository": repo, "sha": SHA, "ref": ref,
            "variables_file": file, "state_key": key, "environment": env,
            "state_address": f"{key}/{env}/terraform.tfstate", "tier": "standard", "trigger": trigger}


def verified(events: list[dict[str, Any]], registry: Registry) -> list[dict[str, str]]:
    return [t.as_json() for e in events for t in verify_dispatch(e, "repository_dispatch", registry,
                                                                  POLICY_DOC)]


@pytest.mark.parametrize(("case", "repo", "key"), [
    ("monorepo", "acme-org/acme-platform", "acme/acme-platform"),
    ("separate-infra", "acme-org/acme-infra", "acme/acme-infra"),
])
def test_single_state_patterns(case, repo, key, generated, world, fake_curl, tmp_path):
    events = dispatched(generated[case], ".github/workflows/trigger-infra.yml", fake_curl, tmp_path,
                        ["infra/variables.yml", "infra/README.md"])
    assert [e["client_payload"] for e in events] == [{
        "customer_id": "acme", "repository": repo, "sha": SHA, "ref": "refs/heads/main",
        "changed_files": ["infra/variables.yml"], "state_key": key, "environment": env,
        "target": "us-east", "trigger": "path"} for env in ("staging", "production")]
    assert verified(events, world) == [
        target(1, repo, "infra/variables.yml", key, "staging"),
        target(1, repo, "infra/variables.yml", key, "production")]


def test_multi_service_shared_change_reaches_every_service(generated, world, fake_curl, tmp_path):
    events = dispatched(generated["multi-service"], ".github/workflows/trigger-infra.yml", fake_curl,
                        tmp_path, ["infra/variables.yml"])
    assert {(e["client_payload"]["target"], tuple(e["client_payload"]["changed_files"]))
            for e in events} == {(s, ("infra/variables.yml",)) for s in ("api", "web", "worker")}
    repo = "acme-org/acme-services"
    assert verified(events, world) == [
        target(1, repo, f"infra/{svc}-vars.yml", f"acme/acme-services/{svc}", env)
        for env in ("staging", "production") for svc in ("api", "web", "worker")]


def test_multi_service_override_change_reaches_that_service(generated, world, fake_curl, tmp_path):
    events = dispatched(generated["multi-service"], ".github/workflows/trigger-infra.yml", fake_curl,
                        tmp_path, ["infra/api-vars.yml", "services/api/src/main.py"])
    assert [e["client_payload"]["changed_files"] for e in events] == [["infra/api-vars.yml"]] * 2
    assert verified(events, world) == [
        target(1, "acme-org/acme-services", "infra/api-vars.yml", "acme/acme-services/api", env)
        for env in ("staging", "production")]


def test_a_schema_change_reaches_every_service(generated, world, fake_curl, tmp_path):
    """Every service watches the schema: the others are dispatched with the schema alone."""
    events = dispatched(generated["multi-service"], ".github/workflows/trigger-infra.yml", fake_curl,
                        tmp_path, ["infra/api-vars.yml", "infra/variables.schema.json"])
    assert [(e["client_payload"]["target"], e["client_payload"]["changed_files"])
            for e in events[:3]] == [
        ("api", ["infra/api-vars.yml", "infra/variables.schema.json"]),
        ("web", ["infra/variables.schema.json"]), ("worker", ["infra/variables.schema.json"])]
    assert [t["variables_file"] for t in verified(events, world)] == [
        f"infra/{svc}-vars.yml" for svc in ("api", "web", "worker")] * 2


def test_multi_region_each_workflow_dispatches_its_region(generated, world, fake_curl, tmp_path):
    events = dispatched(generated["multi-region"], ".github/workflows/trigger-infra-eu-west.yml",
                        fake_curl, tmp_path, ["infra/eu-west-variables.yml"])
    assert verified(events, world) == [
        target(1, "acme-org/acme-regions", "infra/eu-west-variables.yml", "acme/eu-west-1", env)
        for env in ("staging", "production")]


def test_a_tag_push_may_deploy_production(generated, world, fake_curl, tmp_path):
    events = dispatched(generated["monorepo"], ".github/workflows/trigger-infra.yml", fake_curl,
                        tmp_path, [], ref="refs/tags/infra-v1")
    assert verified(events, world) == [
        target(1, "acme-org/acme-platform", "infra/variables.yml", "acme/acme-platform", env, "tag",
               "refs/tags/infra-v1") for env in ("staging", "production")]


def test_a_feature_branch_deploys_staging_but_not_production(generated, world, fake_curl, tmp_path):
    staging, production = dispatched(generated["monorepo"], ".github/workflows/trigger-infra.yml",
                                     fake_curl, tmp_path, ["infra/variables.yml"],
                                     ref="refs/heads/feature/bigger-db")
    assert verified([staging], world)[0]["ref"] == "refs/heads/feature/bigger-db"
    with pytest.raises(DispatchRefused) as caught:
        verified([production], world)
    assert caught.value.problems == (Problem(
        "refs/heads/feature/bigger-db of acme-org/acme-platform may not deploy production "
        "(approvals.yml deploy_refs: refs/heads/main, refs/tags/**)",
        "deploy production from a ref approvals.yml allows: merge into main or push a tag"),)


def good(**changes: Any) -> dict[str, Any]:
    """A valid monorepo dispatch (as the workflow builds it) with *changes* to its payload."""
    payload = {"customer_id": "acme", "repository": "acme-org/acme-platform", "sha": SHA,
               "ref": "refs/heads/main", "changed_files": ["infra/variables.yml"],
               "state_key": "acme/acme-platform", "environment": "staging", "target": "us-east",
               "trigger": "path", **changes}
    return {"action": "customer-infra-changed",
            "client_payload": {k: v for k, v in payload.items() if v is not None}}


def test_the_valid_payload_of_the_forgery_table_is_accepted(world):
    assert targets_json(verify_dispatch(good(), "repository_dispatch", world, POLICY_DOC)) == {
        "targets": [target(1, "acme-org/acme-platform", "infra/variables.yml", "acme/acme-platform",
                           "staging")]}
    # GitHub compares owner/name without case; the registry's spelling is what the target says
    got = verify_dispatch(good(repository="ACME-ORG/acme-platform"), "repository_dispatch", world,
                          POLICY_DOC)
    assert got == [Target("t1", "acme", "acme-org/acme-platform", SHA, "refs/heads/main",
                          "infra/variables.yml", "acme/acme-platform", "staging",
                          "acme/acme-platform/staging/terraform.tfstate", "standard", "path")]


def shape(field: str, what: str, value: str) -> Problem:
    return Problem(f"client_payload.{field} must be {what}, not {value}", SHAPE_FIX)


PATHS = ("a list of 1 to 100 paths under infra/ (no '..', no absolute path, no control character)")
FORGERIES = [
    ("another customer's state_key", good(state_key="globex/platform"), [
        Problem("state_key globex/platform belongs to globex/platform (customer globex), not to "
                "acme-org/acme-platform", "acme-org/acme-platform deploys only its own state keys: "
                "check state_key in its variables files (it never changes)"),
        Problem("infra/variables.yml of acme-org/acme-platform is registered with state_key "
                "acme/acme-platform, not globex/platform",
                "send the state_key the variables file carries (it never changes)")]),
    ("an unregistered repository", good(repository="acme-org/acme-secret"), [
        Problem("repository acme-org/acme-secret is not registered",
                REGISTER_FIX.format("acme-org/acme-secret")),
        Problem("state_key acme/acme-platform belongs to acme-org/acme-platform (customer acme), not "
                "to acme-org/acme-secret", "acme-org/acme-secret deploys only its own state keys: "
                "check state_key in its variables files (it never changes)")]),
    ("a repository of another customer", good(repository="globex/platform",
                                              state_key="globex/platform"), [
        Problem("repository globex/platform is registered for customer globex, not acme",
                "dispatches of globex/platform carry customer_id globex, as its variables files do")]),
    ("an unregistered customer", good(customer_id="initech"), [
        Problem("customer initech is not registered", "add customers/initech.yml to the provider "
                "repository with repo-migrate register"),
        Problem("repository acme-org/acme-platform is registered for customer acme, not initech",
                "dispatches of acme-org/acme-platform carry customer_id acme, as its variables "
                "files do")]),
    ("a variables path with ..", good(changed_files=["infra/../infra/variables.yml"]), [
        shape("changed_files", PATHS, '["infra/../infra/variables.yml"]')]),
    ("an absolute path", good(changed_files=["/etc/passwd"]), [
        shape("changed_files", PATHS, '["/etc/passwd"]')]),
    ("a control character", good(changed_files=["infra/variables.yml\n::set-env name=X::1"]), [
        shape("changed_files", PATHS, '["infra/variables.yml\\n::set-env name=X::1"]')]),
    ("a path outside infra/", good(changed_files=[".github/workflows/x.yml"]), [
        shape("changed_files", PATHS, '[".github/workflows/x.yml"]')]),
    ("eleven properties", good(region="us-east-1", service="api"), [
        Problem("client_payload has 11 top-level properties; GitHub allows at most 10",
                "send only customer_id, repository, sha, ref, changed_files, state_key, environment, "
                "target, trigger"),
        Problem('client_payload has unexpected properties: "region", "service"',
                "send only customer_id, repository, sha, ref, changed_files, state_key, environment, "
                "target, trigger")]),
    ("a missing property", good(trigger=None, target=None), [
        Problem("client_payload lacks target, trigger", "update the customer repository's trigger "
                "workflow (copier update): the suite's sends every one of them")]),
    ("a short sha", good(sha="5f2c1e0"), [shape("sha", "a commit id of 40 lowercase hex digits",
                                                 '"5f2c1e0"')]),
    ("a non-hex sha", good(sha="z" * 40), [shape("sha", "a commit id of 40 lowercase hex digits",
                                                  '"' + "z" * 40 + '"')]),
    ("an upper-case sha", good(sha=SHA.upper()), [shape(
        "sha", "a commit id of 40 lowercase hex digits", f'"{SHA.upper()}"')]),
    ("production from a feature branch", good(environment="production", ref="refs/heads/wip"), [
        Problem("refs/heads/wip of acme-org/acme-platform may not deploy production (approvals.yml "
                "deploy_refs: refs/heads/main, refs/tags/**)",
                "deploy production from a ref approvals.yml allows: merge into main or push a tag")]),
    ("a short ref", good(ref="main"), [shape(
        "ref", "a full ref such as refs/heads/main or refs/tags/v1", '"main"')]),
    ("a pull request ref", good(ref="refs/pull/7/merge"), [shape(
        "ref", "a full ref such as refs/heads/main or refs/tags/v1", '"refs/pull/7/merge"')]),
    ("a ref git refuses", good(ref="refs/heads/a..b"), [shape(
        "ref", "a full ref such as refs/heads/main or refs/tags/v1", '"refs/heads/a..b"')]),
    ("an unknown environment", good(environment="qa"), [
        Problem("environment qa is not one of the provider's environments (staging, production)",
                "dispatch only those (the customer repository's environments answer lists them)")]),
    ("wrong types", good(customer_id=42, changed_files="infra/variables.yml", trigger=["path"],
                         environment=True), [
        shape("customer_id", "a customer id (lowercase slug of a-z, 0-9 and '-')", "42"),
        shape("changed_files", PATHS, '"infra/variables.yml"'),
        shape("environment", "an environment name (lowercase slug)", "true"),
        shape("trigger", "one of path, branch, tag, manual", '["path"]')]),
    ("a state_key with ..", good(state_key="acme/../globex"), [shape(
        "state_key", "a state_key (lowercase segments of a-z, 0-9, '.', '_', '-' separated by '/')",
        '"acme/../globex"')]),
    ("an unregistered state_key", good(state_key="acme/acme-platform/eu-west-1"), [
        Problem("state_key acme/acme-platform/eu-west-1 is not registered", "register the "
                "repository again (repo-migrate register) once the variables file carrying it is "
                "committed"),
        Problem("infra/variables.yml of acme-org/acme-platform is registered with state_key "
                "acme/acme-platform, not acme/acme-platform/eu-west-1",
                "send the state_key the variables file carries (it never changes)")]),
    ("an unregistered variables file", good(changed_files=["infra/eu-west-variables.yml"]), [
        Problem("infra/eu-west-variables.yml is not registered for acme-org/acme-platform",
                "register the repository again (repo-migrate register) so that "
                "infra/eu-west-variables.yml and its state_key are known")]),
    ("an infra file nobody watches", good(changed_files=["infra/README.md"]), [
        Problem('changed_files lists "infra/README.md", which is neither a variables file nor '
                "infra/variables.schema.json", "send only the infra files the trigger target watches")]),
    ("the shared file of multi-service as a state", good(
        repository="acme-org/acme-services", state_key="acme/acme-services"), [
        Problem("infra/variables.yml of acme-org/acme-services (state_key acme/acme-services) is the "
                "shared file of a multi-service repository, not a state of its own",
                "dispatch a service's state_key (infra/<service>-vars.yml), as the suite's trigger "
                "workflow does")]),
    ("another service's file", good(repository="acme-org/acme-services", target="api",
                                    state_key="acme/acme-services/api",
                                    changed_files=["infra/web-vars.yml"]), [
        Problem("changed file infra/web-vars.yml of acme-org/acme-services has state_key "
                "acme/acme-services/web, not acme/acme-services/api", "send one dispatch per "
                "state_key, each with its own files (as the suite's trigger workflow does)")]),
    ("a target that is not the file's", good(repository="acme-org/acme-regions", target="us-east",
                                             state_key="acme/eu-west-1",
                                             changed_files=["infra/eu-west-variables.yml"]), [
        Problem("target us-east does not match infra/eu-west-variables.yml (target eu-west)",
                "the target of infra/eu-west-variables.yml is eu-west")]),
    ("another event type", {**good(), "action": "deploy-everything"}, [
        Problem('event type "deploy-everything" is not customer-infra-changed',
                "dispatch with event_type customer-infra-changed (the dispatch_event_type answer)")]),
    ("no payload object", {"action": "customer-infra-changed", "client_payload": ["x"]}, [
        Problem('client_payload is ["x"], not an object',
                "send the payload the suite's trigger workflow sends")]),
]


@pytest.mark.parametrize(("event", "problems"), [f[1:] for f in FORGERIES], ids=[f[0] for f in FORGERIES])
def test_forged_payloads_are_refused_with_every_problem(world, event, problems):
    with pytest.raises(DispatchRefused) as caught:
        verify_dispatch(event, "repository_dispatch", world, POLICY_DOC)
    assert list(caught.value.problems) == problems
    assert caught.value.as_json() == {"targets": [], "problems": [
        {"problem": p.problem, "fix": p.fix} for p in problems]}


def test_annotations_escape_what_could_start_a_workflow_command(world):
    with pytest.raises(DispatchRefused) as caught:
        verify_dispatch(good(customer_id="x%0A::add-mask::y", environment="qa"), "repository_dispatch",
                        world, POLICY_DOC)
    lines = caught.value.annotations()
    assert lines == [
        "::error title=repo-migrate verify-dispatch::client_payload.customer_id must be a customer id "
        "(lowercase slug of a-z, 0-9 and '-'), not \"x%250A::add-mask::y\" fix: " + SHAPE_FIX,
        "::error title=repo-migrate verify-dispatch::environment qa is not one of the provider's "
        "environments (staging, production) fix: dispatch only those (the customer repository's "
        "environments answer lists them)"]
    assert all("\n" not in line for line in lines)


def test_an_unknown_event_name_is_refused(world):
    with pytest.raises(DispatchRefused) as caught:
        verify_dispatch(good(), "push", world, POLICY_DOC)
    assert caught.value.problems == (Problem(
        'event "push" is not handled', "trigger the workflow with repository_dispatch or workflow_dispatch"),)


def rerun(**inputs: str) -> dict[str, Any]:
    return {"inputs": {"repository": "acme-org/acme-services", "environment": "production",
                       "sha": SHA, "variables_file": "", **inputs},
            "ref": "refs/heads/main", "repository": {"full_name": "provider-platform/infra-manager"}}


def test_workflow_dispatch_reruns_every_state_of_a_repository(world):
    got = verify_dispatch(rerun(), "workflow_dispatch", world, POLICY_DOC)
    assert [t.as_json() for t in got] == [
        target(i, "acme-org/acme-services", f"infra/{svc}-vars.yml", f"acme/acme-services/{svc}",
               "production", "rerun") for i, svc in enumerate(("api", "web", "worker"), 1)]
    one = verify_dispatch(rerun(variables_file="infra/web-vars.yml", environment="staging"),
                          "workflow_dispatch", world, POLICY_DOC)
    assert [t.as_json() for t in one] == [target(1, "acme-org/acme-services", "infra/web-vars.yml",
                                                 "acme/acme-services/web", "staging", "rerun")]


RERUN_FIX = "run the workflow again with valid inputs"


@pytest.mark.parametrize(("event", "problems"), [
    (rerun(repository="acme-org/unknown", environment="qa", sha="abc"), [
        Problem("inputs.sha must be a commit id of 40 lowercase hex digits, not \"abc\"", RERUN_FIX),
        Problem("repository acme-org/unknown is not registered", REGISTER_FIX.format("acme-org/unknown"))]),
    (rerun(environment="qa"), [
        Problem("environment qa is not one of the provider's environments (staging, production)",
                "dispatch only those (the customer repository's environments answer lists them)")]),
    (rerun(variables_file="infra/../etc/variables.yml"), [
        Problem("inputs.variables_file must be a variables file path such as infra/variables.yml, "
                "not \"infra/../etc/variables.yml\"", RERUN_FIX)]),
    (rerun(variables_file="infra/db-vars.yml"), [
        Problem("infra/db-vars.yml is not registered for acme-org/acme-services",
                "name one of infra/api-vars.yml, infra/web-vars.yml, infra/worker-vars.yml")]),
    (rerun(variables_file="infra/variables.yml"), [
        Problem("infra/variables.yml of acme-org/acme-services (state_key acme/acme-services) is the "
                "shared file of a multi-service repository, not a state of its own",
                "dispatch a service's state_key (infra/<service>-vars.yml), as the suite's trigger "
                "workflow does")]),
    ({"ref": "refs/heads/main"}, [Problem("the workflow_dispatch event has no inputs", RERUN_FIX)]),
])
def test_workflow_dispatch_refusals(world, event, problems):
    with pytest.raises(DispatchRefused) as caught:
        verify_dispatch(event, "workflow_dispatch", world, POLICY_DOC)
    assert list(caught.value.problems) == problems
