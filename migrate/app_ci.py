"""App CI workflows between the monorepo's ``app/`` and an app repository's root, by splicing.

Path filters, working directories and path-valued inputs of a workflow move between ``app/``
and the root; every comment, quote and byte outside them stays. Files the suite renders are
moved by the suite itself (``migrate.suite.replay_edits``); these functions serve hand-written
workflows. ``migrate.workflow_moves.check_same_runs`` proves a move with explain's evaluator.

API
---
- ``app_ci_to_root(text, name)``: ``app/**`` and ``**/app/**`` filters -> ``**`` (a filter
  matching everything is dropped), ``app/x`` -> ``x``; working directory ``app`` dropped and
  ``app/x`` -> ``x``; step inputs naming ``app/`` (``cache-dependency-path: ./app/yarn.lock``,
  ``context: app``) and ``hashFiles('app/...')`` arguments retargeted.
- ``app_ci_to_subdir(text, name)``: the reverse, adding ``app/**`` filters and working directories.
- ``mentions_app_dir(text)``: a workflow's keys or values (not comments) still name ``app/``.
- ``safe_splice(fn, data, name)``: run a text splice on UTF-8 bytes (refused when not UTF-8).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from migrate import yaml_splice
from migrate.errors import UnsafeYamlEdit

APP_DIRS = ("app",)

_FILTER_KEYS = ("paths", "paths-ignore")


def _filter_lists(data: Any) -> list[tuple[tuple[str | int, ...], list[str]]]:
    on = data.get("on") if isinstance(data, dict) else None
    found: list[tuple[tuple[str | int, ...], list[str]]] = []
    if isinstance(on, dict):
        for event, spec in on.items():
            if isinstance(spec, dict):
                for key in _FILTER_KEYS:
                    if isinstance(spec.get(key), list):
                        found.append((("on", event, key), spec[key]))
    return found


def _strip_app(item: str) -> list[str]:
    """A filter pattern of the monorepo as patterns of the app repository (app/ at the root)."""
    neg = "!" if item.startswith("!") else ""
    body = item[len(neg):]
    for d in APP_DIRS:
        if body.startswith(f"{d}/"):
            return [neg + body[len(d) + 1:]]
        if body.startswith(f"**/{d}/"):
            rest = body[len(d) + 4:]
            # **/app/x matched app/x (now x) and app/.../app/x (still matched by the pattern).
            return [neg + rest] if rest.startswith("**") else [neg + rest, item]
    return [item]


def _working_dirs(data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    found: list[tuple[tuple[str | int, ...], str]] = []
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


def _remove_up(text: str, path: tuple[str | int, ...], name: str) -> str:
    """Remove *path*; when that would empty its mapping, remove the mapping instead."""
    data = yaml_splice.get_value(text, path[:-1], name)
    while len(path) > 1 and isinstance(data, dict) and len(data) == 1:
        path = path[:-1]
        data = yaml_splice.get_value(text, path[:-1], name)
    return yaml_splice.remove_key(text, path, name)


def app_ci_to_root(text: str, name: str) -> str:
    """Path filters ``app/**`` -> ``**`` and working directory ``app`` dropped, by splicing."""
    data = yaml_splice.reparse(text, name)
    for path, items in reversed(_filter_lists(data)):
        new = list(dict.fromkeys(n for i in items for n in _strip_app(i)))
        if path[-1] == "paths" and "**" in new and not any(i.startswith("!") for i in new):
            text = _drop_entry(text, path, name)  # "**" matches every file: no filter at all
        elif new != items:
            text = yaml_splice.set_sequence(text, path, new, name)
    for path, value in reversed(_working_dirs(yaml_splice.reparse(text, name))):
        clean = value.removeprefix("./").rstrip("/")
        if clean in APP_DIRS:
            text = _remove_up(text, path, name)
        elif any(clean.startswith(f"{d}/") for d in APP_DIRS):
            text = yaml_splice.set_scalar(text, path, clean.split("/", 1)[1], name)
    return retarget_values(text, name)


# A path naming the app folder: app/x, ./app/x, and (where a folder is expected) app or ./app.
_APP_PATH = re.compile(r"(?<![\w.$/@-])(\./)?app(?=/)/")
_APP_ALONE = re.compile(r"(?<![\w.$/@-])(\./)?app(?![\w./@-])")
_HASH_FILES = re.compile(r"hashFiles\(([^)]*)\)")
# Inputs whose value is a folder, so a bare "app" there is the app folder.
_FOLDER_INPUT = re.compile(r"(path|dir|directory|context|folder|root|cwd|working)", re.I)


def _to_root(value: str, folder_input: bool) -> str:
    value = _APP_PATH.sub(lambda m: m.group(1) or "", value)
    if folder_input:
        value = _APP_ALONE.sub(".", value)
    return value


def _retarget_hash_files(value: str) -> str:
    return _HASH_FILES.sub(lambda m: f"hashFiles({_to_root(m.group(1), False)})", value)


def _value_paths(data: Any) -> list[tuple[tuple[str | int, ...], str, bool]]:
    """(path, value, names a folder) of step inputs and of every value calling hashFiles()."""
    found: list[tuple[tuple[str | int, ...], str, bool]] = []

    def walk(node: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))
        elif isinstance(node, str):
            step_input = len(path) >= 6 and path[0] == "jobs" and path[2] == "steps" \
                and path[4] == "with"
            if step_input:
                found.append((path, node, bool(_FOLDER_INPUT.search(str(path[5])))))
            elif "hashFiles(" in node:
                found.append((path, node, False))

    walk(data.get("jobs") if isinstance(data, dict) else None, ("jobs",))
    return found


def retarget_values(text: str, name: str) -> str:
    """Step inputs and ``hashFiles()`` arguments naming ``app/`` retargeted to the root, each
    scalar spliced in its own style (a block scalar stays one)."""
    data = yaml_splice.reparse(text, name)
    edits = []
    doc = yaml_splice.YamlDoc(text, name)
    expected = data
    for path, value, folder_input in _value_paths(data):
        new = _retarget_hash_files(_to_root(value, folder_input)) if path[4:5] == ("with",) \
            else _retarget_hash_files(value)
        if new == value:
            continue
        node = doc.require(path)
        start, end = doc.start(node), doc.content_end(node)
        raw = text[start:end]
        new_raw = _retarget_hash_files(_to_root(raw, folder_input)) if path[4:5] == ("with",) \
            else _retarget_hash_files(raw)
        edits.append(yaml_splice.Edit(start, end, new_raw))
        expected = _set(expected, path, new)
    if not edits:
        return text
    return yaml_splice.verify(doc, yaml_splice.apply_edits(text, edits), expected)


def _set(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    copy: Any = list(data) if isinstance(data, list) else dict(data)
    copy[path[0]] = _set(copy[path[0]], path[1:], value)
    return copy


def app_ci_to_subdir(text: str, name: str) -> str:
    """The reverse of ``app_ci_to_root``: filters and working directories under ``app/``."""
    data = yaml_splice.reparse(text, name)
    for path, items in _filter_lists(data):
        new = [i if i.lstrip("!").startswith(".github/") else
               ("!" if i.startswith("!") else "") + "app/" + i.lstrip("!") for i in items]
        text = yaml_splice.set_sequence(text, path, new, name)
    on = data.get("on") if isinstance(data, dict) else None
    for event in ("push", "pull_request"):
        spec = on.get(event) if isinstance(on, dict) else None
        if isinstance(on, dict) and event in on and (spec == "" or (
                isinstance(spec, dict) and not any(k in spec for k in _FILTER_KEYS))):
            text = yaml_splice.insert_key(text, ("on", event, "paths"), ["app/**", name], name=name)
    data = yaml_splice.reparse(text, name)
    for path, value in _working_dirs(data):
        if path[0] == "jobs" and path[2] == "steps":
            text = yaml_splice.set_scalar(text, path, f"app/{value.removeprefix('./')}", name)
    data = yaml_splice.reparse(text, name)
    jobs = data.get("jobs") if isinstance(data, dict) else None
    for job, spec in (jobs.items() if isinstance(jobs, dict) else []):
        if not isinstance(spec, dict) or not any(isinstance(s, dict) and "run" in s
                                                 for s in spec.get("steps") or []):
            continue
        d = spec.get("defaults")
        if d is None:
            text = yaml_splice.insert_key(text, ("jobs", job, "defaults"),
                                          {"run": {"working-directory": "app"}},
                                          after="permissions" if "permissions" in spec else None,
                                          name=name)
        elif isinstance(d, dict) and "run" not in d:
            text = yaml_splice.insert_key(text, ("jobs", job, "defaults", "run"),
                                          {"working-directory": "app"}, name=name)
        elif isinstance(d, dict) and isinstance(d.get("run"), dict) and \
                "working-directory" not in d["run"]:
            text = yaml_splice.insert_key(text, ("jobs", job, "defaults", "run", "working-directory"),
                                          "app", name=name)
    return text


_APP_REF = re.compile(r"(?<![\w.-])app(/|$)")


def mentions_app_dir(text: str) -> bool:
    """True when a workflow's keys or values (not its comments) still name ``app/``."""
    try:
        data = yaml_splice.reparse(text, "workflow")
    except UnsafeYamlEdit:
        return False
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and _APP_REF.search(node):
            return True
    return False


def _drop_entry(text: str, path: tuple[str | int, ...], name: str) -> str:
    """Delete the entry at *path* even when its mapping becomes empty (``push:`` then is null)."""
    doc = yaml_splice.YamlDoc(text, name)
    parent = doc.require(path[:-1])
    if not isinstance(parent, yaml.MappingNode):
        return text
    found = doc.find_entry(parent, str(path[-1]))
    if found is None:
        return text
    if len(parent.value) > 1:
        return yaml_splice.remove_key(text, path, name)
    new = yaml_splice.apply_edits(text, [doc.deletion(doc.entry_span(*found))])
    yaml_splice.reparse(new, name)
    return new


def safe_splice(fn: Callable[[str, str], str], data: bytes, name: str) -> bytes:
    """Run a text splice on UTF-8 bytes; refuses a file that is not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeYamlEdit(f"{name} is not UTF-8 text", f"save {name} as UTF-8") from exc
    return fn(text, name).encode("utf-8")
