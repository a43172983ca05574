"""Immutable plan records: what a command will do, decided before anything is done.

A command reads a repository, then a pure function returns a `Plan`; `migrate.output` renders it
(`--dry-run`, `--json`) and `migrate.publish` applies it in a scratch copy and publishes it last.
Nothing here touches the filesystem or git.

API
---
Changes (``Change``), applied in order by `migrate.publish.commit_changes`:
  - ``FileWrite(path, old, new, executable=False, origin=None, symlink=False)``: create (``old
    is None``) or overwrite a file; ``old`` is the content at the plan's base, kept so a dry run
    can show a diff; ``origin`` names where unchanged bytes are copied from (no diff is shown for
    those); ``symlink``: a symbolic link whose target is ``new``; ``mode`` is git's file mode.
  - ``FileDelete(path, old)``: remove a file (``old`` is its content at the base).
  - ``FileMove(src, dst)``: rename a file or a whole directory, content unchanged (``git mv``
    semantics, so history follows through rename detection). Edit a moved file with a later
    ``FileWrite`` to ``dst``.
Descriptions (shown, not applied by the publisher; the command that made them does the work):
  - ``HistoryStep(description)``: a git history operation (filter-repo, a merge of histories).
  - ``AnswersChange(key, old, new, answers_file)``: a change to the Copier answers; the bytes
    of the answers file itself travel as a ``FileWrite``.
  - ``Note(text, audience)``: for the provider ("provider") or the user's next steps ("next").

``Plan(command, repo, branch, changes, history, answers, notes, message, base)``:
  - ``repo``: the repository the result lands in, or the destination path of a new repository;
  - ``branch``: the new branch the result is committed on (``None`` when the plan creates a
    repository at ``repo``);
  - ``is_empty``: nothing to change and no history to rewrite: "already up to date".
Paths in changes are POSIX, relative to the repository root.

The command shape (``migrate/commands/``): each command's ``plan(settings)`` returns a typed plan
that satisfies ``CommandPlan`` (its ``Plan`` records and its own typed facts for ``--json``), and
its ``apply(planned)`` returns ``Applied``: the plan, where each result was published
(``Published``), and one closing line for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol

from migrate.contract import ANSWERS_FILE

BRANCH_PREFIX = "repo-migrate/"


def _check_rel(path: str) -> None:
    p = PurePosixPath(path)
    if not path or p.is_absolute() or ".." in p.parts or p.parts[:1] == (".git",) or "\\" in path:
        raise ValueError(f"not a safe repository-relative path: {path!r}")


@dataclass(frozen=True)
class FileWrite:
    """Create or overwrite *path* with *new*; *old* is its content before (None: a new file)."""

    path: str
    old: bytes | None
    new: bytes
    executable: bool = False
    origin: str | None = None  # bytes copied unchanged from there (shown as a line, not a diff)
    symlink: bool = False  # a symbolic link: *new* is its target

    def __post_init__(self) -> None:
        _check_rel(self.path)

    @property
    def kind(self) -> str:
        return "create" if self.old is None else "edit"

    @property
    def mode(self) -> str:
        """git's mode of the file: 120000 (symlink), 100755 (executable) or 100644."""
        return "120000" if self.symlink else "100755" if self.executable else "100644"


@dataclass(frozen=True)
class FileDelete:
    """Remove *path*, whose content before is *old*."""

    path: str
    old: bytes

    def __post_init__(self) -> None:
        _check_rel(self.path)

    @property
    def kind(self) -> str:
        return "delete"


@dataclass(frozen=True)
class FileMove:
    """Rename *src* (a file or a directory) to *dst*, content unchanged."""

    src: str
    dst: str

    def __post_init__(self) -> None:
        _check_rel(self.src)
        _check_rel(self.dst)

    @property
    def kind(self) -> str:
        return "move"

    @property
    def path(self) -> str:
        return self.dst


Change = FileWrite | FileDelete | FileMove


@dataclass(frozen=True)
class HistoryStep:
    """A history operation the command performs (shown in the plan)."""

    description: str


@dataclass(frozen=True)
class AnswersChange:
    """One Copier answer that changes (*old* None: a new answer; *new* None: removed)."""

    key: str
    old: object
    new: object
    answers_file: str = ANSWERS_FILE


@dataclass(frozen=True)
class Note:
    """A message for the provider ("provider") or the user's next steps ("next")."""

    text: str
    audience: Literal["provider", "next"] = "next"


@dataclass(frozen=True)
class Plan:
    """Everything one command will do to one repository (existing, or new at *repo*)."""

    command: str
    repo: Path
    branch: str | None
    changes: tuple[Change, ...] = ()
    history: tuple[HistoryStep, ...] = ()
    answers: tuple[AnswersChange, ...] = ()
    notes: tuple[Note, ...] = ()
    message: str = ""
    base: str | None = None  # the commit the plan was made against (None for a new repository)

    @property
    def is_empty(self) -> bool:
        """True when applying would change nothing: "already up to date"."""
        return not self.changes and not self.history

    @property
    def creates_repo(self) -> bool:
        return self.branch is None

    @property
    def commit_message(self) -> str:
        return self.message or f"repo-migrate {self.command}"


def default_branch(command: str, detail: str | None = None) -> str:
    """The result branch name: ``repo-migrate/<command>[-<detail>]``."""
    return f"{BRANCH_PREFIX}{command}" + (f"-{detail}" if detail else "")


class CommandPlan(Protocol):
    """What every command's ``plan(settings)`` returns: its plans and its typed facts."""

    @property
    def plans(self) -> tuple[Plan, ...]:
        """The plan of each repository the command changes or creates (at least one)."""
        ...

    def details(self) -> dict[str, Any]:
        """The command's own facts, added to each ``--json`` document (JSON-ready values)."""
        ...


@dataclass(frozen=True)
class Published:
    """Where a result landed: a new *branch* in *repo* (None for a new repository) at *commit*."""

    repo: Path
    branch: str | None
    commit: str


@dataclass(frozen=True)
class Applied:
    """What ``apply`` did: the plan, each published result (none: already up to date), a line."""

    planned: CommandPlan
    published: tuple[Published, ...] = ()
    done: str = ""
    # The published results by name (paths, branches, commits), as --json shows them.
    fields: tuple[tuple[str, str], ...] = ()

    @property
    def changed(self) -> bool:
        """True when something was published."""
        return bool(self.published)
