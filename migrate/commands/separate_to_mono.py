"""`repo-migrate separate-to-mono`: combine an app repository and an infra repository into a monorepo.

``plan(settings)`` reads both repositories and returns a ``Merge`` whose plan creates DEST: the
app repository's history, then one commit moving the app under ``app/``, then a merge commit
that brings the infra repository's history (so ``git log -- infra/variables.yml`` in DEST shows
the infra repository's commits) with app CI and the trigger workflows retargeted to path
triggers and the Copier answers of the monorepo pattern. ``apply(merge)`` builds DEST beside
its destination, checks that every file of both sources is in it exactly once (``verify``),
then renames it into place. Neither source repository is written to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate import attributes, gitops, history, locks, publish, suite
from migrate.app_ci import app_ci_to_subdir, safe_splice
from migrate.app_layout import is_repository_file
from migrate.contract import (
    ANSWERS_FILE,
    POINTER_FILE,
    RECORD_DIR,
    RECORD_FILE,
    RECORD_FORMAT,
    RECORD_TRAILER,
    customer_id_of,
    is_trigger_workflow,
    is_workflow_file,
    variables_files,
)
from migrate.errors import Refused, VerificationFailed
from migrate.migration_record import record_fields, record_line
from migrate.patterns import variant_answers
from migrate.plan import Applied, Change, FileDelete, FileMove, FileWrite, HistoryStep, Note, Plan, Published
from migrate.repository import Repository, read_repository, state_keys
from migrate.routing import check_routing, refuse_broken_routing
from migrate.verify import (
    FIX,
    check_clean,
    check_history,
    check_state_keys,
    check_tree,
    check_yaml,
    expected_tree,
    object_format,
)

# Each variant's rendered project: {path: bytes}.
Renders = suite.Renders

COMMAND = "separate-to-mono"
_INFRA_DROPPED = ("README.md", ANSWERS_FILE)
APP_CI = re.compile(r"^\.github/workflows/app-ci\.ya?ml$")


@dataclass(frozen=True)
class Settings:
    """Options of one run (the CLI fills them in)."""

    app: Path
    infra: Path
    dest: Path
    progress: bool = False


@dataclass(frozen=True)
class Merge:
    """The plan of the monorepo and the two commits that build it."""

    settings: Settings
    app_repo: Repository
    infra_repo: Repository
    plan: Plan
    moves: tuple[Change, ...]  # the first commit, on the app's history
    merge: tuple[Change, ...]  # the merge commit that brings the infra history
    rewritten: frozenset[str]  # infra files whose bytes the plan changes on purpose

    @property
    def plans(self) -> tuple[Plan, ...]:
        return (self.plan,)

    def details(self) -> dict[str, Any]:
        return {"app_repo": str(self.app_repo.root), "infra_repo": str(self.infra_repo.root)}


def _check_roles(a: Repository, i: Repository) -> None:
    if a.root == i.root:
        raise Refused("--app and --infra name the same repository", "pass the two repositories")
    if a.answers and a.pattern != "separate-app" or variables_files(a.tree):
        raise Refused(f"{a.root} is not an app repository of the separate pattern "
                      f"({a.pattern or 'it holds infra variables'})",
                      "pass the app repository as --app (a monorepo is already the target pattern)")
    if i.answers and i.pattern != "separate-infra" or not variables_files(i.tree):
        raise Refused(f"{i.root} is not an infra repository (no infra/variables.yml"
                      + (f", answers say {i.pattern}" if i.answers else "") + ")",
                      "pass the infra repository (infra/variables.yml) as --infra")
    if i.files_under("app/"):
        raise Refused(f"{i.root} holds app/: it is already a monorepo", "nothing to merge")
    stray = [p for p in a.files_under("infra/") if p != POINTER_FILE]
    if stray:
        raise Refused(f"{a.root} holds files under infra/ ({', '.join(stray[:5])}) that would "
                      "collide with the infra repository's", "move or delete them in a commit")
    for repo in (a, i):
        links = [p for p, (m, _) in repo.tree.items() if m == "160000"]
        if links:
            raise Refused(f"{repo.root} has submodules ({', '.join(links)})",
                          "remove the submodules first, or merge the repositories by hand")
    if a.answers and i.answers:
        for key in ("_src_path", "_commit"):
            if a.answers.get(key) != i.answers.get(key):
                raise Refused(f"the app and infra repositories come from different template suite "
                              f"versions ({key}: {a.answers.get(key)} vs {i.answers.get(key)})",
                              "run copier update in one of them so both are at the same version")


def _record_of(a: Repository, i: Repository, dest: Path, name: str,
               keys: dict[str, str | None]) -> dict[str, Any]:
    """The migration record of this merge: the infra repository's keys move to the monorepo."""
    customer = next((c for c in (customer_id_of(i.read(p), p) for p in sorted(keys)) if c), None)
    infra_name = str((i.answers or {}).get("repo_name") or i.root.name)
    return {
        "format": RECORD_FORMAT, "command": COMMAND,
        "old_repository": {"name": infra_name, "path": str(i.root), "branch": i.branch, "commit": i.head},
        "new_repository": {"name": name, "path": str(dest), "branch": a.branch},
        "app_repository": {"name": str((a.answers or {}).get("repo_name") or a.root.name),
                           "commit": a.head},
        "customer_id": customer, "state_keys": keys,
    }


