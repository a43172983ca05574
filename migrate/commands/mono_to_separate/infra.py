"""mono-to-separate's infra repository plan: a new repository at DEST.

It holds what leaves the monorepo (``infra/``, the trigger workflows and the workflows that
concern only the infrastructure) with its history, the rule files' rules that applied there
(an LFS pointer keeps its ``filter=lfs`` line), a README listing only what it has, Copier
answers (suite-made sources) and the migration record.
"""

from __future__ import annotations

from migrate import attributes, history, infra_readme, suite
from migrate.commands.mono_to_separate.layout import COMMAND, Facts
from migrate.commands.mono_to_separate.plans import (
    Renders,
    customer_id,
    rewrites,
    rule_split,
    secret,
)
from migrate.contract import ANSWERS_FILE, COMMIT_MAP_FILE, RECORD_FILE, RECORD_FORMAT
from migrate.migration_record import record_json
from migrate.plan import Change, FileWrite, HistoryStep, Note, Plan
from migrate.verify import blob_id, object_format


def _triggers(f: Facts, renders: Renders | None, changes: list[Change]) -> list[Change]:
    src = f.src
    for t in f.triggers:
        current = src.read(t)
        result = current
        if renders is not None:
            result = suite.replay_or_keep(current, renders["monorepo"].get(t),
                                          renders["separate-infra"].get(t))
        if result != current:
            changes = [c for c in changes if c.path != t]
            changes.append(FileWrite(t, None if not f.settings.history else current, result,
                                     src.tree[t][0] == "100755"))
    return changes


def _rule_files(f: Facts, renders: Renders | None) -> dict[str, bytes]:
    """The infra repository's rule files: the rules of the monorepo's that applied to it (of a
    file the suite renders, only the customer's own lines: the suite's belong to the app)."""
    out = {}
    for path in attributes.RULE_FILES:
        if path in f.src.tree and path not in f.leaving:
            data = f.src.read(path)
            rendered = (renders or {}).get("monorepo", {}).get(path)
            if rendered is not None:
                suites = set(rendered.splitlines())
                data = b"".join(line for line in data.splitlines(keepends=True)
                                if line.rstrip(b"\r\n") not in suites)
            part = rule_split(f, data).leaving
            if part is not None:
                out[path] = part
    return out


def _history(f: Facts) -> tuple[list[HistoryStep], list[Note]]:
    src = f.src
    if not f.settings.history:
        return [], [Note("--no-history: the infra repository starts with one commit; the history "
                         f"of infra/ stays in {f.repo_name} only")]
    touching = history.count_commits(src.root, src.head, *f.keep)
    steps = [
        HistoryStep(f"clone branch {src.branch} of {src.root} into a scratch copy and keep "
                    f"only {', '.join(f.keep)} with git-filter-repo: the {touching} commits "
                    "that touched them, with their authors, dates and messages"),
        HistoryStep(f"save the commit map (old commit -> new commit) as {COMMIT_MAP_FILE}"),
    ]
    left = f.left_behind
    kinds = [(k, left[k]) for k in ("branches", "remote_branches", "tags") if left[k]]
    if not kinds:
        return steps, []
    words = {"branches": "branches", "remote_branches": "remote-tracking branches",
             "tags": "tags"}
    listed = "; ".join(f"{words[k]} {', '.join(names)}" for k, names in kinds)
    return steps, [Note(f"only branch {src.branch} is carried; these stay in {f.repo_name} "
                        f"only: {listed}")]


