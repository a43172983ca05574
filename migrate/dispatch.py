"""Verify a dispatch at the provider: every claim of an untrusted payload, against the registry
and the policy, before any plan runs.

A ``repository_dispatch`` from a customer's trigger workflow names one state: its ``state_key``
is the target, and the variables file registered with that key for the repository is what the
provider plans (a multi-service service's ``infra/<service>-vars.yml``, read on top of the
shared ``infra/variables.yml``). The changed files it lists must be that file, the shared file
of a multi-service repository, or the schema. A provider's ``workflow_dispatch`` re-runs one
registered repository (one variables file, or every deployable one) in one environment at a
given sha, as if from its default branch (trigger ``rerun``). Every problem is collected, each
with its fix; nothing is returned unless there is none.

API
---
- ``EVENT_NAMES``, ``DEFAULT_EVENT_TYPE`` (the customers' default ``dispatch_event_type``),
  ``RERUN_TRIGGER``.
- ``Target``: one plan to run (``as_json()``: the fields of the interface, ``id`` safe in artifact
  names); ``targets_json(targets)``: ``{"targets": [...]}``.
- ``DispatchRefused(problems)``: a ``Refused`` carrying every ``Problem``; ``as_json()`` and
  ``annotations()`` (GitHub ``::error`` lines, escaped).
- ``verify_dispatch(event, event_name, registry, policy, *, event_type=DEFAULT_EVENT_TYPE)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from migrate import contract, filters
from migrate.approvals import Policy
from migrate.dispatch_payload import PAYLOAD_FIELDS, Problem, shape_problem, show
from migrate.errors import Refused
from migrate.registry import Customer, Registry, RepositoryEntry, VariablesFile, is_deployable

EVENT_NAMES = ("repository_dispatch", "workflow_dispatch")
DEFAULT_EVENT_TYPE = "customer-infra-changed"
RERUN_TRIGGER = "rerun"
_INPUTS = ("repository", "environment", "sha", "variables_file")
_OWN_NAME = re.compile(r"^infra/(?P<name>[^/]+)-(?:variables|vars)\.ya?ml$")
_RERUN_FIX = "run the workflow again with valid inputs"


@dataclass(frozen=True)
class Target:
    """One (variables file, environment) to plan, every value checked."""

    id: str
    customer_id: str
    repository: str
    sha: str
    ref: str
    variables_file: str
    state_key: str
    environment: str
    state_address: str
    tier: str
    trigger: str

    def as_json(self) -> dict[str, str]:
        """The target as verify-dispatch prints it."""
        return asdict(self)


def targets_json(targets: Sequence[Target]) -> dict[str, Any]:
    """``{"targets": [...]}``: verify-dispatch's output when the dispatch is accepted."""
    return {"targets": [t.as_json() for t in targets]}


def _escape(text: str) -> str:
    # GitHub's workflow-command escaping: a value can never end the line or the command
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


class DispatchRefused(Refused):
    """The dispatch is refused; *problems* lists everything wrong with it."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("the dispatch is refused: " + "; ".join(p.problem for p in problems),
                         "; ".join(dict.fromkeys(p.fix for p in problems)))

    def as_json(self) -> dict[str, Any]:
        """verify-dispatch's output for a refused dispatch."""
        return {"targets": [], "problems": [{"problem": p.problem, "fix": p.fix} for p in self.problems]}

    def annotations(self) -> list[str]:
        """One ``::error`` workflow command per problem."""
        return [f"::error title=repo-migrate verify-dispatch::{_escape(f'{p.problem} fix: {p.fix}')}"
                for p in self.problems]


def _register_fix(repository: str) -> str:
    return (f"register it: repo-migrate register --registry <clone of the provider repository> "
            f"<clone of {repository}> --github-repo {repository}, then merge the branch it makes")


