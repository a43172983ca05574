"""The error tree and the one table of exit codes.

Core modules raise these; only ``migrate.cli`` turns them into an exit code, so a user mistake
never shows a traceback and every refusal names the problem and the fix.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit codes of every repo-migrate command (documented in --help and the README)."""

    OK = 0  # done, or nothing to do ("already up to date")
    UNEXPECTED = 1  # a bug or an environment failure; a traceback is shown
    USAGE = 2  # the command line itself is wrong (unknown option, missing argument)
    REFUSED = 3  # the starting state or the input is unsafe or invalid; nothing was changed
    VERIFY_FAILED = 4  # the result failed a post-condition in the scratch copy; nothing published
    INTERRUPTED = 130  # Ctrl-C (SIGINT); scratch folders removed; stderr says what was changed
    TERMINATED = 143  # SIGTERM; the same as 130


EXIT_CODE_TABLE = """\
Exit codes:
  0    done, or nothing to do (already up to date)
  1    unexpected error (a bug: please report it with the traceback)
  2    usage error (unknown option, missing argument)
  3    refused: unsafe starting state or invalid input, or another run is working on
       the same repository; nothing was changed
  4    the result failed a post-condition check; nothing was published
  130  interrupted (Ctrl-C); stderr says what was changed: nothing, unless the
       signal came as the result was published (then it says how to undo it)
  143  terminated (SIGTERM); as 130"""


class MigrateError(Exception):
    """Base of all errors that are the user's to fix; carries the fix in its message."""

    exit_code: ExitCode = ExitCode.REFUSED

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(problem if fix is None else f"{problem}\n  fix: {fix}")


class Refused(MigrateError):
    """The starting state or the input is unsafe; nothing was changed."""


class UnsafeYamlEdit(Refused):
    """A YAML file cannot be edited without risking bytes we do not mean to change."""


class InvalidPattern(Refused):
    """A GitHub filter pattern (glob) that GitHub itself would reject."""


class VerificationFailed(MigrateError):
    """A post-condition failed in the scratch copy; nothing was published."""

    exit_code = ExitCode.VERIFY_FAILED
