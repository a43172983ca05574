"""`repo-migrate mono-to-separate`: split a monorepo into an app repository and an infra repository.

``plan(settings)`` reads the monorepo and returns a ``Split`` holding two plans (``layout``): the
app repository, a commit on a new branch of REPO, and the infra repository, a new repository at
DEST whose history git-filter-repo keeps in a scratch clone. ``apply(split)`` builds both
results in scratch copies, checks them together (``verify``: every file of the source is in
exactly one result, state keys and history kept, routing intact), then publishes DEST (one
rename) and the branch (``update-ref`` creation only), last, both or neither
(``publish.publish_with_branch``). Each holds the locks of REPO (and, to build, of DEST) from
its first read to its last write (``migrate.locks``). ``run(settings)`` is
``apply(plan(settings))`` with the slow parts side by side: the history rewrite needs only the
source and the paths to keep, so it runs while Copier renders the suite's files.
"""

from __future__ import annotations

import importlib
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate import contract, gitops, history, interrupts, locks, publish, render_worker
from migrate.commands.mono_to_separate.infra import infra_plan
from migrate.commands.mono_to_separate.layout import COMMAND, Facts, Settings, finish_facts, read_facts, start_facts
from migrate.commands.mono_to_separate.plans import app_plan, app_workflow_pairs, render_parts
from migrate.errors import Refused, VerificationFailed
from migrate.plan import Applied, FileDelete, FileWrite, Plan, Published
from migrate.repository import Repository
from migrate.routing import branch_ref, check_no_trigger_runs, check_routing
from migrate.verify import (
    FIX,
    Tree,
    check_clean,
    check_history,
    check_state_keys,
    check_tree,
    check_yaml,
    expected_tree,
    object_format,
)
from migrate.workflow_moves import check_same_runs

__all__ = ["COMMAND", "Settings", "Split", "apply", "plan", "run", "verify", "verify_app", "verify_infra"]


@dataclass(frozen=True)
class Split:
    """The two plans of mono-to-separate and what applying them needs."""

    settings: Settings
    source: Repository
    app: Plan
    infra: Plan
    facts: Facts

    @property
    def keep_paths(self) -> tuple[str, ...]:
        """git-filter-repo's --path arguments."""
        return self.facts.keep

    @property
    def plans(self) -> tuple[Plan, ...]:
        return (self.app, self.infra)

    def details(self) -> dict[str, Any]:
        f = self.facts
        return {"keep_paths": list(f.keep) if self.settings.history else [],
                "app_folder": f.app_folder,
                "moved_workflows": sorted(p for p, v in f.verdicts.items() if v.moves),
                "staying_workflows": {p: v.reason for p, v in f.verdicts.items() if not v.moves},
                "left_behind": f.left_behind}


def plan(settings: Settings) -> Split:
    """Read the monorepo and return the plan of both results (changes nothing), holding its lock."""
    with locks.hold(settings.repo, command=COMMAND):
        return _plan(settings)


def _plan(settings: Settings) -> Split:
    f = read_facts(settings)
    renders, readme = render_parts(f)
    return _split_from(f, renders, readme, app_plan(f, renders))


def verify(m: Split, app_repo: Path, app_commit: str, infra_work: Path) -> None:
    """mono-to-separate's post-conditions: the app result (commit *app_commit* in *app_repo*)
    and the infra repository (*infra_work*) together account for every file of the source."""
    verify_app(m.facts, m.app, app_repo, app_commit)
    verify_infra(m, infra_work)


def verify_infra(m: Split, infra_work: Path) -> None:
    """The infra repository's half of ``verify``: its files, state keys, history and routing."""
    src = m.source
    fmt = object_format(src.root)
    leaving = set(m.facts.leaving)
    infra_base: Tree = {p: v for p, v in src.tree.items() if p in leaving} if m.settings.history else {}
    check_tree(gitops.ls_tree(infra_work, "HEAD"), expected_tree(infra_base, m.infra, fmt),
               "the infra repository",
               any_content=[contract.COMMIT_MAP_FILE] if m.settings.history else [])
    check_yaml(m.plans)
    keys = m.facts.keys
    check_state_keys(keys, infra_work)
    if m.settings.history:
        check_history(src.root, src.head, infra_work, keys)
    check_clean(infra_work)
    if any(contract.is_trigger_workflow(p) for p in src.tree):
        # The source was routed (refuse_broken_routing): the infra repository must still be.
        check_routing(infra_work, keys, src.branch, "the infra repository", rev="HEAD")


