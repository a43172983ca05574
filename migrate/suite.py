"""The template suite as a library: where it is, its region table, and rendering it with Copier.

Commands render the files a template also creates through ``Suite``, so the CLI never keeps a
second copy of template text. "The suite at this repository's version" is one object: it checks
the suite out once (one clone per command run at most) into a plain folder and renders it for
any answers, each render once.

The one policy for the version (``open_suite``):
- a repository the suite did not make (no answers): the suite this toolkit ships;
- answers with ``_src_path`` and ``_commit``: that commit of that suite (a local path, a
  ``file://``, ``git+...``, ``gh:`` or ``gl:`` URL), cloned once; when it cannot be reached the
  command is refused, naming the fix (nothing was changed);
- answers with ``_src_path`` and no ``_commit`` (generated from a plain folder): that folder.
Any other failure while rendering is a bug (exit 1), never a refusal.

Copier renders the plain folder, so it clones nothing; the git commands it runs for itself see
the same safe configuration as ours (``gitops.git_env``: no hook, no fsmonitor). Scratch folders
are named after the run (``migrate.scratch``), so a killed run's are found and removed later.

API
---
- ``suite_root()``: the bundled suite's folder (``$REPO_MIGRATE_SUITE`` overrides it).
- ``read_suite_data(name)``: a hidden data question's value (e.g. ``github_filter_pattern``, read
  by `migrate.filters`); ``read_region_catalog()``: the region table (``region_catalog``).
- ``render_project(answers, dest, *, vcs_ref=None, src=None, only=None)``: one ``copier copy``.
- ``Suite``: ``render(answers, only=None) -> {path: bytes}`` (cached), ``render_file(answers, path)``,
  ``version`` (the commit, or None); made by ``open_suite(answers)`` (a context manager),
  ``open_release(src, ref)`` or ``bundled_suite()``.
- ``open_release(src, ref)``: the suite at *ref* of the git repository *src* (None: the version
  ``copier copy`` picks, the newest version tag, else HEAD), its answers files naming that
  version exactly as Copier writes it (``_src_path``, ``_commit``), so ``copier update`` works.
- ``bundled_source()``: the bundled suite as a git source for ``open_release`` (its folder), or
  None when it is not a git repository.
- ``Renders``; ``replay_or_keep(current, old_render, new_render)``: ``replay_edits``, keeping
  *current* when a render lacks the file or the edits conflict.
- ``replay_edits(current, old_render, new_render)``: the customer's edits (``old_render`` ->
  ``current``) replayed onto ``new_render`` (a three-way merge, as ``copier update`` does); None
  on a conflict.
- ``sync_template_files(read, old_answers, new_answers, suite, skip, what)``: writes bringing files the
  suite renders differently for *new_answers* up to date, edits kept; notes for conflicts.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from packaging.version import InvalidVersion, Version

from migrate import contract, gitops, interrupts, jinja_cache, render_worker, scratch
from migrate.errors import Refused
from migrate.plan import FileWrite, Note

SUITE_ENV = "REPO_MIGRATE_SUITE"
# What a plain (non-git) copy of the suite needs in order to render.
_SUITE_FILES = ("copier.yml", "templates")
_HOSTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


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


_CONFIGS: dict[tuple[str, int], Any] = {}
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _suite_config(path: Path) -> Any:
    # Parsed once per file version: several commands ask for more than one data question.
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _CONFIGS:
        _CONFIGS[key] = yaml.load(path.read_bytes(), Loader=_SafeLoader)
    return _CONFIGS[key]


def read_suite_data(name: str) -> Any:
    """The value of copier.yml's hidden data question *name* (its default, never asked)."""
    config_path = suite_root() / "copier.yml"
    config = _suite_config(config_path)
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