def _record(i: Repository) -> dict[str, Any]:
    return record_fields(i.read(RECORD_FILE) if RECORD_FILE in i.tree else None)


def _restore(repo: Repository, path: str, rewrites: dict[str, Any]) -> bytes | None:
    """The exact bytes mono-to-separate replaced at *path*, if the file is still as it left it."""
    entry = rewrites.get(path)
    if not isinstance(entry, dict) or repo.tree.get(path, ("", ""))[1] != entry.get("result_blob"):
        return None
    return _blob(repo, str(entry.get("source_blob", "")))


def _blob(repo: Repository, sha: str) -> bytes | None:
    """The blob *sha* of *repo*, or None when the repository does not hold it (any more)."""
    if not sha or gitops.git(repo.root, "cat-file", "-t", sha, check=False).strip() != "blob":
        return None
    return gitops.cat_blobs(repo.root, [sha])[0]


def _destination_of(top: str, record: dict[str, Any]) -> str:
    """Where a top-level entry of the app repository goes in the monorepo."""
    if top in record.get("moved_to_app_root", []):
        return f"app/{top}"
    if top in record.get("kept_at_app_root", []) or is_repository_file(top):
        return top
    return f"app/{top}"


def _renders(a: Repository, i: Repository) -> Renders | None:
    """The three variants rendered by the suite at the two repositories' (same) version."""
    if not (a.answers and i.answers):
        return None
    mono = variant_answers(i.answers, "monorepo", repo_name=a.answers.get("repo_name"),
                           **({"runtime": a.answers["runtime"]} if "runtime" in a.answers else {}))
    with suite.open_suite(a.answers, a.read(ANSWERS_FILE)) as the_suite:
        return {"monorepo": the_suite.render(mono),
                "separate-app": the_suite.render(a.answers),
                "separate-infra": the_suite.render(i.answers)}


def _write(repo: Repository, path: str, dst: str, old: bytes | None, new: bytes,
           origin: str | None = None) -> FileWrite:
    """A write of *new* at *dst* with the mode *path* has in *repo* (executable, symlink)."""
    mode = repo.tree[path][0]
    return FileWrite(dst, old, new, mode == "100755", origin, mode == "120000")


def _infra_writes(i: Repository, carried: list[str], record: dict[str, Any],
                  renders: Renders | None) -> tuple[list[Change], set[str]]:
    """The infra repository's files as they join the monorepo (trigger workflows retargeted)."""
    i.prefetch(carried)
    merge: list[Change] = []
    rewritten: set[str] = set()
    for p in sorted(carried):
        data = i.read(p)
        restored = _restore(i, p, record.get("infra_rewrites", {}))
        if restored is not None:
            rewritten.add(p)
            data = restored
        elif renders is not None and is_trigger_workflow(p):
            new = suite.replay_or_keep(data, renders["separate-infra"].get(p), renders["monorepo"].get(p))
            if new != data:
                rewritten.add(p)
            data = new
        merge.append(_write(i, p, p, None, data, None if p in rewritten else i.root.name))
    return merge, rewritten


