"""mono-to-separate's two plans, from the facts (``layout``) and the suite's renders.

``render_parts`` renders what the suite makes (Copier's work); ``app_plan`` is the app
repository (a commit on a new branch of REPO: ``app/``, when there is one, moved to the root
with every workflow path retargeted; ``infra/`` and the workflows that leave replaced by the
``infra/MOVED.md`` pointer; rule files without the rules that only concerned infra/) and
``infra_plan`` the infra repository (a new repository at DEST: what leaves, with its history,
plus the rule files' rules that applied there, a README, Copier answers and the migration
record). ``app_workflow_pairs`` are the sample paths the routing proof checks.
"""

from __future__ import annotations

import re
from typing import Any

from migrate import attributes, infra_readme, suite
from migrate.app_ci import app_ci_to_root, mentions_app_dir, safe_splice
from migrate.commands.mono_to_separate.layout import COMMAND, Facts
from migrate.contract import (
    ANSWERS_FILE,
    POINTER_FILE,
    customer_id_of,
    is_workflow_file,
    variables_files,
)
from migrate.errors import Refused
from migrate.migration_record import pointer_text
from migrate.patterns import variant_answers
from migrate.plan import Change, FileDelete, FileWrite, Note, Plan
from migrate.repository import Repository
from migrate.routing import branch_ref
from migrate.verify import blob_id, object_format
from migrate.workflow_moves import check_same_runs, sample_pairs, widened

# Each variant's rendered project: {path: bytes}.
Renders = suite.Renders


def _own_files(answers: dict[str, Any], keep: Any) -> dict[str, Any]:
    own = answers.get("own_files")
    if not isinstance(own, list):
        return answers
    return {**answers, "own_files": [q for p in own if (q := keep(str(p))) is not None]}


def _renders(the_suite: suite.Suite, answers: dict[str, Any], f: Facts) -> Renders:
    def to_app(p: str) -> str | None:
        if p in f.leaving:
            return None
        return p[4:] if f.app_folder and p.startswith("app/") else p

    return {
        "monorepo": the_suite.render(variant_answers(answers, "monorepo")),
        "separate-app": the_suite.render(
            _own_files(variant_answers(answers, "separate-app"), to_app)),
        "separate-infra": the_suite.render(_own_files(
            variant_answers(answers, "separate-infra", repo_name=f.infra_name),
            lambda p: p if p in f.leaving else None)),
    }


def _infra_readme(the_suite: suite.Suite, f: Facts) -> bytes:
    # Not from the suite: render its infra README with what the repository's files say.
    src = f.src
    first = variables_files(src.tree)[0]
    trigger = src.read(f.triggers[0]) if f.triggers else None
    known = infra_readme.known_answers(src.read(first), trigger, suite.read_region_catalog())
    data = {"customer_id": "customer", **known, "pattern": "separate", "repo_role": "infra",
            "repo_name": f.infra_name}
    try:
        return the_suite.render_file(data, "README.md")
    except Refused:  # a value the suite's validators refuse: describe less
        return the_suite.render_file({k: data[k] for k in ("customer_id", "pattern", "repo_role",
                                                             "repo_name")}, "README.md")


def render_parts(f: Facts) -> tuple[Renders | None, bytes]:
    """The template renders (suite-made repositories) and the infra README: Copier's work, from
    the suite at the version that made the repository (one checkout), or the bundled suite."""
    answers = dict(f.src.answers or {})
    answers_text = f.src.read(ANSWERS_FILE) if f.src.has(ANSWERS_FILE) else None
    with suite.open_suite(answers or None, answers_text) as the_suite:
        if not answers:
            return None, _infra_readme(the_suite, f)
        renders = _renders(the_suite, answers, f)
    return renders, renders["separate-infra"].get("README.md", b"")


def rewrites(src: Repository, changes: list[Change], origin: dict[str, str]) -> dict[str, Any]:
    """The record of each planned write of a source file: its source and result blobs."""
    fmt = object_format(src.root)
    out: dict[str, Any] = {}
    for c in changes:
        if isinstance(c, FileWrite) and c.path in origin and origin[c.path] in src.tree:
            out[c.path] = {"source_path": origin[c.path],
                           "source_blob": src.tree[origin[c.path]][1],
                           "result_blob": blob_id(c.new, fmt)}
    return out


def customer_id(src: Repository) -> str | None:
    """The customer_id of the first variables file."""
    first = variables_files(src.tree)[0]
    return customer_id_of(src.read(first), first)


def secret(f: Facts) -> str:
    """The name of the secret that holds the dispatch token."""
    given = (f.src.answers or {}).get("dispatch_token_secret")
    if given:
        return str(given)
    for t in f.triggers:
        found = re.search(rb"secrets\.([A-Za-z_][A-Za-z0-9_]*)", f.src.read(t))
        if found and found.group(1) != b"GITHUB_TOKEN":
            return found.group(1).decode()
    return "that dispatches to the provider"


def rule_split(f: Facts, data: bytes) -> attributes.Split:
    """A rule file of the source split between the infra repository and the app repository."""
    staying = [p for p in f.src.tree if p not in f.leaving]
    return attributes.split_rules(data, sorted(f.leaving), staying, "infra")


