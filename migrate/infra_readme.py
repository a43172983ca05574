"""The README of an infra repository the suite did not make: the suite's, rendered with what the
repository says, listing only files the repository has.

A repository without Copier answers still gets the suite's infra README (the template is the
only copy of that text), rendered with answers read from its files: the customer, state_key and
region of the first variables file, and the provider, event type and secret its trigger
workflow names. Rows of the README's layout table for files the repository lacks (a schema, the
answers file) are left out, and so is the section on `copier update` when there are no answers.

API
---
- ``known_answers(variables, trigger)``: the answers the files *variables* (bytes of the first
  variables file) and *trigger* (bytes of a trigger workflow, or None) give.
- ``only_present(readme, paths)``: *readme* without the layout rows naming files that are not
  among *paths*, and without the Copier section when there is no answers file; returns the new
  text and the paths it left out.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from migrate.contract import ANSWERS_FILE, load_yaml

_ROW = re.compile(rb"^\| (`[^|]+`) \|")
_CELL_PATH = re.compile(rb"`([^`]+)`")
_SLUG = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
# What the suite's validators accept for the answers read from a trigger workflow.
_VALID = {"provider_repo": re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9_.-]{1,100}$"),
          "dispatch_event_type": re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$"),
          "dispatch_token_secret": re.compile(r"^(?!GITHUB_)[A-Z_][A-Z0-9_]*$")}
_COPIER_SECTION = b"## Updating from the template suite"


def _env(trigger: bytes, key: str) -> str | None:
    found = re.search(rb"^\s*" + key.encode() + rb":\s*['\"]?([^'\"\s#]+)", trigger, re.M)
    return found.group(1).decode() if found else None


def known_answers(variables: bytes, trigger: bytes | None, catalog: Collection[str]) -> dict[str, Any]:
    """Answers the repository's files give: from its first variables file and a trigger workflow
    (*catalog*: the region names the suite knows)."""
    doc = load_yaml(variables, "the variables file")
    out: dict[str, Any] = {}
    if isinstance(doc, dict):
        if isinstance(doc.get("customer_id"), str):
            out["customer_id"] = doc["customer_id"]
        if isinstance(doc.get("state_key"), str):
            out["state_key"] = doc["state_key"]
        region = doc.get("region")
        name = region.get("name") if isinstance(region, dict) else region
        if isinstance(name, str) and name in catalog:
            out["regions"] = [name]
        envs = doc.get("environments")
        if isinstance(envs, list) and envs and all(isinstance(e, str) and _SLUG.match(e) for e in envs):
            out["environments"] = list(dict.fromkeys(envs))
    if trigger:
        for key, answer in (("PROVIDER_REPO", "provider_repo"), ("EVENT_TYPE", "dispatch_event_type")):
            value = _env(trigger, key)
            if value:
                out[answer] = value
        secret = re.search(rb"secrets\.([A-Za-z_][A-Za-z0-9_]*)", trigger)
        if secret:
            out["dispatch_token_secret"] = secret.group(1).decode()
    return {k: v for k, v in out.items() if k not in _VALID or _VALID[k].match(str(v))}


def _present(path: str, paths: Collection[str]) -> bool:
    if path.endswith("/"):
        return any(p.startswith(path) for p in paths)
    return path in paths


def only_present(readme: bytes, paths: Collection[str]) -> tuple[bytes, list[str]]:
    """*readme* without layout rows naming files not among *paths* (and without the Copier
    section when there is no answers file); the text and the paths left out."""
    out: list[bytes] = []
    missing: list[str] = []
    skipping = False
    for line in readme.splitlines(keepends=True):
        if line.startswith(b"## "):
            skipping = line.startswith(_COPIER_SECTION) and ANSWERS_FILE not in paths
        if skipping:
            continue
        row = _ROW.match(line)
        if row:
            named = [m.decode() for m in _CELL_PATH.findall(row.group(1))]
            absent = [p for p in named if not _present(p, paths)]
            if absent and len(absent) == len(named):
                missing += absent
                continue
        out.append(line)
    text = b"".join(out)
    while text.endswith(b"\n\n"):
        text = text[:-1]
    return text, missing
