"""`repo-migrate verify-dispatch`: the provider workflow's verify step.

A read-only command, like ``explain``: ``plan(settings)`` reads the event file GitHub wrote
(``$GITHUB_EVENT_PATH``) and the provider repository as checked out (registry, policy, answers:
``migrate.provider_repo``), and returns the ``Verdict``: the targets to plan
(``migrate.dispatch.verify_dispatch``), or every problem with its fix. Anything that stops the
check (an unreadable event file, a registry or policy that does not validate) is a problem of
the verdict too, so the workflow shows each one as an annotation; ``Verdict.check()`` raises the
refusal (exit 3) after the output is printed. The event type expected is ``--event-type``, else
the provider repository's ``dispatch_event_type`` answer, else the suite's default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from migrate import provider_repo
from migrate.dispatch import EVENT_NAMES, DispatchRefused, Target, verify_dispatch
from migrate.dispatch_payload import Problem
from migrate.errors import Refused

COMMAND = "verify-dispatch"


@dataclass(frozen=True)
class Settings:
    """The options of one verify-dispatch run."""

    provider_repo: Path
    event: Path
    event_name: str
    event_type: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The targets of an accepted dispatch, or the problems of a refused one (no targets)."""

    targets: tuple[Target, ...]
    problems: tuple[Problem, ...] = ()

    def refusal(self) -> DispatchRefused | None:
        """The refusal carrying every problem, or None when the dispatch is accepted."""
        return DispatchRefused(self.problems) if self.problems else None

    def check(self) -> None:
        """Raise the refusal (exit 3) when the dispatch is refused."""
        refused = self.refusal()
        if refused is not None:
            raise refused


def _read_event(path: Path) -> object:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Refused(f"cannot read the event file {path}: {exc.strerror or exc}",
                      "pass --event \"$GITHUB_EVENT_PATH\" (the file GitHub writes for the run)") from None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise Refused(f"the event file {path} is not JSON: {exc}",
                      "pass --event \"$GITHUB_EVENT_PATH\" (the file GitHub writes for the run)") from None


def plan(settings: Settings) -> Verdict:
    """Check the event against the provider repository's registry and policy (changes nothing)."""
    try:
        if settings.event_name not in EVENT_NAMES:
            raise Refused(f"event {settings.event_name!r} is not handled",
                          f"pass --event-name with {' or '.join(EVENT_NAMES)} ($GITHUB_EVENT_NAME)")
        event = _read_event(settings.event)
        provider = provider_repo.read_directory(settings.provider_repo)
        targets = verify_dispatch(event, settings.event_name, provider.registry(), provider.policy(),
                                  event_type=settings.event_type or provider.event_type)
    except DispatchRefused as exc:
        return Verdict((), exc.problems)
    except Refused as exc:
        return Verdict((), (Problem(exc.problem, exc.fix or "see the problem"),))
    return Verdict(tuple(targets))
