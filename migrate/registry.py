"""The customer registry of a provider repository: ``customers/<customer_id>.yml``, read and checked.

Every file is validated against ``customers/registry.schema.json`` (the toolkit's copy), must be
named after its ``customer_id``, and together they keep the invariant of the contract: a
state_key belongs to exactly one variables file of one repository, and a repository (owner/name,
compared without case as GitHub does) to one customer. Nothing here writes; the editing side is
``migrate.registry_edit``.

In a multi-service repository ``infra/variables.yml`` holds what every service shares: it is
registered (its key is the repository's) but is no state of its own; each service deploys its
``infra/<service>-vars.yml`` on top of it.

API
---
- ``REGISTRY_DIR`` (``customers``), ``PATTERNS``, ``TIERS``, ``ONBOARDING``.
- ``MovedFrom(repository, command, source_commit)``, ``VariablesFile(path, state_key, moved_from)``,
  ``RepositoryEntry(name, pattern, default_branch, variables_files)`` (``file(path)``,
  ``deploy_files``), ``Customer(customer_id, tier, onboarding, repositories, path)``,
  ``Owner(customer, repository, file)``.
- ``is_deployable(pattern, path)``: False for the shared file of a multi-service repository.
- ``same_repository(a, b)``: two owner/name spellings of one GitHub repository.
- ``registry_files(root)``: ``{"customers/<name>": bytes}`` of a provider repository directory.
- ``load_registry(source, schema=None) -> Registry``: *source* is a directory or
  ``{path: bytes}``; Refused naming the file, the path in the document and the fix.
- ``Registry``: ``customers``, ``customer(id)``, ``repository(owner/name)`` ->
  ``(Customer, RepositoryEntry)``, ``owner_of(state_key)``, ``state_key_of(repository, path)``,
  ``text_of(customer_id)`` (the file's text, for splicing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from migrate import contract, provider_schemas
from migrate.errors import Refused
from migrate.patterns import PATTERNS as PATTERNS

REGISTRY_DIR = "customers"
TIERS = ("standard", "enterprise")
ONBOARDING = ("self-service", "managed", "enterprise")
_SHARED = (contract.SHARED_VARIABLES, "infra/variables.yaml")


@dataclass(frozen=True)
class MovedFrom:
    """Where a state_key was before `repo-migrate register` moved it (proven by a record)."""

    repository: str
    command: str
    source_commit: str


@dataclass(frozen=True)
class VariablesFile:
    """One registered variables file and the state_key it carries."""

    path: str
    state_key: str
    moved_from: MovedFrom | None = None


def is_deployable(pattern: str, path: str) -> bool:
    """False for a multi-service repository's shared variables file (it has no state of its own)."""
    return not (pattern == "multi-service" and path in _SHARED)


@dataclass(frozen=True)
class RepositoryEntry:
    """One registered customer repository."""

    name: str
    pattern: str
    default_branch: str
    variables_files: tuple[VariablesFile, ...]

    def file(self, path: str) -> VariablesFile | None:
        """The registered variables file at *path*, or None."""
        return next((f for f in self.variables_files if f.path == path), None)

    @property
    def deploy_files(self) -> tuple[VariablesFile, ...]:
        """The files that are states of their own (each one target per environment)."""
        return tuple(f for f in self.variables_files if is_deployable(self.pattern, f.path))


@dataclass(frozen=True)
class Customer:
    """One customer: ``customers/<customer_id>.yml`` (*path*), read."""

    customer_id: str
    tier: str
    onboarding: str
    repositories: tuple[RepositoryEntry, ...]
    path: str


@dataclass(frozen=True)
class Owner:
    """Who owns a state_key: the customer, the repository and the variables file."""

    customer: Customer
    repository: RepositoryEntry
    file: VariablesFile


def same_repository(a: str, b: str) -> bool:
    """True when owner/name *a* and *b* name one GitHub repository (GitHub ignores case)."""
    return a.lower() == b.lower()


