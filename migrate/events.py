"""Does a workflow run for an event? GitHub's trigger rules, with the filter and pattern that decided.

Rules (GitHub docs, "Workflow syntax": on.push.<branches|tags>, on.<push|pull_request>.paths):
- ``on`` is a string, a list of event names, or a mapping whose values may be null.
- ``branches``/``tags``/``paths`` (or their ``-ignore`` twins) combine with AND. With only tag
  filters a branch push does not run, and with only branch filters a tag push does not run.
- Path filters are not evaluated for tag pushes. With more than 1,000 commits pushed the
  workflow always runs; otherwise only the first 300 changed files count, and an empty diff
  does not run a path-filtered workflow.
- ``paths`` runs when any counted file is included; ``paths-ignore`` skips only when all are
  ignored. Within a list the last matching pattern decides (``!`` negates).
- An invalid pattern, a filter next to its ``-ignore`` twin, or an event name GitHub does not
  know (``GITHUB_EVENTS``) makes GitHub refuse the whole workflow: it never runs.

API
---
- ``Event(name, ref, changed, commit_count)``; ``Decision(runs, reason, filter, pattern, error,
  fix)``.
- ``GITHUB_EVENTS``: the event names a workflow may list.
- ``check_workflow(on)``: the events mapping of a valid ``on``; ``Refused`` as GitHub refuses.
- ``decide(on, event)``: whether a workflow with this ``on`` runs for *event*, and why;
  ``checked(on)`` + ``decide_checked(checked, event)``: the same with the check done once.
- ``check_event(event)``: refuse an event GitHub could not send (a push ref that is not full).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migrate.errors import InvalidPattern, Refused
from migrate.filters import Pattern, compile_patterns, compiled, deciding_pattern

MAX_COMMITS = 1000  # more pushed commits than this: GitHub skips the diff and always runs
MAX_FILES = 300  # GitHub's diff for path filters is cut at this many files

PATH_EVENTS = ("push", "pull_request", "pull_request_target")
# GitHub's documented events ("Events that trigger workflows", github/docs
# content/actions/reference/workflows-and-actions/events-that-trigger-workflows.md, 2025):
# a workflow listing any other name is refused. (`pull_request_comment` is documented only as
# "use issue_comment".)
GITHUB_EVENTS = frozenset({
    "branch_protection_rule", "check_run", "check_suite", "create", "delete", "deployment",
    "deployment_status", "discussion", "discussion_comment", "fork", "gollum", "image_version",
    "issue_comment", "issues", "label", "merge_group", "milestone", "page_build", "project",
    "project_card", "project_column", "public", "pull_request", "pull_request_review",
    "pull_request_review_comment", "pull_request_target", "push", "registry_package", "release",
    "repository_dispatch", "schedule", "status", "watch", "workflow_call", "workflow_dispatch",
    "workflow_run",
})
_FILTER_KEYS = ("branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore")


@dataclass(frozen=True)
class Event:
    """What happened: the event name, the full ref, the changed files and the commits pushed."""

    name: str = "push"
    ref: str = "refs/heads/main"  # for pull_request: the base branch
    changed: tuple[str, ...] = ()  # in the order GitHub lists them (git diff --name-only)
    commit_count: int = 1


@dataclass(frozen=True)
class Decision:
    """Whether a workflow runs, why in words, and which filter and pattern decided."""

    runs: bool
    reason: str
    filter: str | None = None  # e.g. "on.push.paths"
    pattern: str | None = None  # the pattern text that decided, when one did
    error: str | None = None  # why GitHub refuses the workflow (it never runs)
    fix: str | None = None  # how to fix that error


def _events(on: Any) -> dict[str, Any]:
    """Normalise the three forms of ``on`` to {event name: its configuration or None}."""
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        if not all(isinstance(e, str) for e in on):
            raise Refused("'on' lists something that is not an event name", "list event names only")
        return dict.fromkeys(on)
    if isinstance(on, Mapping):
        if not all(isinstance(k, str) for k in on):
            raise Refused("'on' has a key that is not an event name", "quote the event names")
        return dict(on)
    raise Refused(
        "the workflow has no 'on' key" if on is None else f"'on' is a {type(on).__name__}",
        "give 'on' an event name, a list of event names, or a mapping of events",
    )


def _patterns(config: Mapping[str, Any], event: str, key: str) -> tuple[Pattern, ...] | None:
    """The compiled patterns of ``on.<event>.<key>``, or None if that filter is absent."""
    if key not in config:
        return None
    value = config[key]
    where = f"on.{event}.{key}"
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise Refused(
            f"{where} must be a pattern or a non-empty list of patterns",
            f"write {where} as a list of quoted patterns",
        )
    try:
        if all(isinstance(v, str) for v in value):
            return compiled(tuple(value))
        return compile_patterns(value)
    except InvalidPattern as exc:
        raise InvalidPattern(f"{where}: {exc.problem}", exc.fix) from None


def _unknown_event(name: str) -> Refused:
    close = difflib.get_close_matches(name, sorted(GITHUB_EVENTS), n=1)
    return Refused(
        f"'on' lists {name!r}, which is not an event GitHub knows; GitHub refuses the workflow",
        (f"did you mean {close[0]!r}? " if close else "")
        + "use the event names of GitHub's \"Events that trigger workflows\" (push, "
        "pull_request, workflow_dispatch, schedule, ...)",
    )


def check_workflow(on: Any) -> dict[str, Any]:
    """Validate ``on`` as GitHub does before it runs anything; return the events mapping."""
    events = _events(on)
    for name in events:
        if name not in GITHUB_EVENTS:
            raise _unknown_event(name)
    for name, config in events.items():
        if config is None or not isinstance(config, Mapping):
            if name in PATH_EVENTS and config is not None:
                raise Refused(
                    f"on.{name} must be empty or a mapping, not a {type(config).__name__}",
                    f"write on.{name} as a mapping (branches:, paths:, ...) or leave it empty",
                )
            continue
        for key in _FILTER_KEYS:
            _patterns(config, name, key)
        for key in ("branches", "tags", "paths"):
            if key in config and f"{key}-ignore" in config:
                raise Refused(
                    f"on.{name} has both {key} and {key}-ignore, which GitHub refuses",
                    f"keep one: use {key} with '!' patterns to both include and exclude",
                )
    return events


def _no_positive(patterns: Sequence[Pattern]) -> str:
    """A hint when a filter holds only '!' patterns: it can never include anything."""
    if any(not p.negated for p in patterns):
        return ""
    return (
        "; it has only '!' patterns, so it never includes anything (GitHub requires a "
        "positive pattern; use the -ignore filter to only exclude)"
    )


def _list_match(
    patterns: Sequence[Pattern], where: str, kind: str, name: str, ignore: bool
) -> tuple[bool, str, str | None]:
    """Apply one ref filter; return (passes, reason, deciding pattern text)."""
    decider = deciding_pattern(patterns, name)
    what = f"{kind} '{name}'"
    if not ignore:
        if decider is None:
            return False, f"{what} matched no pattern in {where}{_no_positive(patterns)}", None
        if decider.negated:
            return (
                False,
                f"{what} excluded by {where} '{decider.text}'{_no_positive(patterns)}",
                decider.text,
            )
        return True, f"{what} matched {where} '{decider.text}'", decider.text
    if decider is None:
        return True, f"{what} matched no pattern in {where}", None
    if decider.negated:
        return True, f"{what} re-included by {where} '{decider.text}'", decider.text
    return False, f"{what} ignored by {where} '{decider.text}'", decider.text


def _ref_filter(
    config: Mapping[str, Any], event: Event
) -> tuple[bool, str | None, str | None, str | None]:
    """The branch/tag filters; return (passes, reason or None if none applies, filter, pattern)."""
    ev = event.name
    is_tag = event.ref.startswith("refs/tags/")
    name = event.ref.split("/", 2)[2]
    kind = "tag" if is_tag else ("base branch" if ev != "push" else "branch")
    mine = ("tags", "tags-ignore") if is_tag else ("branches", "branches-ignore")
    other: tuple[str, ...] = ("branches", "branches-ignore") if is_tag else ("tags", "tags-ignore")
    if ev != "push":
        other = ()  # pull_request filters base branches only; it has no tag filters
    for key in mine:
        patterns = _patterns(config, ev, key)
        if patterns is not None:
            where = f"on.{ev}.{key}"
            ok, why, pat = _list_match(patterns, where, kind, name, key.endswith("ignore"))
            return ok, why, where, pat
    present = [k for k in other if k in config]
    if present:
        where = f"on.{ev}.{present[0]}"
        return (
            False,
            f"on.{ev} has only {'branch' if is_tag else 'tag'} filters ({present[0]}); "
            f"a {'tag' if is_tag else 'branch'} push does not run it",
            where,
            None,
        )
    return True, None, None, None


def _path_filter(
    config: Mapping[str, Any], event: Event
) -> tuple[bool, str | None, str | None, str | None]:
    """The path filters; return (passes, reason or None if none applies, filter, pattern)."""
    ev = event.name
    key = "paths" if "paths" in config else "paths-ignore" if "paths-ignore" in config else None
    if key is None:
        return True, None, None, None
    where = f"on.{ev}.{key}"
    if ev == "push" and event.ref.startswith("refs/tags/"):
        return True, f"path filters are not evaluated for tag pushes ({where} skipped)", None, None
    if ev == "push" and event.commit_count > MAX_COMMITS:
        return (
            True,
            f"more than {MAX_COMMITS:,} commits pushed ({event.commit_count:,}): "
            f"GitHub always runs, {where} is not evaluated",
            where,
            None,
        )
    patterns = _patterns(config, ev, key)
    assert patterns is not None
    files = event.changed[:MAX_FILES]
    cap = (
        f"; only the first {MAX_FILES} of {len(event.changed)} changed files count"
        if len(event.changed) > MAX_FILES
        else ""
    )
    if not files:
        return False, f"no changed files: GitHub does not run a workflow with {where}", where, None
    deciders = [(f, deciding_pattern(patterns, f)) for f in files]
    if key == "paths":
        for f, d in deciders:
            if d is not None and not d.negated:
                return True, f"'{f}' matched {where} '{d.text}'{cap}", where, d.text
        f, d = deciders[0]
        first = f"'{f}' matched no pattern" if d is None else f"'{f}' excluded by '{d.text}'"
        count = f"{len(files)} changed file{'s' if len(files) != 1 else ''}"
        why = f"no changed file matched {where} ({count}; first: {first}){cap}"
        return False, why + _no_positive(patterns), where, d.text if d else None
    for f, d in deciders:
        if d is None or d.negated:
            how = "matched no pattern in" if d is None else f"re-included by '{d.text}' in"
            return True, f"'{f}' {how} {where}{cap}", where, d.text if d else None
    f, d = deciders[0]
    assert d is not None
    count = f"{len(files)} changed file{'s' if len(files) != 1 else ''}"
    return False, f"all {count} ignored by {where} (first: '{f}' by '{d.text}'){cap}", where, d.text


def checked(on: Any) -> dict[str, Any] | Decision:
    """``check_workflow(on)``, or the error Decision of a workflow GitHub refuses."""
    try:
        return check_workflow(on)
    except Refused as exc:
        return Decision(False, f"invalid workflow: {exc.problem}", error=exc.problem, fix=exc.fix)


def decide(on: Any, event: Event) -> Decision:
    """Decide whether a workflow whose parsed ``on`` value is *on* runs for *event*, and why."""
    return decide_checked(checked(on), event)


def decide_checked(events: Mapping[str, Any] | Decision, event: Event) -> Decision:
    """``decide`` for an ``on`` already checked (``checked(on)``): the events mapping or the error."""
    check_event(event)
    if isinstance(events, Decision):
        return events
    if event.name not in events:
        listed = ", ".join(events) or "none"
        return Decision(False, f"{event.name} is not among its events ({listed})")
    config = events[event.name]
    if event.name not in PATH_EVENTS or not isinstance(config, Mapping) or not (
        set(config) & set(_FILTER_KEYS)
    ):
        return Decision(True, f"on.{event.name} has no branch, tag or path filters")
    parts: list[str] = []
    decided: tuple[str | None, str | None] = (None, None)
    for check in (_ref_filter, _path_filter):
        ok, why, where, pat = check(config, event)
        if why is not None:
            parts.append(why)
            if where is not None:
                decided = (where, pat)
        if not ok:
            return Decision(False, why or "", filter=where, pattern=pat)
    return Decision(True, "; ".join(parts), filter=decided[0], pattern=decided[1])


def check_event(event: Event) -> None:
    """Refuse an event GitHub could not send: a push or pull_request ref must be a full ref."""
    if event.name not in PATH_EVENTS:
        return
    prefixes = ("refs/heads/", "refs/tags/") if event.name == "push" else ("refs/heads/",)
    if any(event.ref.startswith(p) and len(event.ref) > len(p) for p in prefixes):
        return
    want = "refs/heads/<branch> or refs/tags/<tag>" if event.name == "push" else "refs/heads/<base>"
    raise Refused(
        f"ref {event.ref!r} is not a full {event.name} ref",
        f"pass a full ref: {want} (e.g. refs/heads/main)",
    )
