"""Approval routing: which GitHub environment gates the apply of one Terraform plan.

The seed's four approval patterns combined, evaluated in this order: resource type, change size,
environment, tier. The first rule that applies wins; every rule that applied is a reason. The
policy is ``approvals.yml`` of the provider repository (schema ``approvals.schema.json``). A plan
that cannot be read, or is not Terraform's JSON plan format, is refused (exit 3): it is never
approved, automatically or otherwise.

A changed resource is a managed resource of ``resource_changes`` whose actions are not
``["no-op"]`` or ``["read"]`` (a replace counts once), or one being imported: an import is
applied like a change (Terraform's "N to import"), so an import-only plan still needs an apply.
A move alone (``previous_address``, no-op) is not a change; Terraform plans it again until an
apply records it. Data sources never count.

API
---
- ``POLICY_FILE`` (``approvals.yml``), ``DEFAULT_DEPLOY_REFS``, ``RULE_ORDER``.
- ``read_plan(data, name) -> dict``: the output of ``terraform show -json PLANFILE``; Refused
  when it is not JSON, not a plan (a state, another format version), errored or malformed.
- ``ChangedResource(address, type, actions, importing)``; ``changed_resources(plan)``.
- ``load_policy(data, name, schema=None) -> Policy``: schema-validated (the path in the document
  and the schema's message on refusal), deploy_refs compiled, environments cross-checked.
- ``Policy``: ``environments``, ``deploy_refs``, the four rules;
  ``Policy.deploy_patterns(environment, default_branch)``: the ref patterns of *environment*.
- ``Route(environment, automatic, changes, reasons)``, ``Route.as_json()``.
- ``route(plan, environment, tier, policy) -> Route``.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from migrate import filters, provider_schemas
from migrate.errors import InvalidPattern, Refused

POLICY_FILE = "approvals.yml"
RULE_ORDER = ("resource_type", "change_size", "environment", "tier")
DEFAULT_DEPLOY_REFS: Mapping[str, tuple[str, ...]] = {
    "production": ("refs/heads/{default_branch}", "refs/tags/**"),
    "*": ("refs/heads/**", "refs/tags/**"),
}
_PLACEHOLDER = "{default_branch}"
# Keys every `terraform show -json PLANFILE` writes (format 1.x); a state has `values` instead.
_PLAN_KEYS = ("format_version", "terraform_version", "planned_values", "configuration")
_ACTIONS = {("no-op",), ("create",), ("read",), ("update",), ("delete", "create"),
            ("create", "delete"), ("delete",), ("forget",), ("create", "forget")}
_UNCHANGED = {("no-op",), ("read",)}
PLAN_FIX = "pass the JSON of the saved plan: terraform show -json tfplan > plan.json"


@dataclass(frozen=True)
class ChangedResource:
    """One managed resource the plan changes (``actions`` as Terraform lists them)."""

    address: str
    type: str
    actions: tuple[str, ...]
    importing: bool = False


def _entries(plan: Mapping[str, Any], name: str) -> list[tuple[str, str, str, tuple[str, ...], bool]]:
    """(address, mode, type, actions, importing) of every resource change; Refused if malformed."""
    changes = plan.get("resource_changes", [])
    if not isinstance(changes, list):
        raise Refused(f"{name}: resource_changes is not a list: not Terraform's JSON plan format",
                      PLAN_FIX)
    out = []
    for i, rc in enumerate(changes):
        where = f"{name}: resource_changes[{i}]"
        if not isinstance(rc, Mapping) or not all(
            isinstance(rc.get(k), str) for k in ("address", "type")
        ) or rc.get("mode") not in ("managed", "data") or not isinstance(rc.get("change"), Mapping):
            raise Refused(f"{where} lacks address, type, mode (managed or data) or change: "
                          "not Terraform's JSON plan format", PLAN_FIX)
        actions = rc["change"].get("actions")
        if not isinstance(actions, list) or tuple(actions) not in _ACTIONS:
            raise Refused(f"{where} ({rc['address']}) has actions {json.dumps(actions)}, which "
                          "repo-migrate does not know, so it cannot judge the change",
                          "plan with the Terraform version the provider pins, or upgrade repo-migrate")
        importing = rc["change"].get("importing") is not None
        out.append((rc["address"], rc["mode"], rc["type"], tuple(actions), importing))
    return out


def read_plan(data: bytes, name: str) -> dict[str, Any]:
    """Terraform's JSON plan in *data* (file *name*); Refused when it is anything else."""
    try:
        doc = json.loads(data.decode("utf-8"))  # Terraform writes UTF-8; no guessing
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        raise Refused(f"{name} is not JSON ({exc}): not Terraform's JSON plan format",
                      PLAN_FIX) from None
    if not isinstance(doc, dict):
        raise Refused(f"{name} holds a JSON {type(doc).__name__}, not an object: not Terraform's "
                      "JSON plan format", PLAN_FIX)
    version = doc.get("format_version")
    if not isinstance(version, str):
        raise Refused(f"{name} has no format_version: not Terraform's JSON plan format", PLAN_FIX)
    if not re.fullmatch(r"1\.[0-9]+", version):
        raise Refused(f"{name} has format_version {json.dumps(version)}; repo-migrate reads format "
                      "1.x of Terraform's JSON plan format", "plan with Terraform 1.x")
    if "values" in doc and "planned_values" not in doc:
        raise Refused(f"{name} is Terraform's JSON state (terraform show -json without a plan "
                      "file), not a plan", PLAN_FIX)
    missing = [key for key in _PLAN_KEYS if key not in doc]
    if missing:
        raise Refused(f"{name} lacks {', '.join(missing)}: not Terraform's JSON plan format",
                      PLAN_FIX)
    if doc.get("errored") is True:
        raise Refused(f"{name} is the plan of a failed `terraform plan` (errored: true)",
                      "fix the errors terraform plan reported, then plan again")
    _entries(doc, name)
    return doc


