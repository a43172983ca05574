"""Where a repository's application lives: which files are the application's, the
infrastructure's or the whole repository's, and the folder the application is in.

Real repositories keep their application at the root (``app.py``, ``package.json``), in
``src/`` or ``apps/``; the suite's patterns keep it in ``app/`` (monorepo) or
``services/<name>/`` (multi-service). Commands ask here, so that "is this repository holding an
application?" has one answer.

API
---
- ``APP_DIR`` (``app``), ``SERVICES_DIR`` (``services``).
- ``ROOT_LEVEL``: top-level names that belong to the whole repository, not to its application
  (README, licence, ignore and attribute files, CODEOWNERS, docs, ``.github``, the answers file).
- ``is_infra(path)``: under ``infra/``; ``is_repository_file(path)``: a ``ROOT_LEVEL`` entry or
  under one; ``application_files(paths)``: every other file (the application's).
- ``AppLocation(folder, tops)``: where the application is: ``folder`` ``""`` (the root) or a
  folder such as ``src``; ``tops`` the top-level entries that are the application's.
- ``find_application(paths, app_dir=None)``: the ``AppLocation`` of a repository's files (None
  when it holds no application file): ``app_dir``, else ``app/``, else the one folder holding
  every application file (``src/``, ``apps/``, ``backend/``), else the root; refuses an
  ``app_dir`` that holds no file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from migrate.contract import ANSWERS_FILE, INFRA_DIR, RECORD_DIR
from migrate.errors import Refused

APP_DIR = "app"
SERVICES_DIR = "services"
ROOT_LEVEL = frozenset({
    ".github", ANSWERS_FILE, "README.md", "README", "README.rst", "README.txt", "LICENSE",
    "LICENSE.md", "LICENSE.txt", "COPYING", "CODEOWNERS", ".gitignore", ".gitattributes",
    ".editorconfig", ".pre-commit-config.yaml", "docs", "CONTRIBUTING.md", "SECURITY.md",
    "CHANGELOG.md", "CODE_OF_CONDUCT.md", ".devcontainer", ".vscode", RECORD_DIR,
})
_ROOT_LEVEL_FOLDED = frozenset(name.casefold() for name in ROOT_LEVEL)


def _top(path: str) -> str:
    return path.split("/", 1)[0]


def is_infra(path: str) -> bool:
    """True for a file under ``infra/``."""
    return path.startswith(f"{INFRA_DIR}/")


def is_repository_file(path: str) -> bool:
    """True for a file that belongs to the whole repository (README, .github/, licence, ...;
    whatever the case of its name: readme.md too)."""
    return _top(path).casefold() in _ROOT_LEVEL_FOLDED


def application_files(paths: Iterable[str]) -> list[str]:
    """The application's files among *paths*: neither infra/ nor the repository's own files."""
    return sorted(p for p in paths if not is_infra(p) and not is_repository_file(p))


@dataclass(frozen=True)
class AppLocation:
    """Where an application is: in *folder* (``""``: at the root), made of the entries *tops*."""

    folder: str
    tops: tuple[str, ...]

    @property
    def at_root(self) -> bool:
        return self.folder == ""

    def describe(self) -> str:
        """The location in words, for plans and notes."""
        if self.folder:
            return f"in {self.folder}/"
        return "at the root (" + ", ".join(self.tops[:5]) + (", ..." if len(self.tops) > 5 else "") + ")"


def find_application(paths: Iterable[str], app_dir: str | None = None) -> AppLocation | None:
    """Where the application among *paths* lives: *app_dir* when given, else ``app/``, else the
    one folder holding every application file (``src/``, ``apps/``, ``backend/``...), else the
    root's entries."""
    files = application_files(paths)
    if app_dir is not None:
        folder = app_dir.strip("/")
        if folder.startswith("./"):
            folder = folder[2:]
        if not folder or ".." in folder.split("/") or not any(p.startswith(f"{folder}/") for p in files):
            raise Refused(f"--app-dir {app_dir}: no application file is there",
                          "give the folder that holds the application (e.g. --app-dir src)")
        return AppLocation(folder, (folder.split("/", 1)[0],))
    if not files:
        return None
    tops = tuple(sorted({_top(p) for p in files}))
    if len(tops) == 1 and all("/" in p for p in files):
        return AppLocation(tops[0], tops)
    if APP_DIR in tops and any(p.startswith(f"{APP_DIR}/") for p in files):
        return AppLocation(APP_DIR, (APP_DIR,))
    return AppLocation("", tops)
