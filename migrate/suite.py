"""The template suite as a library: where it is, its region table, and rendering with Copier.

Migrations render the files a template also creates through these functions, so the CLI never
keeps a second copy of template text (DESIGN.md, "Two products in one repository").
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


def read_region_catalog() -> dict[str, dict[str, Any]]:
    """The region table (short name -> cloud_region, availability_zones, vpc_cidr) from copier.yml."""
    config = yaml.safe_load((suite_root() / "copier.yml").read_text(encoding="utf-8"))
    return dict(config["region_catalog"]["default"])


def _data(answers: Mapping[str, Any]) -> dict[str, Any]:
    # Keys such as _commit and _src_path belong to Copier's answers file, not to the questions.
    return {key: value for key, value in answers.items() if not key.startswith("_")}


def render_project(
    answers: Mapping[str, Any],
    dest: Path,
    *,
    vcs_ref: str | None = None,
    src: str | None = None,
) -> None:
    """Run `copier copy` of *src* (default: the suite root) into *dest* with *answers*, no prompts.

    vcs_ref None lets Copier pick (the newest version tag, else HEAD). Existing files in *dest*
    are overwritten.
    """
    from copier import run_copy  # imported here: copier is slow to import and often unneeded

    run_copy(
        src or str(suite_root()),
        str(dest),
        data=_data(answers),
        vcs_ref=vcs_ref,
        defaults=True,
        unsafe=True,
        quiet=True,
        overwrite=True,
    )


def render_files(
    answers: Mapping[str, Any], relpaths: Iterable[str], *, src: str | None = None
) -> dict[str, bytes]:
    """Render the suite once with *answers* and return the bytes of each of *relpaths*.

    Without *src* the suite's working tree is rendered from a plain copy, so no git clone is
    made; a missing file raises FileNotFoundError naming it.
    """
    wanted = list(relpaths)
    with tempfile.TemporaryDirectory(prefix="repo-migrate-render-") as tmp:
        if src is None:
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
        render_project(answers, out, src=src)
        result: dict[str, bytes] = {}
        for rel in wanted:
            path = out / rel
            if not path.is_file():
                raise FileNotFoundError(f"the suite renders no {rel} for these answers")
            result[rel] = path.read_bytes()
        return result


def render_file(answers: Mapping[str, Any], relpath: str, *, src: str | None = None) -> bytes:
    """Render the suite with *answers* and return the bytes of the one file *relpath*."""
    return render_files(answers, [relpath], src=src)[relpath]
