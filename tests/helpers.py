"""Tiny helpers for tests that build real git repositories (no mocks of git or Copier)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git(repo: Path | str, *args: str, check: bool = True) -> str:
    """Run git in *repo* and return its stdout (hermetic env comes from conftest)."""
    out = subprocess.run(
        ["git", "-C", str(repo), *args], check=check, capture_output=True, text=True
    )
    return out.stdout


def build_file_tree(root: Path, spec: dict[str, str | bytes]) -> None:
    """Write *spec* ({relative path: content}) under *root*; str is written as UTF-8 bytes as is."""
    for rel, content in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data)


def make_repo(path: Path, files: dict[str, str | bytes], message: str = "initial") -> Path:
    """Create a git repository at *path* holding *files* in one commit on main."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    build_file_tree(path, files)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", message)
    return path


def commit_all(repo: Path, message: str) -> str:
    """Stage everything in *repo*, commit it, and return the new commit's sha."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def file_bytes(root: Path) -> dict[str, bytes]:
    """Every file under *root* (outside .git) with its bytes: for exact-tree assertions."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def repo_state(repo: Path) -> dict[str, str]:
    """A fingerprint of everything a command must not touch: refs, HEAD, index, working tree."""
    return {
        "refs": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "head": git(repo, "symbolic-ref", "-q", "HEAD", check=False) + git(repo, "rev-parse", "HEAD"),
        "index": git(repo, "ls-files", "-s"),
        "status": git(repo, "status", "--porcelain", "--ignored", "--untracked-files=all"),
        "tree": "\n".join(
            f"{p.relative_to(repo)}:{p.read_bytes().hex() if p.is_file() else ''}"
            for p in sorted(repo.rglob("*"))
            if ".git" not in p.relative_to(repo).parts
        ),
    }
