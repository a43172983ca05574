"""The contract's names, decided once: which files are what, and how the provider addresses state.

Every module asks here whether a path is a trigger workflow or a variables file, where the Copier
answers and the migration record live, and how a state is addressed at the provider; a second
definition elsewhere would be a second opinion waiting to disagree.

API
---
- Paths: ``ANSWERS_FILE``, ``WORKFLOWS_DIR``, ``INFRA_DIR``, ``SHARED_VARIABLES``, ``SCHEMA_FILE``,
  ``POINTER_FILE`` (``infra/MOVED.md``), ``RECORD_DIR``/``RECORD_FILE``/``COMMIT_MAP_FILE`` and
  ``RECORD_FORMAT`` (the migration record), ``RECORD_TRAILER`` (the record as a commit-message
  trailer).
- ``is_workflow_file(path)``: a file GitHub runs (top level of ``.github/workflows``, ``*.yml``
  or ``*.yaml``); ``is_trigger_workflow(path)``: one of those named ``trigger-infra*``.
- ``is_variables_file(path)``: ``infra/variables.yml``, a region's ``infra/<region>-variables.yml``
  or a service's ``infra/<service>-vars.yml`` (``.yaml`` too): every file that carries
  ``customer_id`` and ``state_key`` and is dispatched to the provider. ``variables_files(paths)``.
- ``load_yaml(data, name, *, typed=False)``: parse one YAML document for checks (every scalar a
  string unless *typed*, so a bare ``on`` stays "on"); ``Refused`` naming the file otherwise.
- ``read_answers(data)``: the Copier answers (a mapping), or None when there are none.
- ``state_key_of(data, name)``, ``customer_id_of(data, name)``: a variables file's ``state_key`` and
  ``customer_id`` (None when it has none).
- ``state_address(state_key, environment)``: the backend key of one state at the provider,
  ``<state_key>/<environment>/terraform.tfstate``; both sides compute it here.
- ``MAX_PAYLOAD_PROPERTIES``: GitHub's limit on top-level ``client_payload`` properties (10).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from migrate.errors import Refused

ANSWERS_FILE = ".copier-answers.yml"
WORKFLOWS_DIR = ".github/workflows"
TRIGGER_PREFIX = "trigger-infra"
INFRA_DIR = "infra"
SHARED_VARIABLES = "infra/variables.yml"
SCHEMA_FILE = "infra/variables.schema.json"
POINTER_FILE = "infra/MOVED.md"
RECORD_DIR = ".repo-migrate"
RECORD_FILE = f"{RECORD_DIR}/migration.json"
COMMIT_MAP_FILE = f"{RECORD_DIR}/commit-map"
RECORD_FORMAT = "repo-migrate/migration@1"
# The same record as a commit-message trailer, where a file would change the tree (the monorepo
# separate-to-mono makes holds exactly the files it had before mono-to-separate).
RECORD_TRAILER = "Repo-Migrate-Record"
MAX_PAYLOAD_PROPERTIES = 10

_WORKFLOW = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
_TRIGGER = re.compile(rf"^\.github/workflows/{TRIGGER_PREFIX}[^/]*\.ya?ml$")
# infra/variables.yml, infra/<region>-variables.yml, infra/<service>-vars.yml (and .yaml)
_VARIABLES = re.compile(r"^infra/(?:variables|[^/]+-variables|[^/]+-vars)\.ya?ml$")
_BaseLoader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def is_workflow_file(path: str) -> bool:
    """True for a workflow GitHub reads: ``.github/workflows/<name>.yml|.yaml``, top level only."""
    return bool(_WORKFLOW.match(path))


def is_trigger_workflow(path: str) -> bool:
    """True for ``.github/workflows/trigger-infra*.yml|.yaml``: the workflows that dispatch."""
    return bool(_TRIGGER.match(path))


def is_variables_file(path: str) -> bool:
    """True for a variables file of the contract (shared, per region, or per service)."""
    return bool(_VARIABLES.match(path))


def variables_files(paths: Iterable[str]) -> list[str]:
    """The variables files among *paths*, sorted."""
    return sorted(p for p in paths if is_variables_file(p))


def load_yaml(data: bytes, name: str, *, typed: bool = False) -> Any:
    """Parse one YAML document; ``typed`` resolves ints/bools (answers), else all strings."""
    try:
        return yaml.load(data, Loader=_SafeLoader if typed else _BaseLoader)
    except yaml.YAMLError as exc:
        raise Refused(f"{name} is not valid YAML: {exc}",
                      f"fix {name} and commit it, then run again") from None


def read_answers(data: bytes | None) -> dict[str, Any] | None:
    """The Copier answers in *data* (None when there is no answers file)."""
    if data is None:
        return None
    doc = load_yaml(data, ANSWERS_FILE, typed=True)
    if not isinstance(doc, dict):
        raise Refused(f"{ANSWERS_FILE} is not a mapping", f"restore {ANSWERS_FILE} as Copier wrote it")
    return doc


def state_key_of(data: bytes, name: str) -> str | None:
    """The ``state_key`` of the variables file *name* holding *data* (None when absent)."""
    return _string_of(data, name, "state_key")


def customer_id_of(data: bytes, name: str) -> str | None:
    """The ``customer_id`` of the variables file *name* holding *data* (None when absent)."""
    return _string_of(data, name, "customer_id")


def _string_of(data: bytes, name: str, key: str) -> str | None:
    doc = load_yaml(data, name)
    if isinstance(doc, dict) and isinstance(doc.get(key), str):
        return str(doc[key])
    return None


def state_address(state_key: str, environment: str) -> str:
    """The provider's backend key of *state_key* in *environment*."""
    return f"{state_key}/{environment}/terraform.tfstate"
