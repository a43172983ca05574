"""The command line: parses options into settings and calls the core. Holds no logic."""

from __future__ import annotations

import signal
import sys
import traceback

import typer

from migrate import __version__, interrupts, leftovers, scratch
from migrate.errors import EXIT_CODE_TABLE, ExitCode, MigrateError

_EXAMPLES = """\
Examples:
  repo-migrate explain --changed infra/variables.yml
  repo-migrate set-trigger --on tag --tags 'infra-v*' --on manual --dry-run
  repo-migrate add-region eu-west
  repo-migrate mono-to-separate --infra-repo ../acme-infra --dry-run
  repo-migrate separate-to-mono --app ../acme-app --infra ../acme-infra --dest ../acme-platform
  repo-migrate register --registry ../infra-manager ../acme-platform --dry-run
  repo-migrate route-approval --plan plan.json --environment production --tier standard
  repo-migrate verify-dispatch --provider-repo . --event event.json --event-name repository_dispatch --json
  repo-migrate adopt --pattern monorepo --customer-id acme --dry-run"""

app = typer.Typer(
    name="repo-migrate",
    help=(
        "Move a customer repository between the provider's repository patterns "
        "(monorepo, separate, multi-service, multi-region), keeping git history and "
        "the Terraform state address (state_key).\n\n"
        "Every command that changes a repository leaves its result as a commit on a new "
        "branch repo-migrate/<command> and never touches your current branch, index or "
        "working tree. --dry-run prints the plan and changes nothing; --json prints it for "
        "automation.\n\n"
        "At the provider: register adds a customer repository to the registry (customers/), "
        "verify-dispatch checks a dispatch against it, route-approval picks the GitHub "
        "environment that gates a Terraform plan."
    ),
    # \b keeps click from re-wrapping the two blocks; plain (not rich) help keeps them aligned.
    epilog=f"\b\n{_EXAMPLES}\n\n\b\n{EXIT_CODE_TABLE}",
    rich_markup_mode=None,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"repo-migrate {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """repo-migrate: move a customer repository between patterns."""


# Each command's options live in a module of its own under migrate/cli/; importing it registers
# the command on `app`. The core (migrate/commands/ and the rest) never imports typer. Each
# command imports its core inside its function, so a run pays only for the command it runs
# (all cores together cost about 0.25 s of imports, a sixth of a 5,000-commit split).
from migrate.cli import (  # noqa: E402 - the commands register on the app defined above
    add_region as add_region,
)
from migrate.cli import adopt as adopt  # noqa: E402
from migrate.cli import explain as explain  # noqa: E402
from migrate.cli import mono_to_separate as mono_to_separate  # noqa: E402
from migrate.cli import register as register  # noqa: E402
from migrate.cli import route_approval as route_approval  # noqa: E402
from migrate.cli import separate_to_mono as separate_to_mono  # noqa: E402
from migrate.cli import set_trigger as set_trigger  # noqa: E402
from migrate.cli import verify_dispatch as verify_dispatch  # noqa: E402


def _interrupted(exc: interrupts.Interrupted) -> int:
    """Say what a signal stopped: nothing changed, or exactly what was already published."""
    done = interrupts.changes()
    if not done:
        typer.echo(f"repo-migrate: {exc.word}: nothing was changed", err=True)
    else:
        typer.echo(f"repo-migrate: {exc.word}, after it had published "
                   f"{' and '.join(c.what for c in done)}; nothing else was changed\n"
                   f"  to undo: {' && '.join(c.undo for c in reversed(done))}", err=True)
    return exc.exit_code


def _outcome(argv: list[str] | None) -> int:
    """Run the command line; the exit code of what happened, each failure said on stderr."""
    try:
        with scratch.run_folder() as system_temp:
            leftovers.sweep_temp(system_temp)
            code = app(args=argv, standalone_mode=False)
        if code == ExitCode.INTERRUPTED:  # typer's answer to a KeyboardInterrupt
            return _interrupted(interrupts.Interrupted(signal.SIGINT))
        return code if isinstance(code, int) else 0
    except interrupts.Interrupted as exc:
        return _interrupted(exc)
    except MigrateError as exc:
        typer.echo(f"repo-migrate: error: {exc}", err=True)
        return int(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):  # an interrupt that came outside our handler
        return _interrupted(interrupts.Interrupted(signal.SIGINT))
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # click's usage errors: bad option, missing argument
        exc.show()  # type: ignore[attr-defined]
        return int(ExitCode.USAGE)
    except Exception:
        traceback.print_exc()
        typer.echo("repo-migrate: unexpected error (a bug); please report it", err=True)
        return int(ExitCode.UNEXPECTED)


def main(argv: list[str] | None = None) -> None:
    """Entry point: the one error boundary that maps failures to exit codes.

    SIGINT and SIGTERM unwind the run like an error (``migrate.interrupts``): every scratch
    folder is removed and every lock released, then the exit code is 130 or 143.
    """
    with interrupts.handled():
        try:
            code = _outcome(argv)
        except interrupts.Interrupted as exc:  # the signal came while another outcome was said
            code = _interrupted(exc)
    sys.exit(code)
