"""Symbolic links when files move: a relative link keeps pointing at what it pointed at.

git stores a link as a blob holding its target (mode 120000). When a move changes where a
link or its target is, a relative target is rewritten so that it names the same file; a link
whose target ends up in another repository (or outside its own) cannot be kept and is refused,
naming the fix. Absolute targets, and links that already pointed at nothing, stay as they are.

API
---
- ``LINK_MODE`` (``120000``); ``link_paths(tree)``: the links of a tree ``{path: (mode, sha)}``.
- ``Place``: a function from a source path (file or folder) to ``(repository, new path)``;
  ``""`` as new path is that repository's root.
- ``Relinked(targets, notes)``: ``targets[(repository, new path)] = new target`` for each link
  whose target must change, and ``notes`` (same keys) saying so.
- ``relink(links, tree, place)``: the ``Relinked`` of *links* (``{path: target}``) when every
  path of *tree* goes where *place* says; ``Refused`` for a link that would point outside its
  repository.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from migrate.errors import Refused

LINK_MODE = "120000"
Place = Callable[[str], tuple[str, str]]


def link_paths(tree: Mapping[str, tuple[str, str]]) -> list[str]:
    """The symbolic links of *tree*."""
    return sorted(p for p, (mode, _) in tree.items() if mode == LINK_MODE)


@dataclass(frozen=True)
class Relinked:
    """New targets of the links a move would break, by (repository, new path), and notes."""

    targets: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)


def _exists(path: str, tree: Collection[str]) -> bool:
    return path in tree or any(p.startswith(f"{path}/") for p in tree)


def relink(links: Mapping[str, str], tree: Collection[str], place: Place) -> Relinked:
    """New targets for the relative links of *links* (``{path: target}``) when each path of
    *tree* goes where *place* says; refuses a link that would point outside its repository."""
    out = Relinked()
    for path, target in sorted(links.items()):
        if target.startswith("/") or not target:
            continue
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if resolved.startswith("../") or resolved == ".." or not _exists(resolved, tree):
            continue  # it pointed outside the repository, or at nothing, already
        repo, new_path = place(path)
        target_repo, new_resolved = place(resolved) if resolved != "." else (repo, "")
        if target_repo != repo:
            raise Refused(
                f"{path} is a symbolic link to {target}, which goes to the {target_repo} "
                f"repository while the link goes to the {repo} repository: it would point at "
                "nothing there",
                f"replace the link with a copy of {resolved} (or remove it) in a commit, then run "
                "again")
        new_target = posixpath.relpath(new_resolved or ".", posixpath.dirname(new_path) or ".")
        if new_target != target:
            out.targets[(repo, new_path)] = new_target
            out.notes[(repo, new_path)] = (
                f"{new_path} is a symbolic link to {resolved}: its target {target} is rewritten "
                f"to {new_target}, so that it still points there after the move")
    return out
