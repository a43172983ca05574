"""Read a repository at HEAD: its tree, Copier answers, pattern and state keys (no writes).

API
---
- ``read_repository(root) -> Repository``: the committed state at HEAD (the working tree must be
  clean anyway, see ``gitops.check_safe_to_start``).
- ``Repository``: ``root``, ``head`` (sha), ``branch``, ``tree`` (``{path: (mode, blob_sha)}``),
  ``answers`` (the parsed ``.copier-answers.yml``, or None), ``pattern`` (``migrate.patterns``); ``read(path)`` returns
  a file's bytes (cached), ``files_under(prefix)`` the paths below a folder.
- ``state_keys(repo)``: ``{variables file: state_key}`` for every variables file of the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate import gitops
from migrate.contract import ANSWERS_FILE, read_answers, state_key_of, variables_files
from migrate.patterns import detect_pattern


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


def read_repository(root: Path) -> Repository:
    """Read the HEAD of *root* (a repository's top level whose starting state the command has
    already checked, with gitops.toplevel and check_has_commits): tree, Copier answers, pattern."""
    head = gitops.head_sha(root)
    tree = gitops.ls_tree(root, head)
    repo = Repository(root=root, head=head, branch=gitops.current_branch(root), tree=tree)
    if ANSWERS_FILE in tree:
        repo.answers = read_answers(repo.read(ANSWERS_FILE))
    repo.pattern = detect_pattern(tree, repo.answers)
    return repo


def state_keys(repo: Repository) -> dict[str, str | None]:
    """``{variables file: state_key}`` at HEAD."""
    files = variables_files(repo.tree)
    repo.prefetch(files)
    return {p: state_key_of(repo.read(p), p) for p in files}
