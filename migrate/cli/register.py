"""CLI of `repo-migrate register` (registered on import)."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from migrate.cli import app


class _Tier(enum.StrEnum):
    standard = "standard"
    enterprise = "enterprise"


class _Onboarding(enum.StrEnum):
    self_service = "self-service"
    managed = "managed"
    enterprise = "enterprise"


@app.command(
    "register",
    help=(
        "Register a customer repository in the provider's registry: write or update "
        "customers/<customer_id>.yml of the provider repository from the customer repository's "
        "answers and variables files (each with its state_key), editing the YAML in place "
        "(comments kept).\n\n"
        "The GitHub name comes from --github-repo, else from the origin remote. A state_key "
        "another repository owns is refused (exit 3) unless the repository's migration record "
        "(.repo-migrate/migration.json, left by mono-to-separate) proves the move; keys never "
        "change. The tier is never read from the customer repository: a new customer is "
        "standard unless --tier says otherwise.\n\n"
        "The result is a commit on the new branch repo-migrate/register-<customer_id> of the "
        "provider repository (see --branch), checked first: the whole registry loads and "
        "validates.\n\n"
        "Examples:\n\n"
        "  repo-migrate register --registry ../infra-manager ../acme-platform --dry-run\n\n"
        "  repo-migrate register --registry ../infra-manager ../acme-infra "
        "--github-repo acme-org/acme-infra --tier enterprise --onboarding managed"
    ),
)
def register_command(
    repo: Path = typer.Argument(..., metavar="CUSTOMER_REPO", help="A clone of the customer repository."),
    registry: Path = typer.Option(
        ..., "--registry", metavar="PROVIDER_REPO", help="A clone of the provider's manager repository."),
    github_repo: str | None = typer.Option(
        None, "--github-repo", metavar="OWNER/NAME",
        help="The customer repository's name on GitHub (default: from its origin remote)."),
    tier: _Tier | None = typer.Option(
        None, "--tier", help="The customer's tier (default: a new customer is standard; an "
        "existing one keeps its tier)."),
    onboarding: _Onboarding | None = typer.Option(
        None, "--onboarding", help="How the customer was onboarded (default: self-service for a "
        "new customer; an existing one keeps its own)."),
    default_branch: str | None = typer.Option(
        None, "--default-branch", metavar="NAME",
        help="The repository's default branch (default: origin/HEAD, else the registry's, else "
        "the checked-out branch)."),
    branch: str | None = typer.Option(
        None, "--branch", metavar="NAME",
        help="Result branch in the provider repository (default: repo-migrate/register-<customer_id>)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and diff; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan or result as JSON."),
) -> None:
    """Options into settings, then plan -> show or apply."""
    from migrate.cli.runner import run_command
    from migrate.commands import register as core

    settings = core.Settings(registry=registry, repo=repo, github_repo=github_repo,
                             tier=tier.value if tier else None,
                             onboarding=onboarding.value if onboarding else None,
                             default_branch=default_branch, branch=branch)
    run_command(core.plan, core.run, settings, dry_run=dry_run, as_json=as_json)