class _Check:
    """The problems found so far, and the checks both event kinds share."""

    def __init__(self, registry: Registry, policy: Policy) -> None:
        self.registry, self.policy = registry, policy
        self.problems: list[Problem] = []

    def add(self, problem: str, fix: str) -> None:
        self.problems.append(Problem(problem, fix))

    def repository(self, name: str, customer_id: str | None) -> tuple[Customer, RepositoryEntry] | None:
        found = self.registry.repository(name)
        if found is None:
            self.add(f"repository {name} is not registered", _register_fix(name))
        elif customer_id is not None and found[0].customer_id != customer_id:
            self.add(f"repository {name} is registered for customer {found[0].customer_id}, "
                     f"not {customer_id}", f"dispatches of {name} carry customer_id "
                     f"{found[0].customer_id}, as its variables files do")
            return None
        return found

    def environment(self, environment: str) -> bool:
        if environment in self.policy.environments:
            return True
        self.add(f"environment {environment} is not one of the provider's environments "
                 f"({', '.join(self.policy.environments)})",
                 "dispatch only those (the customer repository's environments answer lists them)")
        return False

    def ref(self, ref: str, environment: str, entry: RepositoryEntry) -> None:
        patterns = self.policy.deploy_patterns(environment, entry.default_branch)
        if not filters.is_included(filters.compile_patterns(patterns), ref):
            self.add(f"{ref} of {entry.name} may not deploy {environment} (approvals.yml "
                     f"deploy_refs: {', '.join(patterns)})",
                     f"deploy {environment} from a ref approvals.yml allows: merge into "
                     f"{entry.default_branch} or push a tag")

    def deployable(self, entry: RepositoryEntry, file: VariablesFile) -> bool:
        if is_deployable(entry.pattern, file.path):
            return True
        self.add(f"{file.path} of {entry.name} (state_key {file.state_key}) is the shared file "
                 "of a multi-service repository, not a state of its own",
                 "dispatch a service's state_key (infra/<service>-vars.yml), as the suite's "
                 "trigger workflow does")
        return False


def _payload(check: _Check, payload: Mapping[str, Any]) -> list[Target]:
    if len(payload) > contract.MAX_PAYLOAD_PROPERTIES:
        check.add(f"client_payload has {len(payload)} top-level properties; GitHub allows at most "
                  f"{contract.MAX_PAYLOAD_PROPERTIES}", f"send only {', '.join(PAYLOAD_FIELDS)}")
    unknown = sorted(str(k) for k in payload if k not in PAYLOAD_FIELDS)
    if unknown:
        check.add(f"client_payload has unexpected properties: {', '.join(show(k) for k in unknown)}",
                  f"send only {', '.join(PAYLOAD_FIELDS)}")
    missing = [k for k in PAYLOAD_FIELDS if k not in payload]
    if missing:
        check.add(f"client_payload lacks {', '.join(missing)}", "update the customer repository's "
                  "trigger workflow (copier update): the suite's sends every one of them")
    v: dict[str, Any] = {}
    for field in PAYLOAD_FIELDS:
        if field in payload:
            problem = shape_problem(field, payload[field])
            if problem is None:
                v[field] = payload[field]
            else:
                check.problems.append(problem)
    customer = check.registry.customer(v["customer_id"]) if "customer_id" in v else None
    if "customer_id" in v and customer is None:
        check.add(f"customer {v['customer_id']} is not registered",
                  f"add customers/{v['customer_id']}.yml to the provider repository with "
                  "repo-migrate register")
    found = check.repository(v["repository"], v.get("customer_id")) if "repository" in v else None
    entry = found[1] if found else None
    file = None
    if "state_key" in v:
        key = v["state_key"]
        owner = check.registry.owner_of(key)
        if owner is None:
            check.add(f"state_key {key} is not registered", "register the repository again "
                      "(repo-migrate register) once the variables file carrying it is committed")
        elif "repository" in v and owner.repository.name.lower() != v["repository"].lower():
            check.add(f"state_key {key} belongs to {owner.repository.name} (customer "
                      f"{owner.customer.customer_id}), not to {v['repository']}",
                      f"{v['repository']} deploys only its own state keys: check state_key in its "
                      "variables files (it never changes)")
        elif entry is not None and check.deployable(entry, owner.file):
            file = owner.file
    if entry is not None and "changed_files" in v:
        for path in v["changed_files"]:
            _changed_file(check, entry, file, v.get("state_key"), path)
    if file is not None and "target" in v:
        own = _OWN_NAME.match(file.path)
        if own and own["name"] != v["target"]:
            check.add(f"target {v['target']} does not match {file.path} (target {own['name']})",
                      f"the target of {file.path} is {own['name']}")
    if "environment" in v and check.environment(v["environment"]) and entry and "ref" in v:
        check.ref(v["ref"], v["environment"], entry)
    if check.problems or customer is None or entry is None or file is None:
        raise DispatchRefused(check.problems)
    return [Target("t1", customer.customer_id, entry.name, v["sha"], v["ref"], file.path,
                   file.state_key, v["environment"],
                   contract.state_address(file.state_key, v["environment"]), customer.tier,
                   v["trigger"])]


