"""CLI of `repo-migrate mono-to-separate` (registered on import)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from migrate.cli import app


@app.command(
    "mono-to-separate",
    help=(
        "Split a monorepo into an app repository and an infra repository, keeping history.\n\n"
        "DEST (--infra-repo) becomes a new git repository holding infra/ and the trigger "
        "workflows with every commit that touched them (authors and dates kept), a README, "
        "Copier answers and .repo-migrate/migration.json for the provider. In REPO, a commit "
        "on the new branch repo-migrate/mono-to-separate holds the app repository (app/ at "
        "the root, infra/MOVED.md pointing to DEST); your branch, index and working tree are "
        "not touched. state_key never changes.\n\n"
        "Examples:\n\n"
        "  repo-migrate mono-to-separate --infra-repo ../acme-infra --dry-run\n\n"
        "  repo-migrate mono-to-separate path/to/monorepo --infra-repo ../acme-infra\n\n"
        "  repo-migrate mono-to-separate --infra-repo ../acme-infra --no-history --json"
    ),
)
def mono_to_separate_command(
    repo: Path = typer.Argument(Path("."), help="The monorepo (default: here)."),
    infra_repo: Path = typer.Option(
        ..., "--infra-repo", metavar="DEST",
        help="Where to create the infra repository (must not exist, or be an empty folder)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan or result as JSON."),
    no_history: bool = typer.Option(
        False, "--no-history", help="Start the infra repository with one commit (no history)."),
    branch: str | None = typer.Option(
        None, "--branch", metavar="NAME",
        help="Name of the result branch in REPO (default: repo-migrate/mono-to-separate)."),
) -> None:
    """Options into settings, then plan -> show or apply."""
    from migrate.cli.runner import run_command
    from migrate.commands import mono_to_separate as core

    settings = core.Settings(repo=repo, infra_repo=infra_repo, branch=branch,
                             history=not no_history, progress=sys.stderr.isatty() and not as_json)
    run_command(core.plan, core.run, settings, dry_run=dry_run, as_json=as_json)