def _app_writes(a: Repository, moved_path: dict[str, str], record: dict[str, Any],
                renders: Renders | None, notes: list[Note], moved: list[str]) -> list[Change]:
    """The app repository's files the merge rewrites (restored, retargeted or re-rendered)."""
    app_rewrites = record.get("app_rewrites", {})
    moved_tops = [d.split("/", 1)[1] for d in moved]
    out: list[Change] = []
    for name, entry in sorted(record.get("app_joined", {}).items()):
        # A rule file of app/ that mono-to-separate joined into the root's: back into app/.
        if not isinstance(entry, dict) or a.tree.get(name, ("", ""))[1] != entry.get("result_blob"):
            continue
        data = _blob(a, str(entry.get("app_blob") or ""))
        if data is not None:
            out.append(FileWrite(f"app/{name}", None, data))
    # Only these can change: a file the split rewrote, the answers, a file the suite renders
    # differently in the monorepo, a workflow, a rule file. Read them in one batch, and no other.
    candidates = {s: d for s, d in moved_path.items()
                  if s in app_rewrites or s == ANSWERS_FILE or is_workflow_file(d)
                  or attributes.is_rule_file(d) or (renders is not None and renders["separate-app"].get(s)
                                                    != renders["monorepo"].get(d))}
    a.prefetch(sorted(candidates))
    for src_path, dst in sorted(candidates.items(), key=lambda kv: kv[1]):
        current = a.read(src_path)
        restored = _restore(a, src_path, app_rewrites)
        if restored is not None:
            if restored != current:
                out.append(_write(a, src_path, dst, current, restored))
            continue
        if src_path == ANSWERS_FILE:
            if renders is not None:
                out.append(FileWrite(ANSWERS_FILE, current, renders["monorepo"][ANSWERS_FILE]))
            continue
        result = current
        if renders is not None:
            result = suite.replay_or_keep(current, renders["separate-app"].get(src_path),
                                          renders["monorepo"].get(dst))
        if APP_CI.match(dst) and result == current:
            result = safe_splice(app_ci_to_subdir, current, dst)
        elif is_workflow_file(dst) and result == current:
            notes.append(Note(f"{dst} is kept as it was: check its path filters for the monorepo"))
        if attributes.is_rule_file(dst) and moved_tops:
            result = attributes.reroot(result, "", "app", moved_tops)
        if result != current:
            out.append(_write(a, src_path, dst, current, result))
    return out


def plan(settings: Settings) -> Merge:
    """Read both repositories and return the plan of the monorepo (pure but for reading),
    holding their locks."""
    with locks.hold(settings.app, settings.infra, command=COMMAND):
        return _plan(settings)


