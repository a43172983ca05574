"""Paths inside workflow files when a folder moves: where a workflow names repository paths, and
splicing them to a new place.

A workflow names paths in its path filters (``on.<event>.paths``), working directories and
step inputs (``cache-dependency-path: ./app/yarn.lock``, ``context: app``), and in
``hashFiles('app/package.json')`` arguments. Each is rewritten by splicing the scalar in its own
style (a block scalar stays one); every other byte stays. `migrate.app_ci` moves ``app/`` to the
root; ``move_into`` moves an application into a folder (``src/`` -> ``app/``, or root entries
-> ``app/<entry>``). ``migrate.workflow_moves.check_same_runs`` proves either with explain's
evaluator.

API
---
- ``filter_lists(data)``: ``[(path, patterns)]`` of every ``paths``/``paths-ignore`` list.
- ``working_dirs(data)``: ``[(path, value)]`` of every working directory (workflow, job, step).
- ``to_folder(value, old, new, folder_input)``: the paths in *value* under folder *old* moved
  under *new* (``""``: the root); where a folder is expected (*folder_input*), *old* itself too.
- ``splice_values(text, name, fn)``: every step input and ``hashFiles()`` argument of the
  workflow rewritten by ``fn(value, folder_input)``, spliced.
- ``move_into(text, name, moves, root_to=None)``: filters, working directories, inputs and
  ``hashFiles()`` arguments naming an entry of *moves* (``{old: new}``: ``{"src": "app"}``,
  ``{"package.json": "app/package.json"}``) rewritten to its new place (and ``.`` to *root_to*
  when the application left the root).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from migrate import yaml_splice

_FILTER_KEYS = ("paths", "paths-ignore")
_HASH_FILES = re.compile(r"hashFiles\(([^)]*)\)")
# Inputs whose value is a path, so a bare folder or file name there is that path.
_FOLDER_INPUT = re.compile(r"(path|dir|directory|context|folder|root|cwd|working|file|config|manifest)",
                           re.I)
Where = tuple[str | int, ...]


def filter_lists(data: Any) -> list[tuple[Where, list[str]]]:
    """``[(path, patterns)]`` of the workflow's ``paths`` and ``paths-ignore`` lists."""
    on = data.get("on") if isinstance(data, dict) else None
    found: list[tuple[Where, list[str]]] = []
    if isinstance(on, dict):
        for event, spec in on.items():
            if isinstance(spec, dict):
                for key in _FILTER_KEYS:
                    if isinstance(spec.get(key), list):
                        found.append((("on", event, key), spec[key]))
    return found


def working_dirs(data: Any) -> list[tuple[Where, str]]:
    """``[(path, value)]`` of the working directories of the workflow, its jobs and steps."""
    found: list[tuple[Where, str]] = []
    if not isinstance(data, dict):
        return found
    wd = data.get("defaults", {}).get("run", {}) if isinstance(data.get("defaults"), dict) else {}
    if isinstance(wd, dict) and isinstance(wd.get("working-directory"), str):
        found.append((("defaults", "run", "working-directory"), wd["working-directory"]))
    jobs = data.get("jobs")
    for job, spec in (jobs.items() if isinstance(jobs, dict) else []):
        if not isinstance(spec, dict):
            continue
        d = spec.get("defaults")
        if isinstance(d, dict) and isinstance(d.get("run"), dict) and \
                isinstance(d["run"].get("working-directory"), str):
            found.append((("jobs", job, "defaults", "run", "working-directory"),
                          d["run"]["working-directory"]))
        for i, step in enumerate(spec.get("steps") or []):
            if isinstance(step, dict) and isinstance(step.get("working-directory"), str):
                found.append((("jobs", job, "steps", i, "working-directory"), step["working-directory"]))
    return found


