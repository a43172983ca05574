"""The provider's half of the demo: the manager repository, the registry, and one dispatch that
travels from a customer's push to the GitHub environment that gates its apply.

The push runs the customer's trigger workflow's own `run:` scripts (bash, jq, curl) with the
dispatch captured by a local HTTP server in place of GitHub's API; the provider's side is
`repo-migrate verify-dispatch` and `route-approval`, as its workflow runs them. Terraform needs
AWS, so the plan is the JSON `terraform show -json` gives for such a change, written here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import yaml

OWNER = "acme-org"
PROVIDER = "provider-platform/infra-manager"  # the suite's default provider_repo
REGISTERED = ("acme-platform", "acme-infra", "acme-services", "acme-regions")
# What `terraform show -json tfplan` gives for a bigger database instance (Terraform's format).
PLAN = {"format_version": "1.2", "terraform_version": "1.11.4", "planned_values": {}, "configuration": {},
        "resource_changes": [
            {"address": "module.database[0].aws_db_instance.this", "mode": "managed",
             "type": "aws_db_instance", "name": "this",
             "change": {"actions": ["update"], "before": {"instance_class": "db.t3.medium"},
                        "after": {"instance_class": "db.t3.large"}}},
            {"address": "data.aws_region.current", "mode": "data", "type": "aws_region", "name": "current",
             "change": {"actions": ["read"]}}]}


def register_all(out: Path, manager: Path, run: Callable[..., str], git: Callable[..., str]) -> None:
    """Register the customers' infra repositories, merging each result as a reviewer would."""
    for name in (*REGISTERED, "acme-platform-infra"):
        if name == "acme-platform-infra":
            print("\ndemo: the infra repository mono-to-separate made takes over acme/acme-platform, "
                  "proven by its migration record")
        run("register", "--registry", str(manager), str(out / name), "--github-repo", f"{OWNER}/{name}")
        git(manager, "merge", "-q", "--ff-only", "repo-migrate/register-acme")
        git(manager, "branch", "-q", "-d", "repo-migrate/register-acme")
    print(f"\n{manager / 'customers/acme.yml'}:\n{(manager / 'customers/acme.yml').read_text()}")


class _Capture(BaseHTTPRequestHandler):
    """GitHub's POST /repos/{owner}/{repo}/dispatches, recorded."""

    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = self.path == f"/repos/{PROVIDER}/dispatches"
        if ok:
            self.received.append(json.loads(body))
        self.send_response(204 if ok else 404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _step(workflow: Path, job: str, name: str, context: Mapping[str, str], cwd: Path,
          env: Mapping[str, str]) -> dict[str, str]:
    """Run one step's script of *workflow* with bash, as a runner does; its outputs."""
    data = yaml.safe_load(workflow.read_text())
    found = next(s for s in data["jobs"][job]["steps"] if s.get("name", "").startswith(name))
    values = {**data.get("env", {}), **found.get("env", {})}
    resolved = {k: re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: context[m.group(1)], str(v))
                for k, v in values.items()}
    output = cwd / "github-output"
    output.write_text("")
    subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", found["run"]], cwd=cwd,
                   check=True, env={**os.environ, **resolved, **env, "GITHUB_OUTPUT": str(output)})
    return dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)


def dispatch(repo: Path, name: str, sha: str) -> list[dict[str, Any]]:
    """Run trigger-infra-eu-west.yml's scripts for the push of *sha*: every dispatch it sends,
    as GitHub would deliver it to the provider."""
    server = HTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    workflow = repo / ".github/workflows/trigger-infra-eu-west.yml"
    github = {"GITHUB_REPOSITORY": name, "GITHUB_SHA": sha, "GITHUB_REF": "refs/heads/main",
              "GITHUB_API_URL": f"http://127.0.0.1:{server.server_address[1]}"}
    try:
        with tempfile.TemporaryDirectory(prefix="demo-runner-") as tmp:
            work = Path(tmp)
            event = work / "event.json"
            event.write_text(json.dumps({"ref": "refs/heads/main", "after": sha, "commits": [
                {"added": [], "modified": ["infra/eu-west-variables.yml"], "removed": []}]}))
            out = _step(workflow, "validate", "Choose targets", {"github.event_name": "push",
                        "github.event.inputs.environment": ""}, work, {**github, "GITHUB_EVENT_PATH": str(event)})
            for environment in json.loads(out["environments"]):
                _step(workflow, "dispatch", "Send repository_dispatch", {
                    "secrets.PROVIDER_DISPATCH_TOKEN": "demo-token", "matrix.environment": environment,
                    "needs.validate.outputs.targets": out["targets"],
                    "needs.validate.outputs.trigger": out["trigger"]}, work, github)
    finally:
        server.shutdown()
        server.server_close()
    sent, _Capture.received = _Capture.received, []
    return [{"action": body["event_type"], "client_payload": body["client_payload"],
             "repository": {"full_name": PROVIDER}} for body in sent]


def follow_one_dispatch(out: Path, manager: Path, run: Callable[..., str], git: Callable[..., str]) -> None:
    """A customer's push, its dispatch, the targets the provider verifies, the approval route."""
    repo = out / "acme-regions"
    name = f"{OWNER}/acme-regions"
    if not all(shutil.which(tool) for tool in ("bash", "jq", "curl")):
        print("demo: skipped the dispatch (the trigger workflow's scripts need bash, jq and curl, "
              "as GitHub's runners have)")
        return
    print(f"\ndemo: a push to {name} gives eu-west a bigger database; GitHub runs the workflows "
          "explain names")
    path = repo / "infra/eu-west-variables.yml"
    path.write_text(path.read_text().replace("instance_class: db.t3.medium", "instance_class: db.t3.large"))
    git(repo, "commit", "-q", "-am", "eu-west: a bigger database")
    run("explain", "--repo", str(repo), "--commits", "HEAD~1..HEAD")
    print("\ndemo: trigger-infra-eu-west.yml's scripts run, and send one dispatch per environment:")
    events = dispatch(repo, name, git(repo, "rev-parse", "HEAD").strip())
    production = next(e for e in events if e["client_payload"]["environment"] == "production")
    print("\ndemo: GitHub delivers the production one to infra-manager's infra-deploy.yml, whose verify step runs:")
    event_file = out / "dispatch-event.json"
    event_file.write_text(json.dumps(production, indent=2) + "\n")
    targets = json.loads(run("verify-dispatch", "--provider-repo", str(manager), "--event", str(event_file),
                             "--event-name", "repository_dispatch", "--json", show=False))["targets"]
    run("verify-dispatch", "--provider-repo", str(manager), "--event", str(event_file),
        "--event-name", "repository_dispatch")
    plan = out / "plan.json"
    plan.write_text(json.dumps(PLAN, indent=2) + "\n")
    print("\ndemo: terraform init/plan need AWS; plan.json is what `terraform show -json` gives for this change")
    target = targets[0]
    options = ("--plan", str(plan), "--environment", target["environment"], "--tier", target["tier"],
               "--policy", str(manager / "approvals.yml"))
    run("route-approval", *options)
    route = json.loads(run("route-approval", *options, "--json", show=False))
    print(f"\ndispatch: {name}@{target['sha'][:12]} {target['variables_file']} -> state "
          f"{target['state_address']} -> approval environment {route['environment']}")