def infra_plan(f: Facts, renders: Renders | None, readme: bytes, app: Plan) -> Plan:
    """The infra repository: a new repository at DEST."""
    src, settings = f.src, f.settings
    changes: list[Change] = []
    if not settings.history:
        changes += [FileWrite(p, None, src.read(p), src.tree[p][0] == "100755",
                              origin=f.repo_name, symlink=src.tree[p][0] == "120000")
                    for p in sorted(f.leaving)]
    changes = _triggers(f, renders, changes)
    for (repo, path), target in sorted(f.relinked.targets.items()):
        if repo == "infra":
            changes = [c for c in changes if c.path != path]
            changes.append(FileWrite(path, src.read(path) if settings.history else None,
                                     target.encode(), symlink=True))
    rules = _rule_files(f, renders)
    changes += [FileWrite(p, None, data) for p, data in rules.items()]
    notes: list[Note] = []
    present = set(f.leaving) | set(rules) | {"README.md", RECORD_FILE}
    if renders is not None:
        changes.append(FileWrite(ANSWERS_FILE, None, renders["separate-infra"][ANSWERS_FILE]))
        present.add(ANSWERS_FILE)
    else:
        readme, missing = infra_readme.only_present(readme, present)
        notes.append(Note(
            "README.md is the suite's infra README, rendered with what this repository's files "
            "say (it did not come from the suite)"
            + (f"; it leaves out {', '.join(missing)}, which the infra repository does not have: "
               f"repo-migrate adopt --pattern separate --role infra adds them" if missing else "")))
    changes.append(FileWrite("README.md", None, readme))
    customer = (src.answers or {}).get("customer_id") or customer_id(src)
    fmt = object_format(src.root)
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
        "app_folder": f.app_folder,
        "moved_to_app_root": sorted(m.dst for m in f.moves),
        "kept_at_app_root": sorted({p.split("/")[0] for p in src.tree if p not in f.leaving
                                    and not (f.app_folder and p.startswith(f"{f.app_folder}/"))}),
        "moved_workflows": sorted(p for p, v in f.verdicts.items() if v.moves),
        # Files the move rewrote: separate-to-mono restores the source bytes while a file is
        # still as the move left it (both blobs stay in the histories).
        "app_rewrites": rewrites(src, list(app.changes), f.after_move),
        "infra_rewrites": rewrites(src, [c for c in changes if isinstance(c, FileWrite)
                                         and c.path in f.leaving], {p: p for p in f.leaving}),
        # Rule files the move wrote in the infra repository: separate-to-mono drops them while
        # they are as written (the app repository's original holds their rules).
        "infra_rule_files": {p: blob_id(data, fmt) for p, data in rules.items()},
        # Rule files of app/ joined into the root's: separate-to-mono puts them back.
        "app_joined": {n: {"app_blob": src.tree[f"{f.app_folder}/{n}"][1],
                           "result_blob": next((blob_id(c.new, fmt) for c in app.changes
                                                if isinstance(c, FileWrite) and c.path == n),
                                               src.tree[n][1])}
                       for n in f.joined},
    }
    changes.append(FileWrite(RECORD_FILE, None, record_json(record)))
    steps, history_notes = _history(f)
    notes += history_notes
    notes += [Note(v.reason) for v in f.verdicts.values() if v.moves]
    notes += [Note(t) for (repo, _), t in sorted(f.relinked.notes.items()) if repo == "infra"]
    lfs = attributes.lfs_paths(rules.get(".gitattributes", b""), sorted(f.leaving))
    if lfs:
        notes.append(Note(f"{len(lfs)} file{'s' if len(lfs) != 1 else ''} stored with Git LFS "
                          f"move{'' if len(lfs) != 1 else 's'} ({', '.join(lfs[:3])}"
                          f"{', ...' if len(lfs) > 3 else ''}): their LFS objects are not copied; "
                          f"push them to the new repository's LFS store (git lfs push --all) from "
                          f"a clone of {f.repo_name} that has them"))
    sk = ", ".join(k for k in f.keys.values() if k)
    notes.insert(0, Note(f"customer {customer}: infra now dispatches from repository "
                         f"{f.infra_name} (was {f.repo_name}); state_key {sk} is unchanged: point "
                         "the provider's repository allow-list at the new repository, keep the "
                         "state", "provider"))
    return Plan(
        COMMAND, f.dest, None, tuple(changes), tuple(steps), (), tuple(notes) + (
            Note(f"create the GitHub repository {f.infra_name} and push: git -C {f.dest} remote "
                 f"add origin <url> && git -C {f.dest} push -u origin {src.branch}"),
            Note(f"configure the secret {secret(f)} in {f.infra_name}"),
        ),
        message=(f"repo-migrate {COMMAND}: infra repository from {f.repo_name}\n\n"
                 f"Source commit: {src.head}\n"),
    )
