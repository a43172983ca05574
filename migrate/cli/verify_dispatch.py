"""CLI of `repo-migrate verify-dispatch` (registered on import)."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

from migrate.cli import app


class _EventName(enum.StrEnum):
    repository_dispatch = "repository_dispatch"
    workflow_dispatch = "workflow_dispatch"


@app.command(
    "verify-dispatch",
    help=(
        "Check a dispatch received by the provider's workflow against the registry "
        "(customers/) and the policy (approvals.yml) of the provider repository, and print the "
        "targets to plan: one per (variables file, environment), each with its state address.\n\n"
        "The payload is untrusted: the customer, repository, changed variables files, "
        "state_key, environment, ref and sha it claims are all checked. A refused dispatch "
        "exits 3 with every problem and its fix (JSON: \"targets\": [] and \"problems\"; with "
        "--annotate also one GitHub ::error line per problem). Reads only; changes nothing.\n\n"
        "Example (the provider workflow's verify step):\n\n"
        "  repo-migrate verify-dispatch --provider-repo . --event \"$GITHUB_EVENT_PATH\" "
        "--event-name \"$GITHUB_EVENT_NAME\" --json --annotate"
    ),
)
def verify_dispatch_command(
    provider_repo: Path = typer.Option(
        Path("."), "--provider-repo", metavar="DIR",
        help="The provider repository as checked out (default: here)."),
    event: Path = typer.Option(..., "--event", metavar="FILE",
                               help="The event payload GitHub wrote ($GITHUB_EVENT_PATH)."),
    event_name: _EventName = typer.Option(..., "--event-name", metavar="NAME",
                                          help="repository_dispatch or workflow_dispatch "
                                          "($GITHUB_EVENT_NAME)."),
    event_type: str | None = typer.Option(
        None, "--event-type", metavar="T",
        help="The repository_dispatch event type expected (default: the provider repository's "
        "dispatch_event_type answer, else customer-infra-changed)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: {\"targets\": [...]} (and "
                                 "\"problems\" when refused)."),
    annotate: bool = typer.Option(False, "--annotate", help="Also print one GitHub ::error "
                                  "annotation per problem (before the report)."),
) -> None:
    """Options into settings, then the core; print the verdict, then exit 3 if it is a refusal."""
    from migrate import output
    from migrate.commands import verify_dispatch as core

    verdict = core.plan(core.Settings(provider_repo=provider_repo, event=event,
                                      event_name=event_name.value, event_type=event_type))
    if annotate:
        typer.echo(output.dispatch_annotations(verdict.problems), nl=False)
    typer.echo(output.dispatch_json(verdict.targets, verdict.problems) if as_json else
               output.dispatch_text(event_name.value, verdict.targets, verdict.problems), nl=False)
    verdict.check()
