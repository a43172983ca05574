"""Register a customer repository in the provider's registry: the new text of one customer file.

``register`` is pure: from the registry (``migrate.registry``) and facts about one customer
repository it returns the new text of ``customers/<customer_id>.yml``, spliced into the existing
text (comments, order and quoting kept; ``migrate.yaml_splice``), or a new file. Keys never
change. A state_key owned by another repository of the customer moves only when the migration
record proves the move; it never moves between customers. The result is loaded again with every
other file (schema and invariants) before it is returned.

API
---
- ``RepositoryFacts(customer_id, name, pattern, default_branch, state_keys, tier, onboarding)``.
- ``Registration(path, old, new, changes, notes)``; ``is_empty`` ("already up to date").
- ``register(registry, facts, record=None) -> Registration``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from migrate import contract
from migrate.errors import Refused, UnsafeYamlEdit
from migrate.migration_record import MigrationRecord, proof_problem
from migrate.registry import (
    ONBOARDING,
    PATTERNS,
    REGISTRY_DIR,
    TIERS,
    Registry,
    load_registry,
    same_repository,
)
from migrate.yaml_render import render_entry, render_items
from migrate.yaml_splice import Edit, YamlDoc, apply_edits, scalar_edit, verify

_CUSTOMER = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")
HEADER = ("# yaml-language-server: $schema=registry.schema.json\n#\n"
          "# Registry entry of customer {customer_id}: its repositories, their variables files and\n"
          "# the state_key of each. Managed by `repo-migrate register`; comments are kept.\n")


@dataclass(frozen=True)
class RepositoryFacts:
    """What register knows about one customer repository (tier/onboarding: None keeps the entry's)."""

    customer_id: str
    name: str  # owner/name on GitHub
    pattern: str
    default_branch: str
    state_keys: Mapping[str, str]  # variables file -> state_key
    tier: str | None = None
    onboarding: str | None = None


@dataclass(frozen=True)
class Registration:
    """The customer file before (None: new) and after, what changed and what to look at."""

    path: str
    old: str | None
    new: str
    changes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the registry already says all this: "already up to date"."""
        return self.old == self.new


def _check(facts: RepositoryFacts) -> None:
    bad = []
    if not _CUSTOMER.match(facts.customer_id):
        bad.append(f"customer_id {facts.customer_id!r} is not a slug")
    if not _REPO.match(facts.name):
        bad.append(f"repository {facts.name!r} is not owner/name")
    if facts.pattern not in PATTERNS:
        bad.append(f"pattern {facts.pattern!r} is not one of {', '.join(PATTERNS)}")
    if facts.tier is not None and facts.tier not in TIERS:
        bad.append(f"tier {facts.tier!r} is not one of {', '.join(TIERS)}")
    if facts.onboarding is not None and facts.onboarding not in ONBOARDING:
        bad.append(f"onboarding {facts.onboarding!r} is not one of {', '.join(ONBOARDING)}")
    for path, key in sorted(facts.state_keys.items()):
        if not contract.is_variables_file(path) or not _KEY.match(key) or ".." in key:
            bad.append(f"{path} with state_key {key!r} is not a variables file of the contract")
    if bad:
        raise Refused(f"cannot register {facts.name}: {'; '.join(bad)}",
                      "fix the repository's answers and variables files, or the options given")
    if not facts.state_keys:
        raise Refused(f"{facts.name} has no variables file (infra/variables.yml, "
                      "infra/<region>-variables.yml or infra/<service>-vars.yml): nothing of it "
                      "deploys, so there is nothing to register",
                      "register the repository that holds infra/ (for the separate pattern: the "
                      "infra repository, not the app repository)")


def _item(path: str, key: str, moved: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {"path": path, "state_key": key, **({"moved_from": dict(moved)} if moved else {})}


class _Splicer:
    """Edits of one customer file, collected, then applied and verified in one pass."""

    def __init__(self, text: str, name: str) -> None:
        self.doc = YamlDoc(text, name)
        self.expected = copy.deepcopy(self.doc.data)
        self.edits: list[Edit] = []

    def seq(self, path: tuple[str | int, ...]) -> tuple[yaml.Node, yaml.Node]:
        key, node = self.doc.require_entry(path)
        if isinstance(node, yaml.SequenceNode) and node.flow_style and node.value:
            raise UnsafeYamlEdit(f"{self.doc.name}: {path[-1]} at line {node.start_mark.line + 1} "
                                 "is a flow list", "write it as a block list ('- ' items), then run again")
        self.doc.check_plain(node)
        return key, node

    def item_span(self, node: yaml.Node, index: int) -> tuple[int, int]:
        item = node.value[index]
        column = node.start_mark.column
        return self.doc.item_span(self.doc.line_start(self.doc.start(item)) + column, column,
                                  self.doc.content_end(item))

    def append(self, path: tuple[str | int, ...], items: list[dict[str, Any]], data: list[Any]) -> None:
        key, node = self.seq(path)
        unit, offset = self.doc.layout(self.doc.root)
        if isinstance(node, yaml.SequenceNode) and node.value:
            column = node.start_mark.column
            pos = self.item_span(node, len(node.value) - 1)[1]
            self.edits.append(self.doc.insertion(pos, render_items(items, column, unit, offset)))
        else:  # `key: []` becomes a block list
            lines = render_items(items, key.start_mark.column + offset, unit, offset)
            colon = self.doc.text.index(":", self.doc.end(key))
            self.edits.append(Edit(colon + 1, self.doc.end(node), ""))
            self.edits.append(self.doc.insertion(self.doc.line_end(self.doc.end(node)), lines))
        data.extend(items)

    def remove(self, path: tuple[str | int, ...], index: int, data: list[Any]) -> None:
        _key, node = self.seq(path)
        self.edits.append(self.doc.deletion(self.item_span(node, index)))
        data[index] = None  # dropped after every edit is known, so indexes stay valid

    def set(self, path: tuple[str | int, ...], value: str, data: dict[str, Any]) -> None:
        edit = scalar_edit(self.doc, self.doc.require(path), value)
        if edit is not None:
            self.edits.append(edit)
        data[str(path[-1])] = value

    def result(self) -> str:
        for repo in self.expected["repositories"] or []:
            if repo is not None:
                repo["variables_files"] = [f for f in repo["variables_files"] if f is not None]
        self.expected["repositories"] = [r for r in self.expected["repositories"] if r is not None]
        if not self.edits:
            return self.doc.text
        return verify(self.doc, apply_edits(self.doc.text, self.edits), self.expected)


def _new_file(facts: RepositoryFacts, files: list[dict[str, Any]]) -> str:
    lines = [*render_entry("customer_id", facts.customer_id, 0),
             *render_entry("tier", facts.tier or "standard", 0),
             *render_entry("onboarding", facts.onboarding or "self-service", 0),
             *render_entry("repositories", [{"name": facts.name, "pattern": facts.pattern,
                                             "default_branch": facts.default_branch,
                                             "variables_files": files}], 0)]
    return HEADER.format(customer_id=facts.customer_id) + "\n".join(lines) + "\n"


def register(registry: Registry, facts: RepositoryFacts,
             record: MigrationRecord | None = None) -> Registration:
    """The customer file that registers *facts*' repository (moves proven by *record*)."""
    _check(facts)
    name = f"{REGISTRY_DIR}/{facts.customer_id}.yml"
    found = registry.repository(facts.name)
    if found and found[0].customer_id != facts.customer_id:
        raise Refused(f"{facts.name} is registered for customer {found[0].customer_id} "
                      f"({found[0].path}), not {facts.customer_id}",
                      "a repository belongs to one customer: check customer_id in its variables "
                      f"files, or remove it from {found[0].path} first")
    entry = found[1] if found else None
    changes: list[str] = []
    notes: list[str] = []
    adds: list[dict[str, Any]] = []
    moves: dict[str, list[str]] = {}  # old owner -> paths leaving it
    for path, key in sorted(facts.state_keys.items()):
        mine = entry.file(path) if entry else None
        if mine is not None and mine.state_key != key:
            raise Refused(f"{path} of {facts.name} is registered with state_key {mine.state_key}, "
                          f"but the repository's file now says {key}: a state_key never changes",
                          f"restore state_key: {mine.state_key} in {path} (the provider's state "
                          "is there)")
        owner = registry.owner_of(key)
        if owner is None:
            adds.append(_item(path, key))
            changes.append(f"add {path} (state_key {key}) to {facts.name}")
        elif same_repository(owner.repository.name, facts.name):
            if owner.file.path != path:
                raise Refused(f"state_key {key} is registered for {owner.file.path} of {facts.name}, "
                              f"but the repository has it in {path}",
                              f"edit {name} by hand: change the path of {owner.file.path}")
        elif owner.customer.customer_id != facts.customer_id:
            raise Refused(f"state_key {key} ({path}) belongs to {owner.repository.name} of customer "
                          f"{owner.customer.customer_id} ({owner.customer.path}): a state_key never "
                          "moves between customers",
                          f"check state_key in {path} of {facts.name}: it must be the one generated "
                          "for it")
        else:
            why = "there is no migration record" if record is None else proof_problem(
                record, facts.customer_id, owner.repository.name, path, key)
            if why is not None:
                raise Refused(
                    f"state_key {key} ({path}) belongs to {owner.repository.name} ({owner.customer.path})"
                    f" and no migration record ({contract.RECORD_FILE}, or a {contract.RECORD_TRAILER} "
                    f"commit trailer) proves that it moved to {facts.name}: {why}",
                    f"register from a clone of {facts.name} holding the record its migration wrote; "
                    f"otherwise remove {owner.file.path} from {owner.repository.name} in {name} "
                    "once that repository no longer deploys it")
            assert record is not None
            moves.setdefault(owner.repository.name, []).append(owner.file.path)
            adds.append(_item(path, key, {"repository": owner.repository.name,
                                          "command": record.command,
                                          "source_commit": record.old_commit}))
            changes.append(f"move {path} (state_key {key}) from {owner.repository.name} to "
                           f"{facts.name} ({record.command}, source commit {record.old_commit[:12]})")
    if entry is not None:
        for f in entry.variables_files:
            if f.path not in facts.state_keys:
                notes.append(f"{f.path} (state_key {f.state_key}) stays registered for {facts.name} "
                             "although the repository no longer has it: remove it from "
                             f"{name} once its state is destroyed")
    if record is not None and moves and record.new_name and not same_repository(
            record.new_name, facts.name.split("/", 1)[1]):
        notes.append(f"the migration record names the new repository {record.new_name}; it is "
                     f"registered as {facts.name}")
    old = registry.text_of(facts.customer_id)
    if old is None:
        new = _new_file(facts, adds)
        changes.insert(0, f"create {name} for customer {facts.customer_id}")
    else:
        new = _splice(old, name, registry, facts, entry is not None, adds, moves, changes)
    others = {c.path: registry.text_of(c.customer_id) or "" for c in registry.customers}
    load_registry({**{p: t.encode() for p, t in others.items()}, name: new.encode()})
    return Registration(name, old, new, tuple(changes), tuple(notes))


def _splice(old: str, name: str, registry: Registry, facts: RepositoryFacts, known: bool,
            adds: list[dict[str, Any]], moves: Mapping[str, list[str]], changes: list[str]) -> str:
    s = _Splicer(old, name)
    customer = registry.customer(facts.customer_id)
    assert customer is not None
    for field, value in (("tier", facts.tier), ("onboarding", facts.onboarding)):
        if value is not None and value != getattr(customer, field):
            s.set((field,), value, s.expected)
            changes.append(f"set {field} of customer {facts.customer_id} to {value}")
    repos = s.expected["repositories"]
    for i, repo in enumerate(customer.repositories):
        if repo.name in moves:
            leaving = moves[repo.name]
            if all(f.path in leaving for f in repo.variables_files):
                s.remove(("repositories",), i, repos)
                changes.append(f"remove {repo.name}: none of its variables files is left")
            else:
                for j, f in enumerate(repo.variables_files):
                    if f.path in leaving:
                        s.remove(("repositories", i, "variables_files"), j, repos[i]["variables_files"])
        elif same_repository(repo.name, facts.name):
            for field, value in (("pattern", facts.pattern), ("default_branch", facts.default_branch)):
                if getattr(repo, field) != value:
                    s.set(("repositories", i, field), value, repos[i])
                    changes.append(f"set {field} of {repo.name} to {value}")
            if adds:
                s.append(("repositories", i, "variables_files"), adds, repos[i]["variables_files"])
    if not known:
        s.append(("repositories",), [{"name": facts.name, "pattern": facts.pattern,
                                      "default_branch": facts.default_branch,
                                      "variables_files": adds}], repos)
        changes.insert(0, f"add repository {facts.name} ({facts.pattern}, default branch "
                          f"{facts.default_branch})")
    return s.result()
