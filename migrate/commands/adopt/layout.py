"""adopt's facts: the refusals, where the application goes, and the Copier answers.

``read_facts(settings)`` refuses what the pattern cannot work with (exit 3, naming the fix),
finds the application (``--app-dir``, else ``app/``, ``src/``, ``apps/`` or the root's files) and
the moves the pattern needs (into ``app/`` for a monorepo, ``services/<name>/`` for
multi-service), and the answers the suite renders the repository with: the customer, the
repository's name, its runtime, and the state_key of a variables file it already has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate import gitops, infra_readme, suite
from migrate.app_layout import APP_DIR, SERVICES_DIR, AppLocation, find_application
from migrate.contract import (
    SHARED_VARIABLES,
    is_trigger_workflow,
    is_variables_file,
    load_yaml,
    variables_files,
)
from migrate.errors import Refused
from migrate.patterns import PATTERNS
from migrate.plan import FileMove, default_branch
from migrate.repository import Repository, read_repository

COMMAND = "adopt"
ROLES = ("app", "infra")
_SLUG = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
_REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# A workflow that sends repository_dispatch: the REST call, or an action that makes it.
_DISPATCHES = re.compile(rb"/dispatches|repository[-_]dispatch", re.I)


@dataclass(frozen=True)
class Settings:
    """Options of one run (the CLI fills them in)."""

    repo: Path
    pattern: str
    customer_id: str
    role: str | None = None
    app_dir: str | None = None
    suite: str | None = None  # SRC[@REF]: the suite's git URL or folder, and a version
    branch: str | None = None


def parse_suite(value: str | None) -> tuple[str, str | None]:
    """``SRC[@REF]`` as (source, ref); the bundled suite's repository when *value* is None."""
    if value is None:
        found = suite.bundled_source()
        if found is None:
            raise Refused("the suite this toolkit ships is not a git repository, so Copier could "
                          "not update from it later",
                          "pass --suite with the suite's git URL and a version (e.g. --suite "
                          "gh:provider/suite@v1)")
        return found, None
    src, sep, ref = value.rpartition("@")
    if not sep or not src or "/" in ref or ":" in ref or not ref:
        return value, None
    return src, ref


def variant_of(settings: Settings) -> str:
    """The pattern variant: the pattern, or ``separate-app``/``separate-infra``."""
    if settings.pattern not in PATTERNS:
        raise Refused(f"unknown pattern {settings.pattern!r}", f"use one of: {', '.join(PATTERNS)}")
    if settings.pattern == "separate":
        if settings.role not in ROLES:
            raise Refused("the separate pattern is two repositories: say which one this is",
                          "pass --role app or --role infra")
        return f"separate-{settings.role}"
    if settings.role is not None:
        raise Refused(f"--role is for the separate pattern, not {settings.pattern}",
                      "leave --role out")
    return settings.pattern


@dataclass(frozen=True)
class Facts:
    """What the plan needs, read once."""

    settings: Settings
    src: Repository
    branch: str
    variant: str
    app: AppLocation | None  # the repository's own application (None: it has none)
    moves: list[FileMove]
    services: list[str]  # multi-service: the services, after the moves
    answers: dict[str, Any]  # without own_files (the plan adds it)
    suite_src: str
    suite_ref: str | None


def moved_path(path: str, moves: list[FileMove]) -> str:
    """Where *path* is after *moves* (itself when none moves it)."""
    for m in moves:
        if path == m.src or path.startswith(f"{m.src}/"):
            return m.dst + path[len(m.src):]
    return path


def moved_paths(src: Repository, moves: list[FileMove]) -> dict[str, str]:
    """``{path after the moves: path in the repository}`` of every file."""
    return {moved_path(p, moves): p for p in src.tree}


def _refuse_clash(src: Repository, target: str, moving: str) -> None:
    if any(p == target or p.startswith(f"{target}/") for p in src.tree):
        raise Refused(f"{moving} would move to {target}/, which the repository already has",
                      f"pass --app-dir {target} if the application is there, or rename {target} in "
                      "a commit, then run again")


def _monorepo_moves(src: Repository, app: AppLocation | None) -> list[FileMove]:
    if app is None or app.folder == APP_DIR:
        return []
    if app.folder:
        _refuse_clash(src, APP_DIR, f"{app.folder}/")
        return [FileMove(app.folder, APP_DIR)]
    _refuse_clash(src, APP_DIR, "the application at the root")
    return [FileMove(t, f"{APP_DIR}/{t}") for t in app.tops]


def _service_moves(src: Repository, app: AppLocation | None) -> tuple[list[FileMove], list[str]]:
    existing = sorted({p.split("/")[1] for p in src.files_under(f"{SERVICES_DIR}/") if p.count("/") >= 2})
    if existing:
        return [], existing
    if app is None:
        return [], []
    folder = app.folder
    inner = [p[len(folder) + 1:] for p in src.files_under(f"{folder}/")] if folder else []
    if folder and inner and all("/" in p for p in inner):
        subs = sorted({p.split("/")[0] for p in inner})
        return [FileMove(f"{folder}/{s}", f"{SERVICES_DIR}/{s}") for s in subs], subs
    _refuse_clash(src, SERVICES_DIR, "the application")
    if folder:
        return [FileMove(folder, f"{SERVICES_DIR}/app")], ["app"]
    return [FileMove(t, f"{SERVICES_DIR}/app/{t}") for t in app.tops], ["app"]


