"""Generated workflows: the real checkers on every pattern x trigger-kind combination, the `on:`
block each combination asks for, and the trigger workflow's own scripts run with bash and jq."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.checkers import actionlint, check_jsonschema, check_schemafile, zizmor
from tests.suite_fixtures import INFRA_CASES, TRIGGER_SUBSETS, case_answers, generate

# Paths each pattern's trigger workflow filters on (push with path, and pull_request).
TRIGGER_PATHS = {
    "monorepo": ["infra/**"],
    "separate-infra": ["infra/**"],
    "multi-service": [
        "infra/variables.yml", "infra/variables.schema.json",
        "infra/api-vars.yml", "infra/billing-worker-vars.yml",
    ],
    "multi-region": ["infra/{region}-variables.yml", "infra/variables.schema.json"],
}


def combo_answers(case: str, index: int, kinds: list[str]) -> dict[str, Any]:
    """Answers for one combination, varying the other answers too so they get checked."""
    odd = index % 2 == 1
    extra: dict[str, Any] = {
        "trigger_kinds": kinds,
        "environments": ["dev", "staging", "prod"] if odd else ["staging", "production"],
        "tier": "enterprise" if odd else "standard",
        "branch_patterns": ["main", "*-hotfix", "release/**"] if odd else ["main", "release/**"],
        "tag_pattern": "*-infra" if odd else "infra-v*",
    }
    if case == "multi-service":
        extra["services"] = ["api", "billing-worker"]
    if case == "multi-region":
        extra["regions"] = ["us-east", "ap-northeast"]
    return case_answers(case, **extra)


def workflow_files(root: Path) -> list[Path]:
    return sorted((root / ".github/workflows").glob("*.yml"))


def load_workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True)  # PyYAML reads the bare key `on` as True
    return data


@pytest.mark.parametrize("case", INFRA_CASES)
def test_trigger_workflows_of_every_kind_combination_pass_the_checkers(
    plain_suite: Path, tmp_path: Path, case: str
) -> None:
    files: list[Path] = []
    variables: list[Path] = []
    for index, kinds in enumerate(TRIGGER_SUBSETS):
        answers = combo_answers(case, index, kinds)
        dest = generate(plain_suite, tmp_path / f"combo-{index}", answers)
        variables += sorted((dest / "infra").glob("*.yml"))
        triggers = [p for p in workflow_files(dest) if p.name.startswith("trigger-infra")]
        assert len(triggers) == (2 if case == "multi-region" else 1)
        for path in triggers:
            check_on_block(path, case, answers)
        files += workflow_files(dest)
    findings = actionlint(files) + zizmor(files) + check_jsonschema(files)
    assert findings == []
    # The variables files of every combination (both tiers, other environments) are valid too.
    assert check_schemafile(variables, tmp_path / "combo-0/infra/variables.schema.json") == []


def check_on_block(path: Path, case: str, answers: dict[str, Any]) -> None:
    kinds = answers["trigger_kinds"]
    text = path.read_text()
    assert "\non:\n  " in text and "\npermissions: {}\n" in text
    region = path.stem.removeprefix("trigger-infra-")
    paths = [p.format(region=region) for p in TRIGGER_PATHS[case]]
    expected: dict[str, Any] = {}
    push = {}
    if "branch" in kinds:
        push["branches"] = answers["branch_patterns"]
    elif "path" in kinds:
        # Without it a tag push would run a paths-only workflow (GitHub ignores paths for tags)
        # and a tags + paths workflow would run for no branch push.
        push["branches"] = ["**"]
    if "tag" in kinds:
        push["tags"] = [answers["tag_pattern"]]
    if "path" in kinds:
        push["paths"] = paths
    if push:
        expected["push"] = push
    expected["pull_request"] = {"paths": paths}
    if "manual" in kinds:
        expected["workflow_dispatch"] = {"inputs": {"environment": {
            "description": "Environment at the provider to plan and apply",
            "type": "choice", "required": True,
            "default": answers["environments"][0], "options": answers["environments"],
        }}}
    workflow = load_workflow(path)
    assert workflow["on"] == expected, path
    dispatch = workflow["jobs"]["dispatch"]
    assert dispatch["concurrency"]["cancel-in-progress"] is False
    assert dispatch["concurrency"]["group"].startswith("provider-acme-")
    assert dispatch["concurrency"]["group"].endswith("-${{ matrix.environment }}")
    assert "${{" not in "".join(
        step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]
    )


def test_app_ci_workflows_pass_the_checkers(
    generated: dict[str, Path], plain_suite: Path, tmp_path: Path
) -> None:
    node = generate(plain_suite, tmp_path / "node", case_answers("separate-app", runtime="node"))
    roots = [generated["monorepo"], generated["separate-app"], generated["multi-service"], node]
    app_ci = [p for root in roots for p in workflow_files(root) if p.name.endswith("-ci.yml")]
    assert len(app_ci) == 6
    assert load_workflow(node / ".github/workflows/app-ci.yml")["jobs"]["test"]["steps"][-1] == {
        "name": "Run the tests (node --test)", "run": "npm test",
    }
    mono = load_workflow(generated["monorepo"] / ".github/workflows/app-ci.yml")
    assert mono["on"]["push"]["paths"] == ["app/**", ".github/workflows/app-ci.yml"]
    assert mono["jobs"]["test"]["defaults"] == {"run": {"working-directory": "app"}}
    separate = load_workflow(generated["separate-app"] / ".github/workflows/app-ci.yml")
    assert separate["on"] == {"push": None, "pull_request": None}
    web = load_workflow(generated["multi-service"] / ".github/workflows/web-ci.yml")
    assert web["on"]["pull_request"]["paths"] == ["services/web/**", ".github/workflows/web-ci.yml"]
    assert actionlint(app_ci) + zizmor(app_ci) + check_jsonschema(app_ci) == []


# --- The trigger workflow's scripts, run as GitHub would run them (bash -eo pipefail). ---


def step(workflow: Path, job: str, name: str) -> dict[str, Any]:
    data = load_workflow(workflow)
    found = [s for s in data["jobs"][job]["steps"] if s.get("name", "").startswith(name)]
    assert len(found) == 1, name
    return {"run": found[0]["run"], "env": {**data.get("env", {}), **found[0].get("env", {})}}


def run_step(
    workflow: Path, job: str, name: str, cwd: Path | None, env: dict[str, str], event: dict[str, Any]
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run one step's script; its runner files live in a temp dir, never in a (shared) repo."""
    spec = step(workflow, job, name)
    with tempfile.TemporaryDirectory(prefix="step-") as tmp:
        work = Path(tmp)
        (work / "event.json").write_text(json.dumps(event))
        output = work / "output"
        output.write_text("")
        script = work / "script.sh"
        script.write_text(spec["run"])
        # Expressions (${{ }}) only ever appear in env: the test supplies their values.
        static = {k: str(v) for k, v in spec["env"].items() if "${{" not in str(v)}
        full_env = {
            **os.environ, **static,
            "GITHUB_EVENT_PATH": str(work / "event.json"), "GITHUB_OUTPUT": str(output),
            "GITHUB_REPOSITORY": "acme/acme-services", "GITHUB_SHA": "0123abc",
            "GITHUB_REF": "refs/heads/main", **env,
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd or work, env=full_env, capture_output=True, text=True, timeout=60,
        )
        lines = output.read_text().splitlines()
    return done, dict(line.split("=", 1) for line in lines if "=" in line)


