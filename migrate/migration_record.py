"""The migration record a move leaves in the repository it creates (and the pointer it leaves
behind), read as proof for the provider.

``mono-to-separate`` writes ``.repo-migrate/migration.json`` (``contract.RECORD_FILE``) in the new
infra repository: which repository the variables files came from, at which commit, and their
state_keys (unchanged); and, for ``separate-to-mono``, what the split moved and rewrote (the
application's folder, the workflows that went with infra/, the rewritten files and the rule
files it wrote). ``repo-migrate register`` moves the ownership of those keys in the
provider's registry only when this record proves it (``migrate.registry_edit``).

API
---
- ``pointer_text(infra_name, source_commit, state_keys)``: the short ``infra/MOVED.md`` left in
  the app repository.
- ``record_json(record)``: the bytes of the record file (stable, sorted JSON; its fields are
  documented in docs/contract.md).
- ``record_line(record)`` / ``record_in_history(repo, rev)``: the record as a commit-message trailer
  (``contract.RECORD_TRAILER``, written by separate-to-mono, whose monorepo must hold exactly the
  files it had before), and the newest one along the first parents.
- ``record_fields(data)``: a record's fields as they are (empty when there is none or it is not a
  JSON object), for a command that only reads hints from it.
- ``MigrationRecord(command, customer_id, old_name, old_commit, new_name, state_keys)``.
- ``read_record(data, name=RECORD_FILE) -> MigrationRecord``: Refused when it is not a record of
  format ``contract.RECORD_FORMAT`` or lacks what a proof needs.
- ``names_match(recorded, registered)``: a recorded name (``name`` or ``owner/name``) names the
  registered owner/name.
- ``proof_problem(record, customer_id, old_owner, path, state_key)``: why *record* does not prove
  that *state_key* (at *path*) moved from repository *old_owner*, or None when it does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate import contract, gitops
from migrate.errors import Refused


def pointer_text(infra_name: str, source_commit: str, state_keys: Mapping[str, str | None]) -> bytes:
    """The ``infra/MOVED.md`` pointer left in the app repository."""
    keys = "".join(f"- `{p}`: state_key `{k}` (unchanged)\n" for p, k in state_keys.items())
    return (
        "# infra/ has moved\n\n"
        f"The infrastructure files that were here moved, with their git history, to the\n"
        f"repository `{infra_name}` (repo-migrate mono-to-separate, from commit\n"
        f"{source_commit[:12]}). Change them there; pushes to this repository no longer reach\n"
        "the provider.\n\n" + keys
    ).encode()


def record_json(record: Mapping[str, Any]) -> bytes:
    """The record file's bytes: stable, sorted JSON."""
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()


def record_line(record: Mapping[str, Any]) -> str:
    """The record on one line, for the ``Repo-Migrate-Record`` commit-message trailer."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def record_in_history(repo: Path, rev: str = "HEAD") -> bytes | None:
    """The newest record a commit message along *rev*'s first parents carries as a trailer."""
    out = gitops.git(repo, "log", "--first-parent", "--max-count=200",
                     f"--format=%(trailers:key={contract.RECORD_TRAILER},valueonly)%x00", rev)
    for value in out.split("\0"):
        if value.strip():
            return value.strip().splitlines()[0].encode()
    return None


def record_fields(data: bytes | None) -> dict[str, Any]:
    """The fields of a record file (empty when there is none or it is not a JSON object)."""
    if data is None:
        return {}
    try:
        doc = json.loads(data)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


@dataclass(frozen=True)
class MigrationRecord:
    """What a proof of a move needs from ``.repo-migrate/migration.json``."""

    command: str
    customer_id: str | None
    old_name: str  # the old repository's name as the migration knew it (often without owner)
    old_commit: str
    new_name: str | None
    state_keys: Mapping[str, str] = field(default_factory=dict)


def read_record(data: bytes, name: str = contract.RECORD_FILE) -> MigrationRecord:
    """The migration record in *data* (file *name*)."""
    fix = (f"restore {name} as repo-migrate wrote it (git checkout -- {name}), or register "
           "without it")
    try:
        doc = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise Refused(f"{name} is not JSON: {exc}", fix) from None
    if not isinstance(doc, dict) or doc.get("format") != contract.RECORD_FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise Refused(f"{name} is not a migration record of format {contract.RECORD_FORMAT} "
                      f"(format: {json.dumps(found)})", fix)
    old = doc.get("old_repository")
    new = doc.get("new_repository")
    keys = doc.get("state_keys")
    if (
        not isinstance(doc.get("command"), str)
        or not isinstance(old, dict) or not isinstance(old.get("name"), str)
        or not isinstance(old.get("commit"), str) or not gitops.is_commit_id(old["commit"])
        or not isinstance(keys, dict)
        or not all(isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in keys.items())
    ):
        raise Refused(f"{name} lacks command, old_repository.name, old_repository.commit (a full "
                      "commit id) or state_keys (variables file -> state_key)", fix)
    customer = doc.get("customer_id")
    new_name = new.get("name") if isinstance(new, dict) else None
    return MigrationRecord(
        command=doc["command"],
        customer_id=customer if isinstance(customer, str) else None,
        old_name=old["name"],
        old_commit=old["commit"],
        new_name=new_name if isinstance(new_name, str) else None,
        state_keys={k: v for k, v in keys.items() if v is not None},
    )


def names_match(recorded: str, registered: str) -> bool:
    """True when *recorded* (``name`` or ``owner/name``) names the registered owner/name."""
    if "/" in recorded:
        return recorded.lower() == registered.lower()
    return recorded.lower() == registered.split("/", 1)[-1].lower()


def proof_problem(record: MigrationRecord, customer_id: str, old_owner: str, path: str,
                  state_key: str) -> str | None:
    """Why *record* does not prove *state_key* (at *path*) moved from *old_owner*; None if it does."""
    if record.customer_id is not None and record.customer_id != customer_id:
        return f"it is a record of customer {record.customer_id}, not {customer_id}"
    if not names_match(record.old_name, old_owner):
        return f"it records a move from {record.old_name}, not from {old_owner}"
    if path not in record.state_keys:
        return f"it does not list {path}"
    if record.state_keys[path] != state_key:
        return f"it lists {path} with state_key {record.state_keys[path]}, not {state_key}"
    return None
