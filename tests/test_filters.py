"""GitHub filter patterns: every cheat-sheet example, plus our own tables (pyupgrade style)."""

from __future__ import annotations

import pytest

from migrate.errors import InvalidPattern
from migrate.filters import (
    compile_pattern,
    compile_patterns,
    deciding_pattern,
    escape,
    is_included,
    validate_pattern,
)

# "Patterns to match branches and tags" (Workflow syntax, filter pattern cheat sheet).
DOC_REF_EXAMPLES = [
    ("feature/*", "feature/my-branch"),
    ("feature/*", "feature/your-branch"),
    ("feature/**", "feature/beta-a/my-branch"),
    ("feature/**", "feature/your-branch"),
    ("feature/**", "feature/mona/the/octocat"),
    ("main", "main"),
    ("releases/mona-the-octocat", "releases/mona-the-octocat"),
    ("*", "main"),
    ("*", "releases"),
    ("**", "all/the/branches"),
    ("**", "every/tag"),
    ("*feature", "mona-feature"),
    ("*feature", "feature"),
    ("*feature", "ver-10-feature"),
    ("v2*", "v2"),
    ("v2*", "v2.0"),
    ("v2*", "v2.9"),
    ("v[12].[0-9]+.[0-9]+", "v1.10.1"),
    ("v[12].[0-9]+.[0-9]+", "v2.0.0"),
]

# "Patterns to match file paths": single-pattern rows.
DOC_PATH_EXAMPLES = [
    ("*", "README.md"),
    ("*", "server.rb"),
    ("*.jsx?", "page.js"),
    ("*.jsx?", "page.jsx"),
    ("**", "all/the/files.md"),
    ("*.js", "app.js"),
    ("*.js", "index.js"),
    ("**.js", "index.js"),
    ("**.js", "js/index.js"),
    ("**.js", "src/js/app.js"),
    ("docs/*", "docs/README.md"),
    ("docs/*", "docs/file.txt"),
    ("docs/**", "docs/README.md"),
    ("docs/**", "docs/mona/octocat.txt"),
    ("docs/**/*.md", "docs/README.md"),
    ("docs/**/*.md", "docs/mona/hello-world.md"),
    ("docs/**/*.md", "docs/a/markdown/file.md"),
    ("**/docs/**", "docs/hello.md"),
    ("**/docs/**", "dir/docs/my-file.txt"),
    ("**/docs/**", "space/docs/plan/space.doc"),
    ("**/README.md", "README.md"),
    ("**/README.md", "js/README.md"),
    ("**/*src/**", "a/src/app.js"),
    ("**/*src/**", "my-src/code/js/app.js"),
    ("**/*-post.md", "my-post.md"),
    ("**/*-post.md", "path/their-post.md"),
    ("**/migrate-*.sql", "migrate-10909.sql"),
    ("**/migrate-*.sql", "db/migrate-v1.0.sql"),
    ("**/migrate-*.sql", "db/sept/migrate-v1.sql"),
    # The cheat sheet's bullet examples.
    ("Octo*", "Octocat"),
    ("[CB]at", "Cat"),
    ("[CB]at", "Bat"),
    ("[1-2]00", "100"),
    ("[1-2]00", "200"),
]


@pytest.mark.parametrize(("pattern", "name"), DOC_REF_EXAMPLES + DOC_PATH_EXAMPLES)
def test_doc_example_matches(pattern: str, name: str) -> None:
    assert compile_pattern(pattern).matches(name)


# Multi-pattern rows of the cheat sheet: (patterns, path, included?).
DOC_SEQUENCE_EXAMPLES = [
    (["*.md", "!README.md"], "hello.md", True),
    (["*.md", "!README.md"], "README.md", False),
    (["*.md", "!README.md"], "docs/hello.md", False),
    (["*.md", "!README.md", "README*"], "hello.md", True),
    (["*.md", "!README.md", "README*"], "README.md", True),
    (["*.md", "!README.md", "README*"], "README.doc", True),
]


@pytest.mark.parametrize(("patterns", "name", "included"), DOC_SEQUENCE_EXAMPLES)
def test_doc_sequence_example(patterns: list[str], name: str, included: bool) -> None:
    assert is_included(compile_patterns(patterns), name) is included