def changed_resources(plan: Mapping[str, Any]) -> list[ChangedResource]:
    """The managed resources *plan* changes or imports, in the plan's order."""
    return [
        ChangedResource(address, rtype, actions, importing)
        for address, mode, rtype, actions, importing in _entries(plan, "the plan")
        if mode == "managed" and (actions not in _UNCHANGED or importing)
    ]


@dataclass(frozen=True)
class TierRoute:
    """Where the tier rule sends one tier, and whether that environment has no reviewer."""

    environment: str
    automatic: bool


@dataclass(frozen=True)
class Policy:
    """approvals.yml, read: environments, deploy refs and the four rules (disabled ones empty)."""

    environments: tuple[str, ...]
    deploy_refs: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_DEPLOY_REFS)
    resource_type: tuple[str, tuple[str, ...]] | None = None  # (environment, type patterns)
    change_size: tuple[str, int] | None = None  # (environment, max_changes)
    environment: Mapping[str, str] | None = None  # deploy environment -> approval environment
    tier: Mapping[str, TierRoute] | None = None

    def deploy_patterns(self, environment: str, default_branch: str) -> tuple[str, ...]:
        """The full-ref patterns allowed to deploy *environment* ({default_branch} filled in)."""
        patterns = self.deploy_refs.get(environment, self.deploy_refs.get("*", ()))
        return tuple(p.replace(_PLACEHOLDER, filters.escape(default_branch)) for p in patterns)