def _check_services(services: list[str]) -> None:
    for name in services:
        if not _SLUG.match(name) or name in ("variables", "infra"):
            raise Refused(f"service folder {name!r} is not a service name the suite accepts (2-32 "
                          "of a-z, 0-9 and '-', starting with a letter; not variables or infra)",
                          "rename the folder in a commit, then run again")


def _check_variables(src: Repository, customer_id: str) -> dict[str, str]:
    """Refuse a variables file the contract cannot use; ``{path: state_key}`` of the others."""
    keys: dict[str, str] = {}
    files = variables_files(src.tree)
    src.prefetch(files)
    for path in files:
        doc = load_yaml(src.read(path), path)
        cid = doc.get("customer_id") if isinstance(doc, dict) else None
        key = doc.get("state_key") if isinstance(doc, dict) else None
        if not isinstance(cid, str) or not isinstance(key, str):
            raise Refused(f"{path} has no customer_id and state_key, which the provider needs in "
                          "every variables file",
                          f"add 'customer_id: {customer_id}' and the state_key the provider gave "
                          f"you to {path} (or rename the file if it is not one), commit, run again")
        if cid != customer_id:
            raise Refused(f"{path} says customer_id {cid}, not {customer_id}",
                          f"pass --customer-id {cid}, or correct {path} in a commit")
        keys[path] = key
    return keys


def _check_triggers(src: Repository) -> None:
    for path in sorted(p for p in src.tree if is_trigger_workflow(p)):
        if not _DISPATCHES.search(src.read(path)):
            raise Refused(f"{path} is not a trigger workflow (it sends no repository_dispatch to "
                          "the provider), but the pattern needs that name for its own",
                          f"rename it (git mv {path} .github/workflows/<another name>.yml), commit, "
                          "then run again")


def _runtime(src: Repository, app: AppLocation | None) -> str:
    files = [p for p in src.tree if app is not None and (not app.folder or p.startswith(f"{app.folder}/"))]
    return "node" if any(p.rsplit("/", 1)[-1] == "package.json" for p in files) else "python"


def _answers(f_src: Repository, settings: Settings, variant: str, keys: dict[str, str],
             app: AppLocation | None, services: list[str]) -> dict[str, Any]:
    answers: dict[str, Any] = {"customer_id": settings.customer_id, "pattern": settings.pattern}
    if settings.pattern == "separate":
        answers["repo_role"] = settings.role
    name = f_src.root.name
    if _REPO_NAME.match(name) and name not in (".", ".."):
        answers["repo_name"] = name
    if variant in ("monorepo", "multi-service", "separate-app"):
        answers["runtime"] = _runtime(f_src, app)
    if services:
        answers["services"] = services
    if keys:
        # What the repository's files already say: region, environments, provider, secret.
        first = SHARED_VARIABLES if SHARED_VARIABLES in keys else sorted(keys)[0]
        triggers = sorted(p for p in f_src.tree if is_trigger_workflow(p))
        known = infra_readme.known_answers(f_src.read(first), f_src.read(triggers[0]) if triggers
                                           else None, suite.read_region_catalog())
        answers.update({k: v for k, v in known.items() if k not in ("customer_id", "state_key")})
    if SHARED_VARIABLES in keys and variant != "multi-region":
        answers["state_key"] = keys[SHARED_VARIABLES]
    regions = sorted(p[len("infra/"):-len("-variables.yml")] for p in keys
                     if p.endswith("-variables.yml"))
    if variant == "multi-region" and regions:
        catalog = suite.read_region_catalog()
        unknown = [r for r in regions if r not in catalog]
        if unknown:
            raise Refused(f"infra/{unknown[0]}-variables.yml names a region the suite does not know",
                          f"use one of {', '.join(catalog)} as the file's region name")
        answers["regions"] = regions
        first = keys[f"infra/{regions[0]}-variables.yml"]
        suffix = "/" + str(catalog[regions[0]]["cloud_region"])
        if first.endswith(suffix):
            answers["state_key"] = first[: -len(suffix)]
    return answers


def read_facts(settings: Settings) -> Facts:
    """Every refusal check, then what the plan needs."""
    variant = variant_of(settings)
    suite_src, suite_ref = parse_suite(settings.suite)
    root = gitops.toplevel(settings.repo)
    branch = settings.branch or default_branch(COMMAND)
    gitops.check_safe_to_start(root, branch=branch)
    src = read_repository(root)
    if src.answers is not None:
        raise Refused(f"{root} already has Copier answers (.copier-answers.yml, pattern "
                      f"{src.answers.get('pattern')}): it is already made by a template",
                      "nothing to adopt; take newer suite versions with copier update, and move "
                      "between patterns with the other repo-migrate commands")
    links = [p for p, (m, _) in src.tree.items() if m == "160000"]
    if links:
        raise Refused(f"{root} has submodules ({', '.join(links)}), which adopt cannot move",
                      "remove the submodules first, or adopt the repository by hand")
    has_infra = variant != "separate-app"
    if not has_infra and any(is_variables_file(p) for p in src.tree):
        raise Refused(f"{root} holds infra variables files, which an app repository has none of",
                      "adopt it as --pattern monorepo (both), or --pattern separate --role infra")
    keys = _check_variables(src, settings.customer_id) if has_infra else {}
    if has_infra:
        _check_triggers(src)
    app = find_application(src.tree, settings.app_dir)
    moves: list[FileMove] = []
    services: list[str] = []
    if variant == "monorepo":
        moves = _monorepo_moves(src, app)
    elif variant == "multi-service":
        moves, services = _service_moves(src, app)
        _check_services(services)
    return Facts(settings, src, branch, variant, app, moves, services,
                 _answers(src, settings, variant, keys, app, services), suite_src, suite_ref)
