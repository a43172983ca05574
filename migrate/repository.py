"""Read a repository at HEAD: its tree, Copier answers, pattern and state keys (no writes).

API
---
- ``read_repository(path) -> Repository``: the committed state at HEAD (the working tree must be
  clean anyway, see ``gitops.check_safe_to_start``).
- ``Repository``: ``root``, ``head`` (sha), ``branch``, ``tree`` (``{path: (mode, blob_sha)}``),
  ``answers`` (the parsed ``.copier-answers.yml``, or None), ``pattern``; ``read(path)`` returns
  a file's bytes (cached), ``files_under(prefix)`` the paths below a folder.
- ``detect_pattern(paths, answers)``: "monorepo", "separate-app", "separate-infra",
  "multi-service", "multi-region", or None; answers win over the layout.
- ``state_keys(repo)``: ``{variables file: state_key}`` for every ``infra/*variables*.yml``.
- ``load_yaml(data, name)``: parse YAML bytes for checks (BaseLoader: every scalar a string, so
  a bare ``on`` stays "on"); raises ``Refused`` naming the file when it does not parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from migrate import gitops
from migrate.errors import Refused

ANSWERS_FILE = ".copier-answers.yml"
_VARIABLES = re.compile(r"^infra/(?:[^/]+-)?variables\.ya?ml$")
_BaseLoader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(data: bytes, name: str, *, typed: bool = False) -> Any:
    """Parse one YAML document; ``typed`` resolves ints/bools (answers), else all strings."""
    try:
        return yaml.load(data, Loader=_SafeLoader if typed else _BaseLoader)
    except yaml.YAMLError as exc:
        raise Refused(f"{name} is not valid YAML: {exc}", f"fix {name} and commit it, then run again")


@dataclass
class Repository:
    """One repository's committed state at HEAD."""

    root: Path
    head: str
    branch: str | None
    tree: Mapping[str, tuple[str, str]]
    answers: Mapping[str, Any] | None = None
    pattern: str | None = None
    _cache: dict[str, bytes] = field(default_factory=dict, repr=False)

    def read(self, path: str) -> bytes:
        """The bytes of *path* at HEAD."""
        if path not in self._cache:
            self.prefetch([path])
        return self._cache[path]

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read many files in one git call."""
        todo = [p for p in paths if p not in self._cache]
        for path, data in zip(todo, gitops.cat_blobs(self.root, [self.tree[p][1] for p in todo])):
            self._cache[path] = data

    def files_under(self, prefix: str) -> list[str]:
        """Paths of the files below folder *prefix* (given with its trailing slash)."""
        return sorted(p for p in self.tree if p.startswith(prefix))

    def has(self, path: str) -> bool:
        return path in self.tree


def detect_pattern(paths: Iterable[str], answers: Mapping[str, Any] | None) -> str | None:
    """The repository's pattern, from its Copier answers, else from its layout."""
    if answers and answers.get("pattern"):
        pattern = str(answers["pattern"])
        if pattern == "separate":
            return f"separate-{answers.get('repo_role', 'infra')}"
        return pattern
    paths = set(paths)
    variables = [p for p in paths if _VARIABLES.match(p)]
    regional = [p for p in variables if p != "infra/variables.yml" and p != "infra/variables.yaml"]
    if any(p.startswith("services/") for p in paths) and variables:
        return "multi-service"
    if regional and not any(p.startswith("app/") for p in paths):
        return "multi-region"
    if any(p.startswith("app/") for p in paths) and variables:
        return "monorepo"
    if variables:
        return "separate-infra"
    if paths:
        return "separate-app"
    return None


def read_repository(path: Path) -> Repository:
    """Read *path*'s HEAD: tree, Copier answers and pattern."""
    root = gitops.toplevel(path)
    gitops.check_has_commits(root)
    head = gitops.head_sha(root)
    tree = gitops.ls_tree(root, head)
    repo = Repository(root=root, head=head, branch=gitops.current_branch(root), tree=tree)
    if ANSWERS_FILE in tree:
        answers = load_yaml(repo.read(ANSWERS_FILE), ANSWERS_FILE, typed=True)
        if not isinstance(answers, dict):
            raise Refused(f"{ANSWERS_FILE} in {root} is not a mapping",
                          f"restore {ANSWERS_FILE} as Copier wrote it")
        repo.answers = answers
    repo.pattern = detect_pattern(tree, repo.answers)
    return repo


def variables_files(paths: Iterable[str]) -> list[str]:
    """The variables files (``infra/variables.yml``, ``infra/<x>-variables.yml``) among *paths*."""
    return sorted(p for p in paths if _VARIABLES.match(p))


def state_key_of(data: bytes, name: str) -> str | None:
    doc = load_yaml(data, name)
    if isinstance(doc, dict) and isinstance(doc.get("state_key"), str):
        return doc["state_key"]
    return None


def state_keys(repo: Repository) -> dict[str, str | None]:
    """``{variables file: state_key}`` at HEAD."""
    files = variables_files(repo.tree)
    repo.prefetch(files)
    return {p: state_key_of(repo.read(p), p) for p in files}
