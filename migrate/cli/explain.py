"""CLI of `repo-migrate explain` (registered on import)."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from migrate.cli import app


class _EventName(enum.StrEnum):
    push = "push"
    pull_request = "pull_request"
    workflow_dispatch = "workflow_dispatch"


@app.command(
    "explain",
    help=(
        "Show which workflows in .github/workflows would run for a change, and why.\n\n"
        "Exit code 3 (after the full report) when a workflow is invalid: GitHub refuses such "
        'a workflow, so it never runs; the report marks it ERROR (JSON: "runs": false with '
        '"error" and "fix").'
    ),
)
def explain_command(
    repo: Path = typer.Option(Path("."), "--repo", help="The repository (default: here)."),
    event: _EventName = typer.Option(_EventName.push, "--event", help="The event to evaluate."),
    ref: str | None = typer.Option(
        None,
        "--ref",
        help="Full ref: refs/heads/<branch> or refs/tags/<tag>; for pull_request the base "
        "branch. Default: the branch B of --commits A..B (pull_request: A), else the current "
        "branch (pull_request: refs/heads/main).",
    ),
    changed: list[str] = typer.Option(
        [], "--changed", metavar="PATH", help="A changed file (repeat for several)."
    ),
    commits: str | None = typer.Option(
        None,
        "--commits",
        metavar="A..B",
        help="Take the changed files from git, as GitHub does: two-dot diff for a push, "
        "three-dot (from the merge base) for a pull_request.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Explain which workflows run for a change (options into settings, then the core)."""
    from migrate import output
    from migrate.commands import explain as core

    result = core.plan(core.Settings(repo=repo, event=event.value, ref=ref,
                                     changed=tuple(changed), commits=commits))
    typer.echo(output.explain_json(result) if as_json else output.explain_table(result), nl=False)
    result.check_valid()
