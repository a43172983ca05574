"""A repository's name on GitHub (owner/name), read from its ``origin`` remote.

GitHub's dispatches name a repository as ``owner/name`` (``github.repository``); a clone knows it
only through its remote URL, in any of the forms git accepts: ``https://github.com/o/n.git``,
``git@github.com:o/n.git``, ``ssh://git@github.com/o/n``, ``git://host/o/n.git`` (a GitHub
Enterprise Server host too). A local path or ``file://`` URL names no GitHub repository.

API
---
- ``is_github_name(text)``: ``owner/name`` as GitHub allows them.
- ``github_name(url)``: the owner/name a remote URL points at, or None.
- ``origin_name(repo)``: ``(owner/name or None, the origin URL or None)`` of a clone.
"""

from __future__ import annotations

import re
from pathlib import Path

from migrate import gitops

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}$")
_URL = re.compile(r"^(?:https?|ssh|git(?:\+ssh)?)://(?:[^@/]+@)?[^/]+/(?P<path>.+)$")
_SCP = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>[^/].*)$")


def is_github_name(text: str) -> bool:
    """True for ``owner/name`` as GitHub allows them."""
    return bool(_NAME.match(text))


def github_name(url: str) -> str | None:
    """The owner/name of the GitHub repository *url* points at (None for a local path)."""
    url = url.strip()
    found = _URL.match(url)
    if found is None:
        scp = _SCP.match(url)
        # a one-letter "host" is a Windows drive (C:\path): a local path
        if scp is None or len(scp["host"]) == 1:
            return None
        found = scp
    path = found["path"].rstrip("/")
    path = path[:-4] if path.endswith(".git") else path
    return path if is_github_name(path) else None


def origin_name(repo: Path) -> tuple[str | None, str | None]:
    """The GitHub owner/name of *repo*'s ``origin`` remote and the URL (None, None: no origin)."""
    url = gitops.git(repo, "remote", "get-url", "origin", check=False).strip()
    if not url:
        return None, None
    return github_name(url), url
