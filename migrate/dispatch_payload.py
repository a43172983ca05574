"""The shape of what a dispatch carries, checked before anything is looked up.

Every value of a ``client_payload`` (or of a provider's ``workflow_dispatch`` inputs) is
untrusted: whoever holds a customer's token can send anything. A value is used only after its
type and shape are right; messages quote it with ``show`` (JSON, ASCII only, shortened), so a
value can never break a line of the output or a workflow command.

API
---
- ``PAYLOAD_FIELDS``: what the suite's trigger workflows send (``templates/_shared/workflows.jinja``:
  customer_id, repository, sha, ref, changed_files, state_key, environment, target, trigger).
- ``TRIGGERS``: the trigger kinds a dispatch names (path, branch, tag, manual).
- ``Problem(problem, fix)``.
- ``show(value)``: an untrusted value, safe to print.
- ``shape_problem(field, value, where, fix)``: a Problem when *value* is not a valid *field*, else None.
- ``is_safe_path(path)``, ``is_full_ref(ref)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

PAYLOAD_FIELDS = ("customer_id", "repository", "sha", "ref", "changed_files", "state_key",
                  "environment", "target", "trigger")
TRIGGERS = ("path", "branch", "tag", "manual")
MAX_CHANGED_FILES = 100
_SLUG = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")
_TARGET = re.compile(r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$")
_ENVIRONMENT = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}$")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_STATE_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")
# git check-ref-format, for the part after refs/heads/ or refs/tags/
_REF_BAD = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|/\.|(?:^|/)\.|\.lock(?:/|$)|[/.]$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dispatch, and how to put it right."""

    problem: str
    fix: str


def show(value: Any, limit: int = 80) -> str:
    """*value* as JSON in ASCII (no line breaks, no control characters), at most *limit* chars."""
    try:
        text = json.dumps(value, ensure_ascii=True, sort_keys=True)
    except (TypeError, ValueError):
        text = json.dumps(repr(value), ensure_ascii=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_safe_path(path: str) -> bool:
    """A relative POSIX path inside the repository: no ``..``, no absolute path, no empty or
    ``.`` segment, no backslash, no control character."""
    parts = path.split("/")
    return (
        0 < len(path) <= 255
        and path.isprintable()
        and "\\" not in path
        and all(part not in ("", ".", "..") for part in parts)
    )


def is_full_ref(ref: str) -> bool:
    """A branch or tag as a full ref (``refs/heads/main``, ``refs/tags/v1``) git would accept."""
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            name = ref[len(prefix):]
            return 0 < len(ref) <= 1024 and name != "@" and not _REF_BAD.search(name)
    return False


_SHAPES: dict[str, tuple[str, Any]] = {
    "customer_id": ("a customer id (lowercase slug of a-z, 0-9 and '-')", _SLUG.match),
    "repository": ("a GitHub repository as owner/name", _REPOSITORY.match),
    "sha": ("a commit id of 40 lowercase hex digits", _SHA.match),
    "ref": ("a full ref such as refs/heads/main or refs/tags/v1", is_full_ref),
    "state_key": ("a state_key (lowercase segments of a-z, 0-9, '.', '_', '-' separated by '/')",
                  lambda v: _STATE_KEY.match(v) and ".." not in v),
    "environment": ("an environment name (lowercase slug)", _ENVIRONMENT.match),
    "target": ("a target name (the region or service, a lowercase slug)", _TARGET.match),
    "trigger": (f"one of {', '.join(TRIGGERS)}", lambda v: v in TRIGGERS),
    "variables_file": ("a variables file path such as infra/variables.yml",
                       lambda v: is_safe_path(v) and v.startswith("infra/")),
}
_FIX = ("send what the suite's trigger workflow sends (regenerate it with copier update if it was "
        "edited)")


def shape_problem(field: str, value: Any, where: str = "client_payload", fix: str = _FIX) -> Problem | None:
    """Why *value* is not a valid *field* of the payload (None when it is)."""
    if field == "changed_files":
        what = (f"a list of 1 to {MAX_CHANGED_FILES} paths under infra/ (no '..', no absolute "
                "path, no control character)")
        ok = isinstance(value, list) and 0 < len(value) <= MAX_CHANGED_FILES and all(
            isinstance(p, str) and is_safe_path(p) and p.startswith("infra/") for p in value)
    else:
        what, check = _SHAPES[field]
        ok = isinstance(value, str) and bool(check(value))
    if ok:
        return None
    return Problem(f"{where}.{field} must be {what}, not {show(value)}", fix)
