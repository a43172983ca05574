"""repo-migrate mono-to-separate: split a monorepo into an app repository and an infra repository.

``plan(settings)`` reads the monorepo and returns a ``Migration`` holding two plans: the app
repository (a commit on a new branch of REPO: ``app/`` moved to the root, ``infra/`` and the
trigger workflows replaced by the ``infra/MOVED.md`` pointer, app CI retargeted) and the infra
repository (a new repository at DEST: ``infra/`` and the trigger workflows with their history,
kept by git-filter-repo in a scratch clone, plus a README, Copier answers and the migration
record). ``apply(migration)`` builds both in scratch copies, checks that every source file is in
exactly one result (``verify_split``), then publishes DEST (one rename) and the branch, last.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate import gitops, history, publish
from migrate.errors import Refused
from migrate.plan import Change, FileDelete, FileMove, FileWrite, HistoryStep, Note, Plan, default_branch
from migrate.repository import Repository, read_repository, state_keys, variables_files
from migrate.separate_pattern import (
    ANSWERS_FILE,
    COMMIT_MAP_FILE,
    POINTER_FILE,
    RECORD_FILE,
    TRIGGER_WORKFLOW,
    WORKFLOW,
    Renders,
    app_ci_to_root,
    mentions_app_dir,
    pointer_text,
    record_json,
    render_patterns,
    retarget,
    safe_splice,
    variant_answers,
)
from migrate.split_check import blob_id, object_format, verify_split

COMMAND = "mono-to-separate"
_REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


@dataclass(frozen=True)
class Settings:
    """Options of one run (the CLI fills them in)."""

    repo: Path
    infra_repo: Path
    branch: str | None = None
    history: bool = True
    progress: bool = False


@dataclass(frozen=True)
class Migration:
    """The two plans and what applying them needs."""

    settings: Settings
    source: Repository
    app: Plan
    infra: Plan
    keep_paths: tuple[str, ...]  # git-filter-repo --path arguments

    @property
    def plans(self) -> tuple[Plan, Plan]:
        return (self.app, self.infra)


@dataclass(frozen=True)
class Result:
    migration: Migration
    app: publish.Published
    infra: publish.Published


def _refuse_wrong_pattern(src: Repository) -> None:
    where = src.root
    if src.answers and src.pattern and src.pattern.startswith("separate"):
        raise Refused(f"{where} is already in the separate pattern ({src.pattern}, says "
                      ".copier-answers.yml)",
                      "nothing to do; to combine an app and an infra repository use separate-to-mono")
    if not src.files_under("infra/"):
        raise Refused(f"{where} has no infra/ folder, so it is not a monorepo",
                      "run it on a monorepo (app/ and infra/variables.yml)")
    if not src.files_under("app/"):
        raise Refused(f"{where} has no app/ folder: it already looks like an infra repository "
                      "(separate pattern)",
                      "nothing to split; run it on a monorepo (app/ and infra/variables.yml)")
    if src.pattern in ("multi-service", "multi-region"):
        raise Refused(f"{where} is a {src.pattern} repository; mono-to-separate splits a monorepo",
                      "run it on a monorepo (app/ and infra/variables.yml)")
    if not variables_files(src.tree):
        raise Refused(f"{where} has infra/ but no infra/variables.yml",
                      "add the variables file (with customer_id and state_key), commit, run again")
    links = [p for p, (m, _) in src.tree.items() if m == "160000"]
    if links:
        raise Refused(f"{where} has submodules ({', '.join(links)}), which this command cannot move",
                      "remove the submodules first, or split the repository by hand")


def _app_moves(src: Repository, leaving: set[str]) -> list[FileMove]:
    """One move per top-level entry of app/; refuses names that already exist at the root."""
    tops = sorted({p.split("/")[1] for p in src.files_under("app/")})
    staying = [p for p in src.tree if not p.startswith("app/") and p not in leaving]
    clashes = [t for t in tops if any(p == t or p.startswith(f"{t}/") for p in staying)]
    if "infra" in tops:
        clashes.append("infra (the pointer file goes there)")
    if clashes:
        raise Refused(
            "these names exist both in app/ and at the root, so the app repository cannot hold "
            f"both: {', '.join(clashes)}",
            "rename or merge one of each pair in a commit, then run again")
    return [FileMove(f"app/{t}", t) for t in tops]


def _infra_name(dest: Path, answers: dict[str, Any] | None) -> str:
    name = dest.name
    if _REPO_NAME.match(name) and name not in (".", ".."):
        return name
    cid = (answers or {}).get("customer_id", "customer")
    return f"{cid}-infra"


def _renders(src: Repository, infra_name: str) -> dict[str, Renders] | None:
    answers = dict(src.answers or {})
    if not answers:
        return None
    renders = render_patterns(answers, {
        "monorepo": variant_answers(answers, "monorepo"),
        "separate-app": variant_answers(answers, "separate-app"),
        "separate-infra": variant_answers(answers, "separate-infra", repo_name=infra_name),
    })
    if renders is None:
        raise Refused(
            f"the template suite that made {src.root} ({answers.get('_src_path')} at "
            f"{answers.get('_commit')}) cannot be rendered, so its Copier answers cannot be carried over",
            "make the suite reachable at _src_path in .copier-answers.yml, or remove "
            ".copier-answers.yml in a commit to migrate without Copier")
    return renders


def _infra_readme(src: Repository, infra_name: str, keys: dict[str, str | None],
                  renders: dict[str, Renders] | None) -> bytes:
    if renders is not None:
        return renders["separate-infra"].files["README.md"]
    # Not from the suite: still render the infra repository's README from the template.
    from migrate import suite

    first = variables_files(src.tree)[0]
    data = {"pattern": "separate", "repo_role": "infra", "customer_id": _customer_id(src) or "customer",
            "repo_name": infra_name}
    if keys.get(first):
        data["state_key"] = keys[first]
    try:
        return suite.render_file(data, "README.md")
    except Exception:  # noqa: BLE001 - the README is a courtesy; never fail the move on it
        return (f"# {infra_name}\n\nInfrastructure repository (separate pattern): infra/ holds "
                "the variables files; .github/workflows/trigger-infra*.yml sends changes to the "
                "provider.\n").encode()


def _rewrites(src: Repository, changes: list[Change], origin: dict[str, str]) -> dict[str, Any]:
    fmt = object_format(src.root)
    out: dict[str, Any] = {}
    for c in changes:
        if isinstance(c, FileWrite) and c.path in origin and origin[c.path] in src.tree:
            out[c.path] = {"source_path": origin[c.path],
                           "source_blob": src.tree[origin[c.path]][1],
                           "result_blob": blob_id(c.new, fmt)}
    return out


def _customer_id(src: Repository) -> str | None:
    from migrate.repository import load_yaml

    first = variables_files(src.tree)[0]
    doc = load_yaml(src.read(first), first)
    cid = doc.get("customer_id") if isinstance(doc, dict) else None
    return cid if isinstance(cid, str) else None


def _secret_name(src: Repository, triggers: list[str]) -> str:
    for t in triggers:
        found = re.search(rb"secrets\.([A-Za-z_][A-Za-z0-9_]*)", src.read(t))
        if found and found.group(1) != b"GITHUB_TOKEN":
            return found.group(1).decode()
    return "that dispatches to the provider"


def plan(settings: Settings) -> Migration:
    """Read the monorepo and return the plan of both results (pure but for reading)."""
    root = gitops.toplevel(settings.repo)
    branch = settings.branch or default_branch(COMMAND)
    gitops.check_safe_to_start(root, branch=branch, need_history=settings.history)
    dest = settings.infra_repo.absolute()
    publish.check_destination(dest, not_inside=[root])
    src = read_repository(root)
    _refuse_wrong_pattern(src)

    infra_files = src.files_under("infra/")
    triggers = sorted(p for p in src.tree if TRIGGER_WORKFLOW.match(p))
    leaving = set(infra_files) | set(triggers)
    moves = _app_moves(src, leaving)
    src.prefetch(sorted(leaving))
    keys = state_keys(src)
    infra_name = _infra_name(dest, src.answers)
    repo_name = str((src.answers or {}).get("repo_name") or root.name)
    renders = _renders(src, infra_name)
    notes: list[Note] = []

    # --- the app repository: one commit on a new branch of REPO
    app_changes: list[Change] = [FileDelete(p, src.read(p)) for p in sorted(leaving)]
    app_changes += moves
    app_changes.append(FileWrite(POINTER_FILE, None, pointer_text(infra_name, src.head, keys)))
    after_move = {(p[4:] if p.startswith("app/") else p): p for p in src.tree if p not in leaving}
    for new_path, old_path in sorted(after_move.items()):
        current = src.read(old_path)
        result = current
        if renders is not None and new_path != ANSWERS_FILE:
            old_r = renders["monorepo"].files.get(old_path)
            new_r = renders["separate-app"].files.get(new_path)
            if old_r is not None and new_r is not None and old_r != new_r:
                result = retarget(current, old_r, new_r) or current
        if WORKFLOW.match(new_path) and mentions_app_dir(result.decode("utf-8", "replace")):
            result = safe_splice(app_ci_to_root, result, new_path)
            if mentions_app_dir(result.decode("utf-8", "replace")):
                notes.append(Note(f"{new_path} still mentions app/ (outside path filters and "
                                  "working directories): review it"))
        if result != current:
            exe = src.tree[old_path][0] == "100755"
            app_changes.append(FileWrite(new_path, current, result, executable=exe))
    if renders is not None:
        app_changes.append(FileWrite(ANSWERS_FILE, src.read(ANSWERS_FILE),
                                     renders["separate-app"].files[ANSWERS_FILE]))

    # --- the infra repository: a new repository at DEST
    infra_changes: list[Change] = []
    if not settings.history:
        infra_changes += [FileWrite(p, None, src.read(p), src.tree[p][0] == "100755",
                                    origin=repo_name) for p in sorted(leaving)]
    for t in triggers:
        current = src.read(t)
        result = current
        if renders is not None:
            old_r = renders["monorepo"].files.get(t)
            new_r = renders["separate-infra"].files.get(t)
            if old_r is not None and new_r is not None:
                result = retarget(current, old_r, new_r) or current
        if result != current:
            infra_changes = [c for c in infra_changes if c.path != t]
            infra_changes.append(FileWrite(t, None if not settings.history else current, result,
                                           src.tree[t][0] == "100755"))
    infra_changes.append(FileWrite("README.md", None, _infra_readme(src, infra_name, keys, renders)))
    if renders is not None:
        infra_changes.append(FileWrite(ANSWERS_FILE, None,
                                       renders["separate-infra"].files[ANSWERS_FILE]))
    record = {
        "format": "repo-migrate/migration@1",
        "command": COMMAND,
        "old_repository": {"name": repo_name, "path": str(root), "branch": src.branch,
                           "commit": src.head},
        "new_repository": {"name": infra_name, "path": str(dest), "branch": src.branch},
        "app_repository": {"name": repo_name, "branch": branch},
        "customer_id": (src.answers or {}).get("customer_id") or _customer_id(src),
        "state_keys": keys,
        "history": settings.history,
        "commit_map": COMMIT_MAP_FILE if settings.history else None,
        "moved_to_app_root": sorted(m.dst for m in moves),
        "kept_at_app_root": sorted({p.split("/")[0] for p in src.tree
                                    if p not in leaving and not p.startswith("app/")}),
        # Files the move rewrote: separate-to-mono restores the source bytes while a file is
        # still as the move left it (both blobs stay in the histories).
        "app_rewrites": _rewrites(src, app_changes, after_move),
        "infra_rewrites": _rewrites(src, [c for c in infra_changes if isinstance(c, FileWrite)
                                          and c.path in triggers], {t: t for t in triggers}),
    }
    infra_changes.append(FileWrite(RECORD_FILE, None, record_json(record)))

    keep = ("infra/", *triggers)
    steps: list[HistoryStep] = []
    if settings.history:
        touching = int(gitops.git(root, "rev-list", "--count", src.head, "--", *keep).strip())
        steps = [
            HistoryStep(f"clone branch {src.branch} of {root} into a scratch copy and keep only "
                        f"{', '.join(keep)} with git-filter-repo: the {touching} commits that "
                        "touched them, with their authors, dates and messages"),
            HistoryStep(f"save the commit map (old commit -> new commit) as {COMMIT_MAP_FILE}"),
        ]
    else:
        notes.append(Note("--no-history: the infra repository starts with one commit; the history "
                          f"of infra/ stays in {repo_name} only"))
    sk = ", ".join(f"{k}" for k in keys.values() if k)
    secret = (src.answers or {}).get("dispatch_token_secret") or _secret_name(src, triggers)
    provider = [Note(f"customer {record['customer_id']}: infra now dispatches from repository "
                     f"{infra_name} (was {repo_name}); state_key {sk} is unchanged: point the "
                     "provider's repository allow-list at the new repository, keep the state",
                     "provider")]
    app_plan = Plan(
        COMMAND, root, branch, tuple(app_changes), (), (), tuple(notes) + (
            Note(f"review and merge branch {branch} (git diff {src.branch}...{branch})"),
            Note(f"remove the secret {secret} from {repo_name} once merged"),
        ),
        message=(f"repo-migrate {COMMAND}: app repository\n\n"
                 f"infra/ and the trigger workflows moved, with their history, to {infra_name};\n"
                 f"app/ moved to the root.\n\nSource commit: {src.head}\n"),
        base=src.head,
    )
    infra_plan = Plan(
        COMMAND, dest, None, tuple(infra_changes), tuple(steps), (), tuple(provider) + (
            Note(f"create the GitHub repository {infra_name} and push: git -C {dest} remote add "
                 f"origin <url> && git -C {dest} push -u origin {src.branch}"),
            Note(f"configure the secret {secret} in {infra_name}"),
        ),
        message=(f"repo-migrate {COMMAND}: infra repository from {repo_name}\n\n"
                 f"Source commit: {src.head}\n"),
    )
    return Migration(settings, src, app_plan, infra_plan, keep)


def _build_infra(m: Migration, staging: Path) -> str:
    """The infra repository, built in *staging*; returns its HEAD."""
    src, s = m.source, m.settings
    branch = src.branch or "main"
    if s.history:
        history.clone_for_rewrite(src.root, staging, branch)
        if gitops.head_sha(staging) != src.head:
            raise Refused(f"{src.root} changed while the command ran", "run it again")
        publish.kill_point("after-infra-clone")
        args = [a for p in m.keep_paths for a in ("--path", p)]
        history.filter_repo(staging, args, progress=s.progress, label="keeping infra/ history")
        publish.kill_point("after-filter-repo")
        cmap = history.commit_map(staging)
        data = cmap.read_bytes()
        shutil.rmtree(cmap.parent)  # the map is committed below; no "already ran" marker left
        publish.write_changes(staging, [FileWrite(COMMIT_MAP_FILE, None, data)])
    else:
        gitops.git(staging, "init", "-q", "-b", branch)
    publish.write_changes(staging, m.infra.changes)
    commit = publish.commit_all(staging, m.infra.commit_message, ident_from=src.root)
    assert commit is not None
    publish.kill_point("after-infra-commit")
    return commit


def apply(m: Migration) -> Result:
    """Build both results in scratch copies, verify them together, then publish both, last."""
    src, dest = m.source, m.infra.repo
    if gitops.head_sha(src.root) != src.head:
        raise Refused(f"{src.root} changed since the plan was made", "run the command again")
    assert m.app.branch is not None
    gitops.check_branch_free(src.root, m.app.branch)
    publish.check_destination(dest, not_inside=[src.root])
    with publish.staging_dir(dest) as staging:
        infra_commit = _build_infra(m, staging)
        with publish.prepare_branch(src.root, m.app) as prepared:
            assert prepared is not None
            verify_split(m, prepared.work, staging)
            publish.kill_point("before-publish")
            publish.publish_directory(staging, dest)
            publish.kill_point("between-publishes")
            app = publish.publish_branch(src.root, m.app, prepared)
    return Result(m, app, publish.Published(dest, None, infra_commit))
