"""Apply a mono-to-separate plan: both results in scratch copies, verified together, published last.

``apply(migration)`` builds the infra repository beside DEST (history kept by git-filter-repo in
a local scratch clone) and the app commit in a scratch clone of REPO, checks that every source
file is in exactly one result (``verify_split``), then publishes DEST (one rename) and the
branch (``update-ref`` creation only), last. ``run(settings)`` is ``apply(plan(settings))`` with
the slow parts side by side.
"""

from __future__ import annotations

import importlib
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from migrate import gitops, history, publish
from migrate.commands.mono_to_separate import (
    Migration,
    Settings,
    app_plan,
    infra_plan,
    plan,
    read_facts,
    render_parts,
)
from migrate.errors import Refused
from migrate.plan import FileWrite, Plan
from migrate.repository import Repository
from migrate.separate_pattern import COMMIT_MAP_FILE
from migrate.split_check import verify_split


@dataclass(frozen=True)
class Result:
    migration: Migration
    app: publish.Published
    infra: publish.Published


def _rewrite_history(src: Repository, keep: tuple[str, ...], staging: Path, progress: bool) -> None:
    """Clone the branch into *staging* and keep only *keep* with its history (filter-repo)."""
    history.clone_for_rewrite(src.root, staging, src.branch or "main")
    if gitops.head_sha(staging) != src.head:
        raise Refused(f"{src.root} changed while the command ran", "run it again")
    publish.kill_point("after-infra-clone")
    args = [a for p in keep for a in ("--path", p)]
    history.filter_repo(staging, args, progress=progress, label="keeping infra/ history")
    publish.kill_point("after-filter-repo")
    cmap = history.commit_map(staging)
    data = cmap.read_bytes()
    shutil.rmtree(cmap.parent)  # the map is committed next; no "already ran" marker left
    publish.write_changes(staging, [FileWrite(COMMIT_MAP_FILE, None, data)])


def _finish_infra(m: Migration, staging: Path, *, rewritten: bool) -> str:
    """Commit the infra plan's files in *staging* (history already rewritten or not wanted)."""
    src = m.source
    if m.settings.history and not rewritten:
        _rewrite_history(src, m.keep_paths, staging, m.settings.progress)
    elif not m.settings.history:
        gitops.git(staging, "init", "-q", "-b", src.branch or "main")
    publish.write_changes(staging, m.infra.changes)
    commit = publish.commit_all(staging, m.infra.commit_message, ident_from=src.root)
    assert commit is not None
    publish.kill_point("after-infra-commit")
    return commit


def _check_unchanged(m: Migration) -> None:
    src = m.source
    if gitops.head_sha(src.root) != src.head:
        raise Refused(f"{src.root} changed since the plan was made", "run the command again")
    assert m.app.branch is not None
    gitops.check_branch_free(src.root, m.app.branch)
    publish.check_destination(m.infra.repo, not_inside=[src.root])


def _verify_and_publish(m: Migration, staging: Path, prepared: publish.Prepared,
                        infra_commit: str) -> Result:
    """Check both results together, then publish DEST (one rename) and the branch, last."""
    verify_split(m, prepared.work, staging)
    publish.kill_point("before-publish")
    publish.publish_directory(staging, m.infra.repo)
    publish.kill_point("between-publishes")
    app = publish.publish_branch(m.source.root, m.app, prepared)
    return Result(m, app, publish.Published(m.infra.repo, None, infra_commit))


def apply(m: Migration) -> Result:
    """Build both results in scratch copies, verify them together, then publish both, last."""
    _check_unchanged(m)
    with publish.staging_dir(m.infra.repo) as staging:
        infra_commit = _finish_infra(m, staging, rewritten=False)
        with publish.prepare_branch(m.source.root, m.app) as prepared:
            assert prepared is not None
            return _verify_and_publish(m, staging, prepared, infra_commit)


def run(settings: Settings) -> Result:
    """``apply(plan(settings))``, with the slow parts side by side.

    The history rewrite (git-filter-repo, other processes) needs only the source and the paths
    to keep; Copier's renders (the infra README, the suite's files) are Python work; the app
    branch's scratch commit needs the renders only for a suite-made repository. Two threads do
    the renders and the app commit while the main thread rewrites the history in the scratch
    directory beside DEST, after every refusal check; nothing is published before both results
    are verified. The main thread names every path absolutely: Copier may chdir as it renders.
    """
    if not settings.history:
        return apply(plan(settings))
    # Importing Copier is half of its cost: start it while git answers the refusal checks.
    threading.Thread(target=importlib.import_module, args=("copier",), daemon=True).start()
    f = read_facts(settings)
    with ExitStack() as stack:
        staging = stack.enter_context(publish.staging_dir(f.dest))
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=2))
        slow = pool.submit(render_parts, f)

        def app_job() -> tuple[Plan, publish.Prepared]:
            app = app_plan(f, slow.result()[0] if f.src.answers else None)
            # The stack is only touched by this thread until the main thread has joined it.
            prepared = stack.enter_context(publish.prepare_branch(f.src.root, app))
            assert prepared is not None
            return app, prepared

        app_future = pool.submit(app_job)
        try:
            _rewrite_history(f.src, f.keep, staging, settings.progress)
        finally:
            wait([slow, app_future])
        renders, readme = slow.result()
        app, prepared = app_future.result()
        m = Migration(settings, f.src, app, infra_plan(f, renders, readme, app), f.keep)
        _check_unchanged(m)
        infra_commit = _finish_infra(m, staging, rewritten=True)
        return _verify_and_publish(m, staging, prepared, infra_commit)
    raise AssertionError("unreachable")