def _plan(settings: Settings) -> Merge:
    """Read both repositories and return the plan of the monorepo (pure but for reading)."""
    app_root, infra_root = gitops.toplevel(settings.app), gitops.toplevel(settings.infra)
    for root in (app_root, infra_root):
        gitops.check_safe_to_start(root, branch=None, need_history=True)
    dest = settings.dest.absolute()
    publish.check_destination(dest, not_inside=[app_root, infra_root])
    a, i = read_repository(app_root), read_repository(infra_root)
    _check_roles(a, i)
    # The monorepo must route each variables file to exactly one trigger workflow (checked in
    # verify); an infra repository already routed otherwise is refused now, and so is either
    # repository with a workflow GitHub would refuse (the app's join the monorepo's).
    refuse_broken_routing(i.root, variables_files(i.tree), i.branch, rev=i.head)
    refuse_broken_routing(a.root, (), a.branch, rev=a.head)
    record = _record(i)
    renders = _renders(a, i)
    notes: list[Note] = []

    # Commit 1, on the app's history: the app moves under app/ (rename detection follows it).
    moves: list[Change] = []
    if POINTER_FILE in a.tree:
        moves.append(FileDelete(POINTER_FILE, a.read(POINTER_FILE)))
    tops = sorted({p.split("/")[0] for p in a.tree if p != POINTER_FILE})
    where = {t: _destination_of(t, record) for t in tops}
    moves += [FileMove(t, d) for t, d in where.items() if d != t]
    moved_path = {p: (where[p.split("/")[0]] + p[len(p.split("/")[0]):])
                  for p in a.tree if p != POINTER_FILE}

    # Commit 2, the merge: the infra repository's files, and the retargeted ones.
    rules = [p for p in attributes.RULE_FILES if p in i.tree]
    carried = [p for p in i.tree if (p.startswith("infra/") or p.startswith(".github/"))
               and p not in rules]
    dropped = [p for p in i.tree if p in _INFRA_DROPPED or p.startswith(f"{RECORD_DIR}/")]
    stray = sorted(set(i.tree) - set(carried) - set(dropped) - set(rules))
    if stray:
        raise Refused(f"{i.root} has files outside infra/ with no place in a monorepo: "
                      f"{', '.join(stray[:5])}", "move them under infra/ or delete them in a commit")
    clash = sorted(set(carried) & set(moved_path.values()))
    if clash:
        raise Refused(f"both repositories hold {', '.join(clash[:5])}",
                      "rename or delete one of each in a commit, then run again")
    app_writes = _app_writes(a, moved_path, record, renders, notes,
                             [d for d in where.values() if d.startswith("app/")])
    merge, rewritten = _infra_writes(i, carried, record, renders)
    for path in rules:
        if record.get("infra_rule_files", {}).get(path) == i.tree[path][1]:
            dropped.append(path)  # as mono-to-separate wrote it: the app's original holds its rules
            rewritten.add(path)
            continue
        written = next((c for c in app_writes if c.path == path), None)
        base = written.new if isinstance(written, FileWrite) else (
            a.read(path) if path in moved_path else None)
        joined = attributes.join_rules(base, i.read(path))
        app_writes = [c for c in app_writes if c.path != path]
        if joined != (a.read(path) if path in moved_path else None):
            app_writes.append(FileWrite(path, a.read(path) if path in moved_path else None, joined))
        rewritten.add(path)
        notes.append(Note(f"{path} holds the rules of both repositories ({i.root.name}'s that were "
                          "not there already are added at its end): check them"))
    merge += app_writes
    if renders is None and (a.answers or i.answers):
        notes.append(Note("only one repository has Copier answers; the monorepo keeps the app's "
                          "as they are: regenerate them with copier if you use the suite"))
    if dropped:
        notes.append(Note(f"left behind from {i.root.name}: {', '.join(sorted(dropped))} "
                          "(the monorepo has its own README, answers and rule files; the "
                          "migration record belongs to the old layout)"))

    keys = state_keys(i)
    branch = a.branch or "main"
    steps = (
        HistoryStep(f"clone branch {branch} of {app_root} (its full history) into a scratch copy "
                    "beside DEST"),
        HistoryStep("commit: move the app under app/ (git log --follow keeps its history)"),
        HistoryStep(f"merge branch {i.branch} of {infra_root} with its full history: "
                    "git log -- infra/variables.yml in DEST shows the infra repository's commits"),
    )
    sk = ", ".join(k for k in keys.values() if k)
    name = str((a.answers or {}).get("repo_name") or dest.name)
    the_plan = Plan(
        COMMAND, dest, None, tuple(moves + merge), steps, (), tuple(notes) + (
            Note(f"infra now dispatches from the monorepo {name} (was {i.root.name}); state_key "
                 f"{sk} is unchanged: point the provider's repository allow-list at it", "provider"),
            Note(f"push {dest} to GitHub (git -C {dest} remote add origin <url> && git -C {dest} "
                 f"push -u origin {branch}) and configure the dispatch secret there"),
            Note(f"archive {a.root.name} and {i.root.name} once the monorepo is in use"),
        ),
        message=(f"repo-migrate {COMMAND}: merge {i.root.name} into the monorepo\n\n"
                 # Trailers, one per line, so that git (and register) can read them back.
                 f"App-Commit: {a.head}\nInfra-Commit: {i.head}\n"
                 f"{RECORD_TRAILER}: {record_line(_record_of(a, i, dest, name, keys))}\n"),
    )
    return Merge(settings, a, i, the_plan, tuple(moves), tuple(merge), frozenset(rewritten))


