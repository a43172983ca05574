"""The provider repository's static JSON Schemas, and strict loading of the files they govern.

The schemas are files of the template suite (``templates/provider/...``), shipped into every
provider repository by the template; the toolkit validates with its own copy, so that what it
accepts is exactly what its code understands. That copy is package data (``migrate/schemas/``:
links to the suite's files in a source tree, the files themselves in a wheel), so a toolkit
installed without the suite (``pip install git+...``, as the provider's workflow does) has it.

API
---
- ``REGISTRY_SCHEMA``, ``APPROVALS_SCHEMA``: the schemas' paths in the suite.
- ``load_schema(path)``: one schema (a mapping): the toolkit's copy of the suite's file *path*.
- ``load_strict_yaml(data, name, *, typed)``: one YAML document; duplicate keys are refused (a
  second ``state_key:`` would silently win otherwise); ``typed`` resolves booleans and integers,
  else every scalar stays a string.
- ``check_document(document, schema, name)``: ``Refused`` naming the file, the path in the
  document (``repositories[0].variables_files[1].state_key``), the schema's message and the fix.
- ``show_path(parts)``: a path in a document as people write it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from migrate.errors import Refused

REGISTRY_SCHEMA = "templates/provider/customers/registry.schema.json"
APPROVALS_SCHEMA = "templates/provider/approvals.schema.json"
_PACKAGED = Path(__file__).resolve().parent / "schemas"


@functools.cache
def _schema_text(path: str) -> str:
    return (_PACKAGED / PurePosixPath(path).name).read_text(encoding="utf-8")


def load_schema(path: str) -> dict[str, Any]:
    """The toolkit's copy of the suite's JSON Schema *path* (a fresh copy each call)."""
    loaded: dict[str, Any] = json.loads(_schema_text(path))
    return loaded


def _refuse_duplicates(node: yaml.MappingNode, name: str) -> None:
    seen: set[str] = set()
    for key, _value in node.value:
        text = str(key.value)
        if text in seen:
            raise Refused(
                f"{name}: key {text!r} appears twice (line {key.start_mark.line + 1})",
                f"keep one {text!r} in {name}, then run again",
            )
        seen.add(text)


class _Strict:
    """A loader mixin that refuses a key written twice in one mapping (PyYAML keeps the last)."""

    document_name = ""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        _refuse_duplicates(node, self.document_name)
        return super().construct_mapping(node, deep)  # type: ignore[misc]


class _StrictSafe(_Strict, yaml.SafeLoader):
    pass


class _StrictBase(_Strict, yaml.BaseLoader):
    pass


def load_strict_yaml(data: bytes, name: str, *, typed: bool) -> Any:
    """Parse one YAML document of *data*; Refused naming *name* when it does not parse."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(f"{name} is not UTF-8 text: {exc}", f"save {name} as UTF-8") from None
    loader = (_StrictSafe if typed else _StrictBase)(text)
    loader.document_name = name
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise Refused(f"{name} is not valid YAML: {exc}",
                      f"fix {name} so that it parses as one YAML document") from None
    finally:
        loader.dispose()


def show_path(parts: Iterable[str | int]) -> str:
    """``repositories[0].name`` for ("repositories", 0, "name"); "the top level" for ()."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the top level"


def check_document(document: Any, schema: Mapping[str, Any], name: str) -> None:
    """Refuse *document* (from file *name*) unless it is valid against *schema*."""
    error = best_match(Draft202012Validator(schema).iter_errors(document))
    if error is None:
        return
    where = show_path(error.absolute_path)
    if error.validator == "required":
        fix = f"add the missing key to {where} in {name}"
    elif error.validator == "additionalProperties":
        fix = f"remove or rename the unexpected key in {where} of {name}"
    else:
        hint = error.schema.get("description") if isinstance(error.schema, Mapping) else None
        fix = f"correct {where} in {name}: " + (
            hint or f"see the {schema.get('title', 'JSON')} schema"
        )
    raise Refused(f"{name}: {where}: {error.message}", fix)
