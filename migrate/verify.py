"""Post-conditions checked on a result before anything is published (routing: `migrate.routing`).

API
---
- ``expected_tree(base, plan, fmt)``: the tree (``{path: (mode, blob id)}``) a plan should leave
  when applied to *base*; a planned rewrite must start from the bytes it names.
- ``check_tree(actual, expected, where)``: refuses (``VerificationFailed``) any missing, extra or
  different file, naming up to ten of them.
- ``check_yaml(plans)``: every YAML file a plan writes parses.
- ``check_state_keys(before, repo, rev)``: the variables files' ``state_key`` values are unchanged.
- ``check_history(source, rev, result, paths)``: ``git log -- PATH`` counts the same commits.
- ``check_clean(repo)``: a new repository's work tree is committed and clean.
- ``blob_id(data, fmt)``, ``object_format(repo)``: git's id of a blob, and the repository's format.
- ``FIX``: the fix of a failed post-condition (nothing was published; a bug to report).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from migrate import gitops, history
from migrate.contract import load_yaml, state_key_of
from migrate.errors import VerificationFailed
from migrate.plan import FileDelete, FileMove, FileWrite, Plan

Tree = dict[str, tuple[str, str]]
FIX = "nothing was published; please report this (with the repository's layout) as a bug"


def blob_id(data: bytes, fmt: str = "sha1") -> str:
    """The id git gives a blob holding *data*."""
    return hashlib.new(fmt, b"blob %d\0" % len(data) + data).hexdigest()


@functools.cache
def object_format(repo: Path) -> str:
    """The repository's object format (``sha1`` or ``sha256``), asked once per repository."""
    return gitops.git(repo, "rev-parse", "--show-object-format").strip() or "sha1"


def expected_tree(base: Mapping[str, tuple[str, str]], plan: Plan, fmt: str = "sha1") -> Tree:
    """The tree *plan* leaves when applied to *base*."""
    tree = dict(base)
    for change in plan.changes:
        if isinstance(change, FileDelete):
            if tree.pop(change.path, None) is None:
                raise VerificationFailed(f"the plan deletes {change.path}, which is not there", FIX)
        elif isinstance(change, FileMove):
            moved = {p: v for p, v in tree.items()
                     if p == change.src or p.startswith(change.src + "/")}
            for p, v in moved.items():
                del tree[p]
                tree[change.dst + p[len(change.src):]] = v
        elif isinstance(change, FileWrite):
            before = tree.get(change.path)
            if (before is None) != (change.old is None) or (
                    before is not None and change.old is not None
                    and before[1] != blob_id(change.old, fmt)):
                raise VerificationFailed(f"the plan rewrites {change.path} from other bytes than "
                                         "the ones there", FIX)
            tree[change.path] = (change.mode, blob_id(change.new, fmt))
    return tree


def check_tree(actual: Mapping[str, tuple[str, str]], expected: Mapping[str, tuple[str, str]],
               where: str, *, any_content: Iterable[str] = ()) -> None:
    """Refuse unless *actual* holds exactly the files of *expected* (paths, modes, content)."""
    loose = set(any_content)
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected) - loose)
    differ = sorted(p for p in set(actual) & set(expected) if actual[p] != expected[p])
    gone = sorted(loose - set(actual))
    problems = [f"missing {p}" for p in missing + gone] + [f"unexpected {p}" for p in extra] + \
               [f"different {p}" for p in differ]
    if problems:
        shown = "; ".join(problems[:10]) + (" ..." if len(problems) > 10 else "")
        raise VerificationFailed(f"the result in {where} is not what was planned: {shown}", FIX)


def check_yaml(plans: Iterable[Plan]) -> None:
    """Every YAML file the plans write parses."""
    for plan in plans:
        for c in plan.changes:
            if isinstance(c, FileWrite) and c.path.endswith((".yml", ".yaml")):
                try:
                    load_yaml(c.new, c.path)
                except Exception as exc:  # any parse failure is a failed check
                    raise VerificationFailed(f"{c.path} would not parse: {exc}", FIX) from exc


def check_state_keys(before: Mapping[str, str | None], repo: Path, rev: str = "HEAD",
                     rename: Mapping[str, str] | None = None) -> None:
    """Every variables file keeps its ``state_key`` (at its possibly new path)."""
    for path, key in before.items():
        new_path = (rename or {}).get(path, path)
        data = gitops.read_file(repo, rev, new_path)
        after = None if data is None else state_key_of(data, new_path)
        if after != key:
            raise VerificationFailed(f"state_key of {new_path} would change ({key!r} -> {after!r})",
                                     FIX)


def check_history(source: Path, rev: str, result: Path, paths: Iterable[str],
                  result_rev: str = "HEAD") -> None:
    """``git log -- PATH`` shows as many commits in *result* as in *source* at *rev*."""
    for path in paths:
        want = history.count_commits(source, rev, path)
        got = history.count_commits(result, result_rev, path)
        if want != got:
            raise VerificationFailed(f"history of {path}: {got} commits in the result, "
                                     f"{want} in the source", FIX)


def check_clean(repo: Path) -> None:
    if gitops.dirty_paths(repo):
        raise VerificationFailed(f"the result in {repo} is not committed and clean", FIX)