def load_policy(data: bytes, name: str, schema: Mapping[str, Any] | None = None) -> Policy:
    """approvals.yml in *data*, validated against its schema and cross-checked."""
    doc = provider_schemas.load_strict_yaml(data, name, typed=True)
    schema = schema or provider_schemas.load_schema(provider_schemas.APPROVALS_SCHEMA)
    provider_schemas.check_document(doc, schema, name)
    environments = tuple(doc["environments"])
    refs = {key: tuple(value) for key, value in doc.get("deploy_refs", DEFAULT_DEPLOY_REFS).items()}
    for env, patterns in refs.items():
        if env != "*" and env not in environments:
            raise Refused(f"{name}: deploy_refs.{env}: {env} is not one of environments "
                          f"({', '.join(environments)})", f"add {env} to environments or remove it")
        for i, pattern in enumerate(patterns):
            where = f"{name}: deploy_refs.{env}[{i}]"
            if "{" in pattern.replace(_PLACEHOLDER, "") or "}" in pattern.replace(_PLACEHOLDER, ""):
                raise Refused(f"{where}: {pattern!r} holds a placeholder other than {_PLACEHOLDER}",
                              f"use only {_PLACEHOLDER} (the repository's default branch)")
            try:
                filters.compile_pattern(pattern.replace(_PLACEHOLDER, "main"))
            except InvalidPattern as exc:
                raise Refused(f"{where}: {exc.problem}", exc.fix) from None
    rules = doc["rules"]
    mapped = rules["environment"].get("environments", {}) if rules["environment"]["enabled"] else {}
    for env in mapped:
        if env not in environments:
            raise Refused(f"{name}: rules.environment.environments.{env}: {env} is not one of "
                          f"environments ({', '.join(environments)})",
                          f"add {env} to environments or remove it from the rule")
    on = {key: rules[key] for key in RULE_ORDER if rules[key]["enabled"]}
    return Policy(
        environments=environments,
        deploy_refs=refs,
        resource_type=(on["resource_type"]["environment"], tuple(on["resource_type"]["resource_types"]))
        if "resource_type" in on else None,
        change_size=(on["change_size"]["environment"], on["change_size"]["max_changes"])
        if "change_size" in on else None,
        environment=dict(mapped) if "environment" in on else None,
        tier={t: TierRoute(r["environment"], r["automatic"]) for t, r in on["tier"]["tiers"].items()}
        if "tier" in on else None,
    )


@dataclass(frozen=True)
class Route:
    """The routed approval environment (None: nothing to apply), and why."""

    environment: str | None
    automatic: bool
    changes: int
    reasons: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The route-approval --json output."""
        return {"environment": self.environment, "automatic": self.automatic,
                "changes": self.changes, "reasons": list(self.reasons)}


def _listing(items: list[str], limit: int = 5) -> str:
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def route(plan: Mapping[str, Any], environment: str, tier: str, policy: Policy) -> Route:
    """Route *plan* (deploying *environment* for a customer of *tier*) through *policy*."""
    if environment not in policy.environments:
        raise Refused(f"environment {environment!r} is not one of the policy's environments "
                      f"({', '.join(policy.environments)})",
                      "pass one of those, or add it to environments in approvals.yml")
    changed = changed_resources(plan)
    if not changed:
        return Route(None, False, 0, ("no changed resources: nothing to apply",))
    applied: list[tuple[str, bool, str]] = []  # (approval environment, automatic, reason)
    if policy.resource_type is not None:
        target, patterns = policy.resource_type
        hits = [c.address for c in changed if any(fnmatch.fnmatchcase(c.type, p) for p in patterns)]
        if hits:
            applied.append((target, False, f"resource type: {len(hits)} changed resource"
                            f"{'s' if len(hits) > 1 else ''} of type {' or '.join(patterns)} "
                            f"({_listing(hits)}) -> {target}"))
    if policy.change_size is not None:
        target, most = policy.change_size
        if len(changed) > most:
            applied.append((target, False, f"change size: {len(changed)} changed resources, "
                            f"more than {most} -> {target}"))
    if policy.environment is not None and environment in policy.environment:
        target = policy.environment[environment]
        applied.append((target, False, f"environment: {environment} -> {target}"))
    if policy.tier is not None and tier in policy.tier:
        way = policy.tier[tier]
        applied.append((way.environment, way.automatic, f"tier: {tier} -> {way.environment}"
                        + (" (automatic)" if way.automatic else "")))
    if not applied:
        raise Refused(f"no approval rule of the policy applies to this plan ({len(changed)} "
                      f"changed resources, environment {environment}, tier {tier})",
                      "enable the tier rule in approvals.yml: it routes every plan the other "
                      "rules leave")
    winner, automatic, _ = applied[0]
    return Route(winner, automatic, len(changed), tuple(reason for _, _, reason in applied))