def render_project(answers: Mapping[str, Any], dest: Path, *, vcs_ref: str | None = None,
                   src: str | None = None, only: Iterable[str] | None = None) -> None:
    """Run `copier copy` of *src* (default: the suite root) into *dest* with *answers*, no prompts.

    vcs_ref None lets Copier pick (the newest version tag, else HEAD). Existing files in *dest*
    are overwritten. An answer the suite's validators refuse raises Refused with their message.
    With *only*, just those project paths are written (the same bytes, in about half the time).
    """
    if vcs_ref is None and render_worker.render(_data(answers), dest, src or str(suite_root()), only):
        return
    from copier import run_copy  # imported here: copier is slow to import and often unneeded
    from plumbum import local  # Copier runs git through plumbum, whose environment is its own

    try:
        with local.env(), jinja_cache.compiled_once():
            local.env.clear()
            local.env.update(gitops.git_env())
            run_copy(src or str(suite_root()), str(dest), data=_data(answers), vcs_ref=vcs_ref,
                     defaults=True, unsafe=True, quiet=True, overwrite=True,
                     exclude=[] if only is None else _only(only))
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


class Suite:
    """The suite at one version, as a plain folder Copier renders without cloning."""

    def __init__(self, folder: Path, version: str | None = None, version_lines: bytes = b"") -> None:
        self.folder = folder
        self.version = version
        # The answers file's `_commit:`/`_src_path:` lines of the repository it was opened for:
        # a render from the plain folder names the folder instead, so these lines replace them.
        self._version_lines = version_lines
        self._cache: dict[str, dict[str, bytes]] = {}

    def render(self, answers: Mapping[str, Any], only: Iterable[str] | None = None) -> dict[str, bytes]:
        """``{path: bytes}`` of the project the suite makes for *answers* (only *only*, if given)."""
        wanted = None if only is None else sorted(set(only))
        key = json.dumps([_data(answers), wanted], sort_keys=True, default=str)
        if key not in self._cache:
            with scratch.scratch_dir(f"{scratch.PREFIX}render-") as tmp:
                out = tmp / "out"
                render_project(answers, out, src=str(self.folder), only=wanted)
                files = {p.relative_to(out).as_posix(): p.read_bytes()
                         for p in sorted(out.rglob("*")) if p.is_file()}
            if contract.ANSWERS_FILE in files and self._version_lines:
                files[contract.ANSWERS_FILE] = self._with_version(files[contract.ANSWERS_FILE])
            self._cache[key] = files
        return dict(self._cache[key])

    def render_file(self, answers: Mapping[str, Any], relpath: str) -> bytes:
        """The bytes of one file the suite makes for *answers* (FileNotFoundError naming it)."""
        files = self.render(answers, [relpath])
        if relpath not in files:
            raise FileNotFoundError(f"the suite renders no {relpath} for these answers")
        return files[relpath]

    def _with_version(self, data: bytes) -> bytes:
        lines = data.splitlines(keepends=True)
        out = [line for line in lines if not line.startswith((b"_commit:", b"_src_path:"))]
        at = next((i for i, line in enumerate(out) if not line.startswith(b"#")), len(out))
        return b"".join(out[:at]) + self._version_lines + b"".join(out[at:])