# Our own table: (pattern, name) pairs that must NOT match.
NO_MATCH = [
    ("*", "path/with/slash"),
    ("*.js", "src/app.js"),
    ("*.jsx?", "page.jsxx"),
    ("*.jsx?", "page.j"),
    ("docs/*", "docs/mona/octocat.txt"),
    ("docs/**", "docs"),
    ("docs/**", "mydocs/a.md"),
    ("feature/*", "feature/a/b"),
    ("v[12].[0-9]+.[0-9]+", "v3.0.0"),
    ("v[12].[0-9]+.[0-9]+", "v1..0"),
    ("v[12].[0-9]+.[0-9]+", "v1x0.0"),  # '.' is literal, not a regex dot
    (".yml", "fyml"),
    ("infra/variables.yml", "infra/variables.yaml"),
    ("infra/variables.yml", "Infra/variables.yml"),  # case-sensitive
    ("infra/*-variables.yml", "infra/variables.yml"),
    ("infra/eu-*-variables.yml", "infra/us-east-variables.yml"),
    ("**/README.md", "xREADME.md"),
    ("[CB]at", "cat"),
    ("[a-c]x", "dx"),
    ("c\\+\\+", "cc+"),
    ("apis/c\\+\\+/**", "apis/c/x"),
    ("a?", "aa"),
    ("ab+", "a"),
    ("\\*", "x"),
    ("(a|b)", "a"),  # regex syntax has no meaning here
    ("a{2}", "aa"),
    ("a\\b", "ab"),
]


@pytest.mark.parametrize(("pattern", "name"), NO_MATCH)
def test_no_match(pattern: str, name: str) -> None:
    assert not compile_pattern(pattern).matches(name)


# Our own table: (pattern, name) pairs that must match (beyond the documentation's).
MATCH = [
    ("a/**/b", "a/b"),
    ("a/**/b", "a/x/y/b"),
    ("**/infra/**", "infra/variables.yml"),
    ("infra/**", "infra/eu-west-variables.yml"),
    ("infra/*-variables.yml", "infra/eu-west-variables.yml"),
    ("infra/*-vars.yml", "infra/api-vars.yml"),
    ("infra-v*", "infra-v1"),
    ("infra-v*", "infra-v1.2.3"),
    ("c\\+\\+", "c++"),
    ("apis/c\\+\\+/**", "apis/c++/x.h"),
    ("c+", "ccc"),
    ("ab?c", "ac"),
    ("ab?c", "abc"),
    ("[0-9a-z]", "q"),
    ("[0-9]+", "2026"),
    ("\\!file", "!file"),
    ("escape\\\\backslash", "escape\\backslash"),
    ("\\*", "*"),
    ("\\[x]", "[x]"),
    ("\\?", "?"),
    ("a!b", "a!b"),  # '!' is special only first
    ("(a|b)", "(a|b)"),
    ("a{2}", "a{2}"),
    ("file.$x^", "file.$x^"),
    ("**", "a"),
    ("***", "a/b"),
    ("[x]", "x"),
    # A backslash escapes only [ ? * + \ !; otherwise (and at the end) it is itself.
    ("foo\\", "foo\\"),
    ("a\\b", "a\\b"),
    ("\\]", "\\]"),
]


@pytest.mark.parametrize(("pattern", "name"), MATCH)
def test_match(pattern: str, name: str) -> None:
    assert compile_pattern(pattern).matches(name)


