"""CLI of `repo-migrate route-approval` (registered on import)."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from migrate.cli import app


class _Tier(enum.StrEnum):
    standard = "standard"
    enterprise = "enterprise"


@app.command(
    "route-approval",
    help=(
        "Route a Terraform plan to the GitHub environment that gates its apply, by the policy "
        "in approvals.yml: resource type, change size, environment, tier, in that order; the "
        "first rule that applies wins and every rule that applied is a reason. A plan that "
        "changes no managed resource needs no apply (environment null).\n\n"
        "PLAN.json is the output of terraform show -json tfplan. A plan that cannot be read, "
        "or is not Terraform's JSON plan format, is never approved: exit 3 with the reason. "
        "Reads only; changes nothing.\n\n"
        "Examples:\n\n"
        "  repo-migrate route-approval --plan plan.json --environment production --tier standard\n\n"
        "  repo-migrate route-approval --plan plan.json --environment staging --tier enterprise "
        "--policy ../approvals.yml --json"
    ),
)
def route_approval_command(
    plan: Path = typer.Option(..., "--plan", metavar="PLAN.json",
                              help="The JSON plan: terraform show -json tfplan > plan.json."),
    environment: str = typer.Option(..., "--environment", metavar="ENV",
                                    help="The environment the plan deploys (one of approvals.yml's)."),
    tier: _Tier = typer.Option(..., "--tier", help="The customer's tier (from the registry)."),
    policy: Path = typer.Option(Path("approvals.yml"), "--policy", metavar="approvals.yml",
                                help="The provider's policy (default: approvals.yml here)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: environment, automatic, "
                                 "changes, reasons."),
) -> None:
    """Options into settings, then the core; print the route."""
    from migrate import output
    from migrate.commands import route_approval as core

    got = core.plan(core.Settings(plan=plan, environment=environment, tier=tier.value, policy=policy))
    typer.echo(output.route_json(got.route) if as_json else output.route_text(
        got.route, got.changed, str(got.plan_file), got.environment, got.tier), nl=False)
