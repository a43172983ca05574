"""What `repo-migrate register` learns from a customer repository's files, before any edit.

Pure: from the files of the repository at HEAD (``{path: bytes}``) it reads the customer, the
pattern (Copier answers, else the layout), every variables file with its state_key, and the
migration record when the repository has one. The tier is never read from the repository: it is
the provider's decision (the enterprise tier may apply without a reviewer), so a customer's own
answer cannot grant it; ``register`` gives a new entry the standard tier unless told otherwise.

API
---
- ``facts_from_files(files, name, default_branch, *, tier=None, onboarding=None, record_trailer=None)`` ->
  ``(RepositoryFacts, MigrationRecord | None)``; Refused when the repository is not one the
  provider deploys (an app repository, no variables file, files that disagree on customer_id or
  lack a state_key).
"""

from __future__ import annotations

from collections.abc import Mapping

from migrate import contract
from migrate.errors import Refused
from migrate.migration_record import MigrationRecord, read_record
from migrate.patterns import detect_pattern
from migrate.registry_edit import RepositoryFacts

_PATTERNS = {"monorepo": "monorepo", "separate-infra": "separate", "multi-service": "multi-service",
             "multi-region": "multi-region"}


def facts_from_files(
    files: Mapping[str, bytes], name: str, default_branch: str, *, tier: str | None = None,
    onboarding: str | None = None, record_trailer: bytes | None = None,
) -> tuple[RepositoryFacts, MigrationRecord | None]:
    """The facts register needs about repository *name* (owner/name) from its *files* (and the
    record of a migration its history carries as a trailer, when it has no record file)."""
    answers = contract.read_answers(files.get(contract.ANSWERS_FILE))
    detected = detect_pattern(files, answers)
    if detected not in _PATTERNS:
        what = "an app repository" if detected == "separate-app" else "no repository the provider deploys"
        raise Refused(f"{name} is {what} ({detected or 'empty'}): it sends nothing to the provider",
                      "register the repository that holds infra/ (for the separate pattern: the "
                      "infra repository)")
    keys: dict[str, str] = {}
    customers: dict[str, str] = {}
    for path in contract.variables_files(files):
        doc = contract.load_yaml(files[path], path)
        key = doc.get("state_key") if isinstance(doc, dict) else None
        customer = doc.get("customer_id") if isinstance(doc, dict) else None
        if not isinstance(key, str) or not isinstance(customer, str):
            raise Refused(f"{path} of {name} has no customer_id or state_key",
                          f"restore them in {path} (git log -p -- {path} shows what they were)")
        keys[path] = key
        customers[path] = customer
    if answers and isinstance(answers.get("customer_id"), str):
        customers[contract.ANSWERS_FILE] = answers["customer_id"]
    if len(set(customers.values())) > 1:
        listing = ", ".join(f"{p}: {c}" for p, c in sorted(customers.items()))
        raise Refused(f"the files of {name} disagree on customer_id ({listing})",
                      "make every variables file carry the customer_id the provider knows")
    if not keys:
        raise Refused(f"{name} has no variables file", "register the repository that holds infra/")
    if contract.RECORD_FILE in files:
        record: MigrationRecord | None = read_record(files[contract.RECORD_FILE])
    elif record_trailer is not None:
        record = read_record(record_trailer, f"the {contract.RECORD_TRAILER} trailer of its history")
    else:
        record = None
    facts = RepositoryFacts(next(iter(customers.values())), name, _PATTERNS[detected],
                            default_branch, keys, tier, onboarding)
    return facts, record
