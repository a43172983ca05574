"""What changes between the monorepo and the separate pattern, shared by both migrations.

API
---
- ``TRIGGER_WORKFLOW``: which workflow files are trigger workflows (they follow ``infra/``).
- ``Renders``/``render_patterns(answers, variants)``: the suite rendered at the version that made
  the repository (``_src_path`` at ``_commit``), once per pattern variant ("monorepo",
  "separate-app", "separate-infra"); ``None`` when the repository did not come from the suite
  or the suite cannot be reached (callers then fall back to splicing and say so in a note).
- ``retarget(current, old_render, new_render)``: carry a file the template generates from one
  pattern's text to the other's, keeping the customer's own edits (a three-way merge, as
  ``copier update`` does: the edits between the old render and the file are replayed onto the
  new render). Returns None on a conflict.
- ``app_ci_to_root(text, name)`` / ``app_ci_to_subdir(text, name, workflow)``: the splicing
  fallback for app CI workflows (path filters and working directories between ``app/`` and the
  root), keeping every comment.
- ``pointer_text(...)``: the short ``infra/MOVED.md`` left in the app repository.
- ``RECORD_FILE``/``COMMIT_MAP_FILE``/``record_json(...)``: the machine-readable record for the
  provider in the new infra repository (see README "Migration record").
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate import gitops, yaml_splice
from migrate.errors import UnsafeYamlEdit

TRIGGER_WORKFLOW = re.compile(r"^\.github/workflows/trigger-infra[^/]*\.ya?ml$")
WORKFLOW = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
POINTER_FILE = "infra/MOVED.md"
RECORD_DIR = ".repo-migrate"
RECORD_FILE = f"{RECORD_DIR}/migration.json"
COMMIT_MAP_FILE = f"{RECORD_DIR}/commit-map"
ANSWERS_FILE = ".copier-answers.yml"
APP_DIRS = ("app",)


@dataclass(frozen=True)
class Renders:
    """The suite's output for one pattern variant: ``{path: bytes}`` plus the answers used."""

    files: Mapping[str, bytes]
    answers: Mapping[str, Any]


def variant_answers(answers: Mapping[str, Any], variant: str, **overrides: Any) -> dict[str, Any]:
    """*answers* turned into the answers of *variant* (Copier drops the ones it does not ask)."""
    out = {k: v for k, v in answers.items() if k != "repo_role"}
    if variant == "monorepo":
        out["pattern"] = "monorepo"
    else:
        out["pattern"] = "separate"
        out["repo_role"] = variant.removeprefix("separate-")
    out.update(overrides)
    return out


def render_patterns(answers: Mapping[str, Any] | None,
                    variants: Mapping[str, Mapping[str, Any]]) -> dict[str, Renders] | None:
    """Render the suite version that made the repository once per variant; None if impossible."""
    if not answers or "_src_path" not in answers:
        return None
    from migrate import suite

    src, ref = str(answers["_src_path"]), answers.get("_commit")
    out: dict[str, Renders] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="repo-migrate-render-") as tmp:
            for variant, data in variants.items():
                dest = Path(tmp) / variant
                suite.render_project(data, dest, vcs_ref=None if ref is None else str(ref), src=src)
                files = {str(p.relative_to(dest).as_posix()): p.read_bytes()
                         for p in sorted(dest.rglob("*")) if p.is_file() and ".git" not in p.parts}
                out[variant] = Renders(files, data)
    except Exception:  # noqa: BLE001 - any failure to render means: fall back to splicing
        return None
    return out


def retarget(current: bytes, old_render: bytes, new_render: bytes) -> bytes | None:
    """Replay the customer's edits (``old_render`` -> ``current``) onto ``new_render``."""
    if current == old_render:
        return new_render
    if old_render == new_render:
        return current
    return gitops.merge_file(current, old_render, new_render)


# ---- app CI workflows: splicing fallback ---------------------------------------------------

_FILTER_KEYS = ("paths", "paths-ignore")


def _filter_lists(data: Any) -> list[tuple[tuple[str | int, ...], list[str]]]:
    on = data.get("on") if isinstance(data, dict) else None
    found = []
    if isinstance(on, dict):
        for event, spec in on.items():
            if isinstance(spec, dict):
                for key in _FILTER_KEYS:
                    if isinstance(spec.get(key), list):
                        found.append((("on", event, key), spec[key]))
    return found


def _strip_app(item: str) -> str:
    neg = "!" if item.startswith("!") else ""
    body = item[len(neg):]
    for d in APP_DIRS:
        if body == f"{d}/**" or body == f"{d}/*":
            return neg + body[len(d) + 1:]
        if body.startswith(f"{d}/"):
            return neg + body[len(d) + 1:]
    return item


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
        new = [_strip_app(i) for i in items]
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
    return text


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
    found = doc.find_entry(parent, str(path[-1]))
    if found is None:
        return text
    if len(parent.value) > 1:
        return yaml_splice.remove_key(text, path, name)
    new = yaml_splice.apply_edits(text, [doc.deletion(doc.entry_span(*found))])
    yaml_splice.reparse(new, name)
    return new


def safe_splice(fn: Any, data: bytes, name: str) -> bytes:
    """Run a text splice on UTF-8 bytes; refuses a file that is not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeYamlEdit(f"{name} is not UTF-8 text", f"save {name} as UTF-8") from exc
    return fn(text, name).encode("utf-8")


# ---- pointer and record ----------------------------------------------------------------------

def pointer_text(infra_name: str, source_commit: str, state_keys: Mapping[str, str | None]) -> bytes:
    """The ``infra/MOVED.md`` pointer left in the app repository."""
    keys = "".join(f"- `{p}`: state_key `{k}` (unchanged)\n" for p, k in state_keys.items())
    return (
        "# infra/ has moved\n\n"
        f"The infrastructure files that were here moved, with their git history, to the\n"
        f"repository `{infra_name}` (repo-migrate mono-to-separate, from commit\n"
        f"{source_commit[:12]}). Change them there; pushes to this repository no longer reach\n"
        "the provider.\n\n" + keys
    ).encode()


def record_json(record: Mapping[str, Any]) -> bytes:
    """The record file's bytes: stable, sorted JSON."""
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()
