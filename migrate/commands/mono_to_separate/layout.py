"""mono-to-separate's layout: the refusals and the facts read once from the monorepo.

``read_facts(settings)`` runs every refusal check and reads the monorepo: where its application
lives (``app/``, which moves to the root of the app repository, or anywhere else, which stays
as it is), what leaves for the infra repository (``infra/``, the trigger workflows and the
workflows that concern only the infrastructure), the symbolic links a move would break, and
the branches and tags that stay behind. ``migrate.commands.mono_to_separate.plans`` turns the
facts into the two plans.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate import gitops, publish
from migrate.app_layout import APP_DIR, find_application
from migrate.contract import (
    POINTER_FILE,
    is_trigger_workflow,
    is_workflow_file,
    variables_files,
)
from migrate.errors import Refused
from migrate.plan import FileMove, default_branch
from migrate.repository import Repository, read_repository, state_keys
from migrate.routing import refuse_broken_routing
from migrate.symlinks import Relinked, link_paths, relink
from migrate.workflow_moves import Verdict, infra_verdict

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
                      "run it on a monorepo (its application and infra/variables.yml)")
    if find_application(src.tree) is None:
        raise Refused(f"{where} holds no application file, only infra/ and repository files: it "
                      "already looks like an infra repository (separate pattern)",
                      "nothing to split; run it on a monorepo (its application and "
                      "infra/variables.yml)")
    layout_services = not src.answers and any(p.startswith("services/") for p in src.tree)
    if src.pattern in ("multi-service", "multi-region") and (src.answers or layout_services):
        raise Refused(f"{where} is a {src.pattern} repository; mono-to-separate splits a monorepo",
                      "run it on a monorepo (its application and infra/variables.yml)")
    if not variables_files(src.tree):
        raise Refused(f"{where} has infra/ but no infra/variables.yml",
                      "add the variables file (with customer_id and state_key), commit, run again "
                      "(repo-migrate adopt --pattern monorepo adds it)")
    links = [p for p, (m, _) in src.tree.items() if m == "160000"]
    if links:
        raise Refused(f"{where} has submodules ({', '.join(links)}), which this command cannot move",
                      "remove the submodules first, or split the repository by hand")


# Rule files app/ and the root both have: joined into one at the app repository's root.
JOINED = (".gitignore", ".gitattributes")


def joined_rule_files(src: Repository) -> tuple[str, ...]:
    """The rule files that both app/ and the root hold (joined, not moved)."""
    return tuple(n for n in JOINED if n in src.tree and f"app/{n}" in src.tree)


def _app_moves(src: Repository, leaving: set[str]) -> list[FileMove]:
    """One move per top-level entry of app/; refuses names that already exist at the root."""
    joined = joined_rule_files(src)
    tops = sorted({p.split("/")[1] for p in src.files_under("app/")} - set(joined))
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


def infra_name(dest: Path, answers: Mapping[str, Any] | None) -> str:
    """The infra repository's name: DEST's folder name, else ``<customer>-infra``."""
    name = dest.name
    if _REPO_NAME.match(name) and name not in (".", ".."):
        return name
    cid = (answers or {}).get("customer_id", "customer")
    return f"{cid}-infra"


def _verdicts(src: Repository) -> dict[str, Verdict]:
    """Each workflow that names infra/ (trigger workflows aside): whether it moves, and why."""
    names = [p for p in src.tree if is_workflow_file(p) and not is_trigger_workflow(p)]
    src.prefetch(names)
    texts = {p: src.read(p) for p in names}
    tops = {p.split("/", 1)[0] for p in src.tree if "/" in p and not p.startswith("infra/")}
    found = {p: infra_verdict(p, texts[p], texts, tops) for p in sorted(names)}
    return {p: v for p, v in found.items() if v is not None}


def check_start(settings: Settings) -> tuple[Repository, Path, str]:
    """The starting-state refusals; the source, DEST and the result branch."""
    root = gitops.toplevel(settings.repo)
    branch = settings.branch or default_branch(COMMAND)
    gitops.check_safe_to_start(root, branch=branch, need_history=settings.history)
    dest = settings.infra_repo.resolve()  # as recorded: a/../b is b
    publish.check_destination(dest, not_inside=[root])
    src = read_repository(root)
    _refuse_wrong_pattern(src)
    return src, dest, branch


def _left_behind(src: Repository) -> dict[str, list[str]]:
    """The branches, remote-tracking branches and tags the infra repository does not carry."""
    out = gitops.git(src.root, "for-each-ref", "--format=%(refname)%00%(symref)",
                     "refs/heads", "refs/remotes", "refs/tags")
    found: dict[str, list[str]] = {"branches": [], "remote_branches": [], "tags": []}
    for line in out.splitlines():
        ref, _, symref = line.partition("\0")
        if symref:
            continue  # refs/remotes/origin/HEAD: a pointer, not a branch
        for prefix, kind in (("refs/heads/", "branches"), ("refs/remotes/", "remote_branches"),
                             ("refs/tags/", "tags")):
            if ref.startswith(prefix) and ref != f"refs/heads/{src.branch}":
                found[kind].append(ref[len(prefix):])
    return found


@dataclass(frozen=True)
class Facts:
    """What every part of the plan needs, read once from the source."""

    settings: Settings
    src: Repository
    dest: Path
    branch: str
    keep: tuple[str, ...]  # git-filter-repo --path arguments
    triggers: list[str]
    leaving: frozenset[str]  # source paths that go to the infra repository
    moves: list[FileMove]
    keys: dict[str, str | None]
    infra_name: str
    repo_name: str
    after_move: dict[str, str]  # path in the app repository -> path in the source
    app_folder: str  # "app" when app/ moves to the root; "" when the application stays put
    verdicts: dict[str, Verdict]  # workflows naming infra/: whether they move, and why
    relinked: Relinked  # symbolic links whose target the move rewrites
    left_behind: dict[str, list[str]]
    joined: tuple[str, ...]  # rule files of app/ joined into the root's


def _place(leaving: frozenset[str], app_folder: str) -> Any:
    def place(path: str) -> tuple[str, str]:
        if path == "infra" or path.startswith("infra/") or path in leaving:
            return "infra", path
        if app_folder and (path == app_folder or path.startswith(f"{app_folder}/")):
            return "app", path[len(app_folder) + 1:]
        return "app", path
    return place


@dataclass(frozen=True)
class Start:
    """The first facts: enough to start rewriting the history while the rest are read."""

    settings: Settings
    src: Repository
    dest: Path
    branch: str
    triggers: list[str]
    verdicts: dict[str, Verdict]
    moving: list[str]
    leaving: frozenset[str]

    @property
    def keep(self) -> tuple[str, ...]:
        """The git-filter-repo --path arguments."""
        return ("infra/", *self.triggers, *self.moving)


def start_facts(settings: Settings) -> Start:
    """The starting-state refusals, and what the infra repository keeps."""
    src, dest, branch = check_start(settings)
    triggers = sorted(p for p in src.tree if is_trigger_workflow(p))
    verdicts = _verdicts(src)
    moving = sorted(p for p, v in verdicts.items() if v.moves)
    leaving = frozenset(src.files_under("infra/")) | frozenset(triggers) | frozenset(moving)
    return Start(settings, src, dest, branch, triggers, verdicts, moving, leaving)


def read_facts(settings: Settings) -> Facts:
    """Every refusal check, then what the plans need."""
    return finish_facts(start_facts(settings))


def finish_facts(start: Start) -> Facts:
    """The other refusals, and the rest of what the plans need."""
    settings, src, dest, branch = start.settings, start.src, start.dest, start.branch
    triggers, verdicts, leaving = start.triggers, start.verdicts, start.leaving
    app = find_application(src.tree)
    app_folder = APP_DIR if app is not None and app.folder == APP_DIR else ""
    moves = _app_moves(src, set(leaving)) if app_folder else []
    if not app_folder and POINTER_FILE in src.tree:
        raise Refused(f"{src.root} already has {POINTER_FILE}", "rename it in a commit, then run again")
    # The infra repository must route each variables file to exactly one trigger workflow (a
    # post-condition), and no workflow may be one GitHub refuses: a source already otherwise is
    # refused now, not after the work.
    refuse_broken_routing(src.root, variables_files(src.tree), src.branch, rev=src.head)
    links = link_paths(src.tree)
    src.prefetch(links)
    relinked = relink({p: src.read(p).decode("utf-8", "surrogateescape") for p in links},
                      src.tree, _place(leaving, app_folder))
    src.prefetch(sorted(leaving))
    strip = len(app_folder) + 1
    joined = joined_rule_files(src) if app_folder else ()
    inner = {f"{app_folder}/{n}" for n in joined}
    return Facts(
        settings, src, dest, branch, start.keep, triggers, leaving, moves,
        state_keys(src), infra_name(dest, src.answers),
        str((src.answers or {}).get("repo_name") or src.root.name),
        {(p[strip:] if app_folder and p.startswith(f"{app_folder}/") else p): p
         for p in src.tree if p not in leaving and p not in inner},
        app_folder, verdicts, relinked, _left_behind(src), joined,
    )
