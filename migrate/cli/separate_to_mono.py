"""CLI of `repo-migrate separate-to-mono` (registered on import)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from migrate.cli import app


@app.command(
    "separate-to-mono",
    help=(
        "Combine an app repository and an infra repository into a new monorepo, keeping both "
        "histories.\n\n"
        "DEST becomes a new git repository: the app's history, a commit moving the app under "
        "app/, and a merge of the infra repository's history (infra/ stays at infra/, so "
        "git log -- infra/variables.yml shows its commits). App CI gets app/** path filters and "
        "app as working directory; the trigger workflow fires on infra/**; Copier answers "
        "become the monorepo's. Neither source repository is changed; state_key never "
        "changes.\n\n"
        "Examples:\n\n"
        "  repo-migrate separate-to-mono --app ../acme-app --infra ../acme-infra "
        "--dest ../acme-platform --dry-run\n\n"
        "  repo-migrate separate-to-mono --app ../acme-app --infra ../acme-infra "
        "--dest ../acme-platform --json"
    ),
)
def separate_to_mono_command(
    app_repo: Path = typer.Option(..., "--app", metavar="APP", help="The app repository."),
    infra_repo: Path = typer.Option(..., "--infra", metavar="INFRA", help="The infra repository."),
    dest: Path = typer.Option(
        ..., "--dest", metavar="DEST",
        help="Where to create the monorepo (must not exist, or be an empty folder)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan or result as JSON."),
) -> None:
    """Options into settings, then plan -> show or apply."""
    from migrate.cli.runner import run_command
    from migrate.commands import separate_to_mono as core

    settings = core.Settings(app=app_repo, infra=infra_repo, dest=dest,
                             progress=sys.stderr.isatty() and not as_json)
    run_command(core.plan, core.run, settings, dry_run=dry_run, as_json=as_json)
