"""CLI of `repo-migrate set-trigger` (registered on import)."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from migrate.cli import app


class _Kind(enum.StrEnum):
    path = "path"
    branch = "branch"
    tag = "tag"
    manual = "manual"


@app.command(
    "set-trigger",
    help=(
        "Set what makes the trigger workflows run: on.push gets exactly the filters of the "
        "kinds asked (path -> paths, branch -> branches, tag -> tags) and on.workflow_dispatch "
        "(with an environment choice input listing the repository's environments) is there "
        "exactly when manual is asked. Every other event, and every byte outside them, stays "
        "as written.\n\n"
        "The result is a commit on the new branch repo-migrate/set-trigger (see --branch); "
        "asking for the triggers a workflow already has changes nothing (exit 0). Globs are "
        "checked against GitHub's filter syntax (exit 3 when GitHub would refuse one).\n\n"
        "Refused (exit 3, nothing changed): a repository with a workflow GitHub would refuse; a "
        "result in which a variables file would reach several trigger workflows, or none; a "
        "--workflow GitHub does not run (only .github/workflows/*.yml|*.yaml, top level); "
        "removing manual runs whose inputs the jobs use (see --drop-inputs). Only trigger-infra "
        "workflows get the provider's environment input with --on manual (see "
        "--environment-input); comments outside the nodes replaced stay."
    ),
)
def set_trigger_command(
    on: list[_Kind] = typer.Option(
        ..., "--on", metavar="KIND", help="path, branch, tag or manual (repeat for several)."
    ),
    repo: Path = typer.Option(Path("."), "--repo", help="The repository (default: here)."),
    workflow: list[str] = typer.Option(
        [], "--workflow", metavar="FILE",
        help="A workflow to change (repeat for several; default: .github/workflows/trigger-infra*.yml).",
    ),
    paths: list[str] = typer.Option([], "--paths", metavar="GLOB", help="Path filter (with --on path)."),
    branches: list[str] = typer.Option(
        [], "--branches", metavar="GLOB", help="Branch filter (with --on branch)."
    ),
    tags: list[str] = typer.Option([], "--tags", metavar="GLOB", help="Tag filter (with --on tag)."),
    branch: str | None = typer.Option(
        None, "--branch", metavar="NAME", help="Result branch (default: repo-migrate/set-trigger)."
    ),
    drop_inputs: bool = typer.Option(
        False, "--drop-inputs",
        help="Remove on.workflow_dispatch even though the jobs use its inputs (listed as notes).",
    ),
    environment_input: bool = typer.Option(
        False, "--environment-input",
        help="With --on manual, give every workflow the provider's environment input (default: "
        "only trigger-infra workflows; others get a bare workflow_dispatch).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan and diff; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan or result as JSON."),
) -> None:
    """Options into settings, then plan -> show or apply."""
    from migrate.cli.runner import run_command
    from migrate.commands import set_trigger as core

    settings = core.Settings(repo=repo, kinds=tuple(k.value for k in on), workflows=tuple(workflow),
                             paths=tuple(paths), branches=tuple(branches), tags=tuple(tags),
                             branch=branch, drop_inputs=drop_inputs,
                             environment_input=environment_input)
    run_command(core.plan, core.run, settings, dry_run=dry_run, as_json=as_json)
