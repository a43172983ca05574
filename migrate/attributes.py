"""Rule files that name paths (.gitattributes, .gitignore, CODEOWNERS) when files move between
repositories or folders, edited line by line (every other byte stays).

Their patterns follow git's wildmatch rules: a pattern with no slash but a trailing one applies
at any depth; any other is anchored at the file's folder. When ``infra/`` leaves for a new
repository, the rules that could apply to what leaves go with it (an LFS pointer keeps its
``filter=lfs`` line), and the rules that can no longer apply to anything that stays are dropped;
when an application folder moves to the root (or back), anchored rules follow it.

API
---
- ``RULE_FILES``: the root-level rule files this module edits (``.gitattributes``,
  ``.gitignore``, ``CODEOWNERS``, ``.github/CODEOWNERS``, ``docs/CODEOWNERS``).
- ``is_rule_file(path)``: one of those.
- ``Split(leaving, staying)``: the text of the rule file for the new repository (None: no rule
  there applies) and for the one left behind; ``split_rules(data, leaving, staying, folder)``
  computes it from the paths that leave and those that stay (``folder``: the folder leaving).
- ``reroot(data, old, new, tops=())``: anchored patterns under folder *old* rewritten under
  *new* (``""``: the root; from the root, only those under one of *tops*), e.g.
  ``app/assets/*.png`` -> ``assets/*.png``.
- ``join_rules(base, extra)``: *base* with the lines of *extra* it lacks added at its end (the
  rule files of two repositories that become one).
- ``lfs_paths(attributes, paths)``: the paths an attributes text marks ``filter=lfs``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

RULE_FILES = (".gitattributes", ".gitignore", "CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")


def is_rule_file(path: str) -> bool:
    """True for a root-level rule file this module edits."""
    return path in RULE_FILES


@dataclass(frozen=True)
class _Line:
    text: str  # the whole line, its line break included
    pattern: str | None  # None: blank or comment
    negated: bool = False

    @property
    def body(self) -> str:
        return self.pattern or ""


def _lines(data: bytes) -> list[_Line]:
    out = []
    for raw in data.decode("utf-8", "surrogateescape").splitlines(keepends=True):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            out.append(_Line(raw, None))
            continue
        first = stripped.split()[0]
        if first.startswith('"'):  # a quoted pattern (C-style escapes): never edited
            out.append(_Line(raw, None))
            continue
        negated = first.startswith("!")
        out.append(_Line(raw, first[1:] if negated else first, negated))
    return out


def _anchored(pattern: str) -> bool:
    """Anchored at the rule file's folder (a slash before the end), not a ``**/`` pattern."""
    body = pattern.rstrip("/")
    return "/" in body and not body.startswith("**/")


@lru_cache(maxsize=4096)
def _matcher(pattern: str) -> GitIgnoreBasicPattern:
    return GitIgnoreBasicPattern(pattern)


def _matches(pattern: str, path: str) -> bool:
    # A directory pattern ("logs/") matches the files below it; so does a plain folder name.
    m = _matcher(pattern)
    if m.match_file(path) is not None:
        return True
    parts = path.split("/")
    return any(m.match_file("/".join(parts[:i]) + "/") is not None for i in range(1, len(parts)))


def _under(pattern: str, folder: str) -> bool:
    body = pattern.lstrip("/")
    return body == folder or body.startswith(f"{folder}/")


@dataclass(frozen=True)
class Split:
    """A rule file split in two: for the new repository (None when no rule applies there) and
    for the repository left behind."""

    leaving: bytes | None
    staying: bytes


def split_rules(data: bytes, leaving: Iterable[str], staying: Iterable[str], folder: str) -> Split:
    """Split a root-level rule file when *leaving* (the folder *folder* and any other files) moves
    to a new repository at the same paths and *staying* stays.

    A rule that is not anchored applies in both; an anchored one goes where the files it
    matches are (a rule anchored under *folder* that matches no file yet, such as an ignored
    ``infra/.terraform/``, goes with the folder). Comments and blank lines stay; the new file
    gets the rules in their order.
    """
    out_paths, in_paths = sorted(leaving), sorted(staying)
    new: list[str] = []
    kept: list[str] = []
    for line in _lines(data):
        if line.pattern is None:
            kept.append(line.text)
            continue
        pattern = line.body
        if not _anchored(pattern):
            goes, stays = True, True
        elif _under(pattern, folder):
            goes, stays = True, False
        else:
            goes = any(_matches(pattern, p) for p in out_paths)
            stays = not goes or any(_matches(pattern, p) for p in in_paths)
        if goes:
            new.append(line.text if line.text.endswith("\n") else line.text + "\n")
        if stays:
            kept.append(line.text)
    return Split("".join(new).encode("utf-8", "surrogateescape") if new else None,
                 "".join(kept).encode("utf-8", "surrogateescape"))


def _replace_pattern(line: _Line, pattern: str) -> str:
    old = ("!" if line.negated else "") + line.body
    new = ("!" if line.negated else "") + pattern
    at = line.text.index(old)
    return line.text[:at] + new + line.text[at + len(old):]


def reroot(data: bytes, old: str, new: str, tops: Collection[str] = ()) -> bytes:
    """Anchored patterns under folder *old* rewritten under *new* (``""``: the root; from the
    root only the patterns whose first folder is one of *tops*, the entries that move)."""
    out = []
    for line in _lines(data):
        pattern = line.pattern
        if pattern is None or not _anchored(pattern):
            out.append(line.text)
            continue
        lead = "/" if pattern.startswith("/") else ""
        body = pattern[len(lead):]
        if old:
            if not _under(body, old):
                out.append(line.text)
                continue
            body = body[len(old) + 1:] if body != old else ""
        elif body.split("/", 1)[0] not in tops:
            out.append(line.text)
            continue
        if not body:
            out.append(line.text)  # the folder itself: nothing to point at after the move
            continue
        if new:
            body = f"{new}/{body}"
        out.append(_replace_pattern(line, lead + body))
    return "".join(out).encode("utf-8", "surrogateescape")


def join_rules(base: bytes | None, extra: bytes) -> bytes:
    """*base* with the lines of *extra* it does not hold yet added at its end."""
    if base is None:
        return extra
    have = {line.strip() for line in base.splitlines()}
    added = [line for line in extra.splitlines(keepends=True)
             if line.strip() and line.strip() not in have]
    if not added:
        return base
    nl = b"\r\n" if b"\r\n" in base else b"\n"
    sep = b"" if not base or base.endswith(b"\n") else nl
    joined = b"".join(added)
    return base + sep + joined + (b"" if joined.endswith(b"\n") else nl)


def lfs_paths(attributes: bytes, paths: Sequence[str]) -> list[str]:
    """The paths among *paths* whose last matching rule of *attributes* says ``filter=lfs``."""
    marked: dict[str, bool] = {}
    for line in _lines(attributes):
        if line.pattern is None or line.negated:
            continue
        attrs = line.text.split()[1:]
        setting = next((a for a in reversed(attrs) if a in ("filter=lfs", "-filter", "!filter")
                        or a.startswith("filter=")), None)
        if setting is None:
            continue
        for p in paths:
            if _matches(line.pattern, p):
                marked[p] = setting == "filter=lfs"
    return sorted(p for p, lfs in marked.items() if lfs)
