"""CLI of `repo-migrate add-region` (registered on import)."""

from __future__ import annotations

from pathlib import Path

import typer

from migrate.cli import app


@app.command(
    "add-region",
    help=(
        "Add a region: copy a variables file (infra/variables.yml, or in a multi-region "
        "repository the --from region's file, default the first region) to "
        "infra/REGION-variables.yml keeping every comment and value, rewriting only the cloud "
        "region, availability zones, a network range that overlaps no existing region's, and "
        "the region part of state_key. Adds .github/workflows/trigger-infra-REGION.yml, "
        "filtered to that file, stops the existing triggers from firing for it, and records "
        "the region in .copier-answers.yml.\n\n"
        "The result is a commit on the new branch repo-migrate/add-region-REGION (see "
        "--branch). An existing region or an invalid name is refused (exit 3), changing nothing."
    ),
)
def add_region_command(
    region: str = typer.Argument(..., metavar="REGION", help="Short name, e.g. eu-west."),
    repo: Path = typer.Option(Path("."), "--repo", help="The repository (default: here)."),
    cloud_region: str | None = typer.Option(
        None, "--cloud-region", metavar="CODE",
        help="Cloud region code (default: from the suite's region catalog), e.g. eu-north-1.",
    ),
    from_region: str | None = typer.Option(
        None, "--from", metavar="REGION",
        help="Region whose files are copied (multi-region; default: the first region).",
    ),
    branch: str | None = typer.Option(
        None, "--branch", metavar="NAME", help="Result branch (default: repo-migrate/add-region-REGION)."
    ),
    state_key: str | None = typer.Option(
        None, "--state-key", metavar="KEY",
        help="The new region's state address (default: the source's with the new cloud region, "
        "<customer>/<cloud-region> for a key without one). It is written once and never changes: "
        "choose one no other repository of the customer uses.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and diff; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan or result as JSON."),
) -> None:
    """Options into settings, then plan -> show or apply."""
    from migrate.cli.runner import run_command
    from migrate.commands import add_region as core

    settings = core.Settings(repo=repo, region=region, cloud_region=cloud_region,
                             from_region=from_region, branch=branch, state_key=state_key)
    run_command(core.plan, core.run, settings, dry_run=dry_run, as_json=as_json)