def _link_or_copy(src: str, dst: str) -> None:
    # Copier only reads the suite: a hard link is a copy at a fourth of the cost, where the
    # filesystem allows one.
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _plain_copy(root: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in _SUITE_FILES:
        if (root / name).is_dir():
            shutil.copytree(root / name, dest / name, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(root / name), str(dest / name))
    return dest


def bundled_suite(folder: Path) -> Suite:
    """The suite this toolkit ships, copied as a plain folder into *folder*."""
    return Suite(_plain_copy(suite_root(), folder / "suite"))


def _clone_url(src: str) -> str:
    src = src.removeprefix("git+")
    for prefix, host in _HOSTS.items():
        if src.startswith(prefix):
            return host + src[len(prefix):]
    return src.removeprefix("file://")


def _clone(url: str, clone: Path) -> str | None:
    """Clone the suite at *url* into *clone* (no checkout; a local one shares its objects, and
    no hook runs); None when done, else why not (git's last line)."""
    shutil.rmtree(clone, ignore_errors=True)
    done = interrupts.run(
        ["git", *gitops.SAFE_CONFIG, "clone", "-q", "--no-checkout",
         *(["--shared"] if Path(url).is_dir() else []), "--", url, str(clone)], env=gitops.git_env())
    if done.returncode == 0:
        return None
    return (done.stderr.decode(errors="replace").strip().splitlines() or [""])[-1]


def _commit_in(clone: Path, rev: str) -> str | None:
    """The commit id *rev* names in *clone*, or None."""
    return gitops.git(clone, "rev-parse", "-q", "--verify", f"{rev}^{{commit}}", check=False).strip() or None


def _plain(clone: Path, commit: str) -> Path:
    """*clone* checked out at *commit* as a plain folder: without .git Copier renders the files
    as they are, instead of picking the newest tag."""
    gitops.git(clone, "-c", "advice.detachedHead=false", "checkout", "-q", commit)
    shutil.rmtree(clone / ".git")
    return clone


def _clone_at(url: str, commit: str, clone: Path) -> tuple[str | None, str]:
    """Clone *url* into *clone*; the commit id of *commit* there, or why not."""
    why = _clone(url, clone)
    if why is not None:
        return None, why
    return _commit_in(clone, commit), f"{url} has no commit {commit}"


def _checkout(src: str, commit: str, folder: Path) -> Path:
    """A plain folder of *src* at *commit* (or of $REPO_MIGRATE_SUITE, a local clone of the suite,
    when it holds that commit and *src* cannot be reached); Refused naming the fix otherwise."""
    clone = folder / "suite"
    urls = [_clone_url(src)] + ([os.environ[SUITE_ENV]] if os.environ.get(SUITE_ENV) else [])
    reasons = []
    found = None
    for url in urls:
        found, why = _clone_at(url, commit, clone)
        if found:
            break
        reasons.append(why)
    if not found:
        raise Refused(
            f"the template suite version that made this repository ({src} at {commit}) cannot be "
            f"reached: {'; '.join(r for r in reasons if r)}",
            "make that suite reachable at _src_path of .copier-answers.yml (a clone holding "
            f"commit {commit}), or point {SUITE_ENV} at a local clone that holds it; to migrate "
            "without Copier, remove .copier-answers.yml in a commit")
    return _plain(clone, found)


def _version_lines(answers_text: bytes | None) -> bytes:
    if not answers_text:
        return b""
    return b"".join(line for line in answers_text.splitlines(keepends=True)
                    if line.startswith((b"_commit:", b"_src_path:")))


@contextmanager
def open_suite(answers: Mapping[str, Any] | None, answers_text: bytes | None = None) -> Iterator[Suite]:
    """The suite at the version that made a repository (see the module's policy); removed after."""
    with scratch.scratch_dir(f"{scratch.PREFIX}suite-") as folder:
        src = str((answers or {}).get("_src_path") or "")
        commit = str((answers or {}).get("_commit") or "")
        if not answers or not src:
            yield bundled_suite(folder)
        elif commit:
            yield Suite(_checkout(src, commit, folder), commit, _version_lines(answers_text))
        elif (Path(_clone_url(src)) / "copier.yml").is_file():
            yield Suite(Path(_clone_url(src)), None, _version_lines(answers_text))
        else:
            raise Refused(
                f"the template suite that made this repository ({src}) is not a folder here",
                "make the suite reachable at _src_path of .copier-answers.yml, or remove "
                ".copier-answers.yml in a commit to migrate without Copier")


def bundled_source() -> str | None:
    """The bundled suite's folder when it is a git repository (Copier can update from it)."""
    root = suite_root()
    inside = interrupts.run(["git", *gitops.SAFE_CONFIG, "-C", str(root), "rev-parse",
                             "--show-toplevel"], env=gitops.git_env())
    top = inside.stdout.decode(errors="replace").strip()
    if inside.returncode != 0 or Path(top).resolve() != root.resolve():
        return None
    return str(root)


def _newest_version_tag(clone: Path) -> str:
    """The ref copier copy picks: the newest PEP 440 version tag (no pre-release), else HEAD."""
    best: tuple[Version, str] | None = None
    for tag in gitops.git(clone, "tag", "--list").split():
        try:
            found = Version(tag)
        except InvalidVersion:
            continue
        if not found.is_prerelease and (best is None or found > best[0]):
            best = (found, tag)
    return best[1] if best else "HEAD"


@contextmanager
def open_release(src: str, ref: str | None = None) -> Iterator[Suite]:
    """The suite at *ref* of the git repository *src* (None: the version copier copy picks), its
    answers naming ``_src_path`` and ``_commit`` as Copier writes them. Cloned here, as every
    clone of the suite is (no hook, removed on the way out)."""
    url = _clone_url(src)
    local = Path(url).is_dir()
    named = str(Path(url).resolve()) if local else src  # a relative folder would not be found later
    with scratch.scratch_dir(f"{scratch.PREFIX}release-") as folder:
        clone = folder / "suite"
        why = _clone(url, clone)
        wanted = (ref or _newest_version_tag(clone)) if why is None else ref or "HEAD"
        commit = _commit_in(clone, wanted) if why is None else None
        if not commit:
            raise Refused(f"the template suite {src} at {wanted} cannot be reached"
                          + (f": {why}" if why else ""),
                          "pass --suite with the suite's git URL or folder and a version it has "
                          "(e.g. --suite gh:provider/suite@v1)")
        # Copier names the version `git describe --tags --always` of the commit it checked out.
        described = gitops.git(clone, "describe", "--tags", "--always", commit).strip()
        _plain(clone, commit)
        lines = yaml.safe_dump({"_commit": described}) + yaml.safe_dump({"_src_path": named})
        yield Suite(clone, described, lines.encode())


# A pattern move's renders: each variant ("monorepo", "separate-app", ...) as {path: bytes}.
Renders = dict[str, dict[str, bytes]]


def replay_or_keep(current: bytes, old_render: bytes | None, new_render: bytes | None) -> bytes:
    """*current* moved from *old_render* to *new_render* with its edits (``replay_edits``), or
    *current* as it is when a render lacks the file or the edits conflict."""
    if old_render is None or new_render is None:
        return current
    return replay_edits(current, old_render, new_render) or current


def replay_edits(current: bytes, old_render: bytes, new_render: bytes) -> bytes | None:
    """The edits between *old_render* and *current* replayed onto *new_render*; None on a conflict."""
    if current == old_render:
        return new_render
    if old_render == new_render:
        return current
    return gitops.merge_file(current, old_render, new_render)


def sync_template_files(read: Callable[[str], bytes | None], old: Mapping[str, Any],
                        new: Mapping[str, Any], suite: Suite, skip: set[str],
                        what: str = "for the new answers") -> tuple[list[FileWrite], list[Note]]:
    """Writes bringing the files the suite renders differently for the *new* answers up to date,
    merged with the customer's edits; a note for each file whose edits overlap."""
    before, after = suite.render(old), suite.render(new)
    writes: list[FileWrite] = []
    notes: list[Note] = []
    for path in sorted(after):
        if path in skip or before.get(path) == after[path]:
            continue
        current = read(path)
        if current is None:
            continue  # the customer removed it, or it is not ours to add here
        merged = replay_edits(current, before.get(path, b""), after[path])
        if merged is None:
            notes.append(Note(f"{path}: your edits overlap what the template changes {what}; "
                              "update it by hand", "next"))
        elif merged != current:
            writes.append(FileWrite(path, current, merged))
    return writes, notes
