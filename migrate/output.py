"""Every command's output, for people (text) and for automation (``--json``), in one place.

API
---
- ``render_text(plans, status)``: summary, one line per change, unified diffs of written files,
  history steps, answer changes and notes. Bytes-safe: undecodable bytes are escaped, binary
  files are named, not dumped; a CR before a newline is shown as ``␍`` (with a legend) so CRLF
  is visible; a missing final newline is marked as diff does.
- ``to_json(plans, status)``: a JSON-ready dict ``{command, status, repo, branch, changes,
  history, notes, results}`` where ``results`` holds one dict per plan (a command that touches
  two repositories has two) and the top-level ``repo``/``branch``/``changes``/``notes`` are the
  first plan's. ``status`` is one of ``planned``, ``applied``, ``up-to-date``.
- ``dumps(plans, status)``: ``to_json`` as a stable, indented string.
- ``command_text(planned, status, applied=None)`` / ``command_json(planned, status, applied=None)``:
  a command's typed plan (``migrate.plan.CommandPlan``): the plans as above, with the command's
  own facts (``details()``) in each JSON document and, once applied, ``published`` and the
  closing line.
- ``explain_table(result)`` / ``explain_json(result)``: the report of ``repo-migrate explain``.
- ``route_text(route, changed, ...)`` / ``route_json(route)``: ``repo-migrate route-approval``
  (the JSON is exactly ``{environment, automatic, changes, reasons}``, as the workflow reads it).
- ``dispatch_text(event_name, targets, problems)`` / ``dispatch_json(targets, problems)`` /
  ``dispatch_annotations(problems)``: ``repo-migrate verify-dispatch`` (``{"targets": [...]}``,
  plus ``"problems"`` when refused; one GitHub ``::error`` line per problem).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from migrate import contract
from migrate.events import MAX_FILES
from migrate.explanation import Explanation
from migrate.plan import Applied, CommandPlan, FileDelete, FileMove, FileWrite, Plan

if TYPE_CHECKING:  # the provider's modules load jsonschema: only the commands using them pay
    from migrate.approvals import ChangedResource, Route
    from migrate.dispatch import Target
    from migrate.dispatch_payload import Problem

Status = Literal["planned", "applied", "up-to-date"]
CR_MARK = "\u240d"  # ␍


def _as_list(plans: Plan | Sequence[Plan]) -> list[Plan]:
    return [plans] if isinstance(plans, Plan) else list(plans)


def _is_binary(data: bytes | None) -> bool:
    return data is not None and b"\0" in data[:8192]


def _lines(data: bytes | None) -> list[str]:
    if not data:
        return []
    text = data.decode("utf-8", errors="backslashreplace")
    return [line.replace("\r\n", CR_MARK + "\n") for line in text.splitlines(keepends=True)]


def unified_diff(path: str, old: bytes | None, new: bytes | None) -> str:
    """A unified diff of one file, ``/dev/null`` on the missing side; binary files are named."""
    if _is_binary(old) or _is_binary(new):
        return f"Binary file {path} differs\n"
    a = f"a/{path}" if old is not None else "/dev/null"
    b = f"b/{path}" if new is not None else "/dev/null"
    out: list[str] = []
    for line in difflib.unified_diff(_lines(old), _lines(new), a, b, lineterm="\n"):
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    text = "".join(out)
    if CR_MARK in text:
        text += f"({CR_MARK} marks a CR: this file has CRLF line endings)\n"
    return text


def _change_line(change: object) -> str:
    if isinstance(change, FileMove):
        return f"  move    {change.src} -> {change.dst}"
    if isinstance(change, FileDelete):
        return f"  delete  {change.path}"
    assert isinstance(change, FileWrite)
    origin = f" (as in {change.origin})" if change.origin else ""
    return f"  {change.kind:<7} {change.path}{origin}"


def _where(plan: Plan) -> str:
    if plan.creates_repo:
        return f"new repository {plan.repo}"
    return f"{plan.repo} on new branch {plan.branch}"


def render_text(plans: Plan | Sequence[Plan], status: Status = "planned") -> str:
    """The human plan: summary, changes, diffs, history steps, answers and notes."""
    items = _as_list(plans)
    out: list[str] = []
    if all(p.is_empty for p in items):
        first = items[0]
        return f"repo-migrate {first.command}: already up to date; nothing to do ({first.repo})\n"
    verb = "Plan of" if status == "planned" else "Applied"
    for plan in items:
        n = len(plan.changes)
        out.append(f"{verb} repo-migrate {plan.command}: {_where(plan)}")
        out.append(f"  {n} file change{'s' if n != 1 else ''}, {len(plan.history)} history step"
                   f"{'s' if len(plan.history) != 1 else ''}")
        if plan.history:
            out.append("History:")
            out.extend(f"  - {step.description}" for step in plan.history)
        if plan.changes:
            out.append("Changes:")
            out.extend(_change_line(c) for c in plan.changes)
        if plan.answers:
            out.append("Copier answers:")
            for a in plan.answers:
                out.append(f"  {a.answers_file}: {a.key}: {a.old!r} -> {a.new!r}")
        diffs = [unified_diff(c.path, c.old, c.new) for c in plan.changes
                 if isinstance(c, FileWrite) and not c.origin]
        if diffs:
            out.append("Diffs:")
            out.append("".join(diffs).rstrip("\n"))
        provider = [n.text for n in plan.notes if n.audience == "provider"]
        nexts = [n.text for n in plan.notes if n.audience == "next"]
        if provider:
            out.append("For the provider:")
            out.extend(f"  - {t}" for t in provider)
        if nexts:
            out.append("Next steps:")
            out.extend(f"  - {t}" for t in nexts)
        out.append("")
    if status == "planned":
        out.append("Dry run: nothing was changed.")
    return "\n".join(out).rstrip("\n") + "\n"


def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _change_json(change: object) -> dict[str, object]:
    if isinstance(change, FileMove):
        return {"kind": "move", "src": change.src, "path": change.dst}
    if isinstance(change, FileDelete):
        return {"kind": "delete", "path": change.path, "old_sha256": _sha(change.old)}
    assert isinstance(change, FileWrite)
    return {
        "kind": change.kind,
        "path": change.path,
        "origin": change.origin,
        "old_sha256": _sha(change.old),
        "new_sha256": _sha(change.new),
        "diff": unified_diff(change.path, change.old, change.new),
    }


def _plan_json(plan: Plan) -> dict[str, object]:
    return {
        "repo": str(plan.repo),
        "branch": plan.branch,
        "creates_repo": plan.creates_repo,
        "base": plan.base,
        "changes": [_change_json(c) for c in plan.changes],
        "history": [h.description for h in plan.history],
        "answers": [
            {"file": a.answers_file, "key": a.key, "old": a.old, "new": a.new} for a in plan.answers
        ],
        "notes": [{"audience": n.audience, "text": n.text} for n in plan.notes],
    }


def to_json(plans: Plan | Sequence[Plan], status: Status,
            details: dict[str, Any] | None = None) -> dict[str, object]:
    """A JSON-ready dict of the plan(s) with their *status* (and a command's *details* in each)."""
    items = _as_list(plans)
    results = [_plan_json(p) for p in items]
    for result in results:
        clash = set(details or {}) & set(result)
        assert not clash, f"a command's details may not replace the plan's keys: {clash}"
        result.update(details or {})
    first = results[0]
    return {
        "command": items[0].command,
        "status": status,
        "repo": first["repo"],
        "branch": first["branch"],
        "changes": first["changes"],
        "history": [h for r in results for h in r["history"]],  # type: ignore[attr-defined]
        "notes": [n for r in results for n in r["notes"]],  # type: ignore[attr-defined]
        "results": results,
    }


def dumps(plans: Plan | Sequence[Plan], status: Status) -> str:
    """``to_json`` as indented JSON text with a final newline."""
    return json.dumps(to_json(plans, status), indent=2, default=str) + "\n"


def command_text(planned: CommandPlan, status: Status, applied: Applied | None = None) -> str:
    """A command's plan (and, once applied, its closing line) for people."""
    text = render_text(planned.plans, status)
    if applied is not None and applied.changed and applied.done:
        text += f"\n{applied.done}\n"
    return text


def command_json(planned: CommandPlan, status: Status, applied: Applied | None = None) -> str:
    """A command's plan (and, once applied, where it was published) as indented JSON."""
    data = to_json(planned.plans, status, planned.details())
    if applied is not None and applied.fields:
        data["published"] = dict(applied.fields)
    return json.dumps(data, indent=2, default=str) + "\n"


# ---- explain ---------------------------------------------------------------------------------

def explain_json(result: Explanation) -> str:
    """The --json document: {"workflows": [{"file", "runs", "reason", ...}], ...}."""
    ev = result.event
    doc = {
        "event": ev.name,
        "ref": ev.ref,
        **({"repository_root": str(result.root)} if result.root is not None else {}),
        "commits": result.commits,
        "commit_count": ev.commit_count if result.commits else None,
        "changed": list(ev.changed),
        "counted_files": min(len(ev.changed), MAX_FILES),
        "workflows": [
            {"file": w.file, "runs": w.decision.runs, "reason": w.decision.reason,
             "filter": w.decision.filter, "pattern": w.decision.pattern,
             "error": w.decision.error, "fix": w.decision.fix}
            for w in result.workflows
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def explain_table(result: Explanation) -> str:
    """A readable, aligned table of which workflows run, and why."""
    ev = result.event
    n = len(ev.changed)
    head = f"{ev.name} {ev.ref}"
    if ev.name != "workflow_dispatch":
        head += f", {n} changed file{'s' if n != 1 else ''}"
        if result.commits:
            head += f" ({result.commits}, {ev.commit_count} commit{'s' if ev.commit_count != 1 else ''})"
    lines = [head]
    if result.root is not None:
        lines.append(f"workflows of the repository root {result.root} (GitHub reads only "
                     f"its {contract.WORKFLOWS_DIR})")
    if not result.workflows:
        lines.append(f"no workflow files in {contract.WORKFLOWS_DIR}")
        return "\n".join(lines) + "\n"
    rows = [(w.file, "ERROR" if w.decision.error else ("yes" if w.decision.runs else "no"),
             w.decision.reason) for w in result.workflows]
    width = max(len("WORKFLOW"), *(len(r[0]) for r in rows))
    lines.append(f"{'WORKFLOW':<{width}}  RUNS   REASON")
    for (f, r, why), w in zip(rows, result.workflows):
        lines.append(f"{f:<{width}}  {r:<5}  {why}")
        if w.decision.fix:
            lines.append(f"{'':<{width}}  {'':<5}  fix: {w.decision.fix}")
    running = sum(1 for w in result.workflows if w.decision.runs)
    lines.append(f"{running} of {len(rows)} workflow{'s' if len(rows) != 1 else ''} would run")
    return "\n".join(lines) + "\n"


# ---- route-approval and verify-dispatch ------------------------------------------------------

def route_json(route: Route) -> str:
    """route-approval's --json document: {"environment", "automatic", "changes", "reasons"}."""
    return json.dumps(route.as_json(), indent=2) + "\n"


def route_text(route: Route, changed: Sequence[ChangedResource], plan_file: str, environment: str,
               tier: str, limit: int = 20) -> str:
    """The route of one plan for people: the changed resources, the environment, the reasons."""
    lines = [f"route-approval: {plan_file}, environment {environment}, tier {tier}"]
    if route.environment is None:
        return "\n".join([*lines, "No changed resources: nothing to apply."]) + "\n"
    lines.append(f"{route.changes} changed resource{'s' if route.changes != 1 else ''}:")
    lines += [f"  {', '.join(c.actions) + (' (import)' if c.importing else ''):<16} {c.address}"
              for c in changed[:limit]]
    if len(changed) > limit:
        lines.append(f"  ... and {len(changed) - limit} more")
    gate = "automatic: no reviewer" if route.automatic else "its required reviewers approve"
    lines.append(f"Approval environment: {route.environment} ({gate})")
    lines.append("Reasons (the first decides):")
    lines += [f"  - {reason}" for reason in route.reasons]
    return "\n".join(lines) + "\n"


def dispatch_json(targets: Sequence[Target], problems: Sequence[Problem]) -> str:
    """verify-dispatch's --json document: the targets, or none and every problem."""
    from migrate.dispatch import DispatchRefused, targets_json

    doc = DispatchRefused(problems).as_json() if problems else targets_json(targets)
    return json.dumps(doc, indent=2) + "\n"


def dispatch_annotations(problems: Sequence[Problem]) -> str:
    """One GitHub ``::error`` workflow command per problem (empty when there is none)."""
    from migrate.dispatch import DispatchRefused

    return "".join(f"{line}\n" for line in DispatchRefused(problems).annotations()) if problems else ""


def dispatch_text(event_name: str, targets: Sequence[Target], problems: Sequence[Problem]) -> str:
    """The verdict for people: each target and its state address, or each problem and its fix."""
    if problems:
        n = len(problems)
        lines = [f"verify-dispatch: {event_name} refused ({n} problem{'s' if n != 1 else ''}); "
                 "nothing may be planned"]
        for p in problems:
            lines += [f"  - {p.problem}", f"    fix: {p.fix}"]
        return "\n".join(lines) + "\n"
    n = len(targets)
    lines = [f"verify-dispatch: {event_name} accepted ({n} target{'s' if n != 1 else ''})"]
    for t in targets:
        lines.append(f"  {t.id}: {t.repository}@{t.sha[:12]} {t.variables_file} ({t.ref}) -> "
                     f"{t.state_address} [{t.environment}, tier {t.tier}, trigger {t.trigger}]")
    return "\n".join(lines) + "\n"