class Registry:
    """Every customer of a provider repository, with the look-ups a dispatch check needs."""

    def __init__(self, customers: tuple[Customer, ...], texts: Mapping[str, str]) -> None:
        self.customers = customers
        self._texts = dict(texts)
        self._by_id = {c.customer_id: c for c in customers}
        self._repos = {r.name.lower(): (c, r) for c in customers for r in c.repositories}
        self._keys = {f.state_key: Owner(c, r, f)
                      for c in customers for r in c.repositories for f in r.variables_files}

    def customer(self, customer_id: str) -> Customer | None:
        """The customer *customer_id*, or None."""
        return self._by_id.get(customer_id)

    def repository(self, name: str) -> tuple[Customer, RepositoryEntry] | None:
        """The customer and entry of repository *name* (owner/name, any case), or None."""
        return self._repos.get(name.lower())

    def owner_of(self, state_key: str) -> Owner | None:
        """Who owns *state_key*, or None when no repository registers it."""
        return self._keys.get(state_key)

    def state_key_of(self, repository: str, path: str) -> str | None:
        """The state_key registered for variables file *path* of *repository*, or None."""
        found = self.repository(repository)
        file = found[1].file(path) if found else None
        return file.state_key if file else None

    def text_of(self, customer_id: str) -> str | None:
        """The text of ``customers/<customer_id>.yml`` as read, or None when there is none."""
        return self._texts.get(f"{REGISTRY_DIR}/{customer_id}.yml")


def registry_files(root: Path) -> dict[str, bytes]:
    """The registry files of the provider repository at *root* (none when customers/ is absent)."""
    folder = root / REGISTRY_DIR
    if not folder.is_dir():
        return {}
    return {f"{REGISTRY_DIR}/{p.name}": p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix in (".yml", ".yaml")}


def _customer(doc: Mapping[str, Any], name: str) -> Customer:
    repos: list[RepositoryEntry] = []
    for i, repo in enumerate(doc["repositories"]):
        files: list[VariablesFile] = []
        for j, f in enumerate(repo["variables_files"]):
            if any(f["path"] == seen.path for seen in files):
                raise Refused(f"{name}: repositories[{i}].variables_files[{j}].path: {f['path']} "
                              f"is listed twice for {repo['name']}", "list each variables file once")
            moved = f.get("moved_from")
            files.append(VariablesFile(f["path"], f["state_key"], MovedFrom(
                moved["repository"], moved["command"], moved["source_commit"]) if moved else None))
        repos.append(RepositoryEntry(repo["name"], repo["pattern"], repo["default_branch"],
                                     tuple(files)))
    return Customer(doc["customer_id"], doc["tier"], doc["onboarding"], tuple(repos), name)


def load_registry(source: Path | Mapping[str, bytes],
                  schema: Mapping[str, Any] | None = None) -> Registry:
    """Read and check every ``customers/*.yml`` of *source* (a directory or ``{path: bytes}``)."""
    files = registry_files(source) if isinstance(source, Path) else {
        p: d for p, d in source.items() if PurePosixPath(p).parent == PurePosixPath(REGISTRY_DIR)
        and PurePosixPath(p).suffix in (".yml", ".yaml")}
    schema = schema or provider_schemas.load_schema(provider_schemas.REGISTRY_SCHEMA)
    customers: list[Customer] = []
    texts: dict[str, str] = {}
    repos: dict[str, tuple[str, int]] = {}  # lower-case name -> (file, index)
    keys: dict[str, tuple[str, str, str]] = {}  # state_key -> (file, repository, path)
    for name in sorted(files):
        stem = PurePosixPath(name).stem
        if name.endswith(".yaml"):
            raise Refused(f"{name}: registry entries are named <customer_id>.yml",
                          f"rename it to {REGISTRY_DIR}/{stem}.yml")
        doc = provider_schemas.load_strict_yaml(files[name], name, typed=False)
        provider_schemas.check_document(doc, schema, name)
        if doc["customer_id"] != stem:
            raise Refused(f"{name}: customer_id is {doc['customer_id']} but the file is named "
                          f"{stem}.yml", f"rename the file to {REGISTRY_DIR}/{doc['customer_id']}.yml "
                          "(an entry is named after its customer_id)")
        customer = _customer(doc, name)
        for i, repo in enumerate(customer.repositories):
            other = repos.setdefault(repo.name.lower(), (name, i))
            if other != (name, i):
                raise Refused(f"{name}: repositories[{i}].name: {repo.name} is also registered in "
                              f"{other[0]} (repositories[{other[1]}])",
                              "a repository belongs to one customer, once: remove one entry")
            for j, f in enumerate(repo.variables_files):
                owner = keys.setdefault(f.state_key, (name, repo.name, f.path))
                if owner != (name, repo.name, f.path):
                    raise Refused(
                        f"{name}: repositories[{i}].variables_files[{j}].state_key: {f.state_key} "
                        f"is also registered for {owner[1]} ({owner[2]}) in {owner[0]}",
                        "a state_key belongs to exactly one repository: remove it where it is no "
                        "longer deployed (repo-migrate register moves it when a migration record "
                        "proves the move)")
        customers.append(customer)
        texts[name] = files[name].decode("utf-8")
    return Registry(tuple(customers), texts)
