"""The provider's manager repository as the commands read it: registry, policy, answers, schemas.

A provider repository (``copier copy --trust SUITE DEST -d pattern=provider``) holds the registry
(``customers/*.yml``), the policy (``approvals.yml``), the two schemas beside them and its Copier
answers. The commands read it either from a directory (``verify-dispatch`` in the provider's
workflow, which checks the repository out) or from a commit (``register``, whose result is built
from blobs). Documents are validated against the toolkit's own copy of each schema (what its code
understands) and, when the repository holds a copy that says otherwise (a provider that tightened
its rules, or a repository at another suite version), against that copy too.

API
---
- ``REGISTRY_SCHEMA_FILE`` (``customers/registry.schema.json``), ``APPROVALS_SCHEMA_FILE``
  (``approvals.schema.json``).
- ``ProviderRepository(files, where)``: *files* are ``{path: bytes}`` of the files below;
  ``answers``, ``event_type`` (the ``dispatch_event_type`` answer, else the suite's default),
  ``registry()``, ``policy()``.
- ``is_provider_files(paths, answers)``: the answers say ``pattern: provider``, or there is a
  ``customers/`` folder.
- ``read_directory(root)`` / ``read_commit(repo, rev)`` -> ``ProviderRepository``.
- ``load_policy_file(path)``: an ``approvals.yml`` anywhere, with the schema beside it if any.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from migrate import contract, gitops, provider_schemas
from migrate.approvals import POLICY_FILE, Policy, load_policy
from migrate.dispatch import DEFAULT_EVENT_TYPE
from migrate.errors import Refused
from migrate.registry import REGISTRY_DIR, Registry, load_registry

REGISTRY_SCHEMA_FILE = f"{REGISTRY_DIR}/registry.schema.json"
APPROVALS_SCHEMA_FILE = "approvals.schema.json"
_TOOLKIT = {REGISTRY_SCHEMA_FILE: provider_schemas.REGISTRY_SCHEMA,
            APPROVALS_SCHEMA_FILE: provider_schemas.APPROVALS_SCHEMA}


def _wanted(path: str) -> bool:
    p = PurePosixPath(path)
    return path in (contract.ANSWERS_FILE, POLICY_FILE, APPROVALS_SCHEMA_FILE, REGISTRY_SCHEMA_FILE) or (
        p.parent == PurePosixPath(REGISTRY_DIR) and p.suffix in (".yml", ".yaml"))


def _schemas(own: bytes | None, toolkit_path: str, name: str) -> list[dict[str, Any]]:
    """The schemas a document must satisfy: the toolkit's, and the repository's if it differs."""
    toolkit = provider_schemas.load_schema(toolkit_path)
    if own is None:
        return [toolkit]
    try:
        mine = json.loads(own.decode("utf-8"))
    except ValueError as exc:
        raise Refused(f"{name} is not JSON: {exc}",
                      f"restore {name} as the template suite ships it (copier update)") from None
    return [toolkit] if mine == toolkit else [mine, toolkit]


@dataclass(frozen=True)
class ProviderRepository:
    """The files of a provider repository that the commands read, and where they come from."""

    files: Mapping[str, bytes]
    where: str  # a directory, or "<repo> at <commit>", for messages

    @property
    def answers(self) -> dict[str, Any] | None:
        """The Copier answers of the provider repository (None when it has none)."""
        return contract.read_answers(self.files.get(contract.ANSWERS_FILE))

    @property
    def event_type(self) -> str:
        """The repository_dispatch event type the provider listens for."""
        value = (self.answers or {}).get("dispatch_event_type")
        return value if isinstance(value, str) and value else DEFAULT_EVENT_TYPE

    def registry(self) -> Registry:
        """Every customers/*.yml, checked against the schemas and the registry's invariants."""
        schemas = _schemas(self.files.get(REGISTRY_SCHEMA_FILE), _TOOLKIT[REGISTRY_SCHEMA_FILE],
                           REGISTRY_SCHEMA_FILE)
        found = load_registry(self.files, schemas[0])
        for schema in schemas[1:]:
            found = load_registry(self.files, schema)
        return found

    def policy(self) -> Policy:
        """approvals.yml, checked against the schemas; Refused when there is none."""
        data = self.files.get(POLICY_FILE)
        if data is None:
            raise Refused(f"{self.where} has no {POLICY_FILE}", "run in the provider's manager "
                          "repository (copier copy --trust SUITE DEST -d pattern=provider makes one)")
        schemas = _schemas(self.files.get(APPROVALS_SCHEMA_FILE), _TOOLKIT[APPROVALS_SCHEMA_FILE],
                           APPROVALS_SCHEMA_FILE)
        policy = load_policy(data, POLICY_FILE, schemas[0])
        for schema in schemas[1:]:
            policy = load_policy(data, POLICY_FILE, schema)
        return policy


def is_provider_files(paths: Iterable[str], answers: Mapping[str, Any] | None) -> bool:
    """True for a provider repository: its answers say so, or it has a customers/ folder."""
    if answers is not None and answers.get("pattern") is not None:
        return answers.get("pattern") == "provider"
    return any(p.startswith(f"{REGISTRY_DIR}/") for p in paths)


def _refuse_other(where: str, paths: Iterable[str], answers: Mapping[str, Any] | None) -> None:
    if not is_provider_files(paths, answers):
        what = f"a {answers['pattern']} repository" if answers and answers.get("pattern") else \
            "not a provider repository (no customers/ folder)"
        raise Refused(f"{where} is {what}", "pass the provider's manager repository (the one "
                      "generated with -d pattern=provider, holding customers/ and approvals.yml)")


def read_directory(root: Path) -> ProviderRepository:
    """The provider repository checked out at *root* (its working tree, as a workflow has it)."""
    if not root.is_dir():
        raise Refused(f"{root} is not a directory", "pass the provider repository's folder")
    files: dict[str, bytes] = {}
    for path in (contract.ANSWERS_FILE, POLICY_FILE, APPROVALS_SCHEMA_FILE, REGISTRY_SCHEMA_FILE):
        if (root / path).is_file():
            files[path] = (root / path).read_bytes()
    folder = root / REGISTRY_DIR
    if folder.is_dir():
        files.update({f"{REGISTRY_DIR}/{p.name}": p.read_bytes() for p in sorted(folder.iterdir())
                      if p.is_file() and _wanted(f"{REGISTRY_DIR}/{p.name}")})
    repo = ProviderRepository(files, str(root))
    listing = list(files) + ([f"{REGISTRY_DIR}/"] if folder.is_dir() else [])
    _refuse_other(str(root), listing, repo.answers)
    return repo


def read_commit(repo: Path, rev: str) -> ProviderRepository:
    """The provider repository *repo* as commit *rev* holds it."""
    listing = gitops.ls_tree(repo, rev)
    entries = {p: sha for p, (mode, sha) in listing.items() if mode != "160000" and _wanted(p)}
    files = dict(zip(entries, gitops.cat_blobs(repo, list(entries.values()))))
    found = ProviderRepository(files, f"{repo} at {rev[:12]}")
    # git keeps no empty folder: customers/ is there when a file below it is.
    folder = [f"{REGISTRY_DIR}/"] if any(p.startswith(f"{REGISTRY_DIR}/") for p in listing) else []
    _refuse_other(str(repo), folder + list(files), found.answers)
    return found


def load_policy_file(path: Path) -> Policy:
    """The policy in *path* (any approvals.yml), checked against the schema beside it, if any."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Refused(f"cannot read the policy {path}: {exc.strerror or exc}",
                      f"pass --policy with the provider repository's {POLICY_FILE}") from None
    beside = path.parent / APPROVALS_SCHEMA_FILE
    own = beside.read_bytes() if beside.is_file() else None
    schemas = _schemas(own, _TOOLKIT[APPROVALS_SCHEMA_FILE], str(beside))
    policy = load_policy(data, str(path), schemas[0])
    for schema in schemas[1:]:
        policy = load_policy(data, str(path), schema)
    return policy