def needs_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")


@pytest.fixture(scope="module")
def all_kinds_services(plain_suite: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A multi-service repository with every trigger kind (so manual runs exist)."""
    answers = case_answers("multi-service", trigger_kinds=["path", "branch", "manual", "tag"])
    return generate(plain_suite, tmp_path_factory.mktemp("all-kinds") / "acme-services", answers)


def push_of(*files: str) -> dict[str, Any]:
    return {"commits": [{"added": [], "modified": list(files), "removed": []}]}


def plan(repo: Path, workflow: str, event_name: str, event: dict[str, Any], **env: str) -> dict[str, Any]:
    # The plan step reads only the event file, so it runs outside the repository.
    done, out = run_step(
        repo / workflow, "validate", "Choose targets", None,
        {"EVENT_NAME": event_name, **env}, event,
    )
    assert done.returncode == 0, done.stderr
    return {"trigger": out["trigger"], "environments": json.loads(out["environments"]),
            "targets": json.loads(out["targets"])}


def test_service_override_change_dispatches_that_service_only(all_kinds_services: Path) -> None:
    needs_tools("jq")
    wf = ".github/workflows/trigger-infra.yml"
    assert plan(all_kinds_services, wf, "push", push_of("infra/web-vars.yml", "services/web/src/main.py")) == {
        "trigger": "path", "environments": ["staging", "production"],
        "targets": [{"target": "web", "state_key": "acme/acme-services/web",
                     "changed_files": ["infra/web-vars.yml"]}],
    }
    shared = plan(all_kinds_services, wf, "push", push_of("infra/variables.yml"))
    assert [t["target"] for t in shared["targets"]] == ["api", "web", "worker"]
    assert {tuple(t["changed_files"]) for t in shared["targets"]} == {("infra/variables.yml",)}
    manual = plan(all_kinds_services, wf, "workflow_dispatch", {"inputs": {}}, INPUT_ENVIRONMENT="production")
    assert manual["trigger"] == "manual" and manual["environments"] == ["production"]
    assert manual["targets"][0] == {"target": "api", "state_key": "acme/acme-services/api",
                                    "changed_files": ["infra/variables.yml", "infra/api-vars.yml"]}
    tag = plan(all_kinds_services, wf, "push", {"commits": []}, GITHUB_REF="refs/tags/infra-v2")
    assert tag["trigger"] == "tag" and len(tag["targets"]) == 3
    pr = plan(all_kinds_services, wf, "pull_request", {}, GITHUB_REF="refs/pull/1/merge")
    assert pr["trigger"] == "validate"


def test_region_workflow_dispatches_its_own_region_only(generated: dict[str, Path]) -> None:
    needs_tools("jq")
    repo = generated["multi-region"]
    wf = ".github/workflows/trigger-infra-eu-west.yml"
    own = plan(repo, wf, "push", push_of("infra/eu-west-variables.yml"))
    assert own["targets"] == [{"target": "eu-west", "state_key": "acme/eu-west-1",
                               "changed_files": ["infra/eu-west-variables.yml"]}]
    assert plan(repo, wf, "push", push_of("infra/us-east-variables.yml"))["targets"] == []
    mono = plan(generated["monorepo"], ".github/workflows/trigger-infra.yml", "push",
                push_of("infra/variables.yml", "app/src/main.py"))
    assert mono["targets"] == [{"target": "us-east", "state_key": "acme/acme-platform",
                                "changed_files": ["infra/variables.yml"]}]


def test_state_key_check_refuses_a_changed_state_key(generated: dict[str, Path], tmp_path: Path) -> None:
    needs_tools("jq", "yq")
    repo = tmp_path / "repo"
    shutil.copytree(generated["multi-service"], repo)
    wf = repo / ".github/workflows/trigger-infra.yml"
    done, _ = run_step(wf, "validate", "Check customer_id and state_key", repo, {}, {})
    assert done.returncode == 0, done.stdout + done.stderr
    api = repo / "infra/api-vars.yml"
    api.write_text(api.read_text().replace("state_key: acme/acme-services/api", "state_key: acme/api"))
    done, _ = run_step(wf, "validate", "Check customer_id and state_key", repo, {}, {})
    assert done.returncode == 1
    assert done.stdout == (
        "::error file=infra/api-vars.yml::state_key must stay acme/acme-services/api"
        " (the provider's state address)\n"
    )


class _Recorder(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append({"path": self.path, "auth": self.headers["Authorization"],
                              "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_dispatch_sends_the_contract_payload(all_kinds_services: Path, tmp_path: Path) -> None:
    needs_tools("jq", "curl")
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    targets = [{"target": "web", "state_key": "acme/acme-services/web", "changed_files": ["infra/web-vars.yml"]}]
    env = {"GITHUB_API_URL": f"http://127.0.0.1:{server.server_address[1]}", "DISPATCH_TOKEN": "t0ken",
           "ENVIRONMENT": "staging", "TARGETS": json.dumps(targets), "TRIGGER": "path"}
    wf = all_kinds_services / ".github/workflows/trigger-infra.yml"
    try:
        done, _ = run_step(wf, "dispatch", "Send repository_dispatch", tmp_path, env, {})
        missing, _ = run_step(wf, "dispatch", "Send repository_dispatch", tmp_path, {**env, "DISPATCH_TOKEN": ""}, {})
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    assert _Recorder.received == [{
        "path": "/repos/provider-platform/infra-manager/dispatches",
        "auth": "Bearer t0ken",
        "body": {"event_type": "customer-infra-changed", "client_payload": {
            "customer_id": "acme", "repository": "acme/acme-services", "sha": "0123abc",
            "ref": "refs/heads/main", "changed_files": ["infra/web-vars.yml"],
            "state_key": "acme/acme-services/web", "environment": "staging", "target": "web",
            "trigger": "path"}},
    }]
    assert len(_Recorder.received[0]["body"]["client_payload"]) <= 10
    assert missing.returncode == 1
    assert "The repository secret PROVIDER_DISPATCH_TOKEN is empty" in missing.stdout


def test_github_runs_one_trigger_workflow_per_variables_file(generated: dict[str, Path]) -> None:
    """Checked with repo-migrate's own model of GitHub's filter rules (migrate explain)."""
    from migrate.routing import check_trigger_routing, workflows_run_for

    for case in ("monorepo", "separate-infra", "multi-service", "multi-region"):
        repo = generated[case]
        variables = sorted(p.relative_to(repo).as_posix() for p in (repo / "infra").glob("*.yml"))
        check_trigger_routing(repo, variables)
        check_trigger_routing(repo, variables, ref="refs/heads/feature/x")
        # The path kind alone: a pushed tag runs no trigger workflow.
        on_tag = workflows_run_for(repo, variables, ref="refs/tags/infra-v1")
        assert [w for w in on_tag if "/trigger-infra" in w] == []
    assert workflows_run_for(generated["multi-region"], ["infra/eu-west-variables.yml"]) == [
        ".github/workflows/trigger-infra-eu-west.yml"
    ]
