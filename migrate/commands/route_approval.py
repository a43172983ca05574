"""`repo-migrate route-approval`: which GitHub environment gates the apply of one Terraform plan.

A read-only command, like ``explain``: ``plan(settings)`` reads the JSON plan
(``terraform show -json tfplan``) and the policy (``approvals.yml``, validated against its
schema) and returns the ``Routing``: the route (``migrate.approvals.route``, the function the
provider's workflow runs through this command) and the changed resources it counted. A plan that
cannot be read, or is not Terraform's JSON plan format, is refused (exit 3): never approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from migrate.approvals import PLAN_FIX, POLICY_FILE, ChangedResource, Route, changed_resources, read_plan, route
from migrate.errors import Refused
from migrate.provider_repo import load_policy_file
from migrate.registry import TIERS

COMMAND = "route-approval"


@dataclass(frozen=True)
class Settings:
    """The options of one route-approval run."""

    plan: Path
    environment: str
    tier: str
    policy: Path = Path(POLICY_FILE)


@dataclass(frozen=True)
class Routing:
    """The route of one plan, and the changed resources it was decided on."""

    plan_file: Path
    policy_file: Path
    environment: str
    tier: str
    route: Route
    changed: tuple[ChangedResource, ...]


def plan(settings: Settings) -> Routing:
    """Route the plan in ``settings.plan`` through the policy (changes nothing)."""
    if settings.tier not in TIERS:
        raise Refused(f"tier {settings.tier!r} is not one of {', '.join(TIERS)}",
                      f"pass --tier with one of {', '.join(TIERS)} (the customer's tier in customers/)")
    try:
        data = settings.plan.read_bytes()
    except OSError as exc:
        raise Refused(f"cannot read the plan {settings.plan}: {exc.strerror or exc}",
                      PLAN_FIX) from None
    document = read_plan(data, str(settings.plan))
    policy = load_policy_file(settings.policy)
    routed = route(document, settings.environment, settings.tier, policy)
    return Routing(settings.plan, settings.policy, settings.environment, settings.tier, routed,
                   tuple(changed_resources(document)))