def to_folder(value: str, old: str, new: str, folder_input: bool) -> str:
    """The paths in *value* under *old* moved under *new* (``""``: the root)."""
    esc = re.escape(old)
    # old/x and ./old/x (not a longer name, not inside another path, not ../old)
    under = re.compile(r"(?<![\w.$/@-])(\./)?" + esc + r"/")
    value = under.sub(lambda m: (m.group(1) or "") + (f"{new}/" if new else ""), value)
    if folder_input:
        alone = re.compile(r"(?<![\w.$/@-])(\./)?" + esc + r"(?![\w./@-])")
        value = alone.sub(lambda m: ((m.group(1) or "") + new) if new else ".", value)
    return value


def _value_paths(data: Any) -> list[tuple[Where, str, bool]]:
    """(path, value, names a folder) of step inputs and of every value calling hashFiles()."""
    found: list[tuple[Where, str, bool]] = []

    def walk(node: Any, path: Where) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))
        elif isinstance(node, str):
            if len(path) >= 6 and path[0] == "jobs" and path[2] == "steps" and path[4] == "with":
                found.append((path, node, bool(_FOLDER_INPUT.search(str(path[5])))))
            elif "hashFiles(" in node:
                found.append((path, node, False))

    walk(data.get("jobs") if isinstance(data, dict) else None, ("jobs",))
    return found


def _set(data: Any, path: Where, value: Any) -> Any:
    if not path:
        return value
    copy: Any = list(data) if isinstance(data, list) else dict(data)
    copy[path[0]] = _set(copy[path[0]], path[1:], value)
    return copy


def splice_values(text: str, name: str, fn: Callable[[str, bool], str]) -> str:
    """Step inputs (all of it) and ``hashFiles()`` arguments (elsewhere) rewritten by
    ``fn(value, folder_input)``, each scalar spliced in its own style."""
    data = yaml_splice.reparse(text, name)
    doc = yaml_splice.YamlDoc(text, name)

    def rewrite(value: str, path: Where, folder_input: bool) -> str:
        hashed = _HASH_FILES.sub(lambda m: f"hashFiles({fn(m.group(1), True)})", value)
        return fn(hashed, folder_input) if path[4:5] == ("with",) else hashed

    edits = []
    expected = data
    for path, value, folder_input in _value_paths(data):
        new = rewrite(value, path, folder_input)
        if new == value:
            continue
        node = doc.require(path)
        start, end = doc.start(node), doc.content_end(node)
        edits.append(yaml_splice.Edit(start, end, rewrite(text[start:end], path, folder_input)))
        expected = _set(expected, path, new)
    if not edits:
        return text
    return yaml_splice.verify(doc, yaml_splice.apply_edits(text, edits), expected)


def _move_pattern(item: str, moves: Mapping[str, str]) -> str:
    neg = "!" if item.startswith("!") else ""
    body = item[len(neg):]
    for old, new in moves.items():
        if body == old or body.startswith(f"{old}/"):
            return neg + new + body[len(old):]
    return item


def move_into(text: str, name: str, moves: Mapping[str, str], root_to: str | None = None) -> str:
    """Filters, working directories, step inputs and ``hashFiles()`` arguments that name an
    entry of *moves* (``{old path: new path}``) rewritten to its new place, by splicing; with
    *root_to* (the application left the root for that folder), a working directory or folder
    input naming the root (``.``) names *root_to* instead."""
    data = yaml_splice.reparse(text, name)
    for path, items in filter_lists(data):
        new = [_move_pattern(i, moves) for i in items]
        if new != items:
            text = yaml_splice.set_sequence(text, path, new, name)
    for path, value in working_dirs(yaml_splice.reparse(text, name)):
        moved = value
        for old, target in moves.items():
            moved = to_folder(moved, old, target, True)
        if root_to and moved.strip() in (".", "./"):
            moved = root_to
        if moved != value:
            text = yaml_splice.set_scalar(text, path, moved, name)

    def each(value: str, folder_input: bool) -> str:
        if root_to and folder_input and value.strip() in (".", "./"):
            return root_to
        for old, target in moves.items():
            value = to_folder(value, old, target, folder_input)
        return value

    return splice_values(text, name, each)