def _changed_file(check: _Check, entry: RepositoryEntry, file: VariablesFile | None,
                  state_key: str | None, path: str) -> None:
    if not contract.is_variables_file(path):
        if path != contract.SCHEMA_FILE:
            check.add(f"changed_files lists {show(path)}, which is neither a variables file nor "
                      f"{contract.SCHEMA_FILE}", "send only the infra files the trigger target watches")
        return
    registered = entry.file(path)
    if registered is None:
        check.add(f"{path} is not registered for {entry.name}", "register the repository again "
                  f"(repo-migrate register) so that {path} and its state_key are known")
    elif file is not None:
        shared = not is_deployable(entry.pattern, registered.path)
        if registered.path != file.path and not shared:
            check.add(f"changed file {path} of {entry.name} has state_key {registered.state_key}, "
                      f"not {file.state_key}", "send one dispatch per state_key, each with its "
                      "own files (as the suite's trigger workflow does)")
    elif state_key is not None and registered.state_key != state_key:
        check.add(f"{path} of {entry.name} is registered with state_key {registered.state_key}, "
                  f"not {state_key}", "send the state_key the variables file carries (it never changes)")


def _inputs(check: _Check, inputs: Mapping[str, Any]) -> list[Target]:
    v: dict[str, Any] = {}
    for field in _INPUTS:
        value = inputs.get(field, "" if field == "variables_file" else None)
        if field == "variables_file" and value == "":
            v[field] = ""
            continue
        problem = shape_problem(field, value, "inputs", _RERUN_FIX)
        if problem is None:
            v[field] = value
        else:
            check.problems.append(problem)
    found = check.repository(v["repository"], None) if "repository" in v else None
    files: tuple[VariablesFile, ...] = ()
    if found is not None:
        entry = found[1]
        files = entry.deploy_files
        if v.get("variables_file"):
            one = entry.file(v["variables_file"])
            if one is None:
                check.add(f"{v['variables_file']} is not registered for {entry.name}",
                          f"name one of {', '.join(f.path for f in entry.deploy_files)}")
            files = (one,) if one is not None and check.deployable(entry, one) else ()
        if "environment" in v and check.environment(v["environment"]):
            check.ref(f"refs/heads/{entry.default_branch}", v["environment"], entry)
        if not entry.deploy_files:
            check.add(f"{entry.name} has no variables file that is a state of its own",
                      f"register its services' files (repo-migrate register) for {entry.name}")
    if check.problems or found is None or not files:
        raise DispatchRefused(check.problems)
    customer, entry = found
    ref = f"refs/heads/{entry.default_branch}"
    return [Target(f"t{i}", customer.customer_id, entry.name, v["sha"], ref, f.path, f.state_key,
                   v["environment"], contract.state_address(f.state_key, v["environment"]),
                   customer.tier, RERUN_TRIGGER) for i, f in enumerate(files, 1)]


def verify_dispatch(event: object, event_name: str, registry: Registry, policy: Policy,
                    *, event_type: str = DEFAULT_EVENT_TYPE) -> list[Target]:
    """The targets of *event* (the webhook payload of *event_name*); DispatchRefused otherwise."""
    check = _Check(registry, policy)
    if event_name not in EVENT_NAMES:
        check.add(f"event {show(event_name)} is not handled", f"trigger the workflow with "
                  f"{' or '.join(EVENT_NAMES)}")
        raise DispatchRefused(check.problems)
    if not isinstance(event, Mapping):
        check.add("the event is not a JSON object", "pass $GITHUB_EVENT_PATH as the event file")
        raise DispatchRefused(check.problems)
    if event_name == "workflow_dispatch":
        inputs = event.get("inputs")
        if not isinstance(inputs, Mapping):
            check.add("the workflow_dispatch event has no inputs", _RERUN_FIX)
            raise DispatchRefused(check.problems)
        return _inputs(check, inputs)
    if event.get("action") != event_type:
        check.add(f"event type {show(event.get('action'))} is not {event_type}",
                  f"dispatch with event_type {event_type} (the dispatch_event_type answer)")
    payload = event.get("client_payload")
    if not isinstance(payload, Mapping):
        check.add(f"client_payload is {show(payload)}, not an object",
                  "send the payload the suite's trigger workflow sends")
        raise DispatchRefused(check.problems)
    return _payload(check, payload)
