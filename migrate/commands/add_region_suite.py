"""add-region and the template suite: render at the repository's suite version, and bring the
template-owned files that list the regions (the READMEs) to what the new answers render.

Both keep `copier update` clean after add-region: Copier re-renders the old version with the
new answers and finds exactly these bytes, and "add-region then update" gives what "copy with
the region, then update" gives, with the customer's own edits carried over.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from migrate import gitops, suite
from migrate.plan import FileWrite, Note

ProjectRenderer = Callable[[Mapping[str, object]], dict[str, bytes]]


def _has_commit(repo: Path, commit: str) -> bool:
    out = gitops.git(repo, "rev-parse", "--verify", "-q", f"{commit}^{{commit}}", check=False)
    return out.strip() != ""


def is_pinned(answers: Mapping[str, object]) -> bool:
    """True when the suite version the repository was generated from can be rendered again."""
    src = str(answers.get("_src_path") or "").removeprefix("git+").removeprefix("file://")
    commit = str(answers.get("_commit") or "")
    return bool(commit) and bool(src) and Path(src).is_dir() and _has_commit(Path(src), commit)


def project_renderer(answers: Mapping[str, object]) -> ProjectRenderer:
    """Render the whole project for some answers, at the suite version the repository was
    generated from when that suite is a local git repository (is_pinned); else the bundled suite.

    TODO(migrate/suite.py): use suite.render_files(..., vcs_ref=) once it takes a vcs_ref.
    """
    local = str(answers.get("_src_path") or "").removeprefix("git+").removeprefix("file://")
    commit = str(answers.get("_commit") or "")
    # A commit the suite's history does not hold (Copier's commit of uncommitted template
    # changes) or a remote suite cannot be rendered here: fall back to the bundled suite.
    pinned = is_pinned(answers)

    cache: dict[str, dict[str, bytes]] = {}

    def render(data: Mapping[str, object]) -> dict[str, bytes]:
        data = {k: v for k, v in data.items() if not k.startswith("_")}
        key = json.dumps(data, sort_keys=True, default=str)
        if key not in cache:
            cache[key] = _render(data)
        return cache[key]

    def _render(data: Mapping[str, object]) -> dict[str, bytes]:
        with tempfile.TemporaryDirectory(prefix="repo-migrate-render-") as tmp:
            # A plain checkout of the suite at that version: Copier renders it without cloning.
            plain = _checkout(Path(local), commit, Path(tmp)) if pinned else _plain_suite(Path(tmp))
            out = Path(tmp) / "out"
            suite.render_project(data, out, src=str(plain))
            return {p.relative_to(out).as_posix(): p.read_bytes()
                    for p in sorted(out.rglob("*")) if p.is_file()}

    return render


def _checkout(repo: Path, commit: str, tmp: Path) -> Path:
    plain = tmp / "suite"
    gitops.git(tmp, "clone", "-q", "--shared", "--no-checkout", str(repo), str(plain))
    gitops.git(plain, "-c", "advice.detachedHead=false", "checkout", "-q", commit)
    # Without .git Copier renders the files as they are, instead of picking the newest tag.
    shutil.rmtree(plain / ".git")
    return plain


def _plain_suite(tmp: Path) -> Path:
    # The bundled suite as a plain folder: Copier renders its working tree, no clone, no tags.
    root, plain = suite.suite_root(), tmp / "suite"
    plain.mkdir()
    shutil.copy2(root / "copier.yml", plain / "copier.yml")
    shutil.copytree(root / "templates", plain / "templates")
    return plain


def file_renderer(render: ProjectRenderer) -> Callable[[Mapping[str, object], str], bytes]:
    """One file of the project *render* makes (FileNotFoundError naming it when there is none)."""
    def one(data: Mapping[str, object], relpath: str) -> bytes:
        files = render(data)
        if relpath not in files:
            raise FileNotFoundError(f"the suite renders no {relpath} for these answers")
        return files[relpath]

    return one


def merge3(ours: bytes, base: bytes, theirs: bytes) -> bytes | None:
    """git merge-file of *theirs*' change (from *base*) into *ours*; None on a conflict."""
    return gitops.merge_file(ours, base, theirs)


def sync_template_files(read: Callable[[str], bytes | None], old: Mapping[str, object],
                        new: Mapping[str, object], render: ProjectRenderer,
                        skip: set[str]) -> tuple[list[FileWrite], list[Note]]:
    """Writes bringing files the template renders differently for the *new* answers (the
    READMEs' region tables) up to date, merged with the customer's edits; notes on conflicts."""
    before, after = render(old), render(new)
    writes: list[FileWrite] = []
    notes: list[Note] = []
    for path in sorted(after):
        if path in skip or before.get(path) == after[path]:
            continue
        current = read(path)
        if current is None:
            continue  # the customer removed it, or it is not ours to add here
        merged = merge3(current, before.get(path, b""), after[path])
        if merged is None:
            notes.append(Note(f"{path}: your edits overlap what the template changes for the "
                              "new region; update it by hand", "next"))
        elif merged != current:
            writes.append(FileWrite(path, current, merged))
    return writes, notes
