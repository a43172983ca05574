"""The one flow every changing command's CLI follows: plan, then show it or apply it.

A command module (``migrate.commands.<name>``) offers ``plan(settings)`` and ``run(settings)``
(``apply(plan(settings))``); this turns them into output. It holds no command's logic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from migrate import output
from migrate.plan import Applied, CommandPlan


def run_command(plan: Callable[[Any], CommandPlan], run: Callable[[Any], Applied], settings: Any,
                *, dry_run: bool, as_json: bool) -> None:
    """``--dry-run``: print the plan. Otherwise apply it and print what was done."""
    if dry_run:
        planned = plan(settings)
        status: output.Status = "up-to-date" if all(p.is_empty for p in planned.plans) else "planned"
        applied = None
    else:
        applied = run(settings)
        planned = applied.planned
        status = "applied" if applied.changed else "up-to-date"
    if as_json:
        typer.echo(output.command_json(planned, status, applied), nl=False)
    else:
        shown: output.Status = "planned" if status == "planned" else "applied"
        typer.echo(output.command_text(planned, shown, applied), nl=False)
