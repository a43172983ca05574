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

import yaml

from migrate import yaml_splice
from migrate.errors import UnsafeYamlEdit
from migrate.workflow_paths import filter_lists, splice_values, to_folder, working_dirs
from migrate.workflows import strings

APP_DIRS = ("app",)

_FILTER_KEYS = ("paths", "paths-ignore")


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
    for path, items in reversed(filter_lists(data)):
        new = list(dict.fromkeys(n for i in items for n in _strip_app(i)))
        if path[-1] == "paths" and "**" in new and not any(i.startswith("!") for i in new):
            text = _drop_entry(text, path, name)  # "**" matches every file: no filter at all
        elif new != items:
            text = yaml_splice.set_sequence(text, path, new, name)
    for path, value in reversed(working_dirs(yaml_splice.reparse(text, name))):
        clean = value.removeprefix("./").rstrip("/")
        if clean in APP_DIRS:
            text = _remove_up(text, path, name)
        elif any(clean.startswith(f"{d}/") for d in APP_DIRS):
            text = yaml_splice.set_scalar(text, path, clean.split("/", 1)[1], name)
    return splice_values(text, name, lambda v, folder: to_folder(v, "app", "", folder))


def app_ci_to_subdir(text: str, name: str) -> str:
    """The reverse of ``app_ci_to_root``: filters and working directories under ``app/``."""
    data = yaml_splice.reparse(text, name)
    for path, items in filter_lists(data):
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
    for path, value in working_dirs(data):
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
    return any(_APP_REF.search(s) for s in strings(data))


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
