"""CLI of `repo-migrate adopt` (registered on import)."""

from __future__ import annotations

from pathlib import Path

import typer

from migrate.cli import app


@app.command(
    "adopt",
    help=(
        "Bring a repository the template suite did not make into a pattern, as a commit on the "
        "new branch repo-migrate/adopt.\n\n"
        "Adds what the suite makes for the pattern and the repository lacks (variables files, "
        "schema, trigger workflows, READMEs, .copier-answers.yml at the suite's current version), "
        "and moves the application into app/ (monorepo) or services/<name>/ (multi-service) with "
        "its history. A file the repository already has is kept as it is and listed in "
        "own_files, so copier update leaves it alone; infra/ code is not touched. Your branch, "
        "index and working tree are not touched.\n\n"
        "Examples:\n\n"
        "  repo-migrate adopt --pattern monorepo --customer-id acme --dry-run\n\n"
        "  repo-migrate adopt path/to/repo --pattern monorepo --customer-id acme --app-dir src\n\n"
        "  repo-migrate adopt --pattern separate --role infra --customer-id acme --json"
    ),
)
def adopt_command(
    repo: Path = typer.Argument(Path("."), help="The repository (default: here)."),
    pattern: str = typer.Option(
        ..., "--pattern", metavar="PATTERN",
        help="monorepo, separate, multi-service or multi-region."),
    customer_id: str = typer.Option(..., "--customer-id", metavar="ID",
                                    help="Your customer id at the provider."),
    role: str | None = typer.Option(None, "--role", metavar="ROLE",
                                    help="For --pattern separate: app or infra."),
    app_dir: str | None = typer.Option(
        None, "--app-dir", metavar="DIR",
        help="Where the application is (default: app/, src/, apps/ or the root's files)."),
    suite: str | None = typer.Option(
        None, "--suite", metavar="SRC[@REF]",
        help="The suite's git URL or folder and version (default: the suite this toolkit ships, "
             "at its newest version tag)."),
    branch: str | None = typer.Option(
        None, "--branch", metavar="NAME", help="Name of the result branch (default: repo-migrate/adopt)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan or result as JSON."),
) -> None:
    """Options into settings, then plan -> show or apply."""
    from migrate.cli.runner import run_command
    from migrate.commands import adopt as core

    settings = core.Settings(repo=repo, pattern=pattern, customer_id=customer_id, role=role,
                             app_dir=app_dir, suite=suite, branch=branch)
    run_command(core.plan, core.run, settings, dry_run=dry_run, as_json=as_json)
