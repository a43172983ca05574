"""The migration record a pattern move leaves for the provider, and the pointer it leaves behind.

API
---
- ``pointer_text(infra_name, source_commit, state_keys)``: the short ``infra/MOVED.md`` left in
  the app repository.
- ``record_json(record)``: the bytes of ``.repo-migrate/migration.json`` (stable, sorted JSON;
  its fields are documented in docs/contract.md).
- ``read_record(data)``: a record's fields (an empty dict when it is not a JSON object).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


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


def read_record(data: bytes | None) -> dict[str, Any]:
    """The fields of a record file (empty when there is none or it is not a JSON object)."""
    if data is None:
        return {}
    try:
        doc = json.loads(data)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}
