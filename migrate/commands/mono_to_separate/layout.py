"""mono-to-separate's layout: the refusals, the facts read once, and the two plans.

``read_facts(settings)`` runs every refusal check and reads the monorepo; ``render_parts``
renders what the suite makes (Copier's work); ``app_plan`` is the app repository (a commit on a
new branch of REPO: ``app/`` moved to the root, ``infra/`` and the trigger workflows replaced by
the ``infra/MOVED.md`` pointer, app CI retargeted) and ``infra_plan`` the infra repository (a
new repository at DEST: ``infra/`` and the trigger workflows with their history, plus a README,
Copier answers and the migration record).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate import gitops, publish, suite
from migrate.app_ci import app_ci_to_root, mentions_app_dir, safe_splice
from migrate.contract import (
    ANSWERS_FILE,
    COMMIT_MAP_FILE,
    POINTER_FILE,
    RECORD_FILE,
    RECORD_FORMAT,
    is_trigger_workflow,
    is_workflow_file,
    load_yaml,
    variables_files,
)
from migrate.errors import Refused
from migrate.migration_record import pointer_text, record_json
from migrate.patterns import variant_answers
from migrate.plan import Change, FileDelete, FileMove, FileWrite, HistoryStep, Note, Plan, default_branch
from migrate.repository import Repository, read_repository, state_keys
from migrate.routing import refuse_broken_routing
from migrate.verify import blob_id, object_format

# Each variant's rendered project: {path: bytes}.
Renders = dict[str, dict[str, bytes]]

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


def _infra_name(dest: Path, answers: Mapping[str, Any] | None) -> str:
    name = dest.name
    if _REPO_NAME.match(name) and name not in (".", ".."):
        return name
    cid = (answers or {}).get("customer_id", "customer")
    return f"{cid}-infra"


def _renders(the_suite: suite.Suite, answers: dict[str, Any], infra_name: str) -> Renders:
    return {
        "monorepo": the_suite.render(variant_answers(answers, "monorepo")),
        "separate-app": the_suite.render(variant_answers(answers, "separate-app")),
        "separate-infra": the_suite.render(
            variant_answers(answers, "separate-infra", repo_name=infra_name)),
    }


def _infra_readme(the_suite: suite.Suite, src: Repository, infra_name: str,
                  keys: dict[str, str | None]) -> bytes:
    # Not from the suite: still render the infra repository's README from the template.
    first = variables_files(src.tree)[0]
    data = {"pattern": "separate", "repo_role": "infra", "customer_id": _customer_id(src) or "customer",
            "repo_name": infra_name}
    key = keys.get(first)
    if key:
        data["state_key"] = key
    return the_suite.render_file(data, "README.md")


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


def check_start(settings: Settings) -> tuple[Repository, Path, str, tuple[str, ...]]:
    """Every refusal check; the source, DEST, the result branch and the paths DEST keeps."""
    root = gitops.toplevel(settings.repo)
    branch = settings.branch or default_branch(COMMAND)
    gitops.check_safe_to_start(root, branch=branch, need_history=settings.history)
    dest = settings.infra_repo.resolve()  # as recorded: a/../b is b
    publish.check_destination(dest, not_inside=[root])
    src = read_repository(root)
    _refuse_wrong_pattern(src)
    triggers = tuple(sorted(p for p in src.tree if is_trigger_workflow(p)))
    _app_moves(src, set(src.files_under("infra/")) | set(triggers))  # refuses name clashes
    # The infra repository must route each variables file to exactly one trigger workflow (a
    # post-condition), and no workflow may be one GitHub refuses: a source already otherwise is
    # refused now, not after the work.
    refuse_broken_routing(src.root, variables_files(src.tree), src.branch, rev=src.head)
    return src, dest, branch, ("infra/", *triggers)


@dataclass(frozen=True)
class Facts:
    """What every part of the plan needs, read once from the source."""

    settings: Settings
    src: Repository
    dest: Path
    branch: str
    keep: tuple[str, ...]
    triggers: list[str]
    leaving: frozenset[str]
    moves: list[FileMove]
    keys: dict[str, str | None]
    infra_name: str
    repo_name: str
    after_move: dict[str, str]  # path in the app repository -> path in the source


def read_facts(settings: Settings) -> Facts:
    src, dest, branch, keep = check_start(settings)
    triggers = list(keep[1:])
    leaving = frozenset(src.files_under("infra/")) | frozenset(triggers)
    src.prefetch(sorted(leaving))
    return Facts(
        settings, src, dest, branch, keep, triggers, leaving, _app_moves(src, set(leaving)),
        state_keys(src), _infra_name(dest, src.answers),
        str((src.answers or {}).get("repo_name") or src.root.name),
        {(p[4:] if p.startswith("app/") else p): p for p in src.tree if p not in leaving},
    )


def render_parts(f: Facts) -> tuple[Renders | None, bytes]:
    """The template renders (suite-made repositories) and the infra README: Copier's work, from
    the suite at the version that made the repository (one checkout), or the bundled suite."""
    answers = dict(f.src.answers or {})
    answers_text = f.src.read(ANSWERS_FILE) if f.src.has(ANSWERS_FILE) else None
    with suite.open_suite(answers or None, answers_text) as the_suite:
        if not answers:
            return None, _infra_readme(the_suite, f.src, f.infra_name, f.keys)
        renders = _renders(the_suite, answers, f.infra_name)
    return renders, renders["separate-infra"]["README.md"]


def _secret(f: Facts) -> str:
    return (f.src.answers or {}).get("dispatch_token_secret") or _secret_name(f.src, f.triggers)


def app_plan(f: Facts, renders: Renders | None) -> Plan:
    """The app repository: one commit on a new branch of REPO."""
    src, notes = f.src, []
    if not f.triggers:
        notes.append(Note("no .github/workflows/trigger-infra*.yml: the infra repository gets no "
                          "workflow that sends changes to the provider; add one there"))
    changes: list[Change] = [FileDelete(p, src.read(p)) for p in sorted(f.leaving)]
    changes += f.moves
    changes.append(FileWrite(POINTER_FILE, None, pointer_text(f.infra_name, src.head, f.keys)))
    # Only workflows and files the template renders differently can change: read just those.
    differ = {p for p, old in f.after_move.items() if renders is not None and p != ANSWERS_FILE
              and renders["monorepo"].get(old) != renders["separate-app"].get(p)}
    candidates = sorted(p for p in f.after_move if is_workflow_file(p) or p in differ)
    src.prefetch(f.after_move[p] for p in candidates)
    for new_path in candidates:
        old_path = f.after_move[new_path]
        current = src.read(old_path)
        result = current
        if renders is not None and new_path != ANSWERS_FILE:
            old_r = renders["monorepo"].get(old_path)
            new_r = renders["separate-app"].get(new_path)
            if old_r is not None and new_r is not None and old_r != new_r:
                result = suite.replay_edits(current, old_r, new_r) or current
        if is_workflow_file(new_path) and mentions_app_dir(result.decode("utf-8", "replace")):
            result = safe_splice(app_ci_to_root, result, new_path)
            if mentions_app_dir(result.decode("utf-8", "replace")):
                notes.append(Note(f"{new_path} still mentions app/ (outside path filters and "
                                  "working directories): review it"))
        if result != current:
            exe = src.tree[old_path][0] == "100755"
            changes.append(FileWrite(new_path, current, result, executable=exe))
    if renders is not None:
        changes.append(FileWrite(ANSWERS_FILE, src.read(ANSWERS_FILE),
                                 renders["separate-app"][ANSWERS_FILE]))
    return Plan(
        COMMAND, src.root, f.branch, tuple(changes), (), (), tuple(notes) + (
            Note(f"review and merge branch {f.branch} (git diff {src.branch}...{f.branch})"),
            Note(f"remove the secret {_secret(f)} from {f.repo_name} once merged"),
        ),
        message=(f"repo-migrate {COMMAND}: app repository\n\n"
                 f"infra/ and the trigger workflows moved, with their history, to {f.infra_name};\n"
                 f"app/ moved to the root.\n\nSource commit: {src.head}\n"),
        base=src.head,
    )


def infra_plan(f: Facts, renders: Renders | None, readme: bytes, app: Plan) -> Plan:
    """The infra repository: a new repository at DEST."""
    src, settings = f.src, f.settings
    changes: list[Change] = []
    if not settings.history:
        changes += [FileWrite(p, None, src.read(p), src.tree[p][0] == "100755", origin=f.repo_name)
                    for p in sorted(f.leaving)]
    for t in f.triggers:
        current = src.read(t)
        result = current
        if renders is not None:
            old_r = renders["monorepo"].get(t)
            new_r = renders["separate-infra"].get(t)
            if old_r is not None and new_r is not None:
                result = suite.replay_edits(current, old_r, new_r) or current
        if result != current:
            changes = [c for c in changes if c.path != t]
            changes.append(FileWrite(t, None if not settings.history else current, result,
                                     src.tree[t][0] == "100755"))
    changes.append(FileWrite("README.md", None, readme))
    if renders is not None:
        changes.append(FileWrite(ANSWERS_FILE, None, renders["separate-infra"][ANSWERS_FILE]))
    customer = (src.answers or {}).get("customer_id") or _customer_id(src)
    record = {
        "format": RECORD_FORMAT,
        "command": COMMAND,
        "old_repository": {"name": f.repo_name, "path": str(src.root), "branch": src.branch,
                           "commit": src.head},
        "new_repository": {"name": f.infra_name, "path": str(f.dest), "branch": src.branch},
        "app_repository": {"name": f.repo_name, "branch": f.branch},
        "customer_id": customer,
        "state_keys": f.keys,
        "history": settings.history,
        "commit_map": COMMIT_MAP_FILE if settings.history else None,
        "moved_to_app_root": sorted(m.dst for m in f.moves),
        "kept_at_app_root": sorted({p.split("/")[0] for p in src.tree
                                    if p not in f.leaving and not p.startswith("app/")}),
        # Files the move rewrote: separate-to-mono restores the source bytes while a file is
        # still as the move left it (both blobs stay in the histories).
        "app_rewrites": _rewrites(src, list(app.changes), f.after_move),
        "infra_rewrites": _rewrites(src, [c for c in changes if isinstance(c, FileWrite)
                                          and c.path in f.triggers], {t: t for t in f.triggers}),
    }
    changes.append(FileWrite(RECORD_FILE, None, record_json(record)))
    steps: list[HistoryStep] = []
    notes: list[Note] = []
    if settings.history:
        touching = int(gitops.git(src.root, "rev-list", "--count", src.head, "--", *f.keep).strip())
        steps = [
            HistoryStep(f"clone branch {src.branch} of {src.root} into a scratch copy and keep "
                        f"only {', '.join(f.keep)} with git-filter-repo: the {touching} commits "
                        "that touched them, with their authors, dates and messages"),
            HistoryStep(f"save the commit map (old commit -> new commit) as {COMMIT_MAP_FILE}"),
        ]
        others = [r for r in gitops.git(src.root, "for-each-ref", "--format=%(refname:short)",
                                        "refs/heads", "refs/tags").split() if r != src.branch]
        if others:
            notes.append(Note(f"only branch {src.branch} is carried; {len(others)} other branch"
                              f"{'es' if len(others) != 1 else ''} and tags ({', '.join(others[:3])}"
                              f"{', ...' if len(others) > 3 else ''}) stay in {f.repo_name}"))
    else:
        notes.append(Note("--no-history: the infra repository starts with one commit; the history "
                          f"of infra/ stays in {f.repo_name} only"))
    if renders is None:
        notes.append(Note("README.md is the suite's infra README rendered with its defaults (this "
                          "repository did not come from the suite): check the provider repository "
                          "and secret it names"))
    sk = ", ".join(k for k in f.keys.values() if k)
    notes.insert(0, Note(f"customer {customer}: infra now dispatches from repository "
                         f"{f.infra_name} (was {f.repo_name}); state_key {sk} is unchanged: point "
                         "the provider's repository allow-list at the new repository, keep the "
                         "state", "provider"))
    return Plan(
        COMMAND, f.dest, None, tuple(changes), tuple(steps), (), tuple(notes) + (
            Note(f"create the GitHub repository {f.infra_name} and push: git -C {f.dest} remote "
                 f"add origin <url> && git -C {f.dest} push -u origin {src.branch}"),
            Note(f"configure the secret {_secret(f)} in {f.infra_name}"),
        ),
        message=(f"repo-migrate {COMMAND}: infra repository from {f.repo_name}\n\n"
                 f"Source commit: {src.head}\n"),
    )
