"""The template suite as a library: where it is, its hidden data, and rendering with Copier.

Migrations render the files a template also creates through these functions, so the CLI never
keeps a second copy of template text (DESIGN.md, "Two products in one repository").

API
---
  - ``suite_root()``: the folder holding copier.yml ($REPO_MIGRATE_SUITE overrides the default).
  - ``read_suite_data(name)``: a hidden data question's value (e.g. ``github_filter_pattern``,
    read by `migrate.filters`); ``read_region_catalog()``: the region table.
  - ``render_project(answers, dest, ...)``, ``render_tree``, ``render_files``, ``render_file``:
    `copier copy` with the answers, no prompts; a refused answer raises ``Refused``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from migrate.errors import Refused

SUITE_ENV = "REPO_MIGRATE_SUITE"
# What a plain (non-git) copy of the suite needs in order to render.
_SUITE_FILES = ("copier.yml", "templates")


def suite_root() -> Path:
    """The directory holding the suite's copier.yml ($REPO_MIGRATE_SUITE overrides the default)."""
    override = os.environ.get(SUITE_ENV)
    root = Path(override) if override else Path(__file__).resolve().parent.parent
    if not (root / "copier.yml").is_file():
        raise Refused(
            f"no template suite at {root} (copier.yml is missing)",
            f"point {SUITE_ENV} at the suite's repository root, the folder holding copier.yml",
        )
    return root


def read_suite_data(name: str) -> Any:
    """The value of copier.yml's hidden data question *name* (its default, never asked)."""
    config_path = suite_root() / "copier.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    entry = config.get(name) if isinstance(config, dict) else None
    if not isinstance(entry, dict) or "default" not in entry:
        raise Refused(
            f"the template suite at {config_path.parent} has no '{name}' in copier.yml "
            "(it is older than this repo-migrate)",
            f"point {SUITE_ENV} at a suite of this repo-migrate's version",
        )
    return entry["default"]


def read_region_catalog() -> dict[str, dict[str, Any]]:
    """The region table (short name -> cloud_region, availability_zones, vpc_cidr) from copier.yml."""
    return dict(read_suite_data("region_catalog"))


def _data(answers: Mapping[str, Any]) -> dict[str, Any]:
    # Keys such as _commit and _src_path belong to Copier's answers file, not to the questions.
    return {key: value for key, value in answers.items() if not key.startswith("_")}


def render_project(
    answers: Mapping[str, Any],
    dest: Path,
    *,
    vcs_ref: str | None = None,
    src: str | None = None,
    only: Iterable[str] | None = None,
) -> None:
    """Run `copier copy` of *src* (default: the suite root) into *dest* with *answers*, no prompts.

    vcs_ref None lets Copier pick (the newest version tag, else HEAD). Existing files in *dest*
    are overwritten. An answer the suite's validators refuse raises Refused with their message.
    With *only*, just those project paths are written (the same bytes, in about half the time).
    """
    from copier import run_copy  # imported here: copier is slow to import and often unneeded

    try:
        run_copy(
            src or str(suite_root()),
            str(dest),
            data=_data(answers),
            vcs_ref=vcs_ref,
            defaults=True,
            unsafe=True,
            quiet=True,
            overwrite=True,
            exclude=[] if only is None else _only(only),
        )
    except ValueError as error:
        # Copier reports an answer its validators refuse as a ValueError with their message.
        if not str(error).startswith(("Validation error for question", "Invalid choice for")):
            raise
        raise Refused(str(error), "give an answer the suite accepts (the message says which)") from error


def _only(relpaths: Iterable[str]) -> list[str]:
    # Copier's exclusions are gitignore patterns matched against each rendered path: exclude
    # everything, then re-include each wanted path, anchored and with its specials escaped.
    special = str.maketrans({c: f"\\{c}" for c in "\\[]*?!#"})
    return ["*", *(f"!/{rel.translate(special)}" for rel in relpaths)]


def render_tree(
    answers: Mapping[str, Any], *, src: str | None = None, vcs_ref: str | None = None,
    only: Iterable[str] | None = None,
) -> dict[str, bytes]:
    """Render a whole project with *answers* and return {relative posix path: bytes} of its files.

    Without *src* and *vcs_ref* the suite's working tree is rendered from a plain copy (no git
    clone, no tag lookup); with *vcs_ref* alone, the suite's git repository at that ref.
    """
    with tempfile.TemporaryDirectory(prefix="repo-migrate-render-") as tmp:
        if src is None and vcs_ref is None:
            plain = Path(tmp) / "suite"
            plain.mkdir()
            root = suite_root()
            for name in _SUITE_FILES:
                if (root / name).is_dir():
                    shutil.copytree(root / name, plain / name)
                else:
                    shutil.copy2(root / name, plain / name)
            src = str(plain)
        out = Path(tmp) / "out"
        render_project(answers, out, src=src, vcs_ref=vcs_ref, only=only)
        return {
            path.relative_to(out).as_posix(): path.read_bytes()
            for path in sorted(out.rglob("*"))
            if path.is_file()
        }


def render_files(
    answers: Mapping[str, Any],
    relpaths: Iterable[str],
    *,
    src: str | None = None,
    vcs_ref: str | None = None,
) -> dict[str, bytes]:
    """Render the suite once with *answers* and return the bytes of each of *relpaths*.

    Source and version as for render_tree; a file the answers do not produce raises
    FileNotFoundError naming it.
    """
    wanted = list(relpaths)
    tree = render_tree(answers, src=src, vcs_ref=vcs_ref, only=wanted)
    result: dict[str, bytes] = {}
    for rel in wanted:
        if rel not in tree:
            raise FileNotFoundError(f"the suite renders no {rel} for these answers")
        result[rel] = tree[rel]
    return result


def render_file(
    answers: Mapping[str, Any],
    relpath: str,
    *,
    src: str | None = None,
    vcs_ref: str | None = None,
) -> bytes:
    """Render the suite with *answers* and return the bytes of the one file *relpath*."""
    return render_files(answers, [relpath], src=src, vcs_ref=vcs_ref)[relpath]