def _app_file(f: Facts, renders: Renders | None, new_path: str, notes: list[Note]) -> bytes:
    """The bytes of *new_path* in the app repository (its source file, moved and retargeted)."""
    src = f.src
    old_path = f.after_move[new_path]
    current = src.read(old_path)
    result = current
    if renders is not None and new_path != ANSWERS_FILE:
        result = suite.replay_or_keep(current, renders["monorepo"].get(old_path),
                                      renders["separate-app"].get(new_path))
    if attributes.is_rule_file(new_path):
        result = rule_split(f, result).staying
        if f.app_folder:
            result = attributes.reroot(result, f.app_folder, "")
        if new_path in f.joined:  # app/'s own rules, relative to app/, now to the root
            result = attributes.join_rules(result, src.read(f"{f.app_folder}/{new_path}"))
    if f.app_folder and is_workflow_file(new_path) and \
            mentions_app_dir(result.decode("utf-8", "replace")):
        result = safe_splice(app_ci_to_root, result, new_path)
        if mentions_app_dir(result.decode("utf-8", "replace")):
            notes.append(Note(f"{new_path} still mentions app/ (in a script or another value): "
                              "review it"))
    return result


def app_workflow_pairs(f: Facts) -> list[tuple[str, str]]:
    """(source path, app repository path) of the sample files the routing proof checks."""
    return sample_pairs(sorted((old, new) for new, old in f.after_move.items()))


def app_plan(f: Facts, renders: Renders | None) -> Plan:
    """The app repository: one commit on a new branch of REPO."""
    src, notes = f.src, []
    if not f.triggers:
        notes.append(Note("no .github/workflows/trigger-infra*.yml: the infra repository gets no "
                          "workflow that sends changes to the provider; add one there"))
    changes: list[Change] = [FileDelete(p, src.read(p)) for p in sorted(f.leaving)]
    changes += [FileDelete(f"{f.app_folder}/{n}", src.read(f"{f.app_folder}/{n}")) for n in f.joined]
    changes += f.moves
    changes.append(FileWrite(POINTER_FILE, None, pointer_text(f.infra_name, src.head, f.keys)))
    # Only workflows, rule files and files the template renders differently can change.
    differ = {p for p, old in f.after_move.items() if renders is not None and p != ANSWERS_FILE
              and renders["monorepo"].get(old) != renders["separate-app"].get(p)}
    candidates = sorted(p for p in f.after_move if is_workflow_file(p) or p in differ
                        or attributes.is_rule_file(p))
    src.prefetch(f.after_move[p] for p in candidates)
    before: dict[str, bytes] = {}
    after: dict[str, bytes] = {}
    for new_path in candidates:
        old_path = f.after_move[new_path]
        current = src.read(old_path)
        result = _app_file(f, renders, new_path, notes)
        if is_workflow_file(new_path):
            before[new_path], after[new_path] = current, result
        if result != current:
            exe = src.tree[old_path][0] == "100755"
            changes.append(FileWrite(new_path, current, result, executable=exe))
    for (repo, path), target in sorted(f.relinked.targets.items()):
        if repo == "app":
            changes.append(FileWrite(path, src.read(f.after_move[path]), target.encode(),
                                     symlink=True))
    notes += [Note(t) for (repo, _), t in sorted(f.relinked.notes.items()) if repo == "app"]
    if f.app_folder:
        problems = check_same_runs(before, after, app_workflow_pairs(f), branch_ref(src.branch))
        if problems:
            raise Refused("after moving app/ to the root, the app repository's workflows would "
                          "not run as they did: " + "; ".join(problems[:5]),
                          "edit those workflows' path filters so they name app/ plainly "
                          "('app/**'), commit, then run again")
        for name, events in widened(before, after).items():
            notes.append(Note(f"{name}: its {' and '.join(events)} path filter matched all of "
                              "app/, which is the whole app repository now: the workflow also "
                              "runs for files that were outside app/ (README.md, docs/...)"))
    notes += [Note(v.reason) for v in f.verdicts.values() if not v.moves]
    notes += [Note(f"{n} joins the rules of app/{n} to the root's (they now apply to the whole app "
                   "repository)") for n in f.joined]
    if renders is not None:
        changes.append(FileWrite(ANSWERS_FILE, src.read(ANSWERS_FILE),
                                 renders["separate-app"][ANSWERS_FILE]))
    moved = "app/ moved to the root." if f.app_folder else "the application stays where it is."
    return Plan(
        COMMAND, src.root, f.branch, tuple(changes), (), (), tuple(notes) + (
            Note(f"review and merge branch {f.branch} (git diff {src.branch}...{f.branch})"),
            Note(f"remove the secret {secret(f)} from {f.repo_name} once merged"),
        ),
        message=(f"repo-migrate {COMMAND}: app repository\n\n"
                 f"infra/ and the workflows that concern it moved, with their history, to "
                 f"{f.infra_name};\n{moved}\n\nSource commit: {src.head}\n"),
        base=src.head,
    )