def verify(m: Merge, work: Path) -> None:
    """Every file of both sources is in DEST exactly once, as planned; state and history kept."""
    a, i = m.app_repo, m.infra_repo
    fmt = object_format(a.root)
    actual = gitops.ls_tree(work, "HEAD")
    check_tree(actual, expected_tree(a.tree, m.plan, fmt), "the monorepo")
    for p, (mode, sha) in i.tree.items():
        if p.startswith(("infra/", ".github/")) and p not in m.rewritten and actual.get(p) != (mode, sha):
            raise VerificationFailed(f"{p} of the infra repository is not in the monorepo as is", FIX)
    check_yaml([m.plan])
    keys = state_keys(i)
    check_state_keys(keys, work)
    check_history(i.root, i.head, work, keys)
    check_clean(work)
    if any(is_trigger_workflow(p) for p in actual):
        # Both sources' workflows now share one .github/workflows: a push of a variables file
        # must still run exactly one trigger workflow (not one from each repository).
        check_routing(work, keys, a.branch, "the monorepo", rev="HEAD")


def apply(m: Merge) -> Applied:
    """Build the monorepo beside DEST, verify it, then rename it into place (holding the locks of
    both sources and of DEST)."""
    a, i, dest = m.app_repo, m.infra_repo, m.plan.repo
    with locks.hold(a.root, i.root, command=COMMAND, destinations=[dest]):
        return _apply(m)


def _apply(m: Merge) -> Applied:
    a, i, dest = m.app_repo, m.infra_repo, m.plan.repo
    for repo in (a, i):
        if gitops.head_sha(repo.root) != repo.head:
            raise Refused(f"{repo.root} changed since the plan was made", "run the command again")
    publish.check_destination(dest, not_inside=[a.root, i.root])
    branch = a.branch or "main"
    with publish.staging_dir(dest) as work:
        history.clone_for_rewrite(a.root, work, branch, only_reachable=True)
        if gitops.head_sha(work) != a.head:
            raise Refused(f"{a.root} changed while the command ran", "run it again")
        publish.kill_point("after-app-clone")
        moved = publish.commit_changes(work, m.moves, f"repo-migrate {COMMAND}: move the app into app/",
                                       parents=(a.head,), ident_from=a.root) or a.head
        ref = "refs/repo-migrate/infra"
        gitops.git(work, "-c", "gc.auto=0", "fetch", "-q", "--no-tags", "--no-write-fetch-head",
                   str(i.root), f"+refs/heads/{i.branch}:{ref}")
        if gitops.git(work, "rev-parse", ref).strip() != i.head:
            raise Refused(f"{i.root} changed while the command ran", "run it again")
        publish.kill_point("after-infra-fetch")
        commit = publish.commit_changes(work, m.merge, m.plan.commit_message,
                                        parents=(moved, i.head), ident_from=a.root)
        assert commit is not None
        publish.advance_branch(work, commit)
        gitops.git(work, "update-ref", "-d", ref)
        publish.kill_point("after-merge")
        verify(m, work)
        publish.kill_point("before-publish")
        publish.publish_directory(work, dest)
    published = Published(dest, None, commit)
    return Applied(m, (published,), f"Done: the monorepo is {dest}.",
                   (("dest", str(dest)), ("commit", commit)))


def run(settings: Settings) -> Applied:
    """``apply(plan(settings))``, holding the sources' locks from start to end."""
    with locks.hold(settings.app, settings.infra, command=COMMAND):
        return apply(plan(settings))
