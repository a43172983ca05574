"""GitHub Actions filter patterns (branches, tags, paths): compile, validate and match.

Semantics follow GitHub's "Filter pattern cheat sheet" (Workflow syntax for GitHub Actions):

- ``*`` matches zero or more characters but not ``/``; ``**`` matches zero or more of any
  character; ``**/`` also matches zero directories (``**/README.md`` matches ``README.md``).
- ``?`` and ``+`` are quantifiers of the *preceding character* (zero-or-one, one-or-more), as in
  ``*.jsx?`` or ``v[12].[0-9]+``. A quantifier needs a plain preceding character (a literal, an
  escaped character or a ``[]`` class): at the start, after ``*``/``**``, after ``!`` or after
  another quantifier GitHub cannot parse the pattern and refuses the workflow. This is why
  ``apis/c++/**`` is refused: the second ``+`` would quantify a quantifier. Write ``c\\+\\+``.
- ``[]`` matches one alphanumeric character listed or in a range; ranges only within ``a-z``,
  ``A-Z`` or ``0-9``.
- ``\\`` escapes a special character (``\\+``, ``\\?``, ``\\*``, ``\\[``, ``\\!``, ``\\\\``); before
  any other character, or at the end, it is a literal backslash.
- A leading ``!`` negates; patterns are checked in order and the last one that matches decides.

Which patterns are valid is decided by one regular expression, copier.yml's hidden
``github_filter_pattern`` (read through `migrate.suite`): the suite's validators use the same
text, so `copier copy` and `repo-migrate explain` always agree. This module checks a pattern
against it before translating, and its own parser only says where and why a refused one fails.

API
---
  - ``compile_pattern(text)`` -> ``Pattern`` (``text``, ``negated``, ``regex``, ``matches(name)``);
    ``validate_pattern(text)``; ``compile_patterns(texts)``: raise ``InvalidPattern(problem, fix)``
    for a pattern GitHub refuses.
  - ``is_valid(text)``: the verdict alone (the suite's rule), no message.
  - ``suite_refusal(text)``: why the suite's branch_patterns/tag_pattern refuse *text*, or None:
    its own checks (characters it writes into workflows, git's rules for ref names), then GitHub's.
  - ``validity_regex()``: that rule as a compiled regex, ``\\A(?:!|(?!!))(?:<token>)+\\Z``.
  - ``deciding_pattern(patterns, name)``, ``is_included(patterns, name)``: last match wins.
  - ``escape(literal)``: a pattern that matches exactly *literal*.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from migrate import suite
from migrate.errors import InvalidPattern

# copier.yml's hidden data question holding the rule (its key "token": one token of a pattern).
RULE_QUESTION = "github_filter_pattern"

_CLASS_RANGES = (("a", "z"), ("A", "Z"), ("0", "9"))
# '\' escapes only these; before anything else (or at the end) it is a literal backslash, as a
# file path may hold one (the reading actionlint documents for GitHub's runtime).
ESCAPABLE = "[?*+\\!"


@dataclass(frozen=True)
class Pattern:
    """One compiled filter pattern: its text as written, whether it negates, and its regex."""

    text: str
    negated: bool
    regex: re.Pattern[str]

    def matches(self, name: str) -> bool:
        """True if *name* (a path, branch or tag name) matches the whole pattern."""
        return self.regex.fullmatch(name) is not None


class _Refusal(Exception):
    """Internal: where and why a pattern is refused, turned into InvalidPattern by the caller."""

    def __init__(self, pos: int, why: str, escape_at: int | None = None) -> None:
        self.pos = pos
        self.why = why
        self.escape_at = escape_at  # position whose character, escaped, would fix the pattern


def _is_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _class_to_regex(body: str, start: int) -> str:
    """Translate the inside of a ``[...]`` (starting at *start* in the pattern) to a regex class."""
    if not body:
        raise _Refusal(start - 1, "'[]' is an empty character class")
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if i + 1 < len(body) and body[i + 1] == "-":
            if i + 2 >= len(body):
                raise _Refusal(start + i + 1, f"range '{ch}-' in '[]' has no end")
            end = body[i + 2]
            if not any(lo <= ch <= hi and lo <= end <= hi for lo, hi in _CLASS_RANGES):
                raise _Refusal(
                    start + i,
                    f"range '{ch}-{end}' in '[]' is not within a-z, A-Z or 0-9",
                )
            if ch > end:
                raise _Refusal(start + i, f"range '{ch}-{end}' in '[]' runs backwards")
            out.append(f"{ch}-{end}")
            i += 3
            continue
        if not _is_alnum(ch):
            raise _Refusal(
                start + i,
                f"'{ch}' in '[]': character classes hold only letters and digits (a-z, A-Z, 0-9)",
            )
        out.append(ch)
        i += 1
    return "[" + "".join(out) + "]"


def _translate(body: str, offset: int) -> str:
    """Translate a pattern body (after any leading '!') to a regex; raise _Refusal if GitHub would."""
    out: list[str] = []
    quantifiable = False  # does the previous token accept '?' or '+'?
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        pos = offset + i
        if ch == "*":
            if i + 1 < n and body[i + 1] == "*":
                if i + 2 < n and body[i + 2] == "/":
                    out.append("(?:.+/)?")  # '**/' also matches no directory at all
                    i += 3
                else:
                    out.append(".*")
                    i += 2
            else:
                out.append("[^/]*")
                i += 1
            quantifiable = False
        elif ch in "?+":
            if not quantifiable:
                prev = body[i - 1] if i else ("!" if offset else "")
                where = f"after '{prev}'" if prev else "at the start"
                raise _Refusal(
                    pos,
                    f"'{ch}' {where} has no preceding character to repeat "
                    f"('{ch}' means {'zero or one' if ch == '?' else 'one or more'} "
                    "of the preceding character)",
                    escape_at=pos,
                )
            out.append(ch)
            quantifiable = False
            i += 1
        elif ch == "[":
            close = body.find("]", i + 1)
            if close < 0:
                raise _Refusal(pos, "'[' has no closing ']'", escape_at=pos)
            out.append(_class_to_regex(body[i + 1 : close], pos + 1))
            quantifiable = True
            i = close + 1
        elif ch == "\\" and i + 1 < n and body[i + 1] in ESCAPABLE:
            out.append(re.escape(body[i + 1]))
            quantifiable = True
            i += 2
        elif ch in "\r\n":
            raise _Refusal(pos, "a pattern cannot contain a line break")
        else:
            out.append(re.escape(ch))
            quantifiable = True
            i += 1
    return "".join(out)


def _parse(text: str) -> Pattern:
    negated = text.startswith("!")
    body = text[1:] if negated else text
    if not body:
        raise _Refusal(0, "an empty pattern matches nothing" if not negated else "'!' negates nothing")
    regex = _translate(body, 1 if negated else 0)
    return Pattern(text=text, negated=negated, regex=re.compile(regex, re.DOTALL))


def _suggest(text: str) -> str | None:
    """Escape offending characters one at a time until the pattern parses (None if that fails)."""
    for _ in range(len(text) + 1):
        try:
            _parse(text)
            return text
        except _Refusal as ref:
            if ref.escape_at is None:
                return None
            start = ref.escape_at
            # In a run such as '++' the user almost surely meant literal characters: escape all.
            while text[ref.escape_at] in "?+" and start > 0 and text[start - 1] in "?+" and (
                start < 2 or text[start - 2] != "\\"
            ):
                start -= 1
            end = ref.escape_at + 1
            while text[ref.escape_at] in "?+" and end < len(text) and text[end] in "?+":
                end += 1
            run = text[start:end]
            escaped = "".join("\\" + c for c in run) if run[-1] in "?+" else "\\" + run
            text = text[:start] + escaped + text[end:]
    return None


@dataclass(frozen=True)
class _Rule:
    valid: re.Pattern[str]
    suite_refuses: tuple[tuple[re.Pattern[str], str], ...]  # (regex, why) in copier.yml's order


@functools.lru_cache(maxsize=8)
def _rule_for(suite_override: str | None) -> _Rule:
    # Keyed by $REPO_MIGRATE_SUITE, which decides the copier.yml that suite.suite_root() reads:
    # each suite's file is read once per process (patterns are checked by the thousand).
    data = suite.read_suite_data(RULE_QUESTION)
    return _Rule(
        valid=re.compile(r"\A(?:!|(?!!))(?:" + data["token"] + r")+\Z"),
        suite_refuses=tuple((re.compile(c["regex"]), " ".join(c["why"].split()))
                            for c in data["suite_refuses"]),
    )


def _rule() -> _Rule:
    return _rule_for(os.environ.get(suite.SUITE_ENV))


def validity_regex() -> re.Pattern[str]:
    """The suite's rule for a valid GitHub filter pattern (copier.yml's github_filter_pattern)."""
    return _rule().valid


def is_valid(text: str) -> bool:
    """True if GitHub accepts *text* as a filter pattern (the verdict the suite's validators give)."""
    return _rule().valid.search(text) is not None


def suite_refusal(text: str) -> str | None:
    """Why the suite's branch_patterns and tag_pattern questions refuse *text* (None: accepted).

    The suite's own checks come first (its characters, git's rules for ref names), then GitHub's.
    """
    for regex, why in _rule().suite_refuses:
        found = regex.search(text)
        if found is not None:
            return f'"{found.group()}" {why}'
    return None if is_valid(text) else "GitHub refuses it as a filter pattern"


def compile_pattern(text: str) -> Pattern:
    """Compile one filter pattern; raise InvalidPattern(problem, fix) for one GitHub refuses."""
    if not isinstance(text, str):
        raise InvalidPattern(
            f"filter pattern {text!r} is a {type(text).__name__}, not a string",
            "quote the pattern in the workflow file so YAML reads it as a string",
        )
    valid = is_valid(text)
    try:
        pattern = _parse(text)
    except _Refusal as ref:
        if valid:
            raise _disagreement(text, ref.why) from None
        suggestion = _suggest(text)
        if suggestion is not None and suggestion != text:
            fix = f"escape literal characters with '\\': write '{suggestion}' (in YAML single quotes)"
        else:
            fix = (
                "rewrite the pattern per GitHub's filter pattern cheat sheet "
                "(*, **, ? and + after a character, [a-z0-9] classes, \\ escapes, leading !)"
            )
        raise InvalidPattern(
            f"invalid filter pattern {text!r} (character {ref.pos + 1}): {ref.why}; "
            "GitHub refuses a workflow with this pattern",
            fix,
        ) from None
    if not valid:
        raise _disagreement(text, "the translator accepts it")
    return pattern


def _disagreement(text: str, detail: str) -> RuntimeError:
    # The rule decides; the translator only explains. Disagreeing is a bug (tests/test_filter_rule.py
    # proves they agree), so it is never reported as the user's mistake.
    return RuntimeError(f"copier.yml's {RULE_QUESTION} and migrate/filters.py disagree on "
                        f"{text!r}: {detail}")


def validate_pattern(p: str) -> None:
    """Raise InvalidPattern(problem, fix) if GitHub would refuse the filter pattern *p*."""
    compile_pattern(p)


def compile_patterns(texts: Iterable[str]) -> tuple[Pattern, ...]:
    """Compile a filter's pattern list in order; the first invalid one raises InvalidPattern."""
    return tuple(compile_pattern(t) for t in texts)


@functools.lru_cache(maxsize=4096)
def compiled(texts: tuple[str, ...]) -> tuple[Pattern, ...]:
    """``compile_patterns`` once per list: the routing checks ask every workflow about many
    events."""
    return compile_patterns(texts)


def deciding_pattern(patterns: Sequence[Pattern], name: str) -> Pattern | None:
    """The last pattern that matches *name* (it decides), or None if none matches."""
    for pattern in reversed(patterns):
        if pattern.matches(name):
            return pattern
    return None


def is_included(patterns: Sequence[Pattern], name: str) -> bool:
    """True if the last matching pattern is a positive one (GitHub: last match wins)."""
    decider = deciding_pattern(patterns, name)
    return decider is not None and not decider.negated


def escape(literal: str) -> str:
    """Escape *literal* so that, as a pattern, it matches exactly itself."""
    return re.sub(r"([*?+\[\\!])", r"\\\1", literal)