def verify_app(f: Facts, app: Plan, app_repo: Path, app_commit: str) -> None:
    """The app branch's half of ``verify``: every file that stays, as planned; no dispatch; the
    workflows run for the moved paths as they did (it needs only the app plan: ``run`` checks
    it beside the history rewrite)."""
    src = f.src
    fmt = object_format(src.root)
    leaving = set(f.leaving)
    app_tree = gitops.ls_tree(app_repo, app_commit)
    check_tree(app_tree, expected_tree(src.tree, app, fmt), "the app branch")
    joined = {f"{f.app_folder}/{n}" for n in f.joined}
    deleted = {c.path for c in app.changes if isinstance(c, FileDelete)} - joined
    if deleted != leaving:
        raise VerificationFailed("the app branch would keep files that move to the infra "
                                 f"repository: {sorted(leaving ^ deleted)[:10]}", FIX)
    # The app repository has no infra: no change to it (nor to a file at a variables file's
    # old path) may run a trigger workflow.
    check_no_trigger_runs(app_repo, set(app_tree) | set(f.keys), src.branch, "the app branch",
                          rev=app_commit)
    # What ran for app/X before runs for X after (explain's evaluator on both commits); the
    # source's workflows are in the read cache (the app plan read them), the result's are named
    # by the tree just listed.
    moved = {new: old for new, old in f.after_move.items() if contract.is_workflow_file(new)}
    before = {new: src.read(old) for new, old in moved.items()}
    present = [p for p in moved if p in app_tree and app_tree[p][0] != "160000"]
    after = dict(zip(present, gitops.cat_blobs(app_repo, [app_tree[p][1] for p in present])))
    problems = check_same_runs(before, after, app_workflow_pairs(f), branch_ref(src.branch))
    if problems:
        raise VerificationFailed("the app branch's workflows would not run as they did: "
                                 + "; ".join(problems[:5]), FIX)


def _rewrite_history(src: Repository, keep: tuple[str, ...], staging: Path, progress: bool) -> bytes:
    """Clone the branch into *staging* and keep only *keep* with its history (filter-repo);
    returns filter-repo's commit map."""
    with _rewriting(src, keep, staging, progress) as finished:
        return finished()


@contextmanager
def _rewriting(src: Repository, keep: tuple[str, ...], staging: Path,
               progress: bool) -> Iterator[Callable[[], bytes]]:
    """``_rewrite_history`` started: the block goes on while filter-repo runs and calls the
    function yielded for the commit map; leaving the block early stops filter-repo."""
    history.clone_for_rewrite(src.root, staging, src.branch or "main")
    if gitops.head_sha(staging) != src.head:
        raise Refused(f"{src.root} changed while the command ran", "run it again")
    publish.kill_point("after-infra-clone")
    args = [a for p in keep for a in ("--path", p)]
    with history.rewriting(staging, args, progress=progress, label="keeping infra/ history") as done:

        def finished() -> bytes:
            done()
            publish.kill_point("after-filter-repo")
            cmap = history.commit_map(staging)
            data = cmap.read_bytes()
            shutil.rmtree(cmap.parent)  # the map is committed next; no "already ran" marker left
            return data

        yield finished


def _finish_infra(m: Split, staging: Path, commit_map: bytes | None = None) -> str:
    """Commit the infra plan's files in *staging*, on the rewritten history (rewritten here when
    *commit_map* is None) or, without history, in a new repository."""
    src = m.source
    changes = list(m.infra.changes)
    if m.settings.history:
        if commit_map is None:
            commit_map = _rewrite_history(src, m.keep_paths, staging, m.settings.progress)
        changes.append(FileWrite(contract.COMMIT_MAP_FILE, None, commit_map))
    else:
        gitops.git(staging, "init", "-q", "-b", src.branch or "main")
    head = gitops.git(staging, "rev-parse", "-q", "--verify", "HEAD", check=False).strip()
    commit = publish.commit_changes(staging, changes, m.infra.commit_message,
                                    parents=(head,) if head else (), ident_from=src.root)
    assert commit is not None
    publish.advance_branch(staging, commit)
    publish.kill_point("after-infra-commit")
    return commit


def _check_unchanged(m: Split) -> None:
    src = m.source
    if gitops.head_sha(src.root) != src.head:
        raise Refused(f"{src.root} changed since the plan was made", "run the command again")
    assert m.app.branch is not None
    gitops.check_branch_free(src.root, m.app.branch)
    publish.check_destination(m.infra.repo, not_inside=[src.root])


