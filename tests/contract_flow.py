"""Run both ends of the contract as GitHub would: a customer's push through its trigger workflow's
real `run:` steps, the dispatch over HTTP, and the provider workflow's real verify, plan and
route steps on the event GitHub would deliver.

What cannot run here is replaced by a local equivalent, and only that:
- actions (checkout, setup-terraform, AWS credentials, artifacts): the repositories are cloned
  locally at the commit the step names; artifacts are files passed on;
- GitHub's API: ``GitHubStub``, a local HTTP server that receives dispatches, answers the compare
  API from the local clones (``git merge-base --is-ancestor``) and the environments API;
- the toolkit install (``pip install`` from the network): ``$RUNNER_TEMP/toolkit/bin/repo-migrate``
  is the toolkit under test; ``pipx run --spec check-jsonschema==V``: the same pinned version,
  installed; ``yq``: the machine's, else jq over PyYAML;
- ``terraform init/plan/show`` (AWS provider and S3 backend): a stand-in that records its
  arguments and shows a Terraform JSON plan fixture (tests/golden/plans/).
Every `${{ }}` expression a step's env uses is evaluated from the run's context; one this module
does not know fails the test, so a workflow that starts using another is noticed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any

from migrate.commands import explain
from tests.helpers import ROOT, git
from tests.test_templates_workflows import load_workflow, run_step

DEPLOY = ".github/workflows/infra-deploy.yml"
PLANS = ROOT / "tests" / "golden" / "plans"
BIN = Path(sys.executable).parent
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class GitHubStub:
    """The parts of GitHub's REST API the workflows call, served from local repositories."""

    def __init__(self, provider: str, gated: Mapping[str, bool]) -> None:
        self.provider = provider
        self.gated = dict(gated)  # approval environment -> has required reviewers
        self.clones: dict[str, Path] = {}  # owner/name -> local clone
        self.dispatches: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if (self.path != f"/repos/{stub.provider}/dispatches"
                        or not self.headers.get("Authorization", "").startswith("Bearer ")):
                    return self.reply(404, {"message": "Not Found"})
                stub.dispatches.append(json.loads(body))
                self.reply(204, None)

            def do_GET(self) -> None:
                parts = self.path.split("/")
                if self.path.startswith(f"/repos/{stub.provider}/environments/"):
                    name = parts[-1]
                    if name not in stub.gated:
                        return self.reply(404, {"message": "Not Found"})
                    rules = [{"type": "required_reviewers"}] if stub.gated[name] else []
                    return self.reply(200, {"name": name, "protection_rules": rules})
                if len(parts) >= 6 and parts[4] == "compare":
                    clone = stub.clones.get(f"{parts[2]}/{parts[3]}")
                    base, _, head = "/".join(parts[5:]).partition("...")
                    return self.reply(200, {"status": compare(clone, base, head)}) if clone else \
                        self.reply(404, {"message": "Not Found"})
                self.reply(404, {"message": "Not Found"})

            def reply(self, code: int, doc: Any) -> None:
                data = b"" if doc is None else json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def compare(clone: Path, base: str, head: str) -> str:
    """GitHub's compare status of *head* against branch or tag *base*, from a local clone."""
    found = [git(clone, "rev-parse", "-q", "--verify", f"{ref}^{{commit}}", check=False).strip()
             for ref in (f"refs/heads/{base}", f"refs/tags/{base}")]
    base_sha = next((s for s in found if s), "")
    head_sha = git(clone, "rev-parse", "-q", "--verify", f"{head}^{{commit}}", check=False).strip()
    if not base_sha or not head_sha:
        return "not-found"
    ancestor = subprocess.run(["git", "-C", str(clone), "merge-base", "--is-ancestor", head_sha, base_sha]).returncode == 0
    if base_sha == head_sha:
        return "identical"
    if ancestor:
        return "behind"
    ahead = subprocess.run(["git", "-C", str(clone), "merge-base", "--is-ancestor", base_sha, head_sha]).returncode == 0
    return "ahead" if ahead else "diverged"


