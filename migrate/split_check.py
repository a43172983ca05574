"""Post-conditions of the pattern moves, checked in the scratch copies before anything is published.

API
---
- ``expected_tree(base, plan, fmt)``: the tree (``{path: (mode, blob id)}``) a plan should leave
  when applied to *base*; a planned rewrite must start from the bytes it names.
- ``check_tree(actual, expected, where)``: refuses (``VerificationFailed``) any missing, extra or
  different file, naming up to ten of them.
- ``check_yaml(plans)``: every YAML file a plan writes parses.
- ``check_state_keys(before, repo)``: the variables files' ``state_key`` values are unchanged.
- ``check_history(source, rev, result, paths)``: ``git log -- PATH`` counts the same commits.
- ``refuse_broken_routing(repo, variables, branch)``: refuses (``Refused``, exit 3) a source in
  which a push of a variables file already runs zero or several trigger workflows, or with a
  workflow GitHub would refuse.
- ``check_routing(work, variables, branch, where)``: in a result, each variables file pushed
  alone runs exactly one trigger workflow (``explain.check_trigger_routing``).
- ``check_no_trigger_runs(work, files, branch, where)``: no trigger workflow runs for any of *files*.
- ``verify_split(migration, app_work, infra_work)``: all of the above for mono-to-separate:
  every file of the source is in exactly one result, with identical content unless the plan
  rewrites it (pointer and record files are the only additions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from migrate import gitops, history
from migrate.commands.explain import check_trigger_routing, trigger_routing
from migrate.errors import Refused, VerificationFailed
from migrate.plan import FileDelete, FileMove, FileWrite, Plan
from migrate.repository import load_yaml, state_key_of, variables_files
from migrate.separate_pattern import COMMIT_MAP_FILE, TRIGGER_WORKFLOW

if TYPE_CHECKING:
    from migrate.commands.mono_to_separate import Migration

Tree = dict[str, tuple[str, str]]
FIX = "nothing was published; please report this (with the repository's layout) as a bug"


def blob_id(data: bytes, fmt: str = "sha1") -> str:
    """The id git gives a blob holding *data*."""
    return hashlib.new(fmt, b"blob %d\0" % len(data) + data).hexdigest()


def object_format(repo: Path) -> str:
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
            tree[change.path] = ("100755" if change.executable else "100644",
                                 blob_id(change.new, fmt))
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
                except Exception as exc:  # noqa: BLE001 - any parse failure is a failed check
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


def check_history(source: Path, rev: str, result: Path, paths: Iterable[str]) -> None:
    """``git log -- PATH`` shows as many commits in *result* as in *source* at *rev*."""
    for path in paths:
        want = history.count_commits(source, rev, path)
        got = history.count_commits(result, "HEAD", path)
        if want != got:
            raise VerificationFailed(f"history of {path}: {got} commits in the result, "
                                     f"{want} in the source", FIX)


def check_clean(repo: Path) -> None:
    if gitops.git(repo, "status", "--porcelain", "--untracked-files=all").strip():
        raise VerificationFailed(f"the result in {repo} is not committed and clean", FIX)


def _ref(branch: str | None) -> str:
    return f"refs/heads/{branch or 'main'}"


def refuse_broken_routing(repo: Path, variables: Iterable[str], branch: str | None) -> None:
    """Refuse a source whose routing is already broken, before any work (the result would be too).

    Broken: a push of one of *variables* runs zero or several trigger workflows, or a workflow
    is one GitHub would refuse (with no *variables*, only the latter is checked).
    """
    files = sorted(variables)
    try:
        check_trigger_routing(repo, files, ref=_ref(branch))
    except VerificationFailed as exc:
        details = exc.problem.split("per variables file: ", 1)[-1]
        raise Refused(
            f"the workflows of {repo} are already broken: {details} (a migration keeps every "
            "workflow valid and each variables file reaching exactly one trigger workflow)",
            f"see which workflows run with repo-migrate explain --repo {repo} --changed "
            f"{files[0] if files else 'infra/variables.yml'}; make each variables file reach exactly "
            "one valid trigger-infra workflow and fix any workflow it reports as ERROR, commit, "
            "then run again") from None


def check_routing(work: Path, variables: Iterable[str], branch: str | None, where: str) -> None:
    """In the result *work*: a push of each variables file alone runs exactly one trigger workflow."""
    try:
        check_trigger_routing(work, sorted(variables), ref=_ref(branch))
    except VerificationFailed as exc:
        raise VerificationFailed(f"{where}: {exc.problem}", f"nothing was published; {exc.fix}") from None


def check_no_trigger_runs(work: Path, files: Iterable[str], branch: str | None, where: str) -> None:
    """In the result *work*: no trigger workflow runs for a push of any of *files*."""
    running = {f: r for f, r in trigger_routing(work, sorted(files), ref=_ref(branch)).items() if r}
    if running:
        shown = "; ".join(f"{f} runs {', '.join(r)}" for f, r in list(running.items())[:5])
        raise VerificationFailed(f"{where} would still dispatch infra changes: {shown}", FIX)


def verify_split(m: Migration, app_work: Path, infra_work: Path) -> None:
    """mono-to-separate's post-conditions, in the scratch copies."""
    src = m.source
    fmt = object_format(src.root)
    leaving = {p for p in src.tree if p.startswith("infra/") or TRIGGER_WORKFLOW.match(p)}
    # Each source file goes to exactly one side: the app repository keeps the rest.
    app_base = {p: v for p, v in src.tree.items() if p not in leaving}
    infra_base: Tree = {p: v for p, v in src.tree.items() if p in leaving} if m.settings.history else {}
    app_tree = gitops.ls_tree(app_work, "HEAD")
    check_tree(app_tree, expected_tree(src.tree, m.app, fmt), "the app branch")
    deleted = {c.path for c in m.app.changes if isinstance(c, FileDelete)}
    if deleted != leaving:
        raise VerificationFailed("the app branch would keep files that move to the infra "
                                 f"repository: {sorted(leaving ^ deleted)[:10]}", FIX)
    del app_base
    check_tree(gitops.ls_tree(infra_work, "HEAD"), expected_tree(infra_base, m.infra, fmt),
               "the infra repository", any_content=[COMMIT_MAP_FILE] if m.settings.history else [])
    check_yaml(m.plans)
    keys = {p: state_key_of(src.read(p), p) for p in variables_files(src.tree)}
    check_state_keys(keys, infra_work)
    if m.settings.history:
        check_history(src.root, src.head, infra_work, keys)
    check_clean(infra_work)
    if any(TRIGGER_WORKFLOW.match(p) for p in src.tree):
        # The source was routed (refuse_broken_routing): the infra repository must still be.
        check_routing(infra_work, keys, src.branch, "the infra repository")
    # The app repository has no infra: no change to it (nor to a file at a variables file's
    # old path) may run a trigger workflow.
    check_no_trigger_runs(app_work, set(app_tree) | set(keys), src.branch,
                          "the app branch")