# Patterns GitHub refuses (it refuses the whole workflow): (pattern, words in the problem, fix).
INVALID = [
    ("apis/c++/**", "'+' after '+'", r"write 'apis/c\+\+/**'"),
    ("+", "'+' at the start", r"write '\+'"),
    ("?foo", "'?' at the start", r"write '\?foo'"),
    ("*+", "'+' after '*'", r"write '*\+'"),
    ("**?", "'?' after '*'", r"write '**\?'"),
    ("a?+", "'+' after '?'", r"write 'a\?\+'"),
    ("!+a", "'+' after '!'", r"write '!\+a'"),
    ("c++", "'+' after '+'", r"write 'c\+\+'"),
    ("a+++b", "'+' after '+'", r"write 'a\+\+\+b'"),
    ("", "empty pattern", "cheat sheet"),
    ("!", "'!' negates nothing", "cheat sheet"),
    ("[]", "empty character class", "cheat sheet"),
    ("v[0-9", "'[' has no closing ']'", r"write 'v\[0-9'"),
    ("[a-]", "has no end", "cheat sheet"),
    ("[z-a]", "runs backwards", "cheat sheet"),
    ("[a-Z]", "not within a-z, A-Z or 0-9", "cheat sheet"),
    ("[0-z]", "not within a-z, A-Z or 0-9", "cheat sheet"),
    ("[._]", "hold only letters and digits", "cheat sheet"),
    ("[^a]", "hold only letters and digits", "cheat sheet"),
    ("a\nb", "line break", "cheat sheet"),
]


@pytest.mark.parametrize(("pattern", "problem", "fix"), INVALID)
def test_invalid_pattern_is_refused_with_problem_and_fix(
    pattern: str, problem: str, fix: str
) -> None:
    with pytest.raises(InvalidPattern) as info:
        validate_pattern(pattern)
    assert problem in info.value.problem
    assert "GitHub refuses a workflow with this pattern" in info.value.problem
    assert info.value.fix is not None and fix in info.value.fix
    if "write '" in info.value.fix:  # the suggested pattern must itself be accepted
        validate_pattern(info.value.fix.split("write '", 1)[1].rsplit("' (in YAML", 1)[0])


def test_invalid_pattern_message_names_pattern_and_position() -> None:
    with pytest.raises(InvalidPattern) as info:
        validate_pattern("apis/c++/**")
    assert str(info.value) == (
        "invalid filter pattern 'apis/c++/**' (character 8): '+' after '+' has no preceding "
        "character to repeat ('+' means one or more of the preceding character); GitHub "
        "refuses a workflow with this pattern\n"
        "  fix: escape literal characters with '\\': write 'apis/c\\+\\+/**' (in YAML single quotes)"
    )


def test_suggested_fix_is_itself_valid_and_matches_intent() -> None:
    validate_pattern("apis/c+\\+/**")
    validate_pattern("apis/c\\+\\+/**")
    assert compile_pattern("apis/c\\+\\+/**").matches("apis/c++/x")


@pytest.mark.parametrize("pattern", [p for p, _ in DOC_REF_EXAMPLES + DOC_PATH_EXAMPLES + MATCH])
def test_valid_patterns_pass_validation(pattern: str) -> None:
    validate_pattern(pattern)


def test_non_string_pattern_is_refused() -> None:
    with pytest.raises(InvalidPattern, match="is a int, not a string"):
        validate_pattern(1)  # type: ignore[arg-type]


# Last match wins, in both directions.
SEQUENCES = [
    (["infra/**", "!infra/*.md"], "infra/README.md", False, "!infra/*.md"),
    (["infra/**", "!infra/*.md"], "infra/variables.yml", True, "infra/**"),
    (["!infra/*.md", "infra/**"], "infra/README.md", True, "infra/**"),
    (["!infra/**"], "infra/variables.yml", False, "!infra/**"),
    (["!infra/**"], "app/main.py", False, None),
    (["infra/**"], "app/main.py", False, None),
    (["**", "!app/**", "app/Dockerfile"], "app/Dockerfile", True, "app/Dockerfile"),
    (["**", "!app/**", "app/Dockerfile"], "app/src/x.py", False, "!app/**"),
]


@pytest.mark.parametrize(("patterns", "name", "included", "decider"), SEQUENCES)
def test_last_matching_pattern_decides(
    patterns: list[str], name: str, included: bool, decider: str | None
) -> None:
    compiled = compile_patterns(patterns)
    assert is_included(compiled, name) is included
    found = deciding_pattern(compiled, name)
    assert (found.text if found else None) == decider


@pytest.mark.parametrize(
    "literal", ["c++", "a*b", "[x]", "!important", "back\\slash", "q?", "plain/path.yml"]
)
def test_escape_matches_exactly_itself(literal: str) -> None:
    pattern = compile_pattern(escape(literal))
    assert pattern.matches(literal)
    assert not pattern.negated