def _script(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@dataclass
class Runner:
    """The runner's tools (PATH), RUNNER_TEMP with the toolkit, and the GitHub stub."""

    root: Path
    github: GitHubStub
    bin: Path = field(init=False)
    temp: Path = field(init=False)

    def __post_init__(self) -> None:
        self.bin = self.root / "bin"
        self.temp = self.root / "runner-temp"
        (self.temp / "toolkit" / "bin").mkdir(parents=True)
        self.bin.mkdir()
        (self.temp / "toolkit" / "bin" / "repo-migrate").symlink_to(BIN / "repo-migrate")
        pinned = f"check-jsonschema=={version('check-jsonschema')}"
        _script(self.bin / "pipx", f"""#!/usr/bin/env bash
# pipx run --spec {pinned} check-jsonschema ...: the same pinned version, installed
[ "$1 $2 $3 $4" = "run --spec {pinned} check-jsonschema" ] || {{ echo "pipx $*: not simulated" >&2; exit 64; }}
shift 4
exec "{BIN / 'check-jsonschema'}" "$@"
""")
        _script(self.bin / "terraform", """#!/usr/bin/env bash
# terraform without the AWS provider and the S3 backend: records its arguments, plans nothing
set -euo pipefail
printf '%s\\037' "$@" >> "$FAKE_TERRAFORM_LOG"  # one line per call, arguments split by US
echo >> "$FAKE_TERRAFORM_LOG"
case "$1" in
  init) ;;
  plan) for a in "$@"; do if [[ $a == -out=* ]]; then printf 'saved plan: %s\\n' "$*" > "${a#-out=}"; fi; done ;;
  show) [ "$2 $3" = "-json tfplan" ] && cat "$FAKE_TERRAFORM_PLAN_JSON" ;;
  *) echo "terraform $1: not simulated" >&2; exit 64 ;;
esac
""")
        if shutil.which("yq") is None:
            _script(self.bin / "yq", f"""#!/usr/bin/env bash
# yq (jq over YAML), as on GitHub's runners
"{sys.executable}" -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "${{@: -1}}" \\
  | jq "${{@:1:$#-1}}"
""")

    def env(self, **more: str) -> dict[str, str]:
        return {"PATH": f"{self.bin}:{BIN}:{os.environ['PATH']}", "RUNNER_TEMP": str(self.temp),
                "GITHUB_API_URL": self.github.url, **more}


def evaluate(value: Any, context: Mapping[str, str]) -> str:
    """A workflow env value with its ``${{ }}`` expressions replaced from *context*."""
    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr.startswith("secrets."):
            return "token-of-" + expr.removeprefix("secrets.")
        assert expr in context, f"the test does not know the expression {expr!r}"
        return context[expr]
    return _EXPR.sub(one, str(value))


def step_env(workflow: Path, job: str, name: str, context: Mapping[str, str]) -> tuple[dict[str, str], str | None]:
    """The env of one step (workflow, job and step levels, evaluated) and its working-directory."""
    data = load_workflow(workflow)
    found = [s for s in data["jobs"][job]["steps"] if s.get("name", "").startswith(name)]
    assert len(found) == 1, name
    merged = {**data.get("env", {}), **data["jobs"][job].get("env", {}), **found[0].get("env", {})}
    return {k: evaluate(v, context) for k, v in merged.items()}, found[0].get("working-directory")


def step(runner: Runner, workflow: Path, job: str, name: str, cwd: Path | None, context: Mapping[str, str],
         event: dict[str, Any], **env: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run one step's real script as the runner would (bash -eo pipefail)."""
    values, workdir = step_env(workflow, job, name, context)
    where = cwd / workdir if cwd is not None and workdir else cwd
    return run_step(workflow, job, name, where, runner.env(**values, **env), event)


# --- the customer's side ------------------------------------------------------------------------

def commit_change(repo: Path, path: str, line: str = "# changed by the customer\n") -> tuple[str, str]:
    """Append *line* to *path* and commit it: (parent, commit)."""
    parent = git(repo, "rev-parse", "HEAD").strip()
    with (repo / path).open("a") as f:
        f.write(line)
    git(repo, "add", path)
    git(repo, "commit", "-q", "-m", f"change {path}")
    return parent, git(repo, "rev-parse", "HEAD").strip()


def push_event(repo: Path, name: str, parent: str, sha: str, ref: str) -> dict[str, Any]:
    """The push event GitHub delivers for *parent*..*sha* on *ref*."""
    changes: dict[str, list[str]] = {"A": [], "M": [], "D": []}
    for line in git(repo, "diff-tree", "-r", "--no-renames", "--name-status", parent, sha).splitlines():
        kind, path = line.split("\t", 1)
        changes[kind[0]].append(path)
    return {"ref": ref, "before": parent, "after": sha, "repository": {"full_name": name},
            "commits": [{"id": sha, "added": changes["A"], "modified": changes["M"], "removed": changes["D"]}]}


def customer_push(runner: Runner, repo: Path, name: str, parent: str, sha: str,
                  ref: str = "refs/heads/main") -> list[dict[str, Any]]:
    """Every dispatch a push of *parent*..*sha* sends: the trigger workflows GitHub would run
    (repo-migrate explain decides), each one's validate steps, then its dispatch per environment."""
    event = push_event(repo, name, parent, sha, ref)
    running = explain.plan(explain.Settings(repo=repo, event="push", ref=ref, commits=f"{parent}..{sha}")).running
    github = {"GITHUB_REPOSITORY": name, "GITHUB_SHA": sha, "GITHUB_REF": ref}
    sent = len(runner.github.dispatches)
    for workflow in (repo / w for w in running if "trigger-infra" in w):
        context = {"github.event_name": "push", "github.event.inputs.environment": ""}
        for title in ("Validate against", "Check customer_id and state_key"):
            done, _ = step(runner, workflow, "validate", title, repo, context, event, **github)
            assert done.returncode == 0, done.stdout + done.stderr
        done, out = step(runner, workflow, "validate", "Choose targets", repo, context, event, **github)
        assert done.returncode == 0, done.stderr
        for environment in json.loads(out["environments"]):
            context = {"matrix.environment": environment, "needs.validate.outputs.targets": out["targets"],
                       "needs.validate.outputs.trigger": out["trigger"]}
            done, _ = step(runner, workflow, "dispatch", "Send repository_dispatch", None, context, {}, **github)
            assert done.returncode == 0, done.stdout + done.stderr
    return runner.github.dispatches[sent:]


def delivered(body: Mapping[str, Any], provider: str) -> dict[str, Any]:
    """The repository_dispatch event GitHub delivers to the provider's workflow for one POST."""
    return {"action": body["event_type"], "branch": "main", "client_payload": body["client_payload"],
            "repository": {"full_name": provider}, "sender": {"login": "acme-bot"}}


# --- the provider's side ------------------------------------------------------------------------

@dataclass(frozen=True)
class Verified:
    """The verify job's result: its exit status, what it printed, the targets it passed on."""

    status: int
    stdout: str
    targets: list[dict[str, str]] | None


def provider_verify(runner: Runner, provider: Path, event: dict[str, Any],
                    event_name: str = "repository_dispatch") -> Verified:
    """The verify job's real step on *event*, in the provider repository's checkout."""
    done, out = step(runner, provider / DEPLOY, "verify", "Verify the payload", provider, {}, event,
                     GITHUB_EVENT_NAME=event_name, GITHUB_REPOSITORY=runner.github.provider)
    targets = json.loads(out["targets"]) if "targets" in out else None
    return Verified(done.returncode, done.stdout, targets)


@dataclass(frozen=True)
class Planned:
    """What one plan job did for one target."""

    terraform: list[list[str]]  # each terraform call's arguments
    route: dict[str, Any]  # route.json (route-approval --json)
    routed: dict[str, Any]  # $RUNNER_TEMP/route/<id>.json, passed to the route job
    summary: str


@contextmanager
def _workspace(runner: Runner, provider: Path, target: Mapping[str, str], customer: Path) -> Iterator[Path]:
    """actions/checkout twice: the provider repository, and the customer's at the target's sha."""
    ws = runner.root / f"ws-{target['id']}-{target['environment']}"
    git(runner.root, "clone", "-q", str(provider), str(ws))
    git(runner.root, "clone", "-q", "--no-checkout", str(customer), str(ws / "customer"))
    git(ws / "customer", "checkout", "-q", "--detach", target["sha"])
    try:
        yield ws
    finally:
        shutil.rmtree(ws)


def provider_plan(runner: Runner, provider: Path, target: Mapping[str, str], customer: Path,
                  plan: str) -> Planned:
    """The plan job's real steps for one target, terraform standing in with *plan*'s JSON."""
    context = {f"matrix.target.{k}": v for k, v in target.items()}
    context["toJSON(matrix.target)"] = json.dumps(target)
    context["github.run_id"] = "1"
    with _workspace(runner, provider, target, customer) as ws:
        log = ws / "terraform.log"
        env = {"GITHUB_WORKSPACE": str(ws), "GITHUB_STEP_SUMMARY": str(ws / "summary.md"),
               "GITHUB_REPOSITORY": runner.github.provider, "FAKE_TERRAFORM_LOG": str(log),
               "FAKE_TERRAFORM_PLAN_JSON": str(PLANS / plan)}
        for title in ("Check that the ref contains the commit", "Validate the variables file",
                      "terraform init", "terraform plan", "Route the plan", "Summarise the plan"):
            done, _ = step(runner, provider / DEPLOY, "plan", title, ws, context, {}, **env)
            assert done.returncode == 0, f"{title}: {done.stdout}{done.stderr}"
        routed = json.loads((runner.temp / "route" / f"{target['id']}.json").read_text())
        assert routed["plan_sha256"] == hashlib.sha256((ws / "terraform/tfplan").read_bytes()).hexdigest()
        return Planned([line.split("\037")[:-1] for line in log.read_text().splitlines()],
                       json.loads((ws / "terraform/route.json").read_text()), routed,
                       (ws / "summary.md").read_text())


def refused_plan_step(runner: Runner, provider: Path, target: Mapping[str, str], customer: Path,
                      title: str) -> str:
    """Run the plan job's steps up to *title*, which must fail: its output."""
    context = {f"matrix.target.{k}": v for k, v in target.items()}
    with _workspace(runner, provider, target, customer) as ws:
        done, _ = step(runner, provider / DEPLOY, "plan", title, ws, context, {},
                       GITHUB_WORKSPACE=str(ws), GITHUB_REPOSITORY=runner.github.provider)
        assert done.returncode != 0, done.stdout
        return done.stdout


def provider_choose(runner: Runner, provider: Path, routed: list[dict[str, Any]]) -> tuple[int, str, list[dict[str, Any]] | None]:
    """The route job: the routes downloaded into routes/, then its real choose step."""
    work = runner.root / "route-job"
    shutil.rmtree(work, ignore_errors=True)
    (work / "routes").mkdir(parents=True)
    for entry in routed:
        (work / "routes" / f"{entry['target']['id']}.json").write_text(json.dumps(entry))
    done, out = step(runner, provider / DEPLOY, "route", "Choose the plans", work,
                     {"github.token": "token"}, {}, GITHUB_REPOSITORY=runner.github.provider)
    return done.returncode, done.stdout, json.loads(out["apply"]) if "apply" in out else None
