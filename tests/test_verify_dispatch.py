"""repo-migrate verify-dispatch, the provider workflow's verify step, on the generated provider
repository with the generated customer repositories registered: JSON, text and annotations,
exit codes, the event type expected, and refusals that happen before any payload is read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.provider_world import cli, git_repo, registered

SHA = "5f2c1e0d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e"
ANNOTATION = "::error title=repo-migrate verify-dispatch::"


@pytest.fixture(scope="module")
def world(provider_pristine: Path, customers: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The provider repository with every generated infra repository registered (read-only)."""
    provider = git_repo(provider_pristine, tmp_path_factory.mktemp("verify") / "infra-manager")
    for case in ("monorepo", "separate-infra", "multi-service", "multi-region"):
        registered(provider, customers[case])
    return provider


def payload(**changes: Any) -> dict[str, Any]:
    """What the monorepo's trigger workflow sends for a push of infra/variables.yml to main."""
    body = {"customer_id": "acme", "repository": "acme-org/acme-platform", "sha": SHA,
            "ref": "refs/heads/main", "changed_files": ["infra/variables.yml"],
            "state_key": "acme/acme-platform", "environment": "production", "target": "us-east",
            "trigger": "path", **changes}
    return {"action": "customer-infra-changed", "client_payload": body,
            "repository": {"full_name": "provider-platform/infra-manager"}}


def verify(capsys, provider: Path, tmp_path: Path, event: Any, *options: str,
           name: str = "repository_dispatch") -> tuple[int, str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return cli(capsys, "verify-dispatch", "--provider-repo", str(provider), "--event", str(path),
               "--event-name", name, *options)


TARGET = {"id": "t1", "customer_id": "acme", "repository": "acme-org/acme-platform", "sha": SHA,
          "ref": "refs/heads/main", "variables_file": "infra/variables.yml",
          "state_key": "acme/acme-platform", "environment": "production",
          "state_address": "acme/acme-platform/production/terraform.tfstate", "tier": "standard",
          "trigger": "path"}


def test_an_accepted_dispatch(world, capsys, tmp_path):
    code, out, err = verify(capsys, world, tmp_path, payload(), "--json", "--annotate")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"targets": [TARGET]}
    code, out, err = verify(capsys, world, tmp_path, payload())
    assert (code, err) == (0, "")
    assert out == ("verify-dispatch: repository_dispatch accepted (1 target)\n"
                   f"  t1: acme-org/acme-platform@{SHA[:12]} infra/variables.yml (refs/heads/main) -> "
                   "acme/acme-platform/production/terraform.tfstate [production, tier standard, trigger path]\n")


def test_a_refused_dispatch_prints_every_problem_and_exits_3(world, capsys, tmp_path):
    forged = payload(state_key="acme/acme-services/api", ref="refs/heads/feature/x")
    code, out, err = verify(capsys, world, tmp_path, forged, "--json", "--annotate")
    problems = [
        {"problem": "state_key acme/acme-services/api belongs to acme-org/acme-services (customer acme), "
                    "not to acme-org/acme-platform",
         "fix": "acme-org/acme-platform deploys only its own state keys: check state_key in its "
                "variables files (it never changes)"},
        {"problem": "infra/variables.yml of acme-org/acme-platform is registered with state_key "
                    "acme/acme-platform, not acme/acme-services/api",
         "fix": "send the state_key the variables file carries (it never changes)"},
        {"problem": "refs/heads/feature/x of acme-org/acme-platform may not deploy production "
                    "(approvals.yml deploy_refs: refs/heads/main, refs/tags/**)",
         "fix": "deploy production from a ref approvals.yml allows: merge into main or push a tag"}]
    annotations = [f"{ANNOTATION}{p['problem']} fix: {p['fix']}" for p in problems]
    assert code == 3
    lines = out.splitlines()
    assert lines[:3] == annotations
    assert json.loads("\n".join(lines[3:])) == {"targets": [], "problems": problems}
    assert err.startswith("repo-migrate: error: the dispatch is refused: state_key acme/acme-services/api")
    code, out, _ = verify(capsys, world, tmp_path, forged)
    assert code == 3
    assert out == "verify-dispatch: repository_dispatch refused (3 problems); nothing may be planned\n" + "".join(
        f"  - {p['problem']}\n    fix: {p['fix']}\n" for p in problems)


def test_a_rerun_plans_every_state_of_the_repository(world, capsys, tmp_path):
    event = {"inputs": {"repository": "acme-org/acme-services", "environment": "staging", "sha": SHA,
                        "variables_file": ""}}
    code, out, err = verify(capsys, world, tmp_path, event, "--json", name="workflow_dispatch")
    assert (code, err) == (0, "")
    assert [(t["id"], t["variables_file"], t["state_address"], t["trigger"]) for t in json.loads(out)["targets"]] == [
        (f"t{i}", f"infra/{svc}-vars.yml", f"acme/acme-services/{svc}/staging/terraform.tfstate", "rerun")
        for i, svc in enumerate(("api", "web", "worker"), 1)]


def test_the_event_type_is_the_provider_repositorys_answer(world, capsys, tmp_path):
    provider = tmp_path / "infra-manager"
    shutil.copytree(world, provider)
    answers = provider / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace("dispatch_event_type: customer-infra-changed",
                                                   "dispatch_event_type: infra-change"))
    code, out, _ = verify(capsys, provider, tmp_path, payload(), "--json")
    assert (code, json.loads(out)["problems"]) == (3, [{
        "problem": 'event type "customer-infra-changed" is not infra-change',
        "fix": "dispatch with event_type infra-change (the dispatch_event_type answer)"}])
    code, out, _ = verify(capsys, provider, tmp_path, payload(), "--json", "--event-type", "customer-infra-changed")
    assert (code, json.loads(out)) == (0, {"targets": [TARGET]})


def test_what_stops_the_check_is_a_problem_too(world, capsys, tmp_path):
    """An unreadable event, a registry that does not validate, no provider repository: each is
    annotated like a problem of the payload, and nothing is planned."""
    code, out, err = cli(capsys, "verify-dispatch", "--provider-repo", str(world), "--event",
                         str(tmp_path / "missing.json"), "--event-name", "repository_dispatch", "--annotate")
    assert code == 3
    assert out.splitlines()[0] == (f"{ANNOTATION}cannot read the event file {tmp_path / 'missing.json'}: No "
                                   "such file or directory fix: pass --event \"$GITHUB_EVENT_PATH\" (the "
                                   "file GitHub writes for the run)")
    provider = tmp_path / "infra-manager"
    shutil.copytree(world, provider)
    entry = provider / "customers/acme.yml"
    entry.write_text(entry.read_text().replace("state_key: acme/acme-infra", "state_key: acme/acme-platform"))
    code, out, _ = verify(capsys, provider, tmp_path, payload(), "--json")
    assert (code, json.loads(out)["problems"]) == (3, [{
        "problem": "customers/acme.yml: repositories[1].variables_files[0].state_key: acme/acme-platform "
                   "is also registered for acme-org/acme-platform (infra/variables.yml) in customers/acme.yml",
        "fix": "a state_key belongs to exactly one repository: remove it where it is no longer deployed "
               "(repo-migrate register moves it when a migration record proves the move)"}])
    code, out, _ = verify(capsys, tmp_path, tmp_path, payload(), "--json")
    assert (code, json.loads(out)["problems"][0]["problem"]) == (
        3, f"{tmp_path} is not a provider repository (no customers/ folder)")