def _verify_and_publish(m: Split, staging: Path, prepared: publish.Prepared,
                        infra_commit: str, *, app_verified: bool = False) -> Applied:
    """Check both results together (the app branch's half already, when *app_verified*), then
    publish DEST (one rename) and the branch, last."""
    if app_verified:
        verify_infra(m, staging)
    else:
        verify(m, prepared.repo, prepared.commit, staging)
    publish.kill_point("before-publish")
    app = publish.publish_with_branch(staging, m.infra.repo, m.source.root, m.app, prepared)
    infra = Published(m.infra.repo, None, infra_commit)
    return Applied(
        m, (app, infra),
        f"Done: the infra repository is {infra.repo}; the app repository is branch {app.branch} "
        f"in {app.repo}.",
        (("app_branch", str(app.branch)), ("app_commit", app.commit),
         ("infra_repo", str(infra.repo)), ("infra_commit", infra.commit)))


@contextmanager
def _app_prepared(source: Path, app: Plan) -> Iterator[publish.Prepared]:
    with publish.prepare_branch(source, app) as prepared:
        assert prepared is not None  # the app plan always deletes infra/
        yield prepared


def apply(m: Split) -> Applied:
    """Build both results in scratch copies, verify them together, then publish both, last."""
    with locks.hold(m.source.root, command=COMMAND, destinations=[m.infra.repo]):
        return _apply(m)


def _apply(m: Split) -> Applied:
    _check_unchanged(m)
    with publish.staging_dir(m.infra.repo) as staging:
        infra_commit = _finish_infra(m, staging)
        with _app_prepared(m.source.root, m.app) as prepared:
            return _verify_and_publish(m, staging, prepared, infra_commit)


def _split_from(f: Facts, renders: Any, readme: bytes, app: Plan) -> Split:
    return Split(f.settings, f.src, app, infra_plan(f, renders, readme, app), f)


def run(settings: Settings) -> Applied:
    """``apply(plan(settings))``, with the slow parts side by side.

    The history rewrite (git-filter-repo, other processes) needs only the source and the paths
    to keep; Copier's renders are Python work; the app branch's scratch commit needs the renders
    only for a suite-made repository. Two threads do the renders and the app commit while the
    main thread rewrites the history in the scratch directory beside DEST, after every refusal
    check; nothing is published before both results are verified. The main thread names every
    path absolutely: Copier may chdir as it renders.
    """
    if not settings.history:
        with locks.hold(settings.repo, command=COMMAND):
            return apply(plan(settings))
    if not render_worker.running():
        # Importing Copier is half of its cost: start it while git answers the refusal checks
        # (with a render worker, Copier is imported there, on another core).
        threading.Thread(target=importlib.import_module, args=("copier",), daemon=True).start()
    with ExitStack() as stack:
        stack.enter_context(locks.hold(settings.repo, command=COMMAND))
        start = start_facts(settings)
        stack.enter_context(locks.hold(command=COMMAND, destinations=[start.dest]))
        staging = stack.enter_context(publish.staging_dir(start.dest))
        # The rewrite needs only the source and the paths to keep: it starts now and runs while
        # the other refusals are checked (a refusal stops it) and the suite renders.
        rewritten = stack.enter_context(_rewriting(start.src, start.keep, staging, settings.progress))
        f = finish_facts(start)

        def app_job() -> tuple[Plan, publish.Prepared]:
            app = app_plan(f, slow.result()[0] if f.src.answers else None)
            # The stack is only touched by this thread until the main thread has joined it.
            prepared = stack.enter_context(_app_prepared(f.src.root, app))
            verify_app(f, app, prepared.repo, prepared.commit)
            # Count now, beside the rewrite, what the plan and the history check will ask of
            # the source (counted once per commit id).
            history.count_commits(f.src.root, f.src.head, *f.keep)
            for path in f.keys:
                history.count_commits(f.src.root, f.src.head, path)
            return app, prepared

        # A signal inside submit() could start a worker the pool never joins (Thread.start() is
        # interrupted before the pool records it): no signal until both are started and known.
        with interrupts.deferred():
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=2))
            slow = pool.submit(render_parts, f)
            app_future = pool.submit(app_job)
        try:
            commit_map = rewritten()
        finally:
            pending: list[Future[Any]] = [slow, app_future]
            wait(pending)
        renders, readme = slow.result()
        app, prepared = app_future.result()
        m = _split_from(f, renders, readme, app)
        _check_unchanged(m)
        infra_commit = _finish_infra(m, staging, commit_map)
        return _verify_and_publish(m, staging, prepared, infra_commit, app_verified=True)
    raise AssertionError("unreachable")
